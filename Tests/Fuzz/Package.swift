// swift-tools-version:5.4
// libFuzzer targets for the code that reads what clients send: `make fuzz` (Tests/Fuzz/run.sh) builds them
// with `-sanitize=fuzzer,address` and runs each for a bounded time on a copy of corpus/<target>/.
//
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM links every executable on Linux with
// `--defsym main=<module>_main`, a symbol that a `-parse-as-library` fuzz target never defines; below 5.5 the
// executable keeps libFuzzer's own `main`, which calls the `LLVMFuzzerTestOneInput` each target defines.
import PackageDescription

let package = Package(
    name: "VividFuzz",
    platforms: [.macOS("15.0")],
    dependencies: [.package(name: "Vivid", path: "../..")],
    targets: ["FuzzMultipart", "FuzzQuery", "FuzzContainer"].map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "VividFuzzable", package: "Vivid")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])],
            // lld, since gold warns about each of the ~400 local symbols AddressSanitizer's runtime exports.
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        )
    }
)

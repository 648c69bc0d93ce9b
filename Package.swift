// swift-tools-version:6.1
import PackageDescription

// Layout and import rules: ../shared/DESIGN.md §2. Each C library is reached through a system-library
// target; the only C code is the shim for what Swift cannot call (macros, variadic functions).
let package = Package(
    name: "Vivid",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vivid", targets: ["vivid"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]
        ),
        .target(name: "CVideoShim", dependencies: ["CFFmpeg"]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        .target(name: "Numerics", dependencies: ["CBLAS"]),
        .target(name: "VideoDecoding", dependencies: ["CFFmpeg", "CVideoShim"]),
        .target(name: "ClipSampling", dependencies: ["Numerics"]),
        .target(name: "Models", dependencies: ["Numerics"]),
        .target(name: "Inference", dependencies: ["VideoDecoding", "ClipSampling", "Numerics", "Models"]),
        .executableTarget(
            name: "vivid",
            dependencies: [
                "Inference", "VideoDecoding", "ClipSampling", "Numerics", "Models",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(name: "VividTestSupport", dependencies: ["Models", "Numerics"]),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics", "VividTestSupport"]),
        .testTarget(name: "VideoDecodingTests", dependencies: ["VideoDecoding", "VividTestSupport"]),
        .testTarget(name: "ClipSamplingTests", dependencies: ["ClipSampling", "Numerics", "VividTestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Numerics", "VividTestSupport"]),
        .testTarget(
            name: "InferenceTests",
            dependencies: ["Inference", "VideoDecoding", "ClipSampling", "Numerics", "Models", "VividTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
import PackageDescription

// Layout and import rules: ../shared/DESIGN.md §2. Each C library is reached through a system-library
// target; the only C code is the shim for what Swift cannot call (macros, variadic functions).
let package = Package(
    name: "Vivid",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vivid", targets: ["vivid"]),
        // For Tests/Fuzz, a separate package: it can reach another package's modules only through a product.
        .library(name: "VividFuzzable", targets: ["HTTPServer", "VideoDecoding"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]
        ),
        .target(name: "CVideoShim", dependencies: ["CFFmpeg"]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // oneDNN: bf16 and int8 products, and fp32 where OpenBLAS lacks a kernel for the CPU (Debian ships no .pc file).
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .target(name: "CMicroHTTPDShim", dependencies: ["CMicroHTTPD"]),

        .target(name: "Numerics", dependencies: ["CBLAS", "CDNNL"]),
        .target(name: "VideoDecoding", dependencies: ["CFFmpeg", "CVideoShim"]),
        .target(name: "ClipSampling", dependencies: ["Numerics"]),
        .target(name: "Models", dependencies: ["ClipSampling", "Numerics"]),
        .target(name: "Inference", dependencies: ["VideoDecoding", "ClipSampling", "Numerics", "Models"]),
        .target(
            name: "HTTPServer",
            dependencies: [
                "Inference", "Models", "VideoDecoding", "ClipSampling", "CMicroHTTPD", "CMicroHTTPDShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "vivid",
            dependencies: [
                "Inference", "VideoDecoding", "ClipSampling", "Numerics", "Models", "HTTPServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .target(name: "VividTestSupport", dependencies: ["ClipSampling", "Models", "Numerics"]),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics", "VividTestSupport"]),
        .testTarget(name: "VideoDecodingTests", dependencies: ["VideoDecoding", "VividTestSupport"]),
        .testTarget(name: "ClipSamplingTests", dependencies: ["ClipSampling", "Numerics", "VividTestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Numerics", "VividTestSupport"]),
        .testTarget(
            name: "InferenceTests",
            dependencies: ["Inference", "VideoDecoding", "ClipSampling", "Numerics", "Models", "VividTestSupport"]
        ),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: ["HTTPServer", "Inference", "Models", "Numerics", "VideoDecoding", "VividTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

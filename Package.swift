// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilCore", targets: ["VigilCore"]),
        .library(name: "VigilConfig", targets: ["VigilConfig"]),
        .library(name: "VigilDecode", targets: ["VigilDecode"]),
        .library(name: "VigilInspect", targets: ["VigilInspect"]),
        .library(name: "VigilRules", targets: ["VigilRules"]),
        .library(name: "VigilSensor", targets: ["VigilSensor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .target(name: "VigilCore", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "VigilDecode", dependencies: ["VigilCore", "CZlib"], swiftSettings: strict),
        .target(
            name: "VigilConfig", dependencies: ["VigilCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(name: "VigilInspect", dependencies: ["VigilCore"], swiftSettings: strict),
        .target(name: "VigilRules", dependencies: ["VigilCore", "VigilConfig", "CPCRE2"], swiftSettings: strict),
        .target(
            name: "VigilSensor",
            dependencies: ["VigilCore", "VigilConfig", "VigilDecode", "VigilInspect", "CPcap"],
            swiftSettings: strict),
        .target(
            name: "VigilCLI",
            dependencies: [
                "VigilCore", "VigilDecode", "VigilSensor", "VigilRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "vigil", dependencies: ["VigilCLI"], swiftSettings: strict),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"], swiftSettings: strict),
        .testTarget(name: "VigilDecodeTests", dependencies: ["VigilDecode"], swiftSettings: strict),
        .testTarget(name: "VigilInspectTests", dependencies: ["VigilInspect"], swiftSettings: strict),
        .testTarget(name: "VigilRulesTests", dependencies: ["VigilRules"], swiftSettings: strict),
        .testTarget(name: "VigilSensorTests", dependencies: ["VigilSensor"], swiftSettings: strict),
        .testTarget(
            name: "VigilCLITests",
            dependencies: ["VigilCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)

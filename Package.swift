// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

/// The executables allocate through jemalloc (Debian's libjemalloc-dev) instead of glibc malloc: the
/// capture pipeline allocates typed records on its capture thread and frees them on its writer
/// thread, which glibc serialises on the capture thread's arena lock. `vigil analyze --pcap` on the
/// 3 M-packet benchmark capture: 5.86 s → 5.25 s (Benchmarks/README.md, session 14). mimalloc was as
/// fast but took 300 bytes per tracked flow (the budget is 200; jemalloc 186, glibc 181). Libraries
/// and tests keep the system allocator. Linked before libc, so its malloc is the one every library
/// binds to.
let allocator: [LinkerSetting] = [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .executable(name: "vigil-correlator", targets: ["vigil-correlator"]),
        .executable(name: "vigil-sensor", targets: ["vigil-sensor"]),
        .library(name: "VigilCore", targets: ["VigilCore"]),
        .library(name: "VigilConfig", targets: ["VigilConfig"]),
        .library(name: "VigilDecode", targets: ["VigilDecode"]),
        .library(name: "VigilInspect", targets: ["VigilInspect"]),
        .library(name: "VigilRules", targets: ["VigilRules"]),
        .library(name: "VigilSensor", targets: ["VigilSensor"]),
        .library(name: "VigilStore", targets: ["VigilStore"]),
        .library(name: "VigilResponse", targets: ["VigilResponse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The event store (DESIGN §3): GRDB over the system SQLite (libsqlite3-dev), WAL.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The correlator's ingest and query API (DESIGN §3): Hummingbird 2 over swift-nio-ssl (mutual TLS).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The correlator's /metrics (DESIGN §3): Prometheus text exposition; ServiceGroup runs its
        // two listeners (ingest, query API) and shuts them down together on SIGTERM.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Webhook delivery (DESIGN §7): an HTTPS client with timeouts, pooling and custom trust roots.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Sensor certificates checked in the TLS handshake (chain, validity, deny-list): already in
        // the graph through swift-nio-ssl's users, so no extra build.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        // Header-only C: sixteen-byte scans Swift inlines (no library to link).
        .systemLibrary(name: "CByteScan"),
        .target(name: "VigilCore", dependencies: ["COpenSSL", "CByteScan"], swiftSettings: strict),
        .target(name: "VigilDecode", dependencies: ["VigilCore", "CZlib"], swiftSettings: strict),
        .target(
            name: "VigilConfig", dependencies: ["VigilCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(name: "VigilInspect", dependencies: ["VigilCore", "CByteScan"], swiftSettings: strict),
        .target(name: "VigilRules", dependencies: ["VigilCore", "VigilConfig", "CPCRE2"], swiftSettings: strict),
        .target(
            name: "VigilSensor",
            dependencies: [
                "VigilCore", "VigilConfig", "VigilDecode", "VigilInspect", "CPcap", "CZlib", "COpenSSL",
                // The sensor agent's spool (SQLite WAL), shipper (HTTPS + mutual TLS) and service runtime.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "VigilStore",
            dependencies: [
                "VigilCore", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the one statement run per stored event (see `SQLiteStore.append`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .target(
            name: "VigilResponse",
            dependencies: [
                "VigilCore", "VigilConfig", "VigilStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict),
        .target(
            name: "VigilServer",
            dependencies: [
                "VigilCore", "VigilConfig", "VigilDecode", "VigilInspect", "VigilRules", "VigilStore", "VigilResponse",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict),
        .target(
            name: "VigilCLI",
            dependencies: [
                "VigilCore", "VigilDecode", "VigilSensor", "VigilRules", "VigilStore", "VigilResponse",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vigil", dependencies: ["VigilCLI"], swiftSettings: strict, linkerSettings: allocator),
        .executableTarget(
            name: "vigil-correlator", dependencies: ["VigilServer"], swiftSettings: strict,
            linkerSettings: allocator),
        .executableTarget(
            name: "vigil-sensor", dependencies: ["VigilSensor"], swiftSettings: strict, linkerSettings: allocator),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"], swiftSettings: strict),
        .testTarget(name: "VigilDecodeTests", dependencies: ["VigilDecode"], swiftSettings: strict),
        .testTarget(name: "VigilInspectTests", dependencies: ["VigilInspect"], swiftSettings: strict),
        .testTarget(name: "VigilRulesTests", dependencies: ["VigilRules"], swiftSettings: strict),
        .testTarget(name: "VigilSensorTests", dependencies: ["VigilSensor"], swiftSettings: strict),
        .testTarget(name: "VigilStoreTests", dependencies: ["VigilStore"], swiftSettings: strict),
        .testTarget(
            name: "VigilResponseTests", dependencies: ["VigilResponse", "VigilConfig", "VigilStore"],
            swiftSettings: strict),
        .testTarget(
            name: "VigilServerTests",
            // vigil-correlator: the kill -9 tests run the real binary.
            dependencies: [
                "VigilServer", "vigil-correlator", "vigil", "vigil-sensor",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "VigilCLITests",
            dependencies: ["VigilCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)

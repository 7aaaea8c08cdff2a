// swift-tools-version: 6.1
// Vigil's micro-benchmarks (ordo-one/benchmark). A separate package, like swift-nio's Benchmarks/, so
// `swift build` / `swift test` at the root never build the benchmark tooling.
//
//   swift package --package-path Benchmarks --scratch-path Benchmarks/.build-benchmarks benchmark
import PackageDescription

let package = Package(
    name: "vigil-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "vigil", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DecodeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VigilDecode", package: "vigil"),
                .product(name: "VigilCore", package: "vigil"),
            ],
            path: "Benchmarks/DecodeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)

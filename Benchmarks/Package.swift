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
        bench("DecodeBenchmarks", ["VigilDecode", "VigilCore"]),
        bench("LogBenchmarks", ["VigilDecode", "VigilCore"]),
        bench("InspectBenchmarks", ["VigilInspect", "VigilCore"]),
        bench("RuleBenchmarks", ["VigilRules", "VigilCore", "VigilConfig"]),
        bench("SpoolBenchmarks", ["VigilSensor", "VigilCore"]),
    ]
)

func bench(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark")]
            + products.map { .product(name: $0, package: "vigil") },
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

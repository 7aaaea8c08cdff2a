// swift-tools-version: 6.0
// libFuzzer harnesses for Vigil's decoders. A separate package (like swift-nio's IntegrationTests /
// fuzz packages) so `swift test` at the repository root never builds it. See README.md and run.sh.
import Foundation
import PackageDescription

// A path dependency's identity is the last component of its directory, not the manifest's `name`:
// the repository may be checked out as `vigil`, `main`, ... so derive it instead of hard-coding it.
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let decode: Target.Dependency = .product(name: "VigilDecode", package: rootIdentity)
let core: Target.Dependency = .product(name: "VigilCore", package: rootIdentity)
let inspect: Target.Dependency = .product(name: "VigilInspect", package: rootIdentity)
let rules: Target.Dependency = .product(name: "VigilRules", package: rootIdentity)
let config: Target.Dependency = .product(name: "VigilConfig", package: rootIdentity)
let sensor: Target.Dependency = .product(name: "VigilSensor", package: rootIdentity)

func fuzzTarget(_ name: String, also extra: [Target.Dependency] = []) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport", decode, core, inspect, rules, config] + extra)
}

// Each fuzz target is an ordinary executable target: `<Name>.swift` holds the
// `@_cdecl("LLVMFuzzerTestOneInput")` entry, `main.swift` hands it to libFuzzer's LLVMFuzzerRunDriver.
// Build WITHOUT `-parse-as-library` (see README: SwiftPM links executables with
// `--defsym main=<Target>_main`, which `-parse-as-library` leaves undefined).

let package = Package(
    name: "vigil-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", core]),
        fuzzTarget("FuzzPacket"),
        fuzzTarget("FuzzDNS"),
        fuzzTarget("FuzzDatagram"),
        fuzzTarget("FuzzHTTP"),
        fuzzTarget("FuzzTLS"),
        fuzzTarget("FuzzSSH"),
        fuzzTarget("FuzzStreamAnalyzer"),
        fuzzTarget("FuzzLogs"),
        fuzzTarget("FuzzInspect"),
        fuzzTarget("FuzzRules"),
        fuzzTarget("FuzzEventJSON"),
        // Only this target links VigilSensor (libpcap, Foundation): the others stay small.
        fuzzTarget("FuzzPcapFile", also: [sensor]),
    ],
    swiftLanguageModes: [.v6]
)

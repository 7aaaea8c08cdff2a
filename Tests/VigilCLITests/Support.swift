import ArgumentParser
import Foundation
import Testing

@testable import VigilCLI

/// Paths of the repository, found from this file so tests run from any working directory.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func pcap(_ name: String) -> String { root.appendingPathComponent("Tests/Fixtures/pcap/\(name)").path }
    static func expected(_ name: String) -> URL {
        root.appendingPathComponent("Tests/Fixtures/expected/\(name).ndjson")
    }
}

/// Runs `vigil analyze ARGS --output <temp> --quiet` in-process and returns the output lines.
func analyze(_ args: [String]) async throws -> [String] {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(UUID().uuidString).ndjson")
    defer { try? FileManager.default.removeItem(at: out) }
    let command = try AnalyzeCommand.parse(args + ["--output", out.path, "--quiet"])
    try await command.run()
    let text = try String(contentsOf: out, encoding: .utf8)
    return text.split(separator: "\n").map(String.init)
}

/// The exit code `vigil analyze ARGS` ends with (0 when it returns normally).
func exitCode(_ args: [String]) async -> Int32 {
    do {
        let command = try AnalyzeCommand.parse(args + ["--output", "/dev/null", "--quiet"])
        try await command.run()
        return 0
    } catch let code as ExitCode {
        return code.rawValue
    } catch {
        return AnalyzeCommand.exitCode(for: error).rawValue
    }
}

func json(_ line: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

import Foundation
import Testing

@Suite("deploy/: the correlator's systemd unit")
struct DeployTests {
    @Test("systemd-analyze verify accepts the unit with no warning (unknown keys, bad values, missing binary)")
    func unitVerifies() throws {
        let unit = try String(
            contentsOf: repoRoot.appendingPathComponent("deploy/systemd/vigil-correlator.service"), encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec="), "the service tells systemd it is ready")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The installed path, pointed at the binary built beside the tests.
        let path = dir.appendingPathComponent("vigil-correlator.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/vigil-correlator", with: correlatorBinary.path)
            .write(to: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", path.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && text.isEmpty, "\(text)")
    }
}

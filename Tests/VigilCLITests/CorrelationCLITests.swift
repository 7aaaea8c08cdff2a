import Foundation
import Testing

@testable import VigilCLI

/// `vigil analyze --rules rules/` with the pack's correlation rules, end to end from log lines.
@Suite("Correlation from the command line")
struct CorrelationCLITests {
    /// Twelve rejected passwords from 127.0.0.2 within 36 s, then an accepted one (sshd's syntax).
    static func bruteForceLog() throws -> URL {
        var lines: [String] = []
        for i in 0..<12 {
            lines.append(
                "Nov 23 17:50:\(String(format: "%02d", 10 + i * 3)) vigil-host sshd[\(8000 + i)]: "
                    + "Failed password for admin from 127.0.0.2 port \(50000 + i) ssh2")
        }
        lines.append(
            "Nov 23 17:51:30 vigil-host sshd[8100]: Accepted password for admin from 127.0.0.2 port 50100 ssh2")
        // An ordinary user: one typo, then in.
        lines.append("Nov 23 17:52:01 vigil-host sshd[8200]: Failed password for alice from 127.0.0.3 port 50200 ssh2")
        lines.append(
            "Nov 23 17:52:05 vigil-host sshd[8201]: Accepted password for alice from 127.0.0.3 port 50201 ssh2")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-brute-\(UUID().uuidString).log")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test(
        "a password-guessing burst then a login raise the guessing and the success-after-guessing incidents, nothing for single failures"
    )
    func bruteForce() async throws {
        let log = try Self.bruteForceLog()
        let incidents = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-inc-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: log)
            try? FileManager.default.removeItem(at: incidents)
        }
        _ = try await analyze([
            "--log", "sshd:" + log.path, "--log-time", "2026-11-23T18:00:00Z", "--rules",
            Repo.root.appendingPathComponent("rules").path, "--incidents", incidents.path,
        ])
        let lines = try String(contentsOf: incidents, encoding: .utf8).split(separator: "\n").map(String.init)
        let objects = try lines.map(json)
        let byRule = Dictionary(grouping: objects) { $0["rule.id"] as? String ?? "" }
        let guessing = try #require(byRule["3e0e8a39-ce81-4aad-9535-98bd2b2e0809"]?.first)
        #expect(guessing["rule.correlation"] as? String == "event_count")
        #expect((guessing["group"] as? [String: String]) == ["source.ip": "127.0.0.2"])
        #expect(guessing["first_seen"] as? String == "2026-11-23T17:50:37.000000Z", "the 10th failure completes it")
        let success = try #require(byRule["390d8656-2efc-40fe-918a-4f7fe91abe88"]?.first)
        #expect(success["level"] as? String == "high")
        #expect(success["rule.correlation"] as? String == "temporal_ordered")
        #expect((success["sample_event_ids"] as? [String])?.count == 5, "four failures and the accepted login")
        #expect(byRule["40329cfe-ef73-4f2d-bfee-d6f050856fdd"] == nil, "single failures feed the correlations only")
        #expect(byRule["15ee80f7-78c9-42f8-8c9b-9692e58cf65d"] == nil, "logins feed the correlations only")
        #expect(objects.count == 2, "alice's typo is nothing: \(lines)")
    }
}

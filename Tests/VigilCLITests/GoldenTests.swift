import Foundation
import Testing

/// Zeek-btest-style golden tests: a capture the project recorded goes through the real CLI and the
/// JSON lines must equal the checked-in baseline. Set VIGIL_UPDATE_GOLDEN=1 to rewrite baselines
/// after an intended change, then review the diff.
@Suite("Golden captures through vigil analyze")
struct GoldenTests {
    static let captures = [
        "http.pcap", "http.pcapng", "dns.pcap", "tls.pcap", "ssh.pcap", "sll2.pcap", "ethernet.pcap", "vlan.pcap",
        "qinq.pcap", "raw.pcap", "null.pcap", "snaplen.pcap", "sample.pcap",
    ]

    @Test("output equals the baseline", arguments: captures)
    func golden(capture: String) async throws {
        let lines = try await analyze(["--pcap", Repo.pcap(capture), "--observer-id", "golden"])
        let baseline = Repo.expected(capture)
        let actual = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["VIGIL_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: baseline, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: baseline, encoding: .utf8)
        let expectedLines = expected.split(separator: "\n").map(String.init)
        #expect(lines.count == expectedLines.count, "\(capture): event count")
        for (index, (a, e)) in zip(lines, expectedLines).enumerated() where a != e {
            Issue.record("\(capture) line \(index + 1) differs:\n  got      \(a)\n  expected \(e)")
            break
        }
    }

    @Test("the same capture gives the same events and ids on every run")
    func deterministic() async throws {
        let first = try await analyze(["--pcap", Repo.pcap("sample.pcap"), "--observer-id", "n1"])
        let second = try await analyze(["--pcap", Repo.pcap("sample.pcap"), "--observer-id", "n1"])
        #expect(first == second)
        let ids = try first.map { try json($0)["event.id"] as? String }
        #expect(Set(ids).count == first.count, "event ids are unique")
    }
}

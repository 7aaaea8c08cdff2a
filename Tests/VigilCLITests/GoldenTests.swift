import Foundation
import Testing

/// Zeek-btest-style golden tests: a capture the project recorded goes through the real CLI and the
/// JSON lines must equal the checked-in baseline. Set VIGIL_UPDATE_GOLDEN=1 to rewrite baselines
/// after an intended change, then review the diff.
@Suite("Golden captures through vigil analyze")
struct GoldenTests {
    static let captures = [
        "http.pcap", "http.pcapng", "dns.pcap", "tls.pcap", "ssh.pcap", "sll2.pcap", "ethernet.pcap", "vlan.pcap",
        "qinq.pcap", "raw.pcap", "null.pcap", "snaplen.pcap", "sample.pcap", "pii-api.pcap",
    ]

    /// A fixed key for `dlp.hashes` (test data only), so baselines with sensitive data are stable.
    static let key = Repo.root.appendingPathComponent("Tests/Fixtures/dlp-test.key").path

    @Test("output equals the baseline", arguments: captures)
    func golden(capture: String) async throws {
        let lines = try await analyze([
            "--pcap", Repo.pcap(capture), "--observer-id", "golden", "--dlp-key-file", Self.key,
        ])
        try compare(lines, to: Repo.expected(capture), name: capture)
    }

    static func log(_ name: String) -> String { Repo.root.appendingPathComponent("Tests/Fixtures/logs/\(name)").path }

    /// Each log fixture through `vigil analyze --log`, with the options its format needs.
    static let logCases: [String: [String]] = [
        "logs-nginx-combined": ["--log", "nginx:" + log("nginx-combined.log")],
        "logs-nginx-custom": [
            "--log", "nginx:" + log("nginx-custom.log"), "--nginx-format",
            (try? String(contentsOfFile: log("nginx-custom.format"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
        ],
        "logs-auth-rfc3164": ["--log", "sshd:" + log("auth-rfc3164.log")],
        "logs-auth-rfc5424": ["--log", "sshd:" + log("auth-rfc5424.log")],
        "logs-auth-iso": ["--log", "sshd:" + log("auth-iso.log")],
        "logs-audit": ["--log", "auditd:" + log("audit.log")],
        "logs-postgres-stderr": ["--log", "postgres:" + log("postgres-stderr.log")],
        "logs-postgres-csv": ["--log", "postgres-csv:" + log("postgres-csv.csv")],
        "logs-mysql-general": ["--log", "mysql:" + log("mysql-general.log")],
        "logs-api-gateway": [
            "--log", "json:" + log("api-gateway.jsonl"), "--json-mapping", log("api-gateway.mapping.txt"),
            "--json-duration-unit", "s",
        ],
    ]

    @Test("log output equals the baseline", arguments: logCases.keys.sorted())
    func goldenLog(name: String) async throws {
        // The fixtures were written on 2026-11-23; year-less syslog times must not depend on the checkout's mtime.
        let lines = try await analyze(
            Self.logCases[name]! + [
                "--observer-id", "golden", "--dlp-key-file", Self.key, "--log-time", "2026-11-23T18:00:00Z",
            ])
        // Paths differ between checkouts: baselines hold them relative to the repository.
        let root = Repo.root.path + "/"
        try compare(lines.map { $0.replacingOccurrences(of: root, with: "") }, to: Repo.expected(name), name: name)
    }

    func compare(_ lines: [String], to baseline: URL, name capture: String) throws {
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

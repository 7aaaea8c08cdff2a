import Foundation
import Testing

@testable import VigilCLI

@Suite("vigil analyze behaviour")
struct AnalyzeTests {
    /// The facts an analyst reads off each app event, without ids (which depend on the file).
    func summary(_ lines: [String]) throws -> [String] {
        try lines.map { line in
            let e = try json(line)
            let keys = [
                "event.dataset", "source.ip", "destination.ip", "destination.port", "dns.question.name",
                "dns.response_code", "url.original", "http.response.status_code", "network.transport",
            ]
            return keys.map { "\(e[$0] ?? "-")" }.joined(separator: " ")
        }
    }

    @Test(
        "every link type yields the same events as Ethernet",
        arguments: [
            "raw.pcap", "null.pcap", "vlan.pcap",
            "qinq.pcap",
        ])
    func linkTypes(capture: String) async throws {
        let ethernet = try await analyze(["--pcap", Repo.pcap("ethernet.pcap")])
        let other = try await analyze(["--pcap", Repo.pcap(capture)])
        #expect(try summary(other) == summary(ethernet))
        #expect(other.count == ethernet.count)
    }

    @Test("VLAN tags are reported: 802.1Q id 100, and the outer id 200 of a QinQ frame")
    func vlanIDs() async throws {
        let vlan = try await analyze(["--pcap", Repo.pcap("vlan.pcap")])
        let qinq = try await analyze(["--pcap", Repo.pcap("qinq.pcap")])
        #expect(try vlan.allSatisfy { try json($0)["network.vlan.id"] as? String == "100" })
        #expect(try qinq.allSatisfy { try json($0)["network.vlan.id"] as? String == "200" })
    }

    @Test("pcapng and pcap of the same packets give the same events")
    func pcapng() async throws {
        let a = try await analyze(["--pcap", Repo.pcap("http.pcap")])
        let b = try await analyze(["--pcap", Repo.pcap("http.pcapng")])
        #expect(try summary(a) == summary(b))
    }

    @Test("--bpf filters like tcpdump: 'udp' keeps the UDP DNS and drops DNS over TCP")
    func bpf() async throws {
        let all = try await analyze(["--pcap", Repo.pcap("dns.pcap")])
        let udp = try await analyze(["--pcap", Repo.pcap("dns.pcap"), "--bpf", "udp"])
        let transports = try Set(udp.map { try json($0)["network.transport"] as? String })
        #expect(transports == ["udp"])
        #expect(udp.count == all.count - 2, "the TCP query's dns and flow events are gone")
    }

    @Test("DNS on port 5353 and HTTP on 8080 and SSH on 2222 are recognised by content")
    func contentDetection() async throws {
        let lines = try await analyze(["--pcap", Repo.pcap("sample.pcap")])
        let protocols = try Set(
            lines.compactMap { line -> String? in
                let e = try json(line)
                guard e["event.dataset"] as? String == "network.flow" else { return nil }
                return "\(e["destination.port"] ?? "-")/\(e["network.protocol"] ?? "-")"
            })
        #expect(protocols.isSuperset(of: ["5353/dns", "8080/http", "2222/ssh", "8443/tls"]))
    }

    @Test("a gzip, chunked response body is decoded and kept up to --body-limit")
    func bodyLimit() async throws {
        let lines = try await analyze(["--pcap", Repo.pcap("http.pcap"), "--body-limit", "100"])
        let big = try #require(try lines.map(json).first { $0["url.original"] as? String == "/big.txt" })
        let body = try #require(big["http.response.body.content"] as? String)
        #expect(body.utf8.count == 100)
        #expect(big["vigil.http.body_truncated"] as? Bool == true)
        #expect(big["vigil.http.response.content_encoding"] as? String == "gzip")
    }

    @Test("a file that is not a capture exits 2; a missing file exits 1; a bad filter exits 2")
    func exitCodes() async {
        #expect(await exitCode(["--pcap", Repo.pcap("not-a-capture.pcap")]) == 2)
        #expect(await exitCode(["--pcap", Repo.pcap("bad-header.pcap")]) == 2)
        #expect(await exitCode(["--pcap", Repo.pcap("no-such-file.pcap")]) == 1)
        #expect(await exitCode(["--pcap", Repo.pcap("http.pcap"), "--bpf", "tcp port"]) == 2)
        #expect(await exitCode(["--pcap", Repo.pcap("http.pcap")]) == 0)
    }

    @Test("a capture cut mid-record still yields the events before the cut and exits 0")
    func truncated() async throws {
        #expect(await exitCode(["--pcap", Repo.pcap("truncated.pcap")]) == 0)
        let lines = try await analyze(["--pcap", Repo.pcap("truncated.pcap")])
        #expect(try lines.contains { try json($0)["url.original"] as? String == "/search?q=test&page=2" })
    }

    @Test("--pcap and --interface are exclusive, and one is required")
    func usage() {
        #expect(throws: (any Error).self) { try AnalyzeCommand.parse([]) }
        #expect(throws: (any Error).self) { try AnalyzeCommand.parse(["--pcap", "a", "--interface", "lo"]) }
    }

    @Test("--max-flows beyond what the flow table can hold is refused, not silently lowered")
    func maxFlowsBounds() {
        #expect(throws: (any Error).self) { try AnalyzeCommand.parse(["--pcap", "a", "--max-flows", "200000000"]) }
        #expect(throws: (any Error).self) { try AnalyzeCommand.parse(["--pcap", "a", "--max-flows", "0"]) }
        #expect(throws: Never.self) { try AnalyzeCommand.parse(["--pcap", "a", "--max-flows", "100000000"]) }
    }
}

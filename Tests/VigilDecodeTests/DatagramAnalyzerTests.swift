import Testing
import VigilCore

@testable import VigilDecode

@Suite("DNS over UDP: content detection and transaction pairing")
struct DatagramAnalyzerTests {
    typealias B = TestBytes

    func dns(_ bytes: [UInt8]) throws -> DNSMessage { try decode(bytes) { try DNSMessage.parse($0) } }

    func transactions(_ out: AppOutput) -> [DNSTransaction] {
        out.records.compactMap { if case .dns(let t) = $0 { t } else { nil } }
    }

    @Test("a query and its response on any port become one transaction with both times")
    func queryAndResponse() throws {
        var analyzer = DatagramAnalyzer()
        var out = AppOutput()
        B.dnsQuery(id: 42).withUnsafeBytes { analyzer.datagram($0, at: .at(10), into: &out) }
        #expect(analyzer.appProtocol == .dns)
        #expect(out.records.isEmpty)
        B.dnsResponse(id: 42).withUnsafeBytes { analyzer.datagram($0, at: .at(11), into: &out) }
        let t = try #require(transactions(out).first)
        #expect(transactions(out).count == 1)
        #expect(t.query?.id == 42)
        #expect(t.response?.answers.first?.data == "93.184.216.34")
        #expect(t.queryTime == .at(10))
        #expect(t.responseTime == .at(11))
        #expect(t.start == .at(10))
        #expect(AppRecord.dns(t).start == .at(10))
    }

    @Test("a flow whose first datagram is not DNS is given up")
    func notDNS() {
        var analyzer = DatagramAnalyzer()
        var out = AppOutput()
        B.ascii("\u{1}\u{2}some game protocol payload").withUnsafeBytes {
            analyzer.datagram($0, at: .at(1), into: &out)
        }
        #expect(!analyzer.wantsData)
        #expect(analyzer.appProtocol == nil)
        // Later DNS-looking datagrams are ignored once the flow is given up.
        B.dnsQuery().withUnsafeBytes { analyzer.datagram($0, at: .at(2), into: &out) }
        analyzer.finish(into: &out)
        #expect(out.records.isEmpty)
        #expect(out.issues.isEmpty)
    }

    @Test("a DNS-shaped message without a question, or with trailing bytes, is not taken for DNS")
    func detectionIsStrict() {
        for bytes in [B.dnsHeader(id: 1, flags: 0x0100, qd: 0), B.dnsQuery() + [0]] {
            var analyzer = DatagramAnalyzer()
            var out = AppOutput()
            bytes.withUnsafeBytes { analyzer.datagram($0, at: .at(1), into: &out) }
            #expect(!analyzer.wantsData)
        }
    }

    @Test("a malformed datagram after detection is reported as an issue and the flow keeps going")
    func malformedAfterDetection() {
        var analyzer = DatagramAnalyzer()
        var out = AppOutput()
        B.dnsQuery(id: 1).withUnsafeBytes { analyzer.datagram($0, at: .at(1), into: &out) }
        Array(B.dnsResponse(id: 1).dropLast(2)).withUnsafeBytes { analyzer.datagram($0, at: .at(2), into: &out) }
        #expect(out.issues == [.dnsMalformed])
        #expect(analyzer.wantsData)
        B.dnsResponse(id: 1).withUnsafeBytes { analyzer.datagram($0, at: .at(3), into: &out) }
        #expect(transactions(out).count == 1)
        #expect(transactions(out).first?.responseTime == .at(3))
    }

    @Test("unanswered queries are reported at finish, with no response")
    func unansweredAtFinish() {
        var analyzer = DatagramAnalyzer()
        var out = AppOutput()
        B.dnsQuery(id: 1).withUnsafeBytes { analyzer.datagram($0, at: .at(1), into: &out) }
        B.dnsQuery(id: 2, "other.example").withUnsafeBytes { analyzer.datagram($0, at: .at(2), into: &out) }
        analyzer.finish(into: &out)
        let t = transactions(out)
        #expect(t.map { $0.query?.id } == [1, 2])
        #expect(t.allSatisfy { $0.response == nil })
    }

    @Test("responses are paired by id even when they arrive out of order")
    func outOfOrder() throws {
        var matcher = DNSTransactionMatcher()
        var out = AppOutput()
        matcher.message(try dns(B.dnsQuery(id: 1)), at: .at(1), into: &out)
        matcher.message(try dns(B.dnsQuery(id: 2)), at: .at(2), into: &out)
        matcher.message(try dns(B.dnsResponse(id: 2)), at: .at(3), into: &out)
        matcher.message(try dns(B.dnsResponse(id: 1)), at: .at(4), into: &out)
        let t = transactions(out)
        #expect(t.map { $0.query?.id } == [2, 1])
        #expect(t.map { $0.queryTime } == [.at(2), .at(1)])
    }

    @Test("a response with no matching query is reported alone, timed by the response")
    func loneResponse() throws {
        var matcher = DNSTransactionMatcher()
        var out = AppOutput()
        matcher.message(try dns(B.dnsResponse(id: 9)), at: .at(5), into: &out)
        let t = try #require(transactions(out).first)
        #expect(t.query == nil)
        #expect(t.start == .at(5))
    }

    @Test("pending queries are bounded: the oldest is reported unanswered when the limit is hit")
    func boundedPending() throws {
        var matcher = DNSTransactionMatcher()
        var out = AppOutput()
        for id in 0..<(DNSTransactionMatcher.maxPending + 1) {
            matcher.message(try dns(B.dnsQuery(id: UInt16(id))), at: .at(Int64(id)), into: &out)
        }
        let evicted = transactions(out)
        #expect(evicted.count == 1)
        #expect(evicted.first?.query?.id == 0)
        #expect(evicted.first?.response == nil)
        out.removeAll()
        matcher.finish(into: &out)
        #expect(transactions(out).count == DNSTransactionMatcher.maxPending)
    }

    @Test("content detection refuses more than four questions and unassigned opcodes")
    func looksLikeDNS() {
        let fiveQuestions = B.dnsHeader(id: 1, flags: 0, qd: 5) + (0..<5).flatMap { _ in B.dnsQuestion("a") }
        #expect(fiveQuestions.withUnsafeBytes { DNSTransactionMatcher.looksLikeDNS($0) } == nil)
        let opcode6 = B.dnsHeader(id: 1, flags: 6 << 11, qd: 1) + B.dnsQuestion("a")
        #expect(opcode6.withUnsafeBytes { DNSTransactionMatcher.looksLikeDNS($0) } == nil)
        #expect(B.dnsQuery().withUnsafeBytes { DNSTransactionMatcher.looksLikeDNS($0) }?.id == 0xBEEF)
    }
}

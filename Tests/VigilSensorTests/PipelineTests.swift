import Testing
import VigilCore
import VigilDecode

@testable import VigilSensor

/// Feeds frames through a pipeline and collects what it emits.
final class PipelineHarness {
    final class Box { var events: [Event] = [] }
    let box = Box()
    let pipeline: PacketPipeline

    init(configure: (inout PipelineConfig) -> Void = { _ in }) {
        var config = PipelineConfig(observerID: "test", sourceIdentity: "unit")
        configure(&config)
        let box = box
        pipeline = PacketPipeline(config: config, linkType: .ethernet) { box.events.append($0) }
    }

    func feed(_ frame: [UInt8], at seconds: Double) {
        frame.withUnsafeBytes {
            pipeline.packet(
                time: Timestamp(microseconds: Int64((seconds * 1_000_000).rounded())), bytes: $0,
                wireLength: frame.count)
        }
    }

    func finish() -> [Event] {
        pipeline.finish()
        return box.events
    }

    var emitted: [Event] { box.events }
}

@Suite("Packet pipeline: flows, state, timeouts")
struct PipelineTests {
    func flows(_ events: [Event]) -> [Event] { events.filter { $0.dataset == .flow } }

    @Test("a UDP flow ends after 60 s of packet time without traffic, before the next packet's flow")
    func udpTimeout() {
        let h = PipelineHarness()
        h.feed(Frames.udp("10.0.0.1", 4000, "10.0.0.2", 9999, payload: [1, 2, 3]), at: 1000)
        h.feed(Frames.udp("10.0.0.2", 9999, "10.0.0.1", 4000, payload: [4, 5]), at: 1001)
        h.feed(Frames.udp("10.0.0.3", 4000, "10.0.0.2", 9999, payload: [1]), at: 1030)
        #expect(flows(h.emitted).isEmpty, "still inside the timeout")
        h.feed(Frames.udp("10.0.0.3", 4000, "10.0.0.2", 9999, payload: [1]), at: 1062)
        let ended = flows(h.emitted)
        #expect(ended.count == 1)
        #expect(ended.first?[Fields.sourceIP] == .ip(IPAddress("10.0.0.1")!))
        #expect(ended.first?[Fields.connState] == .string("SF"))
        #expect(ended.first?[Fields.sourcePackets] == .int(1))
        #expect(ended.first?[Fields.destinationPackets] == .int(1))
        #expect(h.pipeline.stats.flowsTimedOut == 1)
    }

    @Test("TCP states: SYN alone is S0, SYN then RST from the server is REJ, a full exchange is SF")
    func tcpStates() {
        let h = PipelineHarness()
        h.feed(Frames.tcp("10.0.0.1", 5000, "10.0.0.2", 80, flags: Frames.syn, seq: 100), at: 1)
        h.feed(Frames.tcp("10.0.0.1", 5001, "10.0.0.2", 81, flags: Frames.syn, seq: 100), at: 1)
        h.feed(Frames.tcp("10.0.0.2", 81, "10.0.0.1", 5001, flags: Frames.rst | Frames.ack, seq: 0, ack: 101), at: 1.1)
        let c = ("10.0.0.1", 5002, "10.0.0.2", 82)
        h.feed(Frames.tcp(c.0, c.1, c.2, c.3, flags: Frames.syn, seq: 10), at: 2)
        h.feed(Frames.tcp(c.2, c.3, c.0, c.1, flags: Frames.syn | Frames.ack, seq: 500, ack: 11), at: 2.1)
        h.feed(Frames.tcp(c.0, c.1, c.2, c.3, flags: Frames.ack, seq: 11, ack: 501), at: 2.2)
        h.feed(Frames.tcp(c.0, c.1, c.2, c.3, flags: Frames.fin | Frames.ack, seq: 11, ack: 501), at: 2.3)
        h.feed(Frames.tcp(c.2, c.3, c.0, c.1, flags: Frames.fin | Frames.ack, seq: 501, ack: 12), at: 2.4)
        let byPort = Dictionary(
            uniqueKeysWithValues: flows(h.finish()).map {
                ($0[Fields.destinationPort]!.intValue!, $0)
            })
        #expect(byPort[80]?[Fields.connState] == .string("S0"))
        #expect(byPort[80]?[Fields.connHistory] == .string("S"))
        #expect(byPort[81]?[Fields.connState] == .string("REJ"))
        #expect(byPort[82]?[Fields.connState] == .string("SF"))
        #expect(byPort[82]?[Fields.connHistory] == .string("ShAFf"))
    }

    @Test("a SYN-ACK seen first makes its receiver the originator")
    func flippedOriginator() {
        let h = PipelineHarness()
        h.feed(Frames.tcp("10.0.0.2", 443, "10.0.0.1", 6000, flags: Frames.syn | Frames.ack, seq: 1, ack: 2), at: 1)
        let flow = flows(h.finish()).first
        #expect(flow?[Fields.sourceIP] == .ip(IPAddress("10.0.0.1")!))
        #expect(flow?[Fields.destinationPort] == .int(443))
    }

    @Test("past --max-flows the least recently active flow is ended early and counted")
    func eviction() {
        let h = PipelineHarness { $0.maxFlows = 3 }
        for i in 0..<5 {
            h.feed(Frames.udp("10.0.0.\(i + 1)", 4000, "10.0.1.1", 9, payload: [0]), at: Double(i))
        }
        #expect(h.pipeline.stats.flowsEvicted == 2)
        let early = flows(h.emitted).map { $0[Fields.sourceIP] }
        #expect(early == [.ip(IPAddress("10.0.0.1")!), .ip(IPAddress("10.0.0.2")!)])
        #expect(flows(h.finish()).count == 5)
    }

    @Test("HTTP segments delivered out of order are reassembled into one transaction")
    func outOfOrder() {
        let h = PipelineHarness()
        let c = ("10.0.0.1", 5100, "10.0.0.2", 8080)
        let request = Array("GET /reports/q3?id=7 HTTP/1.1\r\nHost: data.gov.example\r\n\r\n".utf8)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8)
        h.feed(Frames.tcp(c.0, c.1, c.2, c.3, flags: Frames.syn, seq: 1000), at: 1)
        h.feed(Frames.tcp(c.2, c.3, c.0, c.1, flags: Frames.syn | Frames.ack, seq: 9000, ack: 1001), at: 1.01)
        // The second half of the request arrives before the first.
        h.feed(
            Frames.tcp(
                c.0, c.1, c.2, c.3, flags: Frames.ack | Frames.psh, seq: 1011, ack: 9001,
                payload: Array(request[10...])), at: 1.02)
        h.feed(
            Frames.tcp(
                c.0, c.1, c.2, c.3, flags: Frames.ack, seq: 1001, ack: 9001,
                payload: Array(request[..<10])), at: 1.03)
        h.feed(
            Frames.tcp(
                c.2, c.3, c.0, c.1, flags: Frames.ack | Frames.psh, seq: 9001,
                ack: 1001 + UInt32(request.count), payload: response), at: 1.04)
        let http = h.emitted.filter { $0.dataset == .http }
        #expect(http.count == 1)
        #expect(http.first?[Fields.urlOriginal] == .string("/reports/q3?id=7"))
        #expect(http.first?[Fields.urlDomain] == .string("data.gov.example"))
        #expect(http.first?[Fields.httpResponseBodyContent] == .string("hello"))
        #expect(h.pipeline.stats.tcpGaps == 0)
    }

    @Test("a lost segment is counted as a gap in the flow, and the request after it is not guessed")
    func gap() {
        let h = PipelineHarness()
        let c = ("10.0.0.1", 5200, "10.0.0.2", 80)
        let request = Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        h.feed(Frames.tcp(c.0, c.1, c.2, c.3, flags: Frames.syn, seq: 0), at: 1)
        h.feed(Frames.tcp(c.0, c.1, c.2, c.3, flags: Frames.ack, seq: 1, payload: Array(request[..<5])), at: 1.1)
        h.feed(Frames.tcp(c.0, c.1, c.2, c.3, flags: Frames.ack, seq: 16, payload: Array(request[15...])), at: 1.2)
        let events = h.finish()
        let flow = flows(events).first
        #expect(flow?[Fields.connMissedBytes] == .int(10))
        #expect(flow?[Fields.connHistory]?.stringValue?.contains("G") == true)
        #expect(events.filter { $0.dataset == .http }.isEmpty)
        #expect(h.pipeline.stats.tcpGapBytes == 10)
    }

    @Test("DNS on an arbitrary UDP port pairs query and answer; other UDP keeps no app state")
    func dnsAnyPort() {
        let h = PipelineHarness()
        h.feed(
            Frames.udp("10.0.0.1", 40000, "10.0.0.53", 7777, payload: Frames.dns(id: 42, name: "www.gov.example")),
            at: 1)
        h.feed(
            Frames.udp(
                "10.0.0.53", 7777, "10.0.0.1", 40000,
                payload: Frames.dns(id: 42, name: "www.gov.example", response: true)), at: 1.001)
        h.feed(Frames.udp("10.0.0.1", 40001, "10.0.0.9", 7777, payload: Array("not dns at all".utf8)), at: 1.002)
        let events = h.finish()
        let dns = events.filter { $0.dataset == .dns }
        #expect(dns.count == 1)
        #expect(dns.first?[Fields.dnsQuestionName] == .string("www.gov.example"))
        #expect(dns.first?[Fields.dnsResolvedIP] == .list([.ip(IPAddress("10.1.2.3")!)]))
        #expect(dns.first?[Fields.eventDuration] == .int(1_000_000))
        #expect(flows(events).count == 2)
    }

    @Test("malformed frames are counted by reason and never stop the pipeline")
    func malformed() {
        let h = PipelineHarness()
        h.feed([0, 1, 2], at: 1)
        var badIHL = Frames.udp("10.0.0.1", 1, "10.0.0.2", 2, payload: [])
        badIHL[14] = 0x42
        h.feed(badIHL, at: 1)
        var truncatedTCP = Frames.tcp("10.0.0.1", 1, "10.0.0.2", 2, flags: Frames.syn, seq: 0)
        truncatedTCP.removeLast(10)
        h.feed(truncatedTCP, at: 1)
        h.feed(Frames.udp("10.0.0.1", 1, "10.0.0.2", 2, payload: [9]), at: 2)
        #expect(h.pipeline.stats.issues["link.truncated"] == 1)
        #expect(h.pipeline.stats.issues["ipv4.bad_header_length"] == 1)
        #expect(h.pipeline.stats.issues["tcp.truncated"] == 1)
        #expect(flows(h.finish()).count == 1)
    }
}

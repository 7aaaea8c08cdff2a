import VigilCore
import VigilDecode

/// decode → flow table → reassembly → application analyzers → events, for one capture source.
///
/// Confined to the thread that runs the capture (not Sendable): packets arrive in capture order and
/// every event is handed to `emit` synchronously, in the order it completed.
public final class PacketPipeline {
    public let config: PipelineConfig
    public let linkType: LinkType
    public private(set) var stats = PipelineStats()
    let ids: EventIDGenerator
    let emit: (Event) -> Void
    var table: FlowTable
    var now: Int64 = .min
    var nextSweep: Int64 = .min
    var serial: UInt32 = 0
    var output = AppOutput()

    public init(config: PipelineConfig, linkType: LinkType, emit: @escaping (Event) -> Void) {
        self.config = config
        self.linkType = linkType
        self.emit = emit
        ids = EventIDGenerator(observerID: config.observerID, sourceIdentity: config.sourceIdentity)
        table = FlowTable(maxFlows: config.maxFlows, timeouts: config.timeouts)
    }

    /// One captured packet: `bytes` as captured, `wireLength` as it was on the wire.
    public func packet(time: Timestamp, bytes: UnsafeRawBufferPointer, wireLength: Int) {
        stats.packets += 1
        stats.bytes += wireLength
        if bytes.count < wireLength { stats.truncatedBySnaplen += 1 }
        advance(to: time.microseconds)
        switch PacketDecoder.decode(bytes, linkType: linkType) {
        case .malformed(let issue):
            stats.count(issue)
        case .notIP:
            stats.notIP += 1
        case .decoded(let p):
            stats.decodedPackets += 1
            if p.isFragment { stats.fragments += 1 }
            if case .other = p.transport, p.isFragment { return }
            track(p, bytes)
        }
    }

    /// Moves packet time forward (also called on idle ticks of a live capture) and expires flows.
    public func advance(to time: Int64) {
        guard time > now else { return }
        now = time
        guard now >= nextSweep else { return }
        nextSweep = now + 1_000_000
        for index in table.expired(at: now) {
            stats.flowsTimedOut += 1
            end(index)
        }
    }

    /// End of input: every flow still tracked is ended and reported.
    public func finish() {
        for index in table.all { end(index) }
    }

    public func countIssue(_ name: String) { stats.issues[name, default: 0] += 1 }

    // MARK: - flows

    func track(_ p: DecodedPacket, _ bytes: UnsafeRawBufferPointer) {
        var sport = p.sourcePort, dport = p.destinationPort
        var icmp: ICMPHeader?
        if case .icmp(let header) = p.transport {
            icmp = header
            // ICMP "connections" are keyed by the echo id (requests and replies pair up), else by type.
            sport = header.identifier ?? UInt16(header.type)
            dport = header.identifier ?? UInt16(header.code)
        }
        let (key, sourceIsA) = FlowKey.of(p, sourcePort: sport, destinationPort: dport)
        let hash = key.hash32
        var tcp: TCPHeader?
        if case .tcp(let t) = p.transport { tcp = t }
        let index: Int
        if let found = table.find(key, hash: hash) {
            index = found
        } else {
            if table.isFull, let victim = table.leastRecentlyActive() {
                stats.flowsEvicted += 1
                end(victim)
            }
            // A SYN-ACK seen first means we missed the SYN: its destination is the originator.
            let flipped = tcp.map { $0.flags.contains(.syn) && $0.flags.contains(.ack) } ?? false
            serial &+= 1
            stats.flows += 1
            let timeoutClass: FlowTable.TimeoutClass = p.proto == 6 ? .tcp : .datagram
            index = table.insert(
                FlowRecord(
                    key: key, originatorIsA: sourceIsA != flipped, timeoutClass: timeoutClass.rawValue,
                    icmpType: icmp?.type ?? 0, icmpCode: icmp?.code ?? 0, hash: hash, serial: serial, missedBytes: 0,
                    origISN: 0, respISN: 0, start: now, last: now, origPackets: 0, respPackets: 0, origBytes: 0,
                    respBytes: 0,
                    state: ConnectionState(), prev: -1, next: -1, app: nil))
        }
        let fromOriginator = sourceIsA == table[index].originatorIsA
        table[index].last = now
        if fromOriginator {
            table[index].origPackets &+= 1
            table[index].origBytes &+= UInt64(p.ipLength)
        } else {
            table[index].respPackets &+= 1
            table[index].respBytes &+= UInt64(p.ipLength)
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[p.payloadOffset..<(p.payloadOffset + p.payloadLength)])
        switch p.transport {
        case .tcp(let t):
            tcpPacket(index, t, payload: payload, missing: p.payloadMissing, fromOriginator: fromOriginator)
        case .udp:
            if payload.count + p.payloadMissing > 0 {
                table[index].state.seen.insert(fromOriginator ? .origData : .respData)
                table[index].state.note(UInt8(ascii: "D"), originator: fromOriginator)
            }
            datagram(index, payload, complete: p.payloadMissing == 0)
            table.touch(index, timeoutClass: .datagram)
        default:
            table[index].state.seen.insert(fromOriginator ? .origData : .respData)
            table.touch(index, timeoutClass: .datagram)
        }
    }

    func tcpPacket(_ index: Int, _ t: TCPHeader, payload: UnsafeRawBufferPointer, missing: Int, fromOriginator: Bool) {
        let flags = t.flags
        var state = table[index].state
        if flags.contains(.syn) {
            state.seen.insert(fromOriginator ? .origSYN : .respSYN)
            state.note(UInt8(ascii: flags.contains(.ack) ? "H" : "S"), originator: fromOriginator)
            if fromOriginator { table[index].origISN = t.sequence } else { table[index].respISN = t.sequence }
        }
        if flags.contains(.fin) {
            state.seen.insert(fromOriginator ? .origFIN : .respFIN)
            state.note(UInt8(ascii: "F"), originator: fromOriginator)
        }
        if flags.contains(.rst) {
            state.seen.insert(fromOriginator ? .origRST : .respRST)
            state.note(UInt8(ascii: "R"), originator: fromOriginator)
        }
        let length = payload.count + missing
        if length > 0 {
            state.seen.insert(fromOriginator ? .origData : .respData)
            state.note(UInt8(ascii: "D"), originator: fromOriginator)
        } else if flags == .ack {
            state.note(UInt8(ascii: "A"), originator: fromOriginator)
        }
        let wasClosed = table[index].state.isClosed
        table[index].state = state

        if length > 0 {
            // Application state only for connections that carry payload; SYN-only scans cost none.
            let app =
                table[index].app
                ?? {
                    let made = FlowApp(stream: StreamAnalyzer(bodyLimit: config.bodyLimit), datagram: nil)
                    if state.seen.contains(.origSYN) { made.origStream.syn(table[index].origISN) }
                    if state.seen.contains(.respSYN) { made.respStream.syn(table[index].respISN) }
                    table[index].app = made
                    return made
                }()
            if let analyzer = app.stream, analyzer.wantsData {
                output.removeAll()
                let time = Timestamp(microseconds: now)
                var gaps = 0, gapBytes = 0
                let deliver: (TCPReassembler.Delivery) -> Void = { [self] delivery in
                    switch delivery {
                    case .data(let bytes):
                        analyzer.data(bytes, fromOriginator: fromOriginator, at: time, into: &output)
                    case .gap(let n):
                        gaps += 1
                        gapBytes += n
                        analyzer.gap(n, fromOriginator: fromOriginator, into: &output)
                    }
                }
                let retransmitted =
                    fromOriginator
                    ? app.origStream.segment(
                        seq: t.sequence &+ (flags.contains(.syn) ? 1 : 0), payload: payload,
                        missing: missing, deliver: deliver)
                    : app.respStream.segment(
                        seq: t.sequence &+ (flags.contains(.syn) ? 1 : 0), payload: payload,
                        missing: missing, deliver: deliver)
                if retransmitted {
                    stats.tcpRetransmissions += 1
                    table[index].state.note(UInt8(ascii: "T"), originator: fromOriginator)
                }
                if gaps > 0 {
                    stats.tcpGaps += gaps
                    stats.tcpGapBytes += gapBytes
                    table[index].missedBytes &+= UInt32(clamping: gapBytes)
                    table[index].state.note(UInt8(ascii: "G"), originator: fromOriginator)
                }
                publish(index, app)
                if !analyzer.wantsData {
                    // Nothing more to parse: free the reassembly buffers early.
                    app.origStream = TCPReassembler()
                    app.respStream = TCPReassembler()
                }
            }
        }
        let closed = table[index].state.isClosed
        if closed || wasClosed {
            table.touch(index, timeoutClass: .closed)
        } else {
            table.touch(index, timeoutClass: .tcp)
        }
    }

    func datagram(_ index: Int, _ payload: UnsafeRawBufferPointer, complete: Bool) {
        guard payload.count > 0 else { return }
        if table[index].app == nil {
            var probe = DatagramAnalyzer()
            output.removeAll()
            probe.datagram(payload, at: Timestamp(microseconds: now), into: &output)
            // Most UDP is not a protocol Vigil parses: keep no per-flow state for it.
            guard probe.wantsData else { return }
            let app = FlowApp(stream: nil, datagram: probe)
            table[index].app = app
            publish(index, app)
            return
        }
        guard let app = table[index].app, var analyzer = app.datagram, analyzer.wantsData else { return }
        output.removeAll()
        if complete {
            analyzer.datagram(payload, at: Timestamp(microseconds: now), into: &output)
        } else {
            output.issues.append(.dnsMalformed)
        }
        app.datagram = analyzer
        publish(index, app)
    }

    /// Ends a flow: flushes reassembly and analyzers, emits app events then the flow event.
    func end(_ index: Int) {
        if let app = table[index].app {
            output.removeAll()
            if let analyzer = app.stream {
                if analyzer.wantsData {
                    var gaps = 0, gapBytes = 0
                    for fromOriginator in [true, false] {
                        let deliver: (TCPReassembler.Delivery) -> Void = { [self] delivery in
                            switch delivery {
                            case .data(let bytes):
                                analyzer.data(
                                    bytes, fromOriginator: fromOriginator,
                                    at: Timestamp(microseconds: now), into: &output)
                            case .gap(let n):
                                gaps += 1
                                gapBytes += n
                                analyzer.gap(n, fromOriginator: fromOriginator, into: &output)
                            }
                        }
                        if fromOriginator { app.origStream.flush(deliver) } else { app.respStream.flush(deliver) }
                    }
                    stats.tcpGaps += gaps
                    stats.tcpGapBytes += gapBytes
                    table[index].missedBytes &+= UInt32(clamping: gapBytes)
                    if gaps > 0 { table[index].state.note(UInt8(ascii: "G"), originator: true) }
                }
                analyzer.finish(into: &output)
            } else if var analyzer = app.datagram {
                analyzer.finish(into: &output)
                app.datagram = analyzer
            }
            publish(index, app)
        }
        emitFlow(table[index])
        table.remove(index)
    }

    func publish(_ index: Int, _ app: FlowApp) {
        for issue in output.issues { stats.count(issue) }
        for record in output.records {
            app.events += 1
            let flow = table[index]
            var event = baseEvent(flow, time: record.start, dataset: dataset(of: record), index: app.events)
            event.set(Fields.networkProtocol, app.appProtocol?.rawValue)
            EventBuilder.add(record, to: &event)
            emitCounted(event)
        }
        output.removeAll()
    }

    func dataset(of record: AppRecord) -> Dataset {
        switch record {
        case .http: .http
        case .dns: .dns
        case .tls: .tls
        case .ssh: .ssh
        }
    }

    func emitCounted(_ event: Event) {
        stats.events[event.dataset.name, default: 0] += 1
        emit(event)
    }

    struct Endpoints {
        var origIP: IPAddress
        var origPort: UInt16
        var respIP: IPAddress
        var respPort: UInt16
    }

    func endpoints(_ flow: FlowRecord) -> Endpoints {
        let k = flow.key
        return flow.originatorIsA
            ? Endpoints(origIP: k.a, origPort: k.aPort, respIP: k.b, respPort: k.bPort)
            : Endpoints(origIP: k.b, origPort: k.bPort, respIP: k.a, respPort: k.aPort)
    }

    // Shared values: building them per event would allocate an array each time.
    static let networkCategory = FieldValue.list([.string("network")])
    static let connectionEnd = FieldValue.list([.string("connection"), .string("end")])

    static func transportName(_ proto: UInt8) -> String {
        switch proto {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "ipv6-icmp"
        default: String(proto)
        }
    }

    /// uid and Community ID of a flow: two digests, so computed once per flow and kept with its app state.
    func identity(_ flow: FlowRecord) -> (uid: String, communityID: String) {
        if let cached = flow.app?.identity { return cached }
        let e = endpoints(flow)
        let isICMP = flow.key.proto == 1 || flow.key.proto == 58
        let community =
            isICMP
            ? CommunityID.v1(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: UInt16(flow.icmpType), destinationPort: UInt16(flow.icmpCode))
            : CommunityID.v1(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: e.origPort, destinationPort: e.respPort)
        let result = (uid: ids.connectionUID(serial: UInt64(flow.serial)), communityID: community)
        flow.app?.identity = result
        return result
    }

    func baseEvent(_ flow: FlowRecord, time: Timestamp, dataset: Dataset, index: UInt32) -> Event {
        var event = Event(
            timestamp: time, id: ids.id(position: UInt64(flow.serial), index: index), dataset: dataset,
            observerID: config.observerID, capacity: 32)
        let e = endpoints(flow)
        let isICMP = flow.key.proto == 1 || flow.key.proto == 58
        event.set(Fields.eventKind, "event")
        event.set(Fields.eventCategory, Self.networkCategory)
        event.set(Fields.sourceIP, .ip(e.origIP))
        if !isICMP, flow.key.proto == 6 || flow.key.proto == 17 {
            event.set(Fields.sourcePort, .integer(e.origPort))
        }
        event.set(Fields.destinationIP, .ip(e.respIP))
        if !isICMP, flow.key.proto == 6 || flow.key.proto == 17 {
            event.set(Fields.destinationPort, .integer(e.respPort))
        }
        event.set(Fields.networkTransport, Self.transportName(flow.key.proto))
        event.set(Fields.networkType, flow.key.isV6 ? "ipv6" : "ipv4")
        if flow.key.vlan != 0 { event.set(Fields.networkVLANID, String(flow.key.vlan)) }
        let (uid, community) = identity(flow)
        event.set(Fields.networkCommunityID, community)
        event.set(Fields.connUID, uid)
        return event
    }

    func emitFlow(_ flow: FlowRecord) {
        var event = baseEvent(flow, time: Timestamp(microseconds: flow.start), dataset: .flow, index: 0)
        event.set(Fields.eventType, Self.connectionEnd)
        event.set(Fields.networkProtocol, flow.app?.appProtocol?.rawValue)
        event.set(Fields.eventStart, .time(Timestamp(microseconds: flow.start)))
        event.set(Fields.eventEnd, .time(Timestamp(microseconds: flow.last)))
        event.set(Fields.eventDuration, .int((flow.last - flow.start) * 1000))
        event.set(Fields.sourcePackets, .integer(flow.origPackets))
        event.set(Fields.sourceBytes, .integer(flow.origBytes))
        event.set(Fields.destinationPackets, .integer(flow.respPackets))
        event.set(Fields.destinationBytes, .integer(flow.respBytes))
        event.set(Fields.networkPackets, .integer(UInt64(flow.origPackets) + UInt64(flow.respPackets)))
        event.set(Fields.networkBytes, .integer(flow.origBytes + flow.respBytes))
        if flow.key.proto == 1 || flow.key.proto == 58 {
            event.set(Fields.icmpType, .integer(flow.icmpType))
            event.set(Fields.icmpCode, .integer(flow.icmpCode))
        }
        event.set(Fields.connState, flow.key.proto == 6 ? flow.state.tcpState : flow.state.datagramState)
        event.set(Fields.connHistory, flow.state.historyString)
        if flow.missedBytes > 0 { event.set(Fields.connMissedBytes, .integer(flow.missedBytes)) }
        emitCounted(event)
    }
}

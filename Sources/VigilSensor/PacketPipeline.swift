import VigilCore
import VigilDecode

/// decode → flow table → reassembly → application analyzers → events, for one capture source.
///
/// Confined to the thread that runs the capture (not Sendable): packets arrive in capture order and
/// every event is handed to `emit` synchronously, in the order it completed.
public final class PacketPipeline {
    /// All the state, in one value behind a pointer this pipeline owns. A class's stored properties
    /// are checked for exclusive access at run time on every access (a dozen per packet, 6 % of the
    /// capture thread, when they were the pipeline's own); a stored `core` still cost one check per
    /// packet. The pipeline is confined to one thread and nothing it calls calls back into it (its
    /// output goes to the event sink), so no two accesses to `core` overlap.
    private let core: UnsafeMutablePointer<PipelineCore>

    public var config: PipelineConfig { core.pointee.config }
    public var linkType: LinkType { core.pointee.linkType }
    public var stats: PipelineStats { core.pointee.statsWithEvents }

    /// A pipeline that hands out typed outputs; the caller turns them into events with an
    /// `EventFactory`, possibly on another thread (`BackgroundEventSink`).
    public init(config: PipelineConfig, linkType: LinkType, output: @escaping (consuming PipelineOutput) -> Void) {
        core = .allocate(capacity: 1)
        core.initialize(to: PipelineCore(config: config, linkType: linkType, deliver: output))
    }

    deinit {
        core.deinitialize(count: 1)
        core.deallocate()
    }

    /// A pipeline that builds each event on the capture thread and passes it to `emit`.
    public convenience init(config: PipelineConfig, linkType: LinkType, emit: @escaping (Event) -> Void) {
        let factory = EventFactory(config: config)
        self.init(config: config, linkType: linkType, output: { emit(factory.event(for: $0)) })
    }

    /// One captured packet: `bytes` as captured, `wireLength` as it was on the wire.
    public func packet(time: Timestamp, bytes: UnsafeRawBufferPointer, wireLength: Int) {
        core.pointee.packet(time: time, bytes: bytes, wireLength: wireLength)
    }

    /// Moves packet time forward (also called on idle ticks of a live capture) and expires flows.
    public func advance(to time: Int64) { core.pointee.advance(to: time) }

    /// End of input: every flow still tracked is ended and reported.
    public func finish() { core.pointee.finish() }

    public func countIssue(_ name: String) { core.pointee.countIssue(name) }
}

/// The pipeline's state and steps.
struct PipelineCore {
    let config: PipelineConfig
    let linkType: LinkType
    var stats = PipelineStats()
    /// Takes each output over (consuming: a borrowed one was copied into the batch, retaining every
    /// string and array its record holds, and the original released after).
    let deliver: (consuming PipelineOutput) -> Void
    var table: FlowTable
    var now: Int64 = .min
    var nextSweep: Int64 = .min
    var serial: UInt32 = 0
    var output = AppOutput()
    /// The packet being handled, decoded in place: a fresh record per packet was copied twice
    /// on its way (2 % of the capture thread).
    var decoded = DecodedPacket()
    /// Events sent, by `PipelineOutput.datasetIndex`.
    var eventCounts = [Int](repeating: 0, count: PipelineOutput.datasets.count)
    /// Spare storage the records of `output` are swapped into while they are handed over.
    var handedOver: [AppRecord] = []

    init(config: PipelineConfig, linkType: LinkType, deliver: @escaping (consuming PipelineOutput) -> Void) {
        self.config = config
        self.linkType = linkType
        self.deliver = deliver
        table = FlowTable(maxFlows: config.maxFlows, timeouts: config.timeouts)
    }

    /// One captured packet: `bytes` as captured, `wireLength` as it was on the wire.
    mutating func packet(time: Timestamp, bytes: UnsafeRawBufferPointer, wireLength: Int) {
        stats.packets += 1
        stats.bytes += wireLength
        if bytes.count < wireLength { stats.truncatedBySnaplen += 1 }
        advance(to: time.microseconds)
        switch PacketDecoder.decode(bytes, linkType: linkType, into: &decoded) {
        case .malformed(let issue):
            stats.count(issue)
        case .notIP:
            stats.notIP += 1
        case .decoded:
            stats.decodedPackets += 1
            if decoded.isFragment { stats.fragments += 1 }
            if case .other = decoded.transport, decoded.isFragment { return }
            track(bytes)
        }
    }

    /// Moves packet time forward (also called on idle ticks of a live capture) and expires flows.
    mutating func advance(to time: Int64) {
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
    mutating func finish() {
        for index in table.all { end(index) }
    }

    mutating func countIssue(_ name: String) { stats.issues[name, default: 0] += 1 }

    // MARK: - flows

    /// Tracks the packet just decoded into `decoded`.
    mutating func track(_ bytes: UnsafeRawBufferPointer) {
        var sport = decoded.sourcePort, dport = decoded.destinationPort
        var icmp: ICMPHeader?
        if case .icmp(let header) = decoded.transport {
            icmp = header
            // ICMP "connections" are keyed by the echo id (requests and replies pair up), else by type.
            sport = header.identifier ?? UInt16(header.type)
            dport = header.identifier ?? UInt16(header.code)
        }
        let (key, sourceIsA) = FlowKey.of(decoded, sourcePort: sport, destinationPort: dport)
        let hash = key.hash32
        var tcp: TCPHeader?
        if case .tcp(let t) = decoded.transport { tcp = t }
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
            let timeoutClass: FlowTable.TimeoutClass = decoded.proto == 6 ? .tcp : .datagram
            index = table.insert(
                FlowRecord(
                    flow: FlowSnapshot(
                        key: key, originatorIsA: sourceIsA != flipped, icmpType: icmp?.type ?? 0,
                        icmpCode: icmp?.code ?? 0, serial: serial, missedBytes: 0, start: now, last: now,
                        origPackets: 0, respPackets: 0, origBytes: 0, respBytes: 0, state: ConnectionState(),
                        appProtocol: nil),
                    timeoutClass: timeoutClass.rawValue, hash: hash, origISN: 0, respISN: 0, prev: -1, next: -1,
                    app: nil))
            table[index].flow.slot = UInt32(index)
        }
        let fromOriginator = sourceIsA == table[index].flow.originatorIsA
        table[index].flow.last = now
        if fromOriginator {
            table[index].flow.origPackets &+= 1
            table[index].flow.origBytes &+= UInt64(decoded.ipLength)
        } else {
            table[index].flow.respPackets &+= 1
            table[index].flow.respBytes &+= UInt64(decoded.ipLength)
        }
        let payload = UnsafeRawBufferPointer(
            rebasing: bytes[decoded.payloadOffset..<(decoded.payloadOffset + decoded.payloadLength)])
        switch decoded.transport {
        case .tcp(let t):
            tcpPacket(index, t, payload: payload, missing: decoded.payloadMissing, fromOriginator: fromOriginator)
        case .udp:
            if payload.count + decoded.payloadMissing > 0 {
                table[index].flow.state.seen.insert(fromOriginator ? .origData : .respData)
                table[index].flow.state.note(UInt8(ascii: "D"), originator: fromOriginator)
            }
            datagram(index, payload, complete: decoded.payloadMissing == 0)
            table.touch(index, timeoutClass: .datagram)
        default:
            table[index].flow.state.seen.insert(fromOriginator ? .origData : .respData)
            table.touch(index, timeoutClass: .datagram)
        }
    }

    mutating func tcpPacket(
        _ index: Int, _ t: TCPHeader, payload: UnsafeRawBufferPointer, missing: Int, fromOriginator: Bool
    ) {
        let flags = t.flags
        var state = table[index].flow.state
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
        let wasClosed = table[index].flow.state.isClosed
        table[index].flow.state = state

        if length > 0, !table[index].streamDone {
            // Application state only for connections that carry payload; SYN-only scans cost none.
            let app =
                table[index].app
                ?? {
                    let made = FlowApp.make(stream: StreamAnalyzer(bodyLimit: config.bodyLimit), datagram: nil)
                    if state.seen.contains(.origSYN) { made.origStream.syn(table[index].origISN) }
                    if state.seen.contains(.respSYN) { made.respStream.syn(table[index].respISN) }
                    table[index].app = made
                    return made
                }()
            if let analyzer = app.stream, analyzer.wantsData {
                output.removeAll()
                let time = Timestamp(microseconds: now)
                var gaps = GapCount()
                let seq = t.sequence &+ (flags.contains(.syn) ? 1 : 0)
                let retransmitted =
                    fromOriginator
                    ? app.origStream.segment(seq: seq, payload: payload, missing: missing) {
                        hand($0, to: analyzer, fromOriginator: true, at: time, gaps: &gaps)
                    }
                    : app.respStream.segment(seq: seq, payload: payload, missing: missing) {
                        hand($0, to: analyzer, fromOriginator: false, at: time, gaps: &gaps)
                    }
                if retransmitted {
                    stats.tcpRetransmissions += 1
                    table[index].flow.state.note(UInt8(ascii: "T"), originator: fromOriginator)
                }
                count(gaps, flow: index, originator: fromOriginator)
                publish(index, app)
                if !analyzer.wantsData {
                    // Nothing more to parse: free the reassembly buffers early, and leave the
                    // analyzer alone for the rest of the connection.
                    app.origStream = TCPReassembler()
                    app.respStream = TCPReassembler()
                    table[index].streamDone = true
                }
            }
        }
        let closed = table[index].flow.state.isClosed
        if closed || wasClosed {
            table.touch(index, timeoutClass: .closed)
        } else {
            table.touch(index, timeoutClass: .tcp)
        }
    }

    /// Holes found while delivering one direction's stream.
    struct GapCount {
        var holes = 0
        var bytes = 0
    }

    /// Passes one piece of a reassembled stream to the analyzer.
    mutating func hand(
        _ delivery: TCPReassembler.Delivery, to analyzer: StreamAnalyzer, fromOriginator: Bool, at time: Timestamp,
        gaps: inout GapCount
    ) {
        switch delivery {
        case .data(let bytes):
            analyzer.data(bytes, fromOriginator: fromOriginator, at: time, into: &output)
        case .gap(let n):
            gaps.holes += 1
            gaps.bytes += n
            analyzer.gap(n, fromOriginator: fromOriginator, into: &output)
        }
    }

    /// Records a direction's holes in the stats and in the flow (missed bytes, history `G`/`g`).
    mutating func count(_ gaps: GapCount, flow index: Int, originator: Bool) {
        guard gaps.holes > 0 else { return }
        stats.tcpGaps += gaps.holes
        stats.tcpGapBytes += gaps.bytes
        table[index].flow.missedBytes &+= UInt32(clamping: gaps.bytes)
        table[index].flow.state.note(UInt8(ascii: "G"), originator: originator)
    }

    mutating func datagram(_ index: Int, _ payload: UnsafeRawBufferPointer, complete: Bool) {
        guard payload.count > 0 else { return }
        if table[index].app == nil {
            var probe = DatagramAnalyzer()
            output.removeAll()
            probe.datagram(payload, at: Timestamp(microseconds: now), into: &output)
            // Most UDP is not a protocol Vigil parses: keep no per-flow state for it.
            guard probe.wantsData else { return }
            let app = FlowApp.make(stream: nil, datagram: probe)
            table[index].app = app
            publish(index, app)
            return
        }
        // Parsed in place: a copy of the analyzer (and back) retained and released every string of
        // the queries it holds, for every datagram.
        guard let app = table[index].app, app.datagram?.wantsData == true else { return }
        output.removeAll()
        if complete {
            app.datagram!.datagram(payload, at: Timestamp(microseconds: now), into: &output)
        } else {
            output.issues.append(.dnsMalformed)
        }
        publish(index, app)
    }

    /// Ends a flow: flushes reassembly and analyzers, emits app events then the flow event.
    mutating func end(_ index: Int) {
        if let app = table[index].app {
            output.removeAll()
            if let analyzer = app.stream {
                if analyzer.wantsData {
                    // Each direction in turn (not a loop over an array literal: one allocated per flow).
                    let time = Timestamp(microseconds: now)
                    var gaps = GapCount()
                    app.origStream.flush { hand($0, to: analyzer, fromOriginator: true, at: time, gaps: &gaps) }
                    count(gaps, flow: index, originator: true)
                    gaps = GapCount()
                    app.respStream.flush { hand($0, to: analyzer, fromOriginator: false, at: time, gaps: &gaps) }
                    count(gaps, flow: index, originator: false)
                }
                analyzer.finish(into: &output)
            } else if app.datagram != nil {
                app.datagram!.finish(into: &output)
            }
            publish(index, app)
        }
        emitFlow(index)
        table.remove(index)
    }

    mutating func publish(_ index: Int, _ app: FlowApp) {
        for issue in output.issues { stats.count(issue) }
        if !output.records.isEmpty {
            table[index].flow.appProtocol = app.appProtocol
            let flow = table[index].flow
            // Records are moved into the outputs, not copied (a copy retains every string and
            // array a record holds, and the copy left behind is released right after). There are
            // one or two per call, each moved out (`takeFirst`).
            swap(&handedOver, &output.records)
            while let record = handedOver.takeFirst() {
                app.events += 1
                send(.app(record, flow: flow, eventIndex: app.events))
            }
        }
        output.removeAll()
    }

    mutating func send(_ item: consuming PipelineOutput) {
        eventCounts[item.datasetIndex] += 1
        deliver(item)
    }

    /// `stats` with the events counted per dataset (kept as plain counters per event: a dictionary
    /// keyed by the dataset's name hashed a string for every event).
    var statsWithEvents: PipelineStats {
        var s = stats
        for (index, count) in eventCounts.enumerated() where count > 0 {
            s.events[PipelineOutput.datasets[index].name, default: 0] += count
        }
        return s
    }

    /// The flow's event. Read in place: a copy of the record would retain (and release) its app.
    mutating func emitFlow(_ index: Int) {
        var flow = table[index].flow
        flow.appProtocol = table[index].app?.appProtocol
        send(.flow(flow))
    }
}

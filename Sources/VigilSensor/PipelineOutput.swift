import VigilCore
import VigilDecode

/// A flow's identity and counters: the part of a tracked flow that its events report, as a value
/// that can cross to the thread that builds events.
public struct FlowSnapshot: Sendable {
    var key: FlowKey
    /// Whether the originator (who sent the first packet, or the SYN) is endpoint `a` of the key.
    var originatorIsA: Bool
    var icmpType: UInt8
    var icmpCode: UInt8
    /// Flow number in order of creation within this source: the basis of uid and event ids.
    var serial: UInt32
    var missedBytes: UInt32
    var start: Int64
    var last: Int64
    var origPackets: UInt32
    var respPackets: UInt32
    var origBytes: UInt64
    var respBytes: UInt64
    var state: ConnectionState
    /// Set from the analyzer when an output is produced.
    var appProtocol: AppProtocol?
}

/// A connection instance's names in events: its Zeek-style uid and its Community ID. Made from the
/// flow's snapshot for each event by the thread that builds events (`EventFactory`): two digests
/// the capture thread, the busier one, no longer makes (3.5 % of it, session 19).
struct FlowIdentity: Sendable {
    /// Inline, not `String`s: made on the stack and written straight into the event's text.
    var uidText: InlineText
    var communityIDText: InlineText

    init(_ flow: FlowSnapshot, ids: EventIDGenerator) {
        let e = flow.endpoints
        let isICMP = flow.key.proto == 1 || flow.key.proto == 58
        communityIDText =
            isICMP
            ? CommunityID.v1Text(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: UInt16(flow.icmpType), destinationPort: UInt16(flow.icmpCode))
            : CommunityID.v1Text(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: e.origPort, destinationPort: e.respPort)
        uidText = ids.connectionUIDText(serial: UInt64(flow.serial))
    }
}

extension FlowSnapshot {
    struct Endpoints {
        var origIP: IPAddress
        var origPort: UInt16
        var respIP: IPAddress
        var respPort: UInt16
    }

    /// The key's endpoints as originator and responder.
    var endpoints: Endpoints {
        originatorIsA
            ? Endpoints(origIP: key.a, origPort: key.aPort, respIP: key.b, respPort: key.bPort)
            : Endpoints(origIP: key.b, origPort: key.bPort, respIP: key.a, respPort: key.aPort)
    }
}

/// One thing the packet pipeline reports: an application transaction on a flow, or a flow that
/// ended. Typed records, not events yet: building the event's ECS fields is `EventFactory`'s job, so
/// it can run off the capture thread. The flow's identity (`FlowIdentity`) and the event's id
/// (deterministic: see `EventIDGenerator`, from the flow's serial and `eventIndex`) are made by
/// `EventFactory`, off the capture thread too.
public enum PipelineOutput: Sendable {
    /// `eventIndex`: the record's place among the flow's app events, from 1.
    case app(AppRecord, flow: FlowSnapshot, eventIndex: UInt32)
    /// The flow's final counters; always the last output of its flow (event index 0).
    case flow(FlowSnapshot)

    /// An output that owns no memory (only empty strings), for a slot whose output was moved away.
    static let placeholder = PipelineOutput.flow(
        FlowSnapshot(
            key: FlowKey(aHigh: 0, aLow: 0, bHigh: 0, bLow: 0, aPort: 0, bPort: 0, proto: 0, isV6: false, vlan: 0),
            originatorIsA: true, icmpType: 0, icmpCode: 0, serial: 0, missedBytes: 0, start: 0, last: 0,
            origPackets: 0, respPackets: 0, origBytes: 0, respBytes: 0, state: ConnectionState(), appProtocol: nil))

    /// The event's time: the transaction's start, or the flow's first packet.
    public var time: Timestamp {
        switch self {
        case .app(let record, _, _): record.start
        case .flow(let flow): Timestamp(microseconds: flow.start)
        }
    }

    /// Where the event's id comes from: the flow's serial and the event's index within the flow.
    var eventPosition: (serial: UInt32, index: UInt32) {
        switch self {
        case .app(_, let flow, let index): (flow.serial, index)
        case .flow(let flow): (flow.serial, 0)
        }
    }

    public var dataset: Dataset { Self.datasets[datasetIndex] }

    /// The datasets outputs belong to, indexed by `datasetIndex`.
    static let datasets: [Dataset] = [.flow, .dns, .http, .tls, .ssh]

    var datasetIndex: Int {
        switch self {
        case .flow: 0
        case .app(.dns, _, _): 1
        case .app(.http, _, _): 2
        case .app(.tls, _, _): 3
        case .app(.ssh, _, _): 4
        }
    }
}

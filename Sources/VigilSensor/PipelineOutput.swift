import VigilCore
import VigilDecode

/// What a flow looked like when an output was produced: everything an event needs about its
/// connection, as a value that can cross to the thread that builds events.
public struct FlowSnapshot: Sendable {
    var key: FlowKey
    var originatorIsA: Bool
    var icmpType: UInt8
    var icmpCode: UInt8
    var serial: UInt32
    var missedBytes: UInt32
    var start: Int64
    var last: Int64
    var origPackets: UInt32
    var respPackets: UInt32
    var origBytes: UInt64
    var respBytes: UInt64
    var state: ConnectionState
    var appProtocol: AppProtocol?

    init(_ r: FlowRecord) {
        key = r.key
        originatorIsA = r.originatorIsA
        icmpType = r.icmpType
        icmpCode = r.icmpCode
        serial = r.serial
        missedBytes = r.missedBytes
        start = r.start
        last = r.last
        origPackets = r.origPackets
        respPackets = r.respPackets
        origBytes = r.origBytes
        respBytes = r.respBytes
        state = r.state
        appProtocol = r.app?.appProtocol
    }
}

/// One thing the packet pipeline reports: an application transaction on a flow, or a flow that
/// ended. Typed records, not events yet: building the event (ids, ECS fields) is `EventFactory`'s
/// job, so it can run off the capture thread.
public enum PipelineOutput: Sendable {
    /// `index` numbers the flow's app events from 1 (the flow event is 0), for deterministic ids.
    case app(AppRecord, flow: FlowSnapshot, index: UInt32)
    /// The flow's final counters; always the last output of its flow.
    case flow(FlowSnapshot)

    public var dataset: Dataset {
        switch self {
        case .app(.http, _, _): .http
        case .app(.dns, _, _): .dns
        case .app(.tls, _, _): .tls
        case .app(.ssh, _, _): .ssh
        case .flow: .flow
        }
    }
}

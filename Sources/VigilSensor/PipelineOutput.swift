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

import VigilCore
import VigilDecode

/// Counters of one pipeline run: what `vigil analyze` prints and a sensor reports in heartbeats.
public struct PipelineStats: Sendable, Equatable {
    public var packets = 0
    public var bytes = 0
    /// Packets that decoded to a transport header (or an IP protocol Vigil does not parse further).
    public var decodedPackets = 0
    public var notIP = 0
    public var fragments = 0
    /// Packets the capture cut short of their wire length (snaplen).
    public var truncatedBySnaplen = 0
    /// Decode problems by reason (`DecodeIssue` names), plus capture-level ones such as `capture.truncated`.
    public var issues: [String: Int] = [:]
    public var flows = 0
    public var flowsEvicted = 0
    public var flowsTimedOut = 0
    public var tcpGaps = 0
    public var tcpGapBytes = 0
    public var tcpRetransmissions = 0
    public var events: [String: Int] = [:]

    public init() {}

    public var totalIssues: Int { issues.values.reduce(0, +) }
    public var totalEvents: Int { events.values.reduce(0, +) }

    mutating func count(_ issue: DecodeIssue) { issues[issue.description, default: 0] += 1 }
}

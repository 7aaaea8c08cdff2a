import VigilCore

/// How a packet pipeline runs: identity for event ids, limits, timeouts.
public struct PipelineConfig: Sendable {
    /// `observer.id` on every event, and part of every event id.
    public var observerID: String
    /// What was read: `pcap:<content hash>` for a file, `live:<interface>:<start>` for an interface.
    public var sourceIdentity: String
    /// Bytes of each HTTP body kept (decoded) for inspection.
    public var bodyLimit: Int = 8192
    /// Flows tracked at once; past it the least recently active flow is ended early and counted.
    public var maxFlows: Int = 1_000_000
    public var timeouts = FlowTimeouts()

    public init(observerID: String, sourceIdentity: String) {
        self.observerID = observerID
        self.sourceIdentity = sourceIdentity
    }
}

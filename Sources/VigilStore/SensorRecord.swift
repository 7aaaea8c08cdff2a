/// What a sensor last reported in its heartbeat.
public struct SensorRecord: Sendable, Equatable {
    public var id: String
    /// Correlator time of the first and the latest heartbeat, µs since 1970.
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var version: String
    /// The sensor's counters (events/s, drops, ...), as last reported.
    public var counters: [String: Int64]

    public init(id: String, firstSeen: Int64, lastSeen: Int64, version: String, counters: [String: Int64]) {
        (self.id, self.firstSeen, self.lastSeen, self.version, self.counters) =
            (id, firstSeen, lastSeen, version, counters)
    }
}

import VigilCore

/// An event as the store keeps it: the event (for its indexed columns), its JSON line exactly as it
/// will be served back (stored byte for byte), and the ids of the detection rules it matched.
public struct StoredEvent: Sendable {
    public var event: Event
    /// The event as one JSON line, without the trailing newline: the line the sensor sent, or
    /// `event.jsonLine` when the correlator had to add `observer.id`.
    public var json: String
    public var ruleHits: [String]

    public init(event: Event, json: String, ruleHits: [String] = []) {
        (self.event, self.json, self.ruleHits) = (event, json, ruleHits)
    }
}

/// Per event of a batch, in order: stored now, or already stored (same `event.id`).
public struct AppendResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable { case inserted, duplicate }
    public var outcomes: [Outcome]

    public init(outcomes: [Outcome]) { self.outcomes = outcomes }

    public var inserted: Int { outcomes.count(where: { $0 == .inserted }) }
    public var duplicates: Int { outcomes.count(where: { $0 == .duplicate }) }
}

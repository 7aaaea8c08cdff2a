import Foundation
import VigilCore

/// An event as the store keeps it: the event (for its indexed columns), its JSON line exactly as
/// it will be served back, and the ids of the detection rules it matched.
public struct StoredEvent: Sendable {
    public var event: Event
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
}

/// An incident as stored (the store sits beside the rule engine, so it has its own type; the
/// correlator maps `VigilRules.Incident` to it).
public struct IncidentRecord: Sendable, Equatable {
    public var id: String
    public var ruleID: String
    public var title: String
    public var level: String
    public var ruleLevel: String
    public var stage: String?
    public var category: String?
    public var correlation: String?
    public var group: [String: String]
    public var hits: Int
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var samples: [String]
    public var observers: [String]
    public var dlpCount: Int
    /// open (default), then what analysts set; an upsert from the rules never changes it.
    public var status: String = "open"

    public init(
        id: String, ruleID: String, title: String, level: String, ruleLevel: String, stage: String?,
        category: String?, correlation: String?, group: [String: String], hits: Int, firstSeen: Int64,
        lastSeen: Int64, samples: [String], observers: [String], dlpCount: Int
    ) {
        (self.id, self.ruleID, self.title, self.level, self.ruleLevel) = (id, ruleID, title, level, ruleLevel)
        (self.stage, self.category, self.correlation, self.group) = (stage, category, correlation, group)
        (self.hits, self.firstSeen, self.lastSeen, self.samples) = (hits, firstSeen, lastSeen, samples)
        (self.observers, self.dlpCount) = (observers, dlpCount)
    }
}

/// What a sensor last reported in its heartbeat.
public struct SensorRecord: Sendable, Equatable {
    public var id: String
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var version: String
    public var counters: [String: Int64]
}

/// A query over stored events, newest first.
public struct EventQuery: Sendable {
    public var from: Int64?
    public var to: Int64?
    public var dataset: String?
    public var sourceIP: String?
    public var destinationIP: String?
    public var host: String?
    public var user: String?
    public var observer: String?
    public var ruleID: String?
    /// Substring of the event's JSON (LIKE; no index).
    public var text: String?
    public var limit = 100
    /// From a previous page's `next`.
    public var cursor: String?

    public init() {}
}

public struct EventPage: Sendable {
    public var events: [String]
    /// Continues after the last row (stable under concurrent inserts); nil on the last page.
    public var next: String?
}

/// The correlator's store (DESIGN §6, §10): a protocol, so another backend can come later.
/// Synchronous and blocking: callers run it on a dedicated thread, not the concurrency pool.
public protocol EventStore: Sendable {
    /// Stores a batch in one durable transaction; idempotent on `event.id`.
    func append(_ batch: [StoredEvent]) throws(VigilError) -> AppendResult
    func events(_ query: EventQuery) throws(VigilError) -> EventPage
    func eventCount() throws(VigilError) -> Int
    func upsertIncident(_ incident: IncidentRecord) throws(VigilError)
    func incidents(limit: Int) throws(VigilError) -> [IncidentRecord]
    func recordHeartbeat(sensorID: String, version: String, counters: [String: Int64], at: Int64) throws(VigilError)
    func sensors() throws(VigilError) -> [SensorRecord]
    func saveSnapshot(_ data: Data, watermark: Int64) throws(VigilError)
    func latestSnapshot() throws(VigilError) -> (data: Data, watermark: Int64)?
    /// Calls `body` with the JSON of every event later than `micros`, oldest first, a page at a
    /// time (bounded memory): the correlator replays them after restoring a snapshot.
    func replay(after micros: Int64, pageSize: Int, _ body: ([String]) throws -> Void) throws(VigilError) -> Int
    /// Deletes events older than `micros` in transactions of at most `batchSize` rows; returns how many.
    func deleteEvents(olderThan micros: Int64, batchSize: Int) throws(VigilError) -> Int
}

/// Six months: the Cybersecurity Law (art. 21) requires network logs kept at least that long.
public let defaultRetentionDays = 180

import Foundation
import VigilCore

/// The correlator's store (DESIGN §3, §6, §10): events, incidents, sensors, API tokens, the audit
/// log and correlation snapshots. A protocol, so another backend (PostgreSQL for shared incidents)
/// can come later without touching the callers.
///
/// Every method is synchronous and may block on disk I/O (an `fsync` per committed write): callers
/// run it on a dedicated thread or executor, never on the cooperative pool. Every failure is a
/// `VigilError` with code `.store` (`.usage` for a malformed cursor) whose message names the file.
public protocol EventStore: Sendable {
    /// Runs `body` as one transaction: the calls it makes on this store from the calling thread
    /// commit together (one fsync) when it returns, or not at all when it throws, and its reads see
    /// its own writes. A store without transactions may run `body` as it is.
    func transaction<T>(_ what: @autoclosure () -> String, _ body: () throws(VigilError) -> T) throws(VigilError)
        -> T

    // MARK: Events

    /// Stores a batch in one transaction, durable when this returns; idempotent on `event.id`: per
    /// event, in batch order, `.inserted` or `.duplicate` (already stored, or earlier in this batch).
    /// The key is the id with the event's `@timestamp`, which a retry carries unchanged, so a
    /// retried or replayed batch never duplicates; see `SQLiteStore.migrator` ("v3") for why.
    func append(_ batch: [StoredEvent]) throws(VigilError) -> AppendResult
    /// One page of events matching `query`, newest first.
    func events(_ query: EventQuery) throws(VigilError) -> EventPage
    func eventCount() throws(VigilError) -> Int
    /// Events per dataset with `from <= time < to` (either bound optional), for the posture view.
    func eventCounts(from: Int64?, to: Int64?) throws(VigilError) -> [String: Int]
    /// Calls `body` with the JSON of every event later than `micros`, oldest first (event time, then
    /// arrival), `pageSize` at a time, each page read separately (bounded memory): the correlator
    /// replays them after restoring a snapshot. Returns how many were passed.
    func replay(after micros: Int64, pageSize: Int, _ body: ([String]) throws -> Void) throws(VigilError) -> Int
    /// Deletes events older than `micros` (and their rule hits) in transactions of at most
    /// `batchSize` events, so ingest waits at most one small batch; returns how many were deleted.
    func deleteEvents(olderThan micros: Int64, batchSize: Int) throws(VigilError) -> Int

    // MARK: Incidents

    /// Inserts the incident or updates the fields the rules own; never changes `status`.
    func upsertIncident(_ incident: IncidentRecord) throws(VigilError)
    /// `upsertIncident` for several, in one transaction.
    func upsertIncidents(_ incidents: [IncidentRecord]) throws(VigilError)
    /// One page of incidents matching `query`, most recently seen first.
    func incidents(_ query: IncidentQuery) throws(VigilError) -> IncidentPage
    func incident(id: String) throws(VigilError) -> IncidentRecord?
    /// Sets an incident's analyst status and, when it changes, appends the audit entry
    /// (`incident.status`, detail `{"from","to","note"}`) in the same transaction, so no change is
    /// ever unaudited. Returns the previous status, or nil when there is no such incident.
    func setIncidentStatus(id: String, status: String, actor: String, note: String) throws(VigilError) -> String?

    // MARK: Sensors

    /// Upserts the sensor: first seen kept, last seen, version and counters replaced.
    func recordHeartbeat(sensorID: String, version: String, counters: [String: Int64], at: Int64) throws(VigilError)
    func sensors() throws(VigilError) -> [SensorRecord]

    // MARK: API tokens

    /// A new token: its id, and its secret, which is returned this once and stored only as a hash.
    /// Audited (`token.create`, by `actor`) in the same transaction.
    func createToken(name: String, role: TokenRole, actor: String) throws(VigilError) -> (id: String, secret: String)
    /// The active token whose secret this is, or nil (unknown or revoked).
    func authenticate(secret: String) throws(VigilError) -> APIToken?
    /// Revokes a token (audited as `token.revoke` in the same transaction); false when there is no
    /// active token with this id.
    func revokeToken(id: String, actor: String) throws(VigilError) -> Bool
    /// Every token, revoked ones included (never a secret), oldest first.
    func tokens() throws(VigilError) -> [APIToken]

    // MARK: Audit log

    /// Appends an entry (rows are never updated or deleted).
    func audit(actor: String, action: String, subject: String, detail: String, at: Int64) throws(VigilError)
    /// Up to `limit` entries, newest first, older than the entry `before` when given.
    func auditLog(limit: Int, before: Int64?) throws(VigilError) -> [AuditEntry]

    // MARK: Correlation snapshots

    /// Saves the correlation state and the event time it covers; the latest two are kept.
    func saveSnapshot(_ data: Data, watermark: Int64) throws(VigilError)
    func latestSnapshot() throws(VigilError) -> (data: Data, watermark: Int64)?
}

extension EventStore {
    /// The `limit` most recently seen incidents.
    public func incidents(limit: Int) throws(VigilError) -> [IncidentRecord] {
        var query = IncidentQuery()
        query.limit = limit
        return try incidents(query).incidents
    }

    /// Appends an audit entry timed now.
    public func audit(actor: String, action: String, subject: String, detail: String = "") throws(VigilError) {
        try audit(actor: actor, action: action, subject: subject, detail: detail, at: StoreClock.nowMicros())
    }
}

/// Six months: the Cybersecurity Law of the PRC (art. 21) requires network logs to be kept at least
/// that long, so the correlator deletes events older than this by default, and warns below it.
public let defaultRetentionDays = 180

enum StoreClock {
    /// Wall-clock time in microseconds since 1970 (ingest time, token and audit times).
    static func nowMicros() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }
}

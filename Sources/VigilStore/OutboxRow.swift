import VigilCore

/// A notification waiting for (or done with) delivery to one webhook endpoint (DESIGN §7). Rows are
/// written in the same transaction as the change that causes them, so a crash never loses one.
public struct OutboxRow: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Not delivered yet; tried again at `nextAttempt`.
        case pending
        case delivered
        /// Given up: the retry schedule ran out, or the endpoint answered 410 Gone.
        case dead
    }

    /// The notification id: the `webhook-id` receivers deduplicate on, the same on every attempt.
    public var id: String
    /// The endpoint's name in the config.
    public var endpoint: String
    /// µs since 1970.
    public var created: Int64
    public var kind: String
    /// The notification, as JSON (VigilResponse renders it per endpoint format at each attempt).
    public var payload: String
    public var state: State = .pending
    public var attempts = 0
    /// µs since 1970.
    public var nextAttempt: Int64
    /// The last HTTP status (0: no answer) and error text.
    public var lastStatus: Int?
    public var lastError: String?
    public var delivered: Int64?

    public init(id: String, endpoint: String, created: Int64, kind: String, payload: String) {
        (self.id, self.endpoint, self.created, self.kind, self.payload) = (id, endpoint, created, kind, payload)
        nextAttempt = created
    }
}

/// The outbox (`SQLiteStore` implements it beside `TicketStore`).
public protocol OutboxStore: Sendable {
    /// Adds rows in their own transaction (a test message; most rows come with a ticket change).
    func enqueue(_ rows: [OutboxRow]) throws(VigilError)
    /// Pending rows due at `now`, oldest first.
    func dueOutbox(now: Int64, limit: Int) throws(VigilError) -> [OutboxRow]
    /// Records an attempt's outcome (the row as updated by the dispatcher).
    func recordAttempt(_ row: OutboxRow) throws(VigilError)
    /// Pending rows of an endpoint (to coalesce a burst) or every endpoint.
    func pendingCount(endpoint: String?) throws(VigilError) -> Int
    /// Recent rows, newest first (delivery history).
    func outbox(limit: Int, endpoint: String?) throws(VigilError) -> [OutboxRow]
}

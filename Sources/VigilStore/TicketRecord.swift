import VigilCore

/// An emergency-response ticket as stored. The workflow rules (statuses, levels, playbooks,
/// deadlines) live in VigilResponse; the store keeps the record and chains every change into the
/// timeline in the same transaction.
public struct TicketRecord: Sendable, Equatable, Codable {
    public struct Step: Sendable, Equatable, Codable {
        public var id: String
        public var zh: String
        public var en: String
        public var role: String
        /// µs since 1970.
        public var due: Int64
        public var done: Int64?
        public var doneBy: String?
        public var note: String?

        public init(id: String, zh: String, en: String, role: String, due: Int64) {
            (self.id, self.zh, self.en, self.role, self.due) = (id, zh, en, role, due)
        }
    }

    public struct Deadline: Sendable, Equatable, Codable {
        /// `acknowledge` or `report`.
        public var kind: String
        public var due: Int64
        public var met: Int64?

        public init(kind: String, due: Int64, met: Int64? = nil) { (self.kind, self.due, self.met) = (kind, due, met) }
    }

    public var id: String
    public var title: String
    /// Response level, `I`…`IV`.
    public var level: String
    /// Why that level (the table row that matched).
    public var levelWhy: String
    /// GB/T 20986 code (Vigil's), when the rule has one.
    public var category: String?
    /// `TicketStatus` raw value.
    public var status: String
    public var assignee: String?
    /// µs since 1970.
    public var opened: Int64
    public var updated: Int64
    public var incidents: [String]
    /// Departments whose assets its incidents touched (`labels.department`); nil in tickets stored
    /// before it was kept.
    public var departments: [String]?
    public var steps: [Step]
    public var deadlines: [Deadline]

    public init(
        id: String, title: String, level: String, levelWhy: String, category: String?, status: String,
        opened: Int64, incidents: [String], steps: [Step], deadlines: [Deadline]
    ) {
        (self.id, self.title, self.level, self.levelWhy, self.category) = (id, title, level, levelWhy, category)
        (self.status, self.opened, self.updated, self.incidents) = (status, opened, opened, incidents)
        (self.steps, self.deadlines) = (steps, deadlines)
    }
}

/// Tickets and their hash-chained timeline (DESIGN §6). Separate from `EventStore` so a deployment
/// could keep tickets in a shared database later; `SQLiteStore` implements both.
public protocol TicketStore: Sendable {
    /// Runs `body` as one transaction (see `EventStore.transaction`).
    func transaction<T>(_ what: @autoclosure () -> String, _ body: () throws(VigilError) -> T) throws(VigilError)
        -> T
    /// Stores a new ticket, its first timeline entry (`ticket.open`) and the notifications it causes
    /// in one transaction. Nil, with nothing written, when a ticket with this id exists (opening is
    /// idempotent).
    func openTicket(_ ticket: TicketRecord, actor: String, detail: String, at: Int64, outbox: [OutboxRow])
        throws(VigilError) -> TimelineEntry?
    /// Reads the ticket, lets `change` modify it (or refuse with a `.usage` error, which writes
    /// nothing) and name the notifications it causes, stores it, appends the timeline entry
    /// `action` with the detail `change` returns and the outbox rows, in one transaction. Nil when
    /// there is no such ticket.
    func updateTicket(
        id: String, actor: String, action: String, at: Int64,
        _ change: (inout TicketRecord) throws(VigilError) -> (detail: String, outbox: [OutboxRow])
    ) throws(VigilError) -> (TicketRecord, TimelineEntry)?
    func ticket(id: String) throws(VigilError) -> TicketRecord?
    /// The ticket an incident joined, if any.
    func ticket(forIncident id: String) throws(VigilError) -> TicketRecord?
    /// The id, level and status of the ticket an incident joined, if any (without the rest).
    func ticketState(forIncident id: String) throws(VigilError) -> (id: String, level: String, status: String)?
    /// Tickets, most recently updated first; `status` nil for all, `open` for every non-final one.
    func tickets(status: String?, limit: Int) throws(VigilError) -> [TicketRecord]
    /// Every non-final ticket, a page at a time in id order: the `limit` (at most 1 000) after the
    /// ticket id `after` (nil: from the first).
    func openTickets(after: String?, limit: Int) throws(VigilError) -> [TicketRecord]
    /// Timeline entries in sequence order (all tickets, or one).
    func timeline(ticket: String?) throws(VigilError) -> [TimelineEntry]
}

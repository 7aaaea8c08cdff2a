import Foundation
import GRDB
import VigilCore

extension SQLiteStore: TicketStore {
    static func ticketMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v4-tickets-timeline") { db in
            // A ticket is one row with its steps and deadlines as JSON (they are read and written
            // whole with it); ticket_incidents answers "which ticket has this incident". The
            // timeline refuses UPDATE and DELETE, and each entry's hash covers the previous one's
            // (TimelineEntry): an edit with the file open in sqlite3 still shows in
            // `vigil audit verify`.
            try db.execute(
                sql: """
                    CREATE TABLE tickets (
                        id TEXT PRIMARY KEY,
                        status TEXT NOT NULL,
                        level TEXT NOT NULL,
                        updated INTEGER NOT NULL,
                        record TEXT NOT NULL
                    );
                    CREATE INDEX tickets_updated ON tickets(updated);
                    CREATE TABLE ticket_incidents (
                        incident_id TEXT PRIMARY KEY,
                        ticket_id TEXT NOT NULL
                    );
                    CREATE TABLE timeline (
                        seq INTEGER PRIMARY KEY,
                        time INTEGER NOT NULL,
                        ticket TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX timeline_ticket ON timeline(ticket, seq);
                    CREATE TRIGGER timeline_append_only_update BEFORE UPDATE ON timeline
                    BEGIN SELECT RAISE(ABORT, 'the ticket timeline is append-only'); END;
                    CREATE TRIGGER timeline_append_only_delete BEFORE DELETE ON timeline
                    BEGIN SELECT RAISE(ABORT, 'the ticket timeline is append-only'); END;
                    """)
        }
    }

    public func openTicket(
        _ ticket: TicketRecord, actor: String, detail: String, at: Int64, outbox: [OutboxRow]
    ) throws(VigilError) -> TimelineEntry? {
        try write("cannot open ticket \(ticket.id)") { db in
            let exists = try db.cachedStatement(sql: "SELECT 1 FROM tickets WHERE id = ?")
            guard try Int.fetchOne(exists, arguments: [ticket.id]) == nil else { return nil }
            try Self.save(db, ticket)
            try Self.insert(db, outbox)
            return try Self.chain(db, ticket: ticket.id, actor: actor, action: "ticket.open", detail: detail, at: at)
        }
    }

    public func updateTicket(
        id: String, actor: String, action: String, at: Int64,
        _ change: (inout TicketRecord) throws(VigilError) -> (detail: String, outbox: [OutboxRow])
    ) throws(VigilError) -> (TicketRecord, TimelineEntry)? {
        try write("cannot change ticket \(id)") { db in
            guard var ticket = try Self.load(db, id: id) else { return nil }
            let (detail, outbox) = try change(&ticket)
            ticket.updated = at
            try Self.save(db, ticket)
            try Self.insert(db, outbox)
            let entry = try Self.chain(db, ticket: id, actor: actor, action: action, detail: detail, at: at)
            return (ticket, entry)
        }
    }

    public func ticket(id: String) throws(VigilError) -> TicketRecord? {
        try read("cannot read ticket \(id)") { try Self.load($0, id: id) }
    }

    public func ticket(forIncident id: String) throws(VigilError) -> TicketRecord? {
        try read("cannot read the ticket of incident \(id)") { db in
            guard
                let ticket = try String.fetchOne(
                    db, sql: "SELECT ticket_id FROM ticket_incidents WHERE incident_id = ?", arguments: [id])
            else { return nil }
            return try Self.load(db, id: ticket)
        }
    }

    public func ticketState(forIncident id: String) throws(VigilError) -> (id: String, level: String, status: String)? {
        try read("cannot read the ticket of incident \(id)") { db in
            let select = try db.cachedStatement(
                sql: """
                    SELECT t.id, t.level, t.status FROM ticket_incidents i JOIN tickets t ON t.id = i.ticket_id
                    WHERE i.incident_id = ?
                    """)
            return try Row.fetchOne(select, arguments: [id]).map { (id: $0[0], level: $0[1], status: $0[2]) }
        }
    }

    static let openStatus = "status NOT IN ('resolved', 'closed', 'false_positive', 'duplicate')"

    public func openTickets(after: String?, limit: Int) throws(VigilError) -> [TicketRecord] {
        try read("cannot list open tickets") { db in
            try String.fetchAll(
                db,
                sql: "SELECT record FROM tickets WHERE \(Self.openStatus) AND id > ? ORDER BY id LIMIT ?",
                arguments: [after ?? "", max(1, min(limit, 1000))]
            ).compactMap(Self.decodeTicket)
        }
    }

    public func tickets(status: String?, limit: Int) throws(VigilError) -> [TicketRecord] {
        try read("cannot list tickets") { db in
            var sql = "SELECT record FROM tickets"
            var arguments = StatementArguments()
            if status == "open" {
                sql += " WHERE \(Self.openStatus)"
            } else if let status {
                sql += " WHERE status = ?"
                arguments += [status]
            }
            sql += " ORDER BY updated DESC, id LIMIT \(max(1, min(limit, 1000)))"
            return try String.fetchAll(db, sql: sql, arguments: arguments).compactMap(Self.decodeTicket)
        }
    }

    public func timeline(ticket: String?) throws(VigilError) -> [TimelineEntry] {
        try read("cannot read the ticket timeline") { db in
            let rows =
                try ticket.map {
                    try Row.fetchAll(db, sql: "SELECT * FROM timeline WHERE ticket = ? ORDER BY seq", arguments: [$0])
                } ?? Row.fetchAll(db, sql: "SELECT * FROM timeline ORDER BY seq")
            return rows.map {
                TimelineEntry(
                    seq: $0["seq"], time: $0["time"], ticket: $0["ticket"], actor: $0["actor"], action: $0["action"],
                    detail: $0["detail"], previousHash: $0["previous_hash"], hash: $0["hash"])
            }
        }
    }

    // MARK: Rows

    static func save(_ db: Database, _ t: TicketRecord) throws {
        let record = String(decoding: try JSONEncoder().encode(t), as: UTF8.self)
        // Cached statements: a burst of incidents opens a ticket every ~130 events (compiling these
        // each time was a tenth of the store thread's time in `Benchmarks/ingest-bench.py`).
        try db.cachedStatement(
            sql: """
                INSERT INTO tickets (id, status, level, updated, record) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET status = excluded.status, level = excluded.level,
                    updated = excluded.updated, record = excluded.record
                """
        ).execute(arguments: [t.id, t.status, t.level, t.updated, record])
        let join = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO ticket_incidents (incident_id, ticket_id) VALUES (?, ?)")
        for incident in t.incidents { try join.execute(arguments: [incident, t.id]) }
    }

    static func load(_ db: Database, id: String) throws -> TicketRecord? {
        try String.fetchOne(db, sql: "SELECT record FROM tickets WHERE id = ?", arguments: [id]).flatMap(decodeTicket)
    }

    static func decodeTicket(_ text: String) -> TicketRecord? {
        try? JSONDecoder().decode(TicketRecord.self, from: Data(text.utf8))
    }

    /// Appends a timeline entry chained to the newest one, inside the caller's transaction (SQLite
    /// serialises writers, so no two entries can claim the same predecessor).
    static func chain(_ db: Database, ticket: String, actor: String, action: String, detail: String, at: Int64)
        throws -> TimelineEntry
    {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM timeline ORDER BY seq DESC LIMIT 1"))
        let previous = last.map {
            TimelineEntry(
                seq: $0["seq"], time: 0, ticket: "", actor: "", action: "", detail: "", previousHash: "",
                hash: $0["hash"])
        }
        let entry = TimelineEntry(
            after: previous, time: at, ticket: ticket, actor: actor, action: action, detail: detail)
        try db.cachedStatement(
            sql: """
                INSERT INTO timeline (seq, time, ticket, actor, action, detail, previous_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                entry.seq, entry.time, entry.ticket, entry.actor, entry.action, entry.detail, entry.previousHash,
                entry.hash,
            ])
        return entry
    }
}

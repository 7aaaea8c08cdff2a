import GRDB
import VigilCore

extension SQLiteStore: OutboxStore {
    static func incidentDataMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v6-incident-departments-classification") { db in
            // Where (departments) and what (the most important data class) an incident touched: the
            // posture's heat map and the ticket's response level read them.
            try db.execute(
                sql: """
                    ALTER TABLE incidents ADD COLUMN departments_json TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE incidents ADD COLUMN classification TEXT;
                    """)
        }
    }

    static func outboxMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v5-outbox") { db in
            // One row per (notification, endpoint): the dispatcher picks due pending rows by
            // next_attempt; history reads by created.
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        id TEXT NOT NULL,
                        endpoint TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
                        attempts INTEGER NOT NULL,
                        next_attempt INTEGER NOT NULL,
                        last_status INTEGER,
                        last_error TEXT,
                        delivered INTEGER,
                        PRIMARY KEY (endpoint, id)
                    ) WITHOUT ROWID;
                    CREATE INDEX outbox_due ON outbox(next_attempt) WHERE state = 'pending';
                    CREATE INDEX outbox_created ON outbox(created);
                    """)
        }
    }

    static func insert(_ db: Database, _ rows: [OutboxRow]) throws {
        guard !rows.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO outbox (id, endpoint, created, kind, payload, state, attempts, next_attempt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for r in rows {
            try insert.execute(
                arguments: [
                    r.id, r.endpoint, r.created, r.kind, r.payload, r.state.rawValue, r.attempts, r.nextAttempt,
                ])
        }
    }

    public func enqueue(_ rows: [OutboxRow]) throws(VigilError) {
        try write("cannot queue \\(rows.count) notifications") { try Self.insert($0, rows) }
    }

    public func dueOutbox(now: Int64, limit: Int) throws(VigilError) -> [OutboxRow] {
        try read("cannot read the outbox") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM outbox WHERE state = 'pending' AND next_attempt <= ?
                    ORDER BY next_attempt, created LIMIT ?
                    """,
                arguments: [now, max(1, limit)]
            ).map(Self.outboxRow)
        }
    }

    public func recordAttempt(_ r: OutboxRow) throws(VigilError) {
        try write("cannot record a delivery attempt") { db in
            try db.execute(
                sql: """
                    UPDATE outbox SET state = ?, attempts = ?, next_attempt = ?, last_status = ?, last_error = ?,
                        delivered = ? WHERE endpoint = ? AND id = ?
                    """,
                arguments: [
                    r.state.rawValue, r.attempts, r.nextAttempt, r.lastStatus, r.lastError, r.delivered, r.endpoint,
                    r.id,
                ])
        }
    }

    public func pendingCount(endpoint: String?) throws(VigilError) -> Int {
        try read("cannot count the outbox") { db in
            if let endpoint {
                return try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM outbox WHERE state = 'pending' AND endpoint = ?",
                    arguments: [endpoint]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'pending'") ?? 0
        }
    }

    public func outbox(limit: Int, endpoint: String?) throws(VigilError) -> [OutboxRow] {
        try read("cannot read the delivery history") { db in
            let limit = max(1, min(limit, 1000))
            if let endpoint {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM outbox WHERE endpoint = ? ORDER BY created DESC, id LIMIT ?",
                    arguments: [endpoint, limit]
                ).map(Self.outboxRow)
            }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM outbox ORDER BY created DESC, id LIMIT ?", arguments: [limit]
            )
            .map(Self.outboxRow)
        }
    }

    static func outboxRow(_ r: Row) -> OutboxRow {
        var row = OutboxRow(
            id: r["id"], endpoint: r["endpoint"], created: r["created"], kind: r["kind"], payload: r["payload"])
        row.state = OutboxRow.State(rawValue: r["state"]) ?? .pending
        row.attempts = r["attempts"]
        row.nextAttempt = r["next_attempt"]
        row.lastStatus = r["last_status"]
        row.lastError = r["last_error"]
        row.delivered = r["delivered"]
        return row
    }
}

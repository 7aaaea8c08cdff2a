import GRDB
import VigilCore

extension SQLiteStore {
    public func audit(actor: String, action: String, subject: String, detail: String, at: Int64) throws(VigilError) {
        try write("cannot append to the audit log") { db in
            try Self.appendAudit(db, actor: actor, action: action, subject: subject, detail: detail, at: at)
        }
    }

    /// Appends an audit row inside the caller's transaction (the change and its record commit together).
    static func appendAudit(
        _ db: Database, actor: String, action: String, subject: String, detail: String,
        at: Int64 = StoreClock.nowMicros()
    ) throws {
        try db.execute(
            sql: "INSERT INTO audit_log (time, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [at, actor, action, subject, detail])
    }

    public func auditLog(limit: Int, before: Int64?) throws(VigilError) -> [AuditEntry] {
        // Newest first by id (append order), not by time: a clock step back cannot reorder history.
        try read("cannot read the audit log") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
                arguments: [before ?? .max, max(1, min(limit, 10_000))]
            ).map {
                AuditEntry(
                    id: $0["id"], time: $0["time"], actor: $0["actor"], action: $0["action"], subject: $0["subject"],
                    detail: $0["detail"])
            }
        }
    }
}

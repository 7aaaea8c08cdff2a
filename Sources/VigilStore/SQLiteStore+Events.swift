import GRDB
import GRDBSQLite
import VigilCore

extension SQLiteStore {
    private static let hostName = FieldID("host.name")

    /// A field's text for an indexed column: strings as they are, IPs in their canonical form.
    private static func text(_ event: Event, _ field: FieldID) -> String? {
        switch event[field] {
        case .string(let s): s
        case .ip(let ip): ip.description
        case .int(let i): String(i)
        default: nil
        }
    }

    public func append(_ batch: [StoredEvent]) throws(VigilError) -> AppendResult {
        guard !batch.isEmpty else { return AppendResult(outcomes: []) }
        let now = StoreClock.nowMicros()
        return try write("cannot store a batch of \(batch.count) events") { db in
            // ON CONFLICT names the one constraint a retry may hit; any other violation is an error.
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO events
                    (event_id, time, dataset, observer, source_ip, destination_ip, host, user, ingested, json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (time, event_id) DO NOTHING
                    """)
            let hit = try db.cachedStatement(
                sql: "INSERT INTO rule_hits (rule_id, time, event_rowid) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            var outcomes: [AppendResult.Outcome] = []
            outcomes.reserveCapacity(batch.count)
            // Bound through SQLite's C API: GRDB's `StatementArguments` (an array of ten existentials
            // per event, each cast back to bind it) cost a third as much as SQLite's own insert.
            let row = RawStatement(insert.sqliteStatement)
            let hits = RawStatement(hit.sqliteStatement)
            for item in batch {
                let e = item.event
                row.text(1, e.id)
                row.int(2, e.timestamp.microseconds)
                row.text(3, e.dataset.name)
                row.text(4, e.observerID)
                row.text(5, Self.text(e, Fields.sourceIP))
                row.text(6, Self.text(e, Fields.destinationIP))
                row.text(7, Self.text(e, Self.hostName) ?? Self.text(e, Fields.hostHostname))
                row.text(8, Self.text(e, Fields.userName))
                row.int(9, now)
                row.text(10, item.json)
                try row.step(db, sql: insert.sql)
                // A duplicate keeps the hits stored with its first copy.
                guard db.changesCount > 0 else {
                    outcomes.append(.duplicate)
                    continue
                }
                outcomes.append(.inserted)
                let rowid = db.lastInsertedRowID
                for rule in item.ruleHits {
                    hits.text(1, rule)
                    hits.int(2, e.timestamp.microseconds)
                    hits.int(3, rowid)
                    try hits.step(db, sql: hit.sql)
                }
            }
            return AppendResult(outcomes: outcomes)
        }
    }

    /// A prepared statement driven through SQLite's C API: bind every parameter, then `step`,
    /// which runs it to completion and resets it for the next row. Texts are copied by SQLite
    /// (`SQLITE_TRANSIENT`), so nothing has to outlive the call that binds it.
    struct RawStatement {
        let handle: OpaquePointer
        init(_ handle: OpaquePointer) { self.handle = handle }

        /// SQLite's `SQLITE_TRANSIENT` (a macro Swift cannot import): copy the bytes now.
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        func text(_ index: Int32, _ value: String?) {
            guard var value else {
                sqlite3_bind_null(handle, index)
                return
            }
            _ = value.withUTF8 { sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
        }

        func int(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }

        /// Runs the statement (one that returns no rows); throws SQLite's error as GRDB reports it
        /// (`sql` is read only then: GRDB's `Statement.sql` trims the text on every read).
        func step(_ db: Database, sql: @autoclosure () -> String) throws {
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
                sqlite3_reset(handle)
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql())
            }
            sqlite3_reset(handle)
        }
    }

    public func events(_ q: EventQuery) throws(VigilError) -> EventPage {
        let (sql, arguments, limit) = try Self.sql(for: q)
        return try read("cannot query events") { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let page = rows.prefix(limit)
            let next =
                rows.count > limit
                ? page.last.map { PageCursor(kind: .events, time: $0["time"], key: String($0["rowid"] as Int64)) }
                : nil
            return EventPage(events: page.map { $0["json"] }, next: next?.encoded())
        }
    }

    /// The statement answering `q`: one more row than the page, to know whether another follows.
    static func sql(for q: EventQuery) throws(VigilError) -> (String, StatementArguments, limit: Int) {
        // With a rule, the rule-hit index (rule, time, event) drives the query in page order;
        // otherwise the events table, through the index of the most selective filter.
        let (source, time, rowid) =
            q.ruleID == nil
            ? ("events e", "e.time", "e.rowid")
            : ("rule_hits h JOIN events e ON e.rowid = h.event_rowid", "h.time", "h.event_rowid")
        var conditions: [String] = []
        var arguments = StatementArguments()
        func add(_ sql: String, _ values: any DatabaseValueConvertible...) {
            conditions.append(sql)
            for value in values { arguments += [value] }
        }
        if let v = q.ruleID { add("h.rule_id = ?", v) }
        if let from = q.from { add("\(time) >= ?", from) }
        if let to = q.to { add("\(time) < ?", to) }
        if let v = q.dataset { add("e.dataset = ?", v) }
        if let v = q.sourceIP { add("e.source_ip = ?", v) }
        if let v = q.destinationIP { add("e.destination_ip = ?", v) }
        if let v = q.host { add("e.host = ?", v) }
        if let v = q.user { add("e.user = ?", v) }
        if let v = q.observer { add("e.observer = ?", v) }
        if let v = q.text { add("e.json LIKE ? ESCAPE '\\'", "%" + Self.likeEscaped(v) + "%") }
        if let cursor = q.cursor {
            let after = try PageCursor(decoding: cursor, as: .events)
            guard let last = Int64(after.key) else {
                throw VigilError(.usage, "'\(cursor.prefix(64))' is not a cursor from a previous page of this list")
            }
            // A row value, so SQLite seeks the (…, time, rowid) index straight to the cursor.
            add("(\(time), \(rowid)) < (?, ?)", after.time, last)
        }
        let limit = max(1, min(q.limit, 10_000))
        let sql =
            "SELECT e.rowid AS rowid, e.time AS time, e.json AS json FROM \(source)"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY \(time) DESC, \(rowid) DESC LIMIT \(limit + 1)"
        return (sql, arguments, limit)
    }

    /// `text` for a LIKE pattern with `\` as the escape: its `%` and `_` match themselves.
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            if c == "\\" || c == "%" || c == "_" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    public func eventCount() throws(VigilError) -> Int {
        try read("cannot count events") { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    public func eventCounts(from: Int64?, to: Int64?) throws(VigilError) -> [String: Int] {
        try read("cannot count events by dataset") { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT dataset, count(*) AS n FROM events WHERE time >= ? AND time < ? GROUP BY dataset",
                arguments: [from ?? .min, to ?? .max])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["dataset"], $0["n"]) })
        }
    }

    public func replay(after micros: Int64, pageSize: Int, _ body: ([String]) throws -> Void) throws(VigilError)
        -> Int
    {
        let size = max(1, pageSize)
        // Only events stored when the replay starts: a page always starts strictly after the last
        // row of the previous one, so the loop ends even while ingest keeps adding events.
        let end = try read("cannot read events to replay") {
            try Int64.fetchOne($0, sql: "SELECT max(rowid) FROM events")
        }
        guard let end else { return 0 }
        var total = 0
        var last: (time: Int64, rowid: Int64) = (micros, .max)
        while true {
            let rows = try read("cannot read events to replay") { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT rowid, time, json FROM events WHERE (time, rowid) > (?, ?) AND rowid <= ?
                        ORDER BY time, rowid LIMIT ?
                        """,
                    arguments: [last.time, last.rowid, end, size])
            }
            guard let tail = rows.last else { break }
            last = (tail["time"], tail["rowid"])
            do {
                try body(rows.map { $0["json"] })
            } catch {
                throw Self.failure(path, "replay stopped after \(total) events", error)
            }
            total += rows.count
            if rows.count < size { break }
        }
        return total
    }
}

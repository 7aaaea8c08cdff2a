import Foundation
import GRDB
import VigilCore

/// The embedded store: one SQLite file in WAL mode through GRDB (DESIGN §3).
///
/// PRAGMA choices:
/// - `journal_mode=WAL` (GRDB's `DatabasePool` sets it): readers (queries) never block the writer
///   (ingest), and a commit appends to the WAL instead of rewriting pages.
/// - `synchronous=FULL`: the WAL is fsynced at every commit, so a batch the correlator
///   acknowledged survives kill -9 *and* a power cut. NORMAL would survive kill -9 only (the WAL
///   is synced at checkpoints): cheaper, but an acknowledgement must mean durable (ingest.md).
///   Batches of hundreds of events make the one fsync per commit affordable.
/// - `busy_timeout` 5 s: a retention delete or a checkpoint briefly holding the write lock makes
///   ingest wait, not fail.
/// - `foreign_keys` left off: rule-hit rows are deleted with their events explicitly, in the same
///   transaction (cheaper than per-row cascade checks on the hot insert path).
public final class SQLiteStore: EventStore {
    public let path: String
    private let pool: DatabasePool

    public init(path: String) throws(VigilError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.label = "vigil-store"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw VigilError(.store, "\(path): cannot open the store: \(Self.describe(error))")
        }
        let migrator = Self.migrator
        do {
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw VigilError(
                    .store, "\(path): the store was written by a newer Vigil (unknown schema migrations); upgrade Vigil"
                )
            }
            try migrator.migrate(pool)
        } catch let error as VigilError {
            throw error
        } catch {
            throw VigilError(.store, "\(path): cannot prepare the store: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }

    /// Named, ordered schema migrations; each runs once per file.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        rowid INTEGER PRIMARY KEY,
                        event_id TEXT NOT NULL UNIQUE,
                        time INTEGER NOT NULL,
                        dataset TEXT NOT NULL,
                        observer TEXT,
                        source_ip TEXT,
                        destination_ip TEXT,
                        host TEXT,
                        user TEXT,
                        ingested INTEGER NOT NULL,
                        json TEXT NOT NULL
                    );
                    CREATE INDEX events_time ON events(time);
                    CREATE INDEX events_dataset ON events(dataset, time);
                    CREATE INDEX events_source ON events(source_ip, time);
                    CREATE INDEX events_destination ON events(destination_ip, time);
                    CREATE INDEX events_host ON events(host, time);
                    CREATE INDEX events_user ON events(user, time);
                    CREATE INDEX events_observer ON events(observer, time);
                    CREATE TABLE event_rules (
                        rule_id TEXT NOT NULL,
                        event_rowid INTEGER NOT NULL,
                        PRIMARY KEY (rule_id, event_rowid)
                    ) WITHOUT ROWID;
                    CREATE INDEX event_rules_event ON event_rules(event_rowid);
                    """)
        }
        m.registerMigration("v1-incidents-sensors-snapshots") { db in
            try db.execute(
                sql: """
                    CREATE TABLE incidents (
                        id TEXT PRIMARY KEY,
                        rule_id TEXT NOT NULL,
                        title TEXT NOT NULL,
                        level TEXT NOT NULL,
                        rule_level TEXT NOT NULL,
                        stage TEXT,
                        category TEXT,
                        correlation TEXT,
                        group_json TEXT NOT NULL,
                        hits INTEGER NOT NULL,
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        samples_json TEXT NOT NULL,
                        observers_json TEXT NOT NULL,
                        dlp_count INTEGER NOT NULL,
                        status TEXT NOT NULL DEFAULT 'open'
                    );
                    CREATE INDEX incidents_last_seen ON incidents(last_seen);
                    CREATE TABLE sensors (
                        id TEXT PRIMARY KEY,
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        version TEXT NOT NULL,
                        counters_json TEXT NOT NULL
                    );
                    CREATE TABLE snapshots (
                        id INTEGER PRIMARY KEY,
                        taken INTEGER NOT NULL,
                        watermark INTEGER NOT NULL,
                        data BLOB NOT NULL
                    );
                    """)
        }
        return m
    }

    private static func text(_ event: Event, _ field: FieldID) -> String? {
        guard let value = event[field] else { return nil }
        switch value {
        case .string(let s): return s
        case .ip(let ip): return ip.description
        case .int(let i): return String(i)
        default: return nil
        }
    }

    private static let hostName = FieldID("host.name")
    private static let hostHostname = FieldID("host.hostname")

    public func append(_ batch: [StoredEvent]) throws(VigilError) -> AppendResult {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        do {
            return try pool.write { db in
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT OR IGNORE INTO events
                        (event_id, time, dataset, observer, source_ip, destination_ip, host, user, ingested, json)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                let hit = try db.cachedStatement(
                    sql: "INSERT OR IGNORE INTO event_rules (rule_id, event_rowid) VALUES (?, ?)")
                var outcomes: [AppendResult.Outcome] = []
                outcomes.reserveCapacity(batch.count)
                for item in batch {
                    let e = item.event
                    try insert.execute(arguments: [
                        e.id, e.timestamp.microseconds, e.dataset.name, e.observerID, Self.text(e, Fields.sourceIP),
                        Self.text(e, Fields.destinationIP),
                        Self.text(e, Self.hostName) ?? Self.text(e, Self.hostHostname), Self.text(e, Fields.userName),
                        now, item.json,
                    ])
                    guard db.changesCount > 0 else {
                        outcomes.append(.duplicate)
                        continue
                    }
                    outcomes.append(.inserted)
                    let rowid = db.lastInsertedRowID
                    for rule in item.ruleHits { try hit.execute(arguments: [rule, rowid]) }
                }
                return AppendResult(outcomes: outcomes)
            }
        } catch {
            throw VigilError(.store, "\(path): cannot store the batch: \(Self.describe(error))")
        }
    }

    public func events(_ q: EventQuery) throws(VigilError) -> EventPage {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        func add(_ sql: String, _ value: (any DatabaseValueConvertible)?) {
            conditions.append(sql)
            arguments.append(value)
        }
        if let from = q.from { add("time >= ?", from) }
        if let to = q.to { add("time < ?", to) }
        if let v = q.dataset { add("dataset = ?", v) }
        if let v = q.sourceIP { add("source_ip = ?", v) }
        if let v = q.destinationIP { add("destination_ip = ?", v) }
        if let v = q.host { add("host = ?", v) }
        if let v = q.user { add("user = ?", v) }
        if let v = q.observer { add("observer = ?", v) }
        if let v = q.ruleID { add("rowid IN (SELECT event_rowid FROM event_rules WHERE rule_id = ?)", v) }
        if let v = q.text {
            let escaped = v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            add("json LIKE ? ESCAPE '\\'", "%" + escaped + "%")
        }
        // The cursor is the last row's (time, rowid): newest first, ties by rowid, so rows inserted
        // meanwhile never shift a page.
        if let cursor = q.cursor {
            let parts = cursor.split(separator: ".")
            guard parts.count == 2, let t = Int64(parts[0]), let r = Int64(parts[1]) else {
                throw VigilError(.usage, "'\(cursor)' is not a cursor from a previous page")
            }
            conditions.append("(time < ? OR (time = ? AND rowid < ?))")
            arguments += [t, t, r]
        }
        let limit = max(1, min(q.limit, 10_000))
        let sql =
            "SELECT rowid, time, json FROM events"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY time DESC, rowid DESC LIMIT \(limit + 1)"
        do {
            return try pool.read { db in
                let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments) ?? [])
                let page = rows.prefix(limit)
                let next: String? =
                    rows.count > limit ? page.last.map { "\($0["time"] as Int64).\($0["rowid"] as Int64)" } : nil
                return EventPage(events: page.map { $0["json"] }, next: next)
            }
        } catch {
            throw VigilError(.store, "\(path): query failed: \(Self.describe(error))")
        }
    }

    public func eventCount() throws(VigilError) -> Int {
        do {
            return try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") ?? 0 }
        } catch {
            throw VigilError(.store, "\(path): query failed: \(Self.describe(error))")
        }
    }

    static func json(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T>(_ text: String, as: T.Type) -> T? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? T
    }

    public func upsertIncident(_ i: IncidentRecord) throws(VigilError) {
        do {
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO incidents (id, rule_id, title, level, rule_level, stage, category, correlation,
                            group_json, hits, first_seen, last_seen, samples_json, observers_json, dlp_count)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET level = excluded.level, hits = excluded.hits,
                            first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                            samples_json = excluded.samples_json, observers_json = excluded.observers_json,
                            dlp_count = excluded.dlp_count
                        """,
                    arguments: [
                        i.id, i.ruleID, i.title, i.level, i.ruleLevel, i.stage, i.category, i.correlation,
                        Self.json(i.group), i.hits, i.firstSeen, i.lastSeen, Self.json(i.samples),
                        Self.json(i.observers), i.dlpCount,
                    ])
            }
        } catch {
            throw VigilError(.store, "\(path): cannot store incident \(i.id): \(Self.describe(error))")
        }
    }

    public func incidents(limit: Int) throws(VigilError) -> [IncidentRecord] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM incidents ORDER BY last_seen DESC LIMIT ?", arguments: [limit])
                    .map { r in
                        var i = IncidentRecord(
                            id: r["id"], ruleID: r["rule_id"], title: r["title"], level: r["level"],
                            ruleLevel: r["rule_level"], stage: r["stage"], category: r["category"],
                            correlation: r["correlation"],
                            group: Self.decode(r["group_json"], as: [String: String].self) ?? [:], hits: r["hits"],
                            firstSeen: r["first_seen"], lastSeen: r["last_seen"],
                            samples: Self.decode(r["samples_json"], as: [String].self) ?? [],
                            observers: Self.decode(r["observers_json"], as: [String].self) ?? [],
                            dlpCount: r["dlp_count"])
                        i.status = r["status"]
                        return i
                    }
            }
        } catch {
            throw VigilError(.store, "\(path): query failed: \(Self.describe(error))")
        }
    }

    public func recordHeartbeat(sensorID: String, version: String, counters: [String: Int64], at: Int64)
        throws(VigilError)
    {
        do {
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO sensors (id, first_seen, last_seen, version, counters_json) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, version = excluded.version,
                            counters_json = excluded.counters_json
                        """,
                    arguments: [sensorID, at, at, version, Self.json(counters)])
            }
        } catch {
            throw VigilError(.store, "\(path): cannot record the heartbeat: \(Self.describe(error))")
        }
    }

    public func sensors() throws(VigilError) -> [SensorRecord] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM sensors ORDER BY id").map { r in
                    let raw = Self.decode(r["counters_json"], as: [String: Any].self) ?? [:]
                    return SensorRecord(
                        id: r["id"], firstSeen: r["first_seen"], lastSeen: r["last_seen"], version: r["version"],
                        counters: raw.compactMapValues { ($0 as? NSNumber)?.int64Value })
                }
            }
        } catch {
            throw VigilError(.store, "\(path): query failed: \(Self.describe(error))")
        }
    }

    public func saveSnapshot(_ data: Data, watermark: Int64) throws(VigilError) {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        do {
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO snapshots (taken, watermark, data) VALUES (?, ?, ?)",
                    arguments: [now, watermark, data])
                // Keep the newest two: one may be mid-write when a crash comes.
                try db.execute(
                    sql: "DELETE FROM snapshots WHERE id NOT IN (SELECT id FROM snapshots ORDER BY id DESC LIMIT 2)")
            }
        } catch {
            throw VigilError(.store, "\(path): cannot save the correlation snapshot: \(Self.describe(error))")
        }
    }

    public func latestSnapshot() throws(VigilError) -> (data: Data, watermark: Int64)? {
        do {
            return try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT data, watermark FROM snapshots ORDER BY id DESC LIMIT 1").map {
                    ($0["data"], $0["watermark"])
                }
            }
        } catch {
            throw VigilError(.store, "\(path): query failed: \(Self.describe(error))")
        }
    }

    public func replay(after micros: Int64, pageSize: Int, _ body: ([String]) throws -> Void) throws(VigilError)
        -> Int
    {
        var total = 0
        var last: (time: Int64, rowid: Int64) = (micros, Int64.max)
        let size = max(1, pageSize)
        do {
            while true {
                let rows = try pool.read { db in
                    try Row.fetchAll(
                        db,
                        sql: """
                            SELECT rowid, time, json FROM events WHERE time > ? OR (time = ? AND rowid > ?)
                            ORDER BY time, rowid LIMIT ?
                            """,
                        arguments: [last.time, last.time, last.rowid == .max ? Int64.max : last.rowid, size])
                }
                guard let tail = rows.last else { break }
                last = (tail["time"], tail["rowid"])
                try body(rows.map { $0["json"] })
                total += rows.count
                if rows.count < size { break }
            }
        } catch {
            throw VigilError(.store, "\(path): replay failed: \(Self.describe(error))")
        }
        return total
    }

    public func deleteEvents(olderThan micros: Int64, batchSize: Int) throws(VigilError) -> Int {
        var total = 0
        let size = max(1, batchSize)
        do {
            // Short transactions: ingest waits at most one batch's delete for the write lock.
            while true {
                let deleted = try pool.write { db -> Int in
                    let rowids = try Int64.fetchAll(
                        db, sql: "SELECT rowid FROM events WHERE time < ? ORDER BY time LIMIT ?",
                        arguments: [micros, size])
                    guard let last = rowids.last else { return 0 }
                    let list = rowids.map(String.init).joined(separator: ",")
                    try db.execute(sql: "DELETE FROM event_rules WHERE event_rowid IN (\(list))")
                    try db.execute(sql: "DELETE FROM events WHERE rowid IN (\(list))")
                    _ = last
                    return rowids.count
                }
                total += deleted
                if deleted < size { break }
            }
        } catch {
            throw VigilError(.store, "\(path): retention delete failed: \(Self.describe(error))")
        }
        return total
    }
}

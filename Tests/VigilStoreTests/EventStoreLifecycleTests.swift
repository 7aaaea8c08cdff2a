import Foundation
import GRDB
import Testing
import VigilCore

@testable import VigilStore

@Suite("SQLite store: files, migrations, retention, sensors, snapshots")
struct EventStoreLifecycleTests {
    @Test("everything survives closing and reopening the file")
    func reopen() throws {
        let t = try TempStore()
        let token: (id: String, secret: String)
        do {
            let store = try t.open()
            _ = try store.append((0..<5).map { event($0) })
            var i = incident("i1")
            try store.upsertIncident(i)
            _ = try store.setIncidentStatus(id: "i1", status: "contained", actor: "alice", note: "")
            i.hits = 7
            i.lastSeen = 9
            try store.upsertIncident(i)
            try store.saveSnapshot(Data("state".utf8), watermark: 42)
            try store.recordHeartbeat(sensorID: "node-1", version: "1.0", counters: ["events": 1], at: 5)
            token = try store.createToken(name: "alice", role: .admin, actor: "local:root")
            try store.audit(actor: "alice", action: "incident.status", subject: "i1", detail: "contained")
            try store.close()
            #expect(throws: VigilError.self, "a closed store refuses work") { try store.eventCount() }
        }
        #expect(!FileManager.default.fileExists(atPath: t.path + "-wal"), "close checkpoints the WAL away")
        let store = try t.open()
        #expect(try store.eventCount() == 5)
        var q = EventQuery()
        q.ruleID = "rule-even"
        #expect(try store.events(q).events.count == 3)
        let i = try #require(try store.incident(id: "i1"))
        #expect(i.hits == 7 && i.lastSeen == 9 && i.status == "contained")
        #expect(try store.latestSnapshot()?.watermark == 42)
        #expect(
            try store.sensors() == [
                SensorRecord(id: "node-1", firstSeen: 5, lastSeen: 5, version: "1.0", counters: ["events": 1])
            ])
        #expect(try store.authenticate(secret: token.secret)?.role == .admin)
        #expect(
            try store.auditLog(limit: 10, before: nil).map(\.action) == [
                "incident.status", "token.create", "incident.status",
            ])
    }

    @Test("reopening runs no migration twice and changes no schema")
    func migrationsIdempotent() throws {
        let t = try TempStore()
        func schema() throws -> [String] {
            let queue = try DatabaseQueue(path: t.path)
            return try queue.read { db in
                try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
                    + String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
        }
        _ = try t.open()
        let first = try schema()
        _ = try t.open()
        _ = try t.open()
        #expect(try schema() == first)
        #expect(first.suffix(SQLiteStore.migrator.migrations.count) == ArraySlice(SQLiteStore.migrator.migrations))
    }

    @Test("a file at the first schema is migrated with its data: rule hits keep their events, levels get ranks")
    func upgradesOldFiles() throws {
        let t = try TempStore()
        do {
            let pool = try DatabasePool(path: t.path)
            try SQLiteStore.migrator.migrate(pool, upTo: "v1-incidents-sensors-snapshots")
            try pool.write { db in
                for n in 0..<4 {
                    try db.execute(
                        sql: """
                            INSERT INTO events (rowid, event_id, time, dataset, ingested, json)
                            VALUES (?, ?, ?, 'auth', 0, ?)
                            """, arguments: [n + 1, "e\(n)", micros(Int64(n)), "{\"n\":\(n)}"])
                    try db.execute(sql: "INSERT INTO event_rules VALUES ('old-rule', ?)", arguments: [n + 1])
                }
                try db.execute(
                    sql: """
                        INSERT INTO incidents (id, rule_id, title, level, rule_level, group_json, hits, first_seen,
                            last_seen, samples_json, observers_json, dlp_count)
                        VALUES ('old', 'r', 'T', 'high', 'high', '{}', 1, 1, 1, '[]', '[]', 0)
                        """)
            }
            try pool.close()
        }
        let store = try t.open()
        var q = EventQuery()
        q.ruleID = "old-rule"
        #expect(try store.events(q).events == ["{\"n\":3}", "{\"n\":2}", "{\"n\":1}", "{\"n\":0}"])
        var incidents = IncidentQuery()
        incidents.minLevel = .high
        #expect(try store.incidents(incidents).incidents.map(\.id) == ["old"])
    }

    @Test("a store written by a newer Vigil is refused, naming the file and the unknown migration")
    func newerSchema() throws {
        let t = try TempStore()
        _ = try t.open()
        let queue = try DatabaseQueue(path: t.path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v9-future')") }
        try queue.close()
        #expect {
            try t.open()
        } throws: { error in
            let message = (error as? VigilError)?.message ?? ""
            return message.hasPrefix(t.path) && message.contains("newer Vigil") && message.contains("v9-future")
        }
    }

    @Test("a missing directory, a directory that cannot be written, or a file that is not a store: clear errors")
    func unusablePaths() throws {
        func message(_ path: String) -> String {
            do {
                _ = try SQLiteStore(path: path)
                return "opened"
            } catch {
                return error.message
            }
        }
        #expect(message("/nonexistent-vigil/vigil.db").contains("the directory /nonexistent-vigil does not exist"))
        let proc = message("/proc/vigil.db")
        #expect(proc.hasPrefix("/proc/vigil.db: cannot "), "\(proc)")
        let t = try TempStore()
        try Data("not a database, just text that is long enough to fill a header".utf8).write(
            to: URL(fileURLWithPath: t.path))
        let garbage = message(t.path)
        #expect(garbage.hasPrefix(t.path + ": cannot ") && garbage.contains("not a database"), "\(garbage)")
        if getuid() != 0 {  // root writes anywhere, so only an unprivileged run can check this one
            let locked = t.dir.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: locked.path)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked.path) }
            #expect(message(locked.appendingPathComponent("vigil.db").path).contains("is not writable"))
        }
    }

    @Test("a new store file is readable by its owner only")
    func fileMode() throws {
        let t = try TempStore()
        _ = try t.open()
        let mode = try FileManager.default.attributesOfItem(atPath: t.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("retention deletes only events older than the cutoff, in batches, with their rule hits")
    func retention() throws {
        let t = try TempStore()
        let store = try t.open()
        _ = try store.append((0..<50).map { event($0) })
        var batches = 0
        // Observe the batches from the outside: each is its own committed transaction.
        let observer = BatchCounter { batches += 1 }
        store.pool.add(transactionObserver: observer, extent: .observerLifetime)
        let deleted = try store.deleteEvents(olderThan: micros(20), batchSize: 7)
        store.pool.remove(transactionObserver: observer)
        #expect(deleted == 20)
        #expect(batches == 3, "7 + 7 + 6 rows")
        #expect(try store.eventCount() == 30)
        var q = EventQuery()
        q.ruleID = "rule-even"
        q.limit = 1_000
        #expect(try store.events(q).events.count == 15, "the hits of events 20...48")
        let orphans = try store.pool.read {
            try Int.fetchOne(
                $0, sql: "SELECT count(*) FROM rule_hits WHERE event_rowid NOT IN (SELECT rowid FROM events)")
        }
        #expect(orphans == 0)
        #expect(try store.deleteEvents(olderThan: micros(20), batchSize: 7) == 0)
        #expect(defaultRetentionDays == 180)
    }

    @Test("a heartbeat keeps the first time a sensor was seen and replaces the rest")
    func heartbeats() throws {
        let t = try TempStore()
        let store = try t.open()
        try store.recordHeartbeat(sensorID: "node-2", version: "1.0", counters: ["drops": 0], at: 10)
        try store.recordHeartbeat(sensorID: "node-1", version: "1.0", counters: [:], at: 11)
        try store.recordHeartbeat(
            sensorID: "node-2", version: "1.1", counters: ["drops": 3, "events": 1 << 40], at: 20)
        #expect(
            try store.sensors() == [
                SensorRecord(id: "node-1", firstSeen: 11, lastSeen: 11, version: "1.0", counters: [:]),
                SensorRecord(
                    id: "node-2", firstSeen: 10, lastSeen: 20, version: "1.1",
                    counters: ["drops": 3, "events": 1 << 40]),
            ])
    }

    @Test("the latest snapshot is loaded, and only the latest two are kept")
    func snapshots() throws {
        let t = try TempStore()
        let store = try t.open()
        #expect(try store.latestSnapshot() == nil)
        let big = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        for n in 0..<5 { try store.saveSnapshot(n == 4 ? big : Data("state \(n)".utf8), watermark: Int64(n)) }
        let latest = try #require(try store.latestSnapshot())
        #expect(latest.data == big && latest.watermark == 4)
        #expect(try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM snapshots") } == 2)
    }
}

/// Counts committed transactions that touched the events table.
final class BatchCounter: TransactionObserver {
    private var changed = false
    private let onCommit: () -> Void
    init(_ onCommit: @escaping () -> Void) { self.onCommit = onCommit }
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { eventKind.tableName == "events" }
    func databaseDidChange(with event: DatabaseEvent) { changed = true }
    func databaseDidCommit(_ db: Database) {
        if changed { onCommit() }
        changed = false
    }
    func databaseDidRollback(_ db: Database) { changed = false }
}

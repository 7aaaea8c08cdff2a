import Foundation
import Testing
import VigilCore

@testable import VigilStore

/// A store file in a temporary folder, removed afterwards.
final class TempStore {
    let dir: URL
    let path: String
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("vigil.db").path
    }
    deinit { try? FileManager.default.removeItem(at: dir) }
}

func event(_ n: Int, second: Int64? = nil, ip: String = "10.0.0.1", dataset: Dataset = .auth) -> StoredEvent {
    var e = Event(
        timestamp: Timestamp(microseconds: 1_764_000_000_000_000 + (second ?? Int64(n)) * 1_000_000), id: "e\(n)",
        dataset: dataset, observerID: "node-1")
    e.set(Fields.sourceIP, .ip(IPAddress(ip)!))
    e.set(Fields.userName, "user\(n % 3)")
    e.set(Fields.message, "line \(n) with 100% of _the_ text")
    return StoredEvent(event: e, json: e.jsonLine, ruleHits: n % 2 == 0 ? ["rule-even"] : [])
}

@Suite("SQLite event store")
struct SQLiteStoreTests {
    @Test(
        "a batch is stored once: a retried batch reports duplicates and stores nothing; the JSON comes back byte for byte"
    )
    func idempotent() throws {
        let t = try TempStore()
        let store = try SQLiteStore(path: t.path)
        let batch = (0..<10).map { event($0) }
        #expect(try store.append(batch).outcomes == Array(repeating: .inserted, count: 10))
        let retry = try store.append(Array(batch[5...]) + [event(10)])
        #expect(retry.outcomes == Array(repeating: .duplicate, count: 5) + [.inserted])
        #expect(try store.eventCount() == 11)
        var q = EventQuery()
        q.limit = 1
        #expect(try store.events(q).events == [event(10).json])
    }

    @Test("queries by indexed columns, rule, time range and text (LIKE wildcards escaped)")
    func queries() throws {
        let t = try TempStore()
        let store = try SQLiteStore(path: t.path)
        _ = try store.append((0..<30).map { event($0, ip: $0 < 10 ? "10.0.0.9" : "10.0.0.1") })
        var q = EventQuery()
        q.limit = 100
        q.sourceIP = "10.0.0.9"
        #expect(try store.events(q).events.count == 10)
        q = EventQuery()
        q.ruleID = "rule-even"
        #expect(try store.events(q).events.count == 15)
        q = EventQuery()
        q.user = "user1"
        q.from = 1_764_000_000_000_000 + 10_000_000
        q.to = 1_764_000_000_000_000 + 20_000_000
        #expect(try store.events(q).events.count == 4, "events 10, 13, 16 and 19 are user1's in [10 s, 20 s)")
        q = EventQuery()
        q.text = "line 7 with 100%"
        #expect(try store.events(q).events.count == 1)
        q.text = "_the_"
        #expect(try store.events(q).events.count == 30)
        q.text = "x_the_"
        #expect(try store.events(q).events.isEmpty, "_ is a literal, not a wildcard")
    }

    @Test("cursor pages return every event exactly once while new events arrive between pages")
    func pagination() throws {
        let t = try TempStore()
        let store = try SQLiteStore(path: t.path)
        _ = try store.append((0..<25).map { event($0) })
        var seen: [String] = []
        var q = EventQuery()
        q.limit = 10
        for round in 0..<10 {
            let page = try store.events(q)
            seen += page.events
            _ = try store.append([event(1000 + round, second: 100_000 + Int64(round))])  // newer than every page
            guard let next = page.next else { break }
            q.cursor = next
        }
        #expect(seen.count == 25)
        #expect(Set(seen).count == 25)
        q.cursor = "nonsense"
        #expect(throws: VigilError.self) { try store.events(q) }
    }

    @Test("retention deletes only old events, in small batches, with their rule hits")
    func retention() throws {
        let t = try TempStore()
        let store = try SQLiteStore(path: t.path)
        _ = try store.append((0..<50).map { event($0) })
        let deleted = try store.deleteEvents(olderThan: 1_764_000_000_000_000 + 20_000_000, batchSize: 7)
        #expect(deleted == 20)
        #expect(try store.eventCount() == 30)
        var q = EventQuery()
        q.ruleID = "rule-even"
        #expect(try store.events(q).events.count == 15)
    }

    @Test("everything survives closing and reopening; incidents keep their status; snapshots and sensors are kept")
    func reopen() throws {
        let t = try TempStore()
        do {
            let store = try SQLiteStore(path: t.path)
            _ = try store.append((0..<5).map { event($0) })
            var incident = IncidentRecord(
                id: "i1", ruleID: "r", title: "T", level: "high", ruleLevel: "medium", stage: "storage",
                category: "dsi", correlation: "event_count", group: ["source.ip": "10.0.0.1"], hits: 1, firstSeen: 1,
                lastSeen: 1, samples: ["e1"], observers: ["node-1"], dlpCount: 0)
            try store.upsertIncident(incident)
            incident.hits = 7
            incident.lastSeen = 9
            try store.upsertIncident(incident)
            try store.saveSnapshot(Data("state".utf8), watermark: 42)
            try store.recordHeartbeat(sensorID: "node-1", version: "1", counters: ["x": 1], at: 5)
        }
        let store = try SQLiteStore(path: t.path)
        #expect(try store.eventCount() == 5)
        let incidents = try store.incidents(limit: 10)
        #expect(incidents.count == 1 && incidents.first?.hits == 7 && incidents.first?.lastSeen == 9)
        #expect(incidents.first?.status == "open" && incidents.first?.group == ["source.ip": "10.0.0.1"])
        #expect(try store.latestSnapshot()?.watermark == 42)
        #expect(try store.sensors().first?.counters == ["x": 1])
    }

    @Test("a store written by a newer Vigil, or a path that cannot be written, is a clear error")
    func errors() throws {
        let t = try TempStore()
        do {
            _ = try SQLiteStore(path: t.path)
        }
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        sqlite.arguments = [
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('v9-future')\"); c.commit()",
            t.path,
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(throws: VigilError.self) { try SQLiteStore(path: t.path) }
        do {
            _ = try SQLiteStore(path: "/proc/vigil-cannot-write/vigil.db")
            Issue.record("opening a store in /proc must fail")
        } catch {
            #expect(error.message.contains("/proc/vigil-cannot-write/vigil.db"))
        }
    }
}

import Foundation
import GRDB
import Testing
import VigilCore

@testable import VigilStore

@Suite("SQLite store: events")
struct EventStoreEventsTests {
    @Test("a retried batch reports duplicates and stores nothing twice")
    func idempotent() throws {
        let t = try TempStore()
        let store = try t.open()
        let batch = (0..<10).map { event($0) }
        #expect(try store.append(batch).outcomes == Array(repeating: .inserted, count: 10))
        let retry = try store.append(Array(batch[5...]) + [event(10)])
        #expect(retry.outcomes == Array(repeating: .duplicate, count: 5) + [.inserted])
        #expect(retry.inserted == 1 && retry.duplicates == 5)
        #expect(try store.eventCount() == 11)
        let twiceInOneBatch = try store.append([event(11), event(11)])
        #expect(twiceInOneBatch.outcomes == [.inserted, .duplicate])
        #expect(try store.append([]).outcomes.isEmpty)
        // The key is (time, id): a retry carries both unchanged; the same id at another time is
        // another event (ids are hashes of source positions, so this takes a rewritten source).
        #expect(try store.append([event(3, second: 999)]).outcomes == [.inserted])
        #expect(try store.eventCount() == 13)
        var q = EventQuery()
        q.ruleID = "rule-even"
        #expect(try store.events(q).events.count == 6, "a duplicate adds no rule hit: e0 e2 e4 e6 e8 e10")
    }

    @Test("a batch SQLite refuses part-way is not stored at all, and the error names the file and SQLite's reason")
    func refusedBatch() throws {
        let t = try TempStore()
        let store = try t.open()
        _ = try store.append([event(0)])
        // An operator's trigger (or a full disk) refusing the fourth event of the next batch.
        try store.pool.write {
            try $0.execute(
                sql: """
                    CREATE TRIGGER refuse_e4 BEFORE INSERT ON events WHEN NEW.event_id = 'e4'
                    BEGIN SELECT RAISE(ABORT, 'no e4 here'); END
                    """)
        }
        do {
            _ = try store.append((1..<8).map { event($0) })
            Issue.record("the batch was refused")
        } catch {
            #expect(error.message.contains(t.path) && error.message.contains("no e4 here"), "\(error.message)")
        }
        #expect(try store.eventCount() == 1, "e1-e3 were rolled back with the batch")
        try store.pool.write { try $0.execute(sql: "DROP TRIGGER refuse_e4") }
        #expect(try store.append((1..<8).map { event($0) }).inserted == 7, "the statement is usable again")
        #expect(try store.events(EventQuery()).events.count == 8)
    }

    @Test("the JSON line comes back byte for byte, non-ASCII included")
    func byteIdentical() throws {
        let t = try TempStore()
        let store = try t.open()
        let stored = event(7)
        _ = try store.append([stored])
        let back = try #require(try store.events(EventQuery()).events.first)
        #expect(Array(back.utf8) == Array(stored.json.utf8))
        #expect(back.contains("数据 7"))
    }

    @Test("each indexed column, the time range, the rule and the text select exactly their events")
    func filters() throws {
        let t = try TempStore()
        let store = try t.open()
        _ = try store.append(
            (0..<30).map {
                event(
                    $0, ip: $0 < 10 ? "10.0.0.9" : "10.0.0.1", destination: $0 % 5 == 0 ? "192.168.1.5" : "192.168.1.1",
                    dataset: $0 < 12 ? .webAccess : .auth)
            })
        func count(_ configure: (inout EventQuery) -> Void) throws -> Int {
            var q = EventQuery()
            q.limit = 1_000
            configure(&q)
            return try store.events(q).events.count
        }
        #expect(try count { $0.sourceIP = "10.0.0.9" } == 10)
        #expect(try count { $0.destinationIP = "192.168.1.5" } == 6)
        #expect(try count { $0.dataset = "web.access" } == 12)
        #expect(try count { $0.host = "web-1" } == 15)
        #expect(try count { $0.user = "user2" } == 10)
        #expect(try count { $0.observer = "node-3" } == 7)
        #expect(try count { $0.ruleID = "rule-even" } == 15)
        #expect(try count { $0.ruleID = "no-such-rule" } == 0)
        #expect(try count { ($0.from, $0.to) = (micros(10), micros(20)) } == 10, "from inclusive, to exclusive")
        #expect(try count { $0.from = micros(25) } == 5)
        #expect(try count { $0.to = micros(5) } == 5)
        #expect(
            try count {
                ($0.user, $0.from, $0.to) = ("user1", micros(10), micros(20))
            } == 4, "events 10, 13, 16 and 19 are user1's in [10 s, 20 s)")
        #expect(try count { ($0.dataset, $0.ruleID, $0.sourceIP) = ("web.access", "rule-even", "10.0.0.9") } == 5)
        #expect(try count { $0.text = "line 7 with 100%" } == 1)
        #expect(try count { $0.text = "LINE 7 WITH" } == 1, "LIKE ignores ASCII case")
        #expect(try count { $0.text = "_the_" } == 30)
        #expect(try count { $0.text = "x_the_" } == 0, "_ is a literal, not a wildcard")
        #expect(try count { $0.text = "100%%" } == 0, "% is a literal, not a wildcard")
        #expect(try count { $0.text = "数据 2" } == 11, "2 and 20...29")
        var q = EventQuery()
        q.host = "web-0"
        q.limit = 3
        let newest = try store.events(q).events
        #expect(newest == [event(28).json, event(26).json, event(24).json], "newest first")
    }

    @Test("host.hostname stands in for host.name; events without the columns are stored with them empty")
    func sparseEvents() throws {
        let t = try TempStore()
        let store = try t.open()
        var syslog = Event(timestamp: Timestamp(microseconds: base), id: "s1", dataset: .auth)
        syslog.set(Fields.hostHostname, "db-1")
        let bare = Event(timestamp: Timestamp(microseconds: base + 1), id: "s2", dataset: .logUnparsed)
        _ = try store.append([
            StoredEvent(event: syslog, json: syslog.jsonLine), StoredEvent(event: bare, json: bare.jsonLine),
        ])
        var q = EventQuery()
        q.host = "db-1"
        #expect(try store.events(q).events == [syslog.jsonLine])
        #expect(try store.eventCount() == 2)
    }

    @Test("cursor pages return every event exactly once while events arrive between pages")
    func pagination() throws {
        let t = try TempStore()
        let store = try t.open()
        // Ties on time, to exercise the rowid tie-breaker.
        let initial = (0..<45).map { event($0, second: Int64($0 / 3)) }
        _ = try store.append(initial)
        var seen: [String] = []
        var q = EventQuery()
        q.limit = 7
        var pages = 0
        for round in 0..<100 {
            let page = try store.events(q)
            seen += page.events
            pages += 1
            // Newer than every page, at the very time of the page's last row, and older than all.
            _ = try store.append([
                event(1_000 + round, second: 100_000), event(2_000 + round, second: Int64(14 - round % 15)),
                event(3_000 + round, second: -1),
            ])
            guard let next = page.next else { break }
            q.cursor = next
        }
        #expect(pages < 100)
        #expect(Set(seen).count == seen.count, "no event twice")
        #expect(Set(initial.map(\.json)).isSubset(of: Set(seen)), "every event stored before the first page")
        #expect(!seen.contains(event(1_000).json), "events newer than the cursor are on a fresh first page")
    }

    @Test("a cursor that is not from a previous page, or from another list, is a usage error")
    func badCursor() throws {
        let t = try TempStore()
        let store = try t.open()
        _ = try store.append((0..<5).map { event($0) })
        var incidents = IncidentQuery()
        incidents.cursor = PageCursor(kind: .incidents, time: 1, key: "x").encoded()
        for cursor in ["nonsense", "", "%%%", incidents.cursor!] {
            var q = EventQuery()
            q.cursor = cursor
            #expect {
                try store.events(q)
            } throws: { error in
                (error as? VigilError)?.code == .usage
            }
        }
    }

    @Test("counts per dataset in a time range")
    func countsByDataset() throws {
        let t = try TempStore()
        let store = try t.open()
        _ = try store.append((0..<20).map { event($0, dataset: $0 % 4 == 0 ? .dns : .http) })
        #expect(try store.eventCounts(from: nil, to: nil) == ["dns": 5, "http": 15])
        #expect(try store.eventCounts(from: micros(10), to: micros(20)) == ["dns": 2, "http": 8])
        #expect(try store.eventCounts(from: micros(100), to: nil).isEmpty)
    }

    @Test("replay passes the events after a time, oldest first, in pages, and ends on the events present at its start")
    func replay() throws {
        let t = try TempStore()
        let store = try t.open()
        _ = try store.append((0..<25).map { event($0, second: Int64(24 - $0)) })  // stored newest first
        var pages: [[String]] = []
        let total = try store.replay(after: micros(9), pageSize: 4) { page in
            pages.append(page)
            _ = try store.append([event(100 + pages.count, second: 50)])  // ingest goes on meanwhile
        }
        #expect(total == 15)
        #expect(pages.map(\.count) == [4, 4, 4, 3])
        #expect(pages.flatMap { $0 } == (10..<25).map { event(24 - $0, second: Int64($0)).json })
        #expect(try store.replay(after: micros(1_000), pageSize: 4) { _ in Issue.record("nothing to replay") } == 0)
        struct Stop: Error {}
        #expect(throws: VigilError.self) { try store.replay(after: 0, pageSize: 4) { _ in throw Stop() } }
    }

    /// A plan step that is an index search or an index walk (which LIMIT stops early), and no sort.
    func readsAnIndexInOrder(_ step: String) -> Bool {
        (step.hasPrefix("SEARCH") || step.contains(" USING INDEX ") || step.contains(" USING COVERING INDEX "))
            && !step.contains("TEMP B-TREE")
    }

    @Test("event searches and pages read an index in page order: no table scan, no sort")
    func queryPlans() throws {
        let t = try TempStore()
        let store = try t.open()
        _ = try store.append((0..<10).map { event($0) })
        let cursor = PageCursor(kind: .events, time: micros(5), key: "5").encoded()
        var queries: [EventQuery] = []
        for configure: (inout EventQuery) -> Void in [
            { _ in }, { $0.cursor = cursor }, { ($0.from, $0.to) = (micros(1), micros(9)) },
            { ($0.sourceIP, $0.cursor) = ("10.0.0.1", cursor) }, { $0.destinationIP = "192.168.1.1" },
            { ($0.user, $0.from) = ("user1", micros(2)) }, { $0.host = "web-1" }, { $0.observer = "node-1" },
            { $0.dataset = "auth" }, { ($0.ruleID, $0.cursor) = ("rule-even", cursor) },
            { ($0.ruleID, $0.sourceIP, $0.from) = ("rule-even", "10.0.0.1", micros(1)) },
        ] {
            var q = EventQuery()
            configure(&q)
            queries.append(q)
        }
        for q in queries {
            let (sql, arguments, _) = try SQLiteStore.sql(for: q)
            let plan = try store.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map {
                    $0["detail"] as String
                }
            }
            #expect(plan.allSatisfy(readsAnIndexInOrder), "\(sql): \(plan)")
        }
        for sql in [
            "SELECT rowid FROM events WHERE (time, rowid) > (1, 1) AND rowid <= 1 ORDER BY time, rowid",  // replay
            "SELECT rowid FROM events WHERE time < 1 ORDER BY time LIMIT 1",  // retention
        ] {
            let plan = try store.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }
            }
            #expect(plan.allSatisfy(readsAnIndexInOrder), "\(sql): \(plan)")
        }
    }
}

import Testing
import VigilCore

@testable import VigilStore

func incident(
    _ id: String, level: String = "medium", stage: String? = "storage", category: String? = "dsi",
    hits: Int = 1, lastSeen: Int64 = 1
) -> IncidentRecord {
    IncidentRecord(
        id: id, ruleID: "rule-\(id)", title: "Title \(id)", level: level, ruleLevel: "medium", stage: stage,
        category: category, correlation: "event_count", group: ["source.ip": "10.0.0.1", "user.name": "alice"],
        hits: hits, firstSeen: 1, lastSeen: lastSeen, samples: ["e1", "e2"], observers: ["node-1"], dlpCount: 3)
}

@Suite("SQLite store: incidents")
struct EventStoreIncidentsTests {
    @Test("an upsert replaces hits, level and last seen, and keeps the analyst's status")
    func upsertKeepsStatus() throws {
        let t = try TempStore()
        let store = try t.open()
        var i = incident("a")
        try store.upsertIncident(i)
        #expect(try store.incident(id: "a") == i)
        #expect(try store.setIncidentStatus(id: "a", status: "acknowledged", actor: "alice", note: "on it") == "open")
        #expect(
            try store.setIncidentStatus(id: "a", status: "acknowledged", actor: "alice", note: "") == "acknowledged")
        #expect(try store.setIncidentStatus(id: "missing", status: "acknowledged", actor: "alice", note: "") == nil)
        let log = try store.auditLog(limit: 10, before: nil)
        #expect(log.count == 1, "only the change is audited, not the no-op")
        #expect(log.first?.action == "incident.status" && log.first?.actor == "alice" && log.first?.subject == "a")
        #expect(log.first?.detail.contains("\"note\":\"on it\"") == true)
        i.hits = 12
        i.level = "high"
        i.lastSeen = 99
        i.samples.append("e9")
        i.observers.append("node-2")
        try store.upsertIncident(i)
        let stored = try #require(try store.incident(id: "a"))
        #expect(stored.hits == 12 && stored.level == "high" && stored.lastSeen == 99 && stored.firstSeen == 1)
        #expect(stored.samples == ["e1", "e2", "e9"] && stored.observers == ["node-1", "node-2"])
        #expect(stored.status == "acknowledged", "the rules never reopen what an analyst set")
        #expect(stored.group == ["source.ip": "10.0.0.1", "user.name": "alice"])
        #expect(try store.incident(id: "missing") == nil)
    }

    @Test("filters by level at or above, stage, category, status and last seen")
    func filters() throws {
        let t = try TempStore()
        let store = try t.open()
        let levels = ["informational", "low", "medium", "high", "critical"]
        for n in 0..<20 {
            try store.upsertIncident(
                incident(
                    "i\(n)", level: levels[n % 5], stage: n % 2 == 0 ? "storage" : "exchange",
                    category: n < 10 ? "dsi" : "nsi", lastSeen: Int64(n)))
        }
        _ = try store.setIncidentStatus(id: "i3", status: "closed", actor: "alice", note: "")
        func ids(_ configure: (inout IncidentQuery) -> Void) throws -> [String] {
            var q = IncidentQuery()
            configure(&q)
            return try store.incidents(q).incidents.map(\.id)
        }
        #expect(try ids { $0.minLevel = .high } == ["i19", "i18", "i14", "i13", "i9", "i8", "i4", "i3"])
        #expect(try ids { $0.minLevel = .informational }.count == 20)
        #expect(try ids { ($0.stage, $0.category) = ("exchange", "nsi") } == ["i19", "i17", "i15", "i13", "i11"])
        #expect(try ids { $0.status = "closed" } == ["i3"])
        #expect(try ids { $0.status = "open" }.count == 19)
        #expect(try ids { $0.since = 17 } == ["i19", "i18", "i17"])
        #expect(try store.incidents(limit: 2).map(\.id) == ["i19", "i18"], "most recently seen first")
    }

    @Test("incident pages return each incident once, ties on last seen broken by id")
    func pagination() throws {
        let t = try TempStore()
        let store = try t.open()
        for n in 0..<23 { try store.upsertIncident(incident("i\(n)", lastSeen: Int64(n / 4))) }
        var q = IncidentQuery()
        q.limit = 5
        var seen: [String] = []
        for _ in 0..<10 {
            let page = try store.incidents(q)
            seen += page.incidents.map(\.id)
            guard let next = page.next else { break }
            q.cursor = next
        }
        #expect(seen.count == 23 && Set(seen).count == 23)
        #expect(seen.prefix(3) == ["i22", "i21", "i20"])
    }
}

import Foundation
import Testing
import VigilConfig
import VigilCore
import VigilStore

@testable import VigilResponse

/// A desk on a real SQLite file in a temporary folder, with the shipped rule pack's policy.
final class DeskFixture {
    let dir: URL
    let store: SQLiteStore
    let desk: TicketDesk
    var head: String { dir.appendingPathComponent("timeline.head").path }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-desk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir.appendingPathComponent("vigil.db").path)
        let (policy, diagnostics) = ResponsePolicy.load(rules: repoRoot.appendingPathComponent("rules").path)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        desk = TicketDesk(
            store: store, policy: try #require(policy), headFile: dir.appendingPathComponent("timeline.head").path)
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    /// A desk on this store whose notifications go to one generic endpoint, "duty" (no head file).
    func dutyDesk() throws -> TicketDesk {
        let hook = WebhookSettings(
            name: "duty",
            endpoint: try WebhookEndpoint(
                format: .generic, url: "https://127.0.0.1:9/hook", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]))
        return TicketDesk(store: store, policy: desk.policy, headFile: nil, endpoints: [hook])
    }

    func incident(_ id: String, level: String = "high", category: String? = "dsi-leak", hits: Int = 1, dlp: Int = 0)
        -> IncidentRecord
    {
        IncidentRecord(
            id: id, ruleID: "r-\(id)", title: "Citizen records exported to an unknown host", level: level,
            ruleLevel: "high", stage: "exchange", category: category, correlation: nil,
            group: ["source.ip": "10.1.2.3"],
            hits: hits, firstSeen: 1, lastSeen: 2, samples: ["e1"], observers: ["node-1"], dlpCount: dlp)
    }

    /// Runs sqlite3 on the store file (an operator, or an intruder, with the file); its exit status.
    func sqliteStatus(_ sql: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [store.path, sql]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    func sqlite(_ sql: String) throws {
        #expect(try sqliteStatus(sql) == 0, "sqlite3 \(sql)")
    }
}

@Suite("Tickets on a real store", .serialized)
struct TicketDeskTests {
    let t0: Int64 = 1_800_000_000_000_000

    @Test("a high incident opens a ticket with level, playbook steps and deadlines, once; a low one opens none")
    func opens() throws {
        let f = try DeskFixture()
        guard case .opened(let ticket) = try f.desk.incidentChanged(f.incident("a", dlp: 2_000_000), now: t0) else {
            Issue.record("a high incident opens a ticket")
            return
        }
        #expect(ticket.level == "III" && ticket.levelWhy.contains("1000000"), "\(ticket.levelWhy)")
        #expect(ticket.status == "new" && ticket.category == "dsi-leak")
        #expect(ticket.steps.first?.id == "confirm-scope" && ticket.steps.contains { $0.id == "report-authority" })
        #expect(ticket.deadlines.map(\.kind) == ["acknowledge", "report"])
        #expect(ticket.deadlines[1].due == t0 + 7200 * 1_000_000, "a state organ reports within 2 h")
        #expect(try f.desk.incidentChanged(f.incident("a", dlp: 2_000_000), now: t0 + 1) == nil, "opened once")
        #expect(try f.desk.incidentChanged(f.incident("b", level: "medium"), now: t0) == nil)
        #expect(try f.store.tickets(status: nil, limit: 10).map(\.id) == [TicketDesk.ticketID(incident: "a")])
    }

    @Test("each change's chain head also goes to the journal, the same seq and hash as the head file")
    func journal() throws {
        let f = try DeskFixture()
        let path = f.dir.appendingPathComponent("journal.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        var desk = f.desk
        desk.journal = JournalWriter(identifier: "vigil-correlator", socketPath: path)
        _ = try desk.incidentChanged(f.incident("j"), now: t0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 1000) == 1)
        let n = recv(fd, &buffer, buffer.count, 0)
        let entry = String(decoding: buffer[..<max(0, n)], as: UTF8.self)
        let head = try #require(TicketDesk.readHead(f.head))
        #expect(
            entry.contains("VIGIL_TIMELINE_SEQ=\(head.seq)\n") && entry.contains("VIGIL_TIMELINE_HASH=\(head.hash)\n"),
            "\(entry)")
    }

    @Test("a batch of changed incidents and their tickets commits as one: all of it, or on failure none of it")
    func batch() throws {
        let f = try DeskFixture()
        _ = try f.desk.incidentChanged(f.incident("a"), now: t0)
        let before = try #require(TicketDesk.readHead(f.head))
        let batch = [
            f.incident("a", level: "critical"), f.incident("b"), f.incident("c", level: "medium"), f.incident("d"),
        ]
        // The last ticket cannot be stored (a trigger refuses it): the changes made before it go too.
        try f.sqlite(
            "CREATE TRIGGER refuse_d BEFORE INSERT ON tickets WHEN NEW.id = '\(TicketDesk.ticketID(incident: "d"))' "
                + "BEGIN SELECT RAISE(ABORT, 'refused'); END;")
        #expect(throws: VigilError.self) {
            _ = try f.desk.incidentsChanged(batch, now: t0 + 1) { () throws(VigilError) in
                try f.store.upsertIncidents(batch)
            }
        }
        #expect(try f.store.incident(id: "b") == nil, "the incidents were rolled back")
        #expect(try f.store.ticket(forIncident: "b") == nil, "the opened ticket was rolled back")
        #expect(try f.store.ticket(forIncident: "a")?.level == "IV", "the escalation was rolled back")
        #expect(TicketDesk.readHead(f.head)?.seq == before.seq, "no head for entries that were rolled back")
        try f.sqlite("DROP TRIGGER refuse_d")

        let outcomes = try f.desk.incidentsChanged(batch, now: t0 + 2) { () throws(VigilError) in
            try f.store.upsertIncidents(batch)
        }
        #expect(outcomes.count == 3, "a escalates, b and d open, c (medium) has no ticket: \(outcomes)")
        #expect(try f.store.incident(id: "c")?.level == "medium")
        #expect(try f.store.ticket(forIncident: "a")?.level == "III")
        #expect(try f.store.ticket(forIncident: "b")?.status == "new")
        let head = try #require(TicketDesk.readHead(f.head))
        let timeline = try f.store.timeline(ticket: nil)
        #expect(head.seq == before.seq + 3 && timeline.last?.seq == head.seq && timeline.last?.hash == head.hash)
        #expect(TimelineEntry.verify(timeline, head: head) == .intact(entries: timeline.count))
    }

    @Test("an escalating incident raises its ticket's level and adds the report deadline it now needs")
    func escalates() throws {
        let f = try DeskFixture()
        _ = try f.desk.incidentChanged(f.incident("a"), now: t0)
        let id = TicketDesk.ticketID(incident: "a")
        #expect(try f.store.ticket(id: id)?.level == "IV")
        #expect(try f.store.ticket(id: id)?.deadlines.map(\.kind) == ["acknowledge"])
        guard
            case .escalated(let t, let from) = try f.desk.incidentChanged(
                f.incident("a", level: "critical"), now: t0 + 5)
        else {
            Issue.record("critical hits raise the ticket")
            return
        }
        #expect(from == "IV" && t.level == "III")
        #expect(t.deadlines.map(\.kind) == ["acknowledge", "report"])
        #expect(try f.store.timeline(ticket: id).map(\.action) == ["ticket.open", "ticket.escalate"])
    }

    @Test("analysts work the ticket: refusals give the reason and change nothing; acknowledging meets its deadline")
    func work() throws {
        let f = try DeskFixture()
        _ = try f.desk.incidentChanged(f.incident("a", dlp: 2_000_000), now: t0)
        let id = TicketDesk.ticketID(incident: "a")
        #expect(throws: VigilError.self) { try f.desk.act(.contain(note: ""), ticket: id, actor: "ana", now: t0 + 1) }
        do {
            try f.desk.act(.contain(note: ""), ticket: id, actor: "ana", now: t0 + 1)
        } catch {
            #expect(error.message.contains("go new → acknowledged → contained"), "\(error)")
        }
        try f.desk.act(.acknowledge(note: "looking"), ticket: id, actor: "ana", now: t0 + 60_000_000)
        try f.desk.act(.assign(to: "bo", note: ""), ticket: id, actor: "ana", now: t0 + 61_000_000)
        try f.desk.act(.step(id: "confirm-scope", note: "3 tables"), ticket: id, actor: "bo", now: t0 + 62_000_000)
        #expect(throws: VigilError.self) {
            try f.desk.act(.step(id: "confirm-scope", note: ""), ticket: id, actor: "bo", now: t0 + 63_000_000)
        }
        #expect(throws: VigilError.self) {
            try f.desk.act(.step(id: "dance", note: ""), ticket: id, actor: "bo", now: t0 + 63_000_000)
        }
        try f.desk.act(.step(id: "report-authority", note: "filed"), ticket: id, actor: "lead", now: t0 + 64_000_000)
        try f.desk.act(.contain(note: "blocked"), ticket: id, actor: "bo", now: t0 + 65_000_000)
        let ticket = try #require(try f.store.ticket(id: id))
        #expect(ticket.status == "contained" && ticket.assignee == "bo")
        #expect(ticket.deadlines.allSatisfy { $0.met != nil }, "acknowledged and reported")
        #expect(ticket.steps.first { $0.id == "confirm-scope" }?.doneBy == "bo")
        let timeline = try f.store.timeline(ticket: id)
        #expect(
            timeline.map(\.action) == [
                "ticket.open", "ticket.acknowledge", "ticket.assign", "ticket.step", "ticket.step", "ticket.contain",
            ], "refused actions leave no entry")
        #expect(timeline.map(\.actor) == ["system", "ana", "ana", "bo", "lead", "bo"])
    }

    @Test("approaching and missed deadlines raise one notification each, however often they are checked")
    func deadlineAlerts() throws {
        let f = try DeskFixture()
        let desk = try f.dutyDesk()
        guard case .opened(let t) = try desk.incidentChanged(f.incident("a", dlp: 2_000_000), now: t0) else {
            Issue.record("a level III ticket")
            return
        }
        #expect(t.deadlines.map(\.kind) == ["acknowledge", "report"])
        let minute: Int64 = 60_000_000
        func alerts(_ at: Int64) throws -> [String] {
            let rows = desk.deadlineAlerts(try f.store.tickets(status: "open", limit: 10), now: at)
            try f.store.enqueue(rows)
            return rows.map(\.id)
        }
        #expect(try alerts(t0 + 30 * minute).isEmpty, "half the hour left")
        #expect(try alerts(t0 + 46 * minute) == ["\(t.id)-acknowledge-approaching"])
        #expect(try alerts(t0 + 61 * minute) == ["\(t.id)-acknowledge-missed"])
        #expect(try alerts(t0 + 95 * minute) == ["\(t.id)-acknowledge-missed", "\(t.id)-report-approaching"])
        #expect(try f.store.outbox(limit: 10, endpoint: "duty").count == 4, "the opening and three alerts, each once")
        try desk.act(.acknowledge(note: ""), ticket: t.id, actor: "ana", now: t0 + 96 * minute)
        #expect(try alerts(t0 + 125 * minute) == ["\(t.id)-report-missed"], "acknowledged: only the report is late")
        let missed = try #require(
            try f.store.outbox(limit: 10, endpoint: "duty").first { $0.id.hasSuffix("report-missed") })
        let note = try #require(NotificationPayload.decode(missed.payload))
        #expect(note.kind == .deadlineMissed && note.title.contains("report"))
    }

    @Test(
        "a ticket keeps its incidents' departments: its notifications name them and reach only that department's endpoint"
    )
    func departments() throws {
        let f = try DeskFixture()
        func hook(_ name: String, _ department: String) throws -> WebhookSettings {
            var h = WebhookSettings(
                name: name,
                endpoint: try WebhookEndpoint(format: .slack, url: "https://127.0.0.1:9/\(name)", secrets: []))
            h.departments = [department]
            return h
        }
        let desk = TicketDesk(
            store: f.store, policy: f.desk.policy, headFile: nil,
            endpoints: [try hook("population", "人口处"), try hook("transport", "交通局")])
        var incident = f.incident("d", dlp: 10)
        incident.departments = ["人口处"]
        guard case .opened(let t) = try desk.incidentChanged(incident, now: t0) else {
            Issue.record("a ticket")
            return
        }
        #expect(t.departments == ["人口处"])
        let rows = try f.store.outbox(limit: 10, endpoint: nil)
        #expect(rows.map(\.endpoint) == ["population"], "\(rows.map(\.endpoint))")
        let note = try #require(rows.first.flatMap { NotificationPayload.decode($0.payload) })
        #expect(note.departments == ["人口处"] && note.summary.contains("部门 Departments: 人口处"), "\(note.summary)")

        // The incident grows into the transport department's assets too, past a scale threshold.
        incident.departments = ["人口处", "交通局"]
        incident.dlpCount = 2_000_000
        guard case .escalated(let raised, _) = try desk.incidentChanged(incident, now: t0 + 1) else {
            Issue.record("escalated")
            return
        }
        #expect(raised.departments == ["人口处", "交通局"].sorted())
        #expect(try f.store.outbox(limit: 10, endpoint: "transport").count == 1, "the escalation reaches transport")
    }

    @Test("deadlines are checked on every open ticket, past the first thousand, and not on closed ones")
    func deadlineAlertsOnEveryTicket() throws {
        let f = try DeskFixture()
        let desk = try f.dutyDesk()
        var ids: [String] = []
        for n in 0..<1_203 {
            guard case .opened(let t) = try desk.incidentChanged(f.incident("i\(n)", dlp: 2_000_000), now: t0) else {
                Issue.record("ticket \(n) not opened")
                return
            }
            ids.append(t.id)
        }
        try desk.act(.reject(as: .falsePositive, note: "test traffic"), ticket: ids[7], actor: "ana", now: t0 + 1)
        let rows = try desk.deadlineAlerts(now: t0 + 61 * 60_000_000)
        let alerted = Set(rows.map { String($0.id.dropLast("-acknowledge-missed".count)) })
        #expect(rows.count == 1_202 && rows.allSatisfy { $0.id.hasSuffix("-acknowledge-missed") }, "\(rows.count)")
        #expect(alerted == Set(ids).subtracting([ids[7]]))
    }

    @Test("tampering shows: an edited row names its entry, deleted newest rows show against the head file")
    func tamper() throws {
        let f = try DeskFixture()
        _ = try f.desk.incidentChanged(f.incident("a"), now: t0)
        _ = try f.desk.incidentChanged(f.incident("b"), now: t0)
        let id = TicketDesk.ticketID(incident: "a")
        for n in 0..<3 { try f.desk.act(.note("note \(n)"), ticket: id, actor: "ana", now: t0 + Int64(n)) }
        let head = try #require(TicketDesk.readHead(f.head))
        #expect(head.seq == 5)
        #expect(TimelineEntry.verify(try f.store.timeline(ticket: nil), head: head) == .intact(entries: 5))

        // The timeline refuses edits through SQL...
        #expect(try f.sqliteStatus("UPDATE timeline SET detail = '' WHERE seq = 3;") != 0)
        // ...but someone with the file can drop the guard; the chain still shows it.
        try f.sqlite(
            "DROP TRIGGER timeline_append_only_update; UPDATE timeline SET detail = '{\"note\":\"all fine\"}' WHERE seq = 3;"
        )
        guard case .broken(let seq, let problem) = TimelineEntry.verify(try f.store.timeline(ticket: nil), head: head)
        else {
            Issue.record("the edit must show")
            return
        }
        #expect(seq == 3 && problem.contains("was changed"), "\(problem)")

        let g = try DeskFixture()
        _ = try g.desk.incidentChanged(g.incident("a"), now: t0)
        for n in 0..<3 {
            try g.desk.act(.note("n\(n)"), ticket: TicketDesk.ticketID(incident: "a"), actor: "ana", now: t0)
        }
        try g.sqlite("DROP TRIGGER timeline_append_only_delete; DELETE FROM timeline WHERE seq >= 3;")
        let check = TimelineEntry.verify(try g.store.timeline(ticket: nil), head: TicketDesk.readHead(g.head))
        #expect(
            check
                == .broken(
                    seq: 3,
                    problem:
                        "the chain ends at entry 2 but the head recorded outside the database is entry 4: the newest entries were deleted"
                ))
    }
}

import Foundation
import Testing
import VigilCore
import VigilStore

@testable import VigilServer

@Suite("Tickets through the correlator: opened from incidents, worked over the query API, audited", .serialized)
struct TicketAPITests {
    /// An event the shipped rule "Audit Logging Disabled or Stopped" (high, gbt20986.voi) matches;
    /// `people` sets its dlp.count.
    static func auditOff(_ n: Int, people: Int? = nil) -> String {
        var e = Event(timestamp: .now(), id: "audit-off-\(n)", dataset: .auth, observerID: "golden")
        e.set(Fields.eventAction, "sudo_command")
        e.set(FieldID("process.command_line"), "/usr/sbin/auditctl -e 0")
        e.set(Fields.userName, "mallory")
        if let people { e.set(Fields.dlpCount, .int(Int64(people))) }
        return e.jsonLine
    }

    @Test("an incident that grows past a scale threshold of levels.yaml raises its ticket, same severity or not")
    func growingIncidentRaisesTicket() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        func batch(_ n: Int, people: Int) -> Data { Data(Self.auditOff(n, people: people).utf8) }
        func ticket() async throws -> [String: Any] {
            let list = try await h.api("/v1/tickets?status=open", token: tokens.viewer)
            let tickets = try #require(list.json["tickets"] as? [[String: Any]])
            #expect(tickets.count == 1, "\(list.json)")
            return try #require(tickets.first)
        }
        #expect(try await h.post(body: batch(1, people: 10)).status == 200)
        #expect(try await ticket()["level"] as? String == "IV")
        // The same incident (same rule, same user), the same severity, now 1.2 million people: III by
        // the `people: 1000000` row.
        #expect(try await h.post(body: batch(2, people: 1_200_000)).status == 200)
        let raised = try await ticket()
        #expect(raised["level"] as? String == "III", "\(raised)")
        let why = raised["level_why"] as? String ?? ""
        #expect(why.contains("people") && why.contains("levels.yaml"), "\(why)")
        let shown = try await h.api("/v1/tickets/\(raised["ticket.id"] as? String ?? "")", token: tokens.viewer)
        #expect("\(shown.json)".contains("ticket.escalate"), "\(shown.json)")
        await h.stop()
    }

    @Test("a high incident opens a ticket with its playbook; actions are checked, audited and chained")
    func ticketLifecycle() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        #expect(try await h.post(body: Data(Self.auditOff(1).utf8)).status == 200)

        let list = try await h.api("/v1/tickets?status=open", token: tokens.viewer)
        let tickets = try #require(list.json["tickets"] as? [[String: Any]])
        #expect(tickets.count == 1, "\(list.json)")
        let ticket = try #require(tickets.first)
        let id = try #require(ticket["ticket.id"] as? String)
        #expect(ticket["status"] as? String == "new" && ticket["gbt20986.category"] as? String == "voi")
        #expect(ticket["level"] as? String == "IV" && ticket["level_name"] as? String == "一般")
        let steps = (ticket["steps"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        #expect(steps.first == "confirm-scope" && steps.contains("restore-controls"), "the voi playbook: \(steps)")
        #expect((ticket["deadlines"] as? [[String: Any]])?.first?["state"] as? String == "pending")

        // A second hit of the same incident opens no second ticket.
        _ = try await h.post(body: Data(Self.auditOff(2).utf8))
        #expect((try await h.api("/v1/tickets", token: tokens.viewer).json["tickets"] as? [Any])?.count == 1)

        func act(_ body: String, _ token: String) async throws -> Harness.Answer {
            try await h.api("/v1/tickets/\(id)/actions", token: token, body: body)
        }
        #expect(try await act(#"{"action":"acknowledge"}"#, tokens.viewer).status == 403)
        let skip = try await act(#"{"action":"contain","note":"blocked"}"#, tokens.analyst)
        #expect(skip.status == 409 && (skip.json["message"] as? String)?.contains("acknowledged") == true)
        #expect(try await act(#"{"action":"dance"}"#, tokens.analyst).status == 400)
        #expect(try await act(#"{"action":"acknowledge","note":"on it"}"#, tokens.analyst).status == 200)
        #expect(
            try await act(#"{"action":"step","step":"restore-controls","note":"auditd on"}"#, tokens.analyst).status
                == 200)
        let contained = try await act(#"{"action":"contain","note":"account locked"}"#, tokens.analyst)
        #expect(contained.status == 200 && contained.json["status"] as? String == "contained")
        #expect(
            try await h.api("/v1/tickets/T-nope/actions", token: tokens.analyst, body: #"{"action":"note","note":"x"}"#)
                .status == 404)

        let shown = try await h.api("/v1/tickets/\(id)", token: tokens.viewer)
        let timeline = try #require(shown.json["timeline"] as? [[String: Any]])
        #expect(
            timeline.compactMap { $0["action"] as? String } == [
                "ticket.open", "ticket.acknowledge", "ticket.step", "ticket.contain",
            ])
        #expect(timeline.dropFirst().allSatisfy { ($0["actor"] as? String)?.hasPrefix("ana (tok_") == true })
        #expect((shown.json["deadlines"] as? [[String: Any]])?.first?["state"] as? String == "met")

        // By hand: a ticket for what the rules did not see, and an incident joining it.
        _ = try await h.post(body: Data(try goldenLines("logs-auth-iso", count: 87).joined(separator: "\n").utf8))
        let lowIncident = try #require(
            try h.store.incidents(limit: 100).first { $0.level == "low" }?.id, "a low incident, without a ticket")
        let manual = try await h.api(
            "/v1/tickets", token: tokens.analyst,
            body:
                #"{"title":"Export found on a public share","level":"II","category":"dsi-leak","note":"reported by phone"}"#
        )
        #expect(manual.status == 201 && manual.json["level"] as? String == "II", "\(manual.json)")
        let manualID = try #require(manual.json["ticket.id"] as? String)
        #expect(
            (manual.json["steps"] as? [[String: Any]])?.first?["id"] as? String == "confirm-scope", "the dsi playbook")
        let linked = try await h.api(
            "/v1/tickets/\(manualID)/actions", token: tokens.analyst,
            body: #"{"action":"link","incident":"\#(lowIncident)"}"#)
        #expect(linked.status == 200 && (linked.json["incidents"] as? [String]) == [lowIncident], "\(linked.json)")
        let taken = try await h.api(
            "/v1/tickets/\(manualID)/actions", token: tokens.analyst,
            body: #"{"action":"link","incident":"\#(ticket["incidents"].flatMap { ($0 as? [String])?.first } ?? "")"}"#)
        #expect(taken.status == 409 && (taken.json["message"] as? String)?.contains("already in ticket \(id)") == true)
        #expect(
            try await h.api("/v1/tickets", token: tokens.analyst, body: #"{"title":"x","level":"V"}"#).status == 400)

        let verified = try await h.api("/v1/audit/verify", token: tokens.admin)
        #expect(verified.json["intact"] as? Bool == true && verified.json["entries"] as? Int == 6, "\(verified.json)")
        // An edit with the file open shows, naming the entry.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            h.config.store,
            "DROP TRIGGER timeline_append_only_update; UPDATE timeline SET actor = 'nobody' WHERE seq = 2;",
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        let broken = try await h.api("/v1/audit/verify", token: tokens.admin)
        #expect(broken.json["intact"] as? Bool == false && broken.json["entry"] as? Int == 2, "\(broken.json)")
        await h.stop()
    }
}

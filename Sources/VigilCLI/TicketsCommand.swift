import ArgumentParser
import Foundation

/// `vigil tickets`: the emergency-response tickets, and the work on them.
struct TicketsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickets",
        abstract: "List, show and work emergency-response tickets.",
        discussion: """
            A ticket goes new → acknowledged → contained → resolved → closed (or is rejected as \
            false_positive or duplicate); the correlator refuses any other move and says which way \
            to go. Every change is signed with your token's name in the ticket's hash-chained timeline.

            Examples:
              vigil tickets list
              vigil tickets show T-3f2a9c0d1e4b
              vigil tickets ack T-3f2a9c0d1e4b --note "on it"
              vigil tickets step T-3f2a9c0d1e4b confirm-scope --note "3 tables, 12 000 people"
              vigil tickets reject T-3f2a9c0d1e4b --as false_positive --note "our own pentest"
              vigil tickets open --title "Leaked export on a share" --level II --category dsi-leak
              vigil tickets link T-3f2a9c0d1e4b 48e8c6ecda15c78c5bd502fe322fe65e
            """,
        subcommands: [
            List.self, Show.self, Open.self, Link.self, Ack.self, Assign.self, Contain.self, Step.self, Note.self,
            Resolve.self, Close.self,
            Reopen.self, Reject.self,
        ])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tickets, most recently changed first.")
        @OptionGroup var api: APIOptions
        @Option(help: "open (default: every ticket still being worked), all, or a status.")
        var status = "open"
        @Option(help: "At most this many.") var limit = 100
        @Flag(help: "The server's JSON.") var json = false

        func run() async throws {
            try await APIConnection.run {
                var query = [("limit", String(limit))]
                if status != "all" { query.append(("status", status)) }
                let answer = try await api.connection().call("/v1/tickets", query: query)
                let tickets = answer["tickets"] as? [[String: Any]] ?? []
                if json { return printJSON(answer) }
                if tickets.isEmpty { return print("no tickets") }
                print(
                    Table.render(
                        ["TICKET", "LEVEL", "STATUS", "ASSIGNEE", "NEXT DEADLINE", "TITLE"],
                        tickets.map { t in
                            let next = (t["deadlines"] as? [[String: Any]] ?? []).first { $0["met"] == nil }
                            let deadline = next.map {
                                "\($0["kind"] as? String ?? "") \(($0["due"] as? String ?? "").prefix(16)) \($0["state"] as? String ?? "")"
                            }
                            return [
                                t["ticket.id"] as? String ?? "",
                                "\(t["level"] as? String ?? "") \(t["level_name"] as? String ?? "")",
                                t["status"] as? String ?? "", t["assignee"] as? String ?? "-", deadline ?? "-",
                                t["title"] as? String ?? "",
                            ]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A ticket: level and why, deadlines, playbook, timeline.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The ticket id (T-…).") var id: String
        @Flag(help: "The server's JSON.") var json = false

        func run() async throws {
            try await APIConnection.run {
                let t = try await api.connection().call("/v1/tickets/\(id)")
                if json { return printJSON(t) }
                print("\(t["ticket.id"] as? String ?? id)  \(t["title"] as? String ?? "")")
                print(
                    "level \(t["level"] as? String ?? "") \(t["level_name"] as? String ?? "") (\(t["warning"] as? String ?? "") warning): \(t["level_why"] as? String ?? "")"
                )
                print("status \(t["status"] as? String ?? "")   assignee \(t["assignee"] as? String ?? "-")")
                if let c = t["gbt20986.category"] as? String { print("category \(c)") }
                print("incidents \((t["incidents"] as? [String] ?? []).joined(separator: ", "))")
                print("\ndeadlines")
                for d in t["deadlines"] as? [[String: Any]] ?? [] {
                    print(
                        "  \(d["kind"] as? String ?? "")  due \(d["due"] as? String ?? "")  \(d["state"] as? String ?? "")\((d["met"] as? String).map { " at \($0)" } ?? "")"
                    )
                }
                print("\nplaybook")
                for s in t["steps"] as? [[String: Any]] ?? [] {
                    let done =
                        (s["done"] as? String).map { "✔ \($0.prefix(16)) \(s["done_by"] as? String ?? "")" } ?? "☐"
                    print(
                        "  \(done)  \(s["id"] as? String ?? "")  [\(s["role"] as? String ?? "")]  \(s["zh"] as? String ?? "") / \(s["en"] as? String ?? "")"
                    )
                }
                print("\ntimeline")
                for e in t["timeline"] as? [[String: Any]] ?? [] {
                    print(
                        "  #\(e["seq"] as? Int ?? 0)  \(e["time"] as? String ?? "")  \(e["actor"] as? String ?? "")  \(e["action"] as? String ?? "")  \(e["detail"] as? String ?? "")"
                    )
                }
            }
        }
    }

    /// What every status move takes: the server, the ticket and why.
    struct MoveOptions: ParsableArguments {
        @OptionGroup var api: APIOptions
        @Argument(help: "The ticket id (T-…).") var id: String
        @Option(help: "Why, for the timeline.") var note = ""
    }

    /// Posts one action and prints the ticket's new status.
    static func act(_ api: APIOptions, _ id: String, _ body: [String: Any]) async throws {
        try await APIConnection.run {
            let t = try await api.connection().call("/v1/tickets/\(id)/actions", body: body)
            print("\(t["ticket.id"] as? String ?? id): \(t["status"] as? String ?? "")")
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a ticket by hand: something the rules did not catch, or several incidents as one.")
        @OptionGroup var api: APIOptions
        @Option(help: "What happened.") var title: String
        @Option(help: "Response level: I, II, III or IV.") var level: String
        @Option(help: "GB/T 20986 category code (chooses the playbook), e.g. dsi-leak.") var category: String?
        @Option(name: .customLong("incident"), help: "An incident that joins the ticket (repeatable).")
        var incidents: [String] = []
        @Option var note = ""

        func run() async throws {
            try await APIConnection.run {
                var body: [String: Any] = ["title": title, "level": level, "incidents": incidents, "note": note]
                if let category { body["category"] = category }
                let t = try await api.connection().call("/v1/tickets", body: body)
                print(
                    "\(t["ticket.id"] as? String ?? ""): \(t["status"] as? String ?? "") level \(t["level"] as? String ?? "")"
                )
            }
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an incident to a ticket.")
        @OptionGroup var api: APIOptions
        @Argument var id: String
        @Argument(help: "The incident's id.") var incident: String
        func run() async throws { try await TicketsCommand.act(api, id, ["action": "link", "incident": incident]) }
    }

    struct Ack: StatusMove {
        static let configuration = CommandConfiguration(abstract: "Acknowledge: someone on duty has it.")
        static let action = "acknowledge"
        @OptionGroup var move: MoveOptions
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give the ticket to someone.")
        @OptionGroup var api: APIOptions
        @Argument var id: String
        @Option(help: "Who takes it.") var to: String
        @Option var note = ""
        func run() async throws {
            try await TicketsCommand.act(api, id, ["action": "assign", "to": to, "note": note])
        }
    }

    struct Contain: StatusMove {
        static let configuration = CommandConfiguration(abstract: "Contained: it no longer spreads.")
        static let action = "contain"
        @OptionGroup var move: MoveOptions
    }

    struct Step: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check off a playbook step.")
        @OptionGroup var api: APIOptions
        @Argument var id: String
        @Argument(help: "The step's id, as `vigil tickets show` lists it.") var step: String
        @Option var note = ""
        func run() async throws {
            try await TicketsCommand.act(api, id, ["action": "step", "step": step, "note": note])
        }
    }

    struct Note: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to the timeline.")
        @OptionGroup var api: APIOptions
        @Argument var id: String
        @Argument var text: String
        func run() async throws { try await TicketsCommand.act(api, id, ["action": "note", "note": text]) }
    }

    struct Resolve: StatusMove {
        static let configuration = CommandConfiguration(abstract: "Resolved: recovered.")
        static let action = "resolve"
        @OptionGroup var move: MoveOptions
    }

    struct Close: StatusMove {
        static let configuration = CommandConfiguration(abstract: "Closed: reviewed, nothing left to do.")
        static let action = "close"
        @OptionGroup var move: MoveOptions
    }

    struct Reopen: StatusMove {
        static let configuration = CommandConfiguration(abstract: "Reopen a resolved ticket.")
        static let action = "reopen"
        @OptionGroup var move: MoveOptions
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject as a false positive or a duplicate.")
        @OptionGroup var api: APIOptions
        @Argument var id: String
        @Option(name: .customLong("as"), help: "false_positive or duplicate.") var reason: String
        @Option var note = ""
        func run() async throws {
            try await TicketsCommand.act(api, id, ["action": "reject", "as": reason, "note": note])
        }
    }
}

/// A ticket command that only moves the status (`ack`, `contain`, `resolve`, `close`, `reopen`).
protocol StatusMove: AsyncParsableCommand {
    static var action: String { get }
    var move: TicketsCommand.MoveOptions { get }
}

extension StatusMove {
    func run() async throws {
        try await TicketsCommand.act(move.api, move.id, ["action": Self.action, "note": move.note])
    }
}

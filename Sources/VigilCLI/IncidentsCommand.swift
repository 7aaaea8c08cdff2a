import ArgumentParser
import Foundation

/// `vigil incidents`: what the rules raised, from the correlator.
struct IncidentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "List and show incidents.",
        discussion: """
            Examples:
              vigil incidents list --level high --since 24h
              vigil incidents list --stage exchange --status open --json
              vigil incidents show 48e8c6ecda15c78c5bd502fe322fe65e
            """,
        subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Incidents, most recently seen first.")
        @OptionGroup var api: APIOptions
        @Option(help: "This level or above: informational, low, medium, high, critical.") var level: String?
        @Option(help: "Lifecycle stage: collection, transmission, storage, processing, exchange, destruction.")
        var stage: String?
        @Option(help: "GB/T 20986 category code.") var category: String?
        @Option(help: "open, acknowledged, resolved, false_positive.") var status: String?
        @Option(help: "Last seen within this long (15m, 24h, 7d) or since an RFC 3339 time.") var since: String?
        @Option(help: "At most this many.") var limit = 100
        @Flag(help: "The server's JSON.") var json = false

        func run() async throws {
            try await APIConnection.run {
                var query = [("limit", String(limit))]
                for (name, value) in [
                    ("level", level), ("stage", stage), ("category", category), ("status", status), ("since", since),
                ] {
                    if let value { query.append((name, value)) }
                }
                let answer = try await api.connection().call("/v1/incidents", query: query)
                if json { return printJSON(answer) }
                let incidents = answer["incidents"] as? [[String: Any]] ?? []
                if incidents.isEmpty { return print("no incidents") }
                print(
                    Table.render(
                        ["INCIDENT", "LEVEL", "HITS", "LAST SEEN", "STATUS", "RULE"],
                        incidents.map { i in
                            [
                                String((i["incident.id"] as? String ?? "").prefix(12)), i["level"] as? String ?? "",
                                String(i["hits"] as? Int ?? 0), String((i["last_seen"] as? String ?? "").prefix(19)),
                                i["status"] as? String ?? "", i["rule.name"] as? String ?? "",
                            ]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One incident: rule, group, counts, samples.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The incident id.") var id: String
        @Flag(help: "The server's JSON.") var json = false

        func run() async throws {
            try await APIConnection.run {
                let i = try await api.connection().call("/v1/incidents/\(id)")
                if json { return printJSON(i) }
                print("\(i["incident.id"] as? String ?? id)  \(i["rule.name"] as? String ?? "")")
                print(
                    "rule \(i["rule.id"] as? String ?? "") (\(i["rule.level"] as? String ?? ""))  level now \(i["level"] as? String ?? "")"
                )
                let group = (i["group"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map {
                    "\($0.key)=\($0.value)"
                }
                print("why: \(group.joined(separator: " "))  \(i["hits"] as? Int ?? 0) hits")
                print("first \(i["first_seen"] as? String ?? "")  last \(i["last_seen"] as? String ?? "")")
                for (key, label) in [
                    ("vigil.stage", "stage"), ("gbt20986.category", "category"), ("rule.correlation", "correlation"),
                ] {
                    if let v = i[key] as? String { print("\(label) \(v)") }
                }
                print(
                    "status \(i["status"] as? String ?? "")  sensors \((i["observers"] as? [String] ?? []).joined(separator: ", "))"
                )
                print("sample events \((i["sample_event_ids"] as? [String] ?? []).joined(separator: " "))")
            }
        }
    }
}

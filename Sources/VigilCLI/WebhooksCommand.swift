import ArgumentParser
import Foundation

/// `vigil webhooks`: check a webhook, see what was delivered.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Test webhooks and read their delivery history.",
        discussion: """
            Examples:
              vigil webhooks test duty-team        # queue a signed test message (admin token)
              vigil webhooks deliveries --endpoint duty-team
            """,
        subcommands: [Test.self, Deliveries.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a signed test message to a webhook.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The webhook's name in correlator.yaml.") var name: String

        func run() async throws {
            try await APIConnection.run {
                let answer = try await api.connection().call("/v1/webhooks/\(name)/test", body: [:])
                print(
                    "queued \(answer["id"] as? String ?? "") to \(name); follow it with: vigil webhooks deliveries --endpoint \(name)"
                )
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The outbox, newest first.")
        @OptionGroup var api: APIOptions
        @Option(help: "Only this webhook.") var endpoint: String?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "The server's JSON.") var json = false

        func run() async throws {
            try await APIConnection.run {
                var query = [("limit", String(limit))]
                if let endpoint { query.append(("endpoint", endpoint)) }
                let answer = try await api.connection().call("/v1/webhooks/deliveries", query: query)
                if json { return printJSON(answer) }
                let rows = answer["deliveries"] as? [[String: Any]] ?? []
                if rows.isEmpty { return print("no deliveries") }
                print(
                    Table.render(
                        ["WEBHOOK", "STATE", "TRIES", "LAST", "CREATED", "ID"],
                        rows.map { r in
                            [
                                r["endpoint"] as? String ?? "", r["state"] as? String ?? "",
                                String(r["attempts"] as? Int ?? 0),
                                (r["last_status"] as? Int).map(String.init) ?? "-",
                                String((r["created"] as? String ?? "").prefix(19)),
                                (r["id"] as? String ?? "") + ((r["last_error"] as? String).map { "  (\($0))" } ?? ""),
                            ]
                        }))
            }
        }
    }
}

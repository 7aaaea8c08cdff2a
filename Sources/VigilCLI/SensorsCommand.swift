import ArgumentParser
import Foundation

/// `vigil sensors list`: who reports, who has gone silent.
struct SensorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensors", abstract: "The sensors and their last heartbeat.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sensors: version, last heartbeat, counters; a silent sensor is a finding in itself.")
        @OptionGroup var api: APIOptions
        @Flag(help: "The server's JSON.") var json = false

        func run() async throws {
            try await APIConnection.run {
                let answer = try await api.connection().call("/v1/sensors")
                if json { return printJSON(answer) }
                let sensors = answer["sensors"] as? [[String: Any]] ?? []
                if sensors.isEmpty { return print("no sensor has sent a heartbeat") }
                print(
                    Table.render(
                        ["SENSOR", "STATE", "VERSION", "LAST SEEN", "COUNTERS"],
                        sensors.map { s in
                            let counters = (s["counters"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
                                .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                            return [
                                s["id"] as? String ?? "", s["silent"] as? Bool == true ? "SILENT" : "reporting",
                                s["version"] as? String ?? "", String((s["last_seen"] as? String ?? "").prefix(19)),
                                counters,
                            ]
                        }))
            }
        }
    }
}

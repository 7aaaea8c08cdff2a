import ArgumentParser

/// `vigil`: the analyst's command line.
public struct VigilCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Vigil: security situational awareness for government cloud platforms.",
        subcommands: [
            AnalyzeCommand.self, PostureCommand.self, EventsCommand.self, IncidentsCommand.self, TicketsCommand.self,
            SensorsCommand.self, WebhooksCommand.self, AuditCommand.self, RulesCommand.self, ProfileCommand.self,
        ]
    )

    public init() {}
}

/// The `vigil` executable's entry point: parses the command line and runs the chosen command.
public enum VigilMain {
    public static func main(_ arguments: [String]? = nil) async {
        do {
            var command = try VigilCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            VigilCommand.exit(withError: error)
        }
    }
}

import ArgumentParser

/// `vigil`: the analyst's command line.
public struct VigilCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Vigil: security situational awareness for government cloud platforms.",
        subcommands: [AnalyzeCommand.self]
    )

    public init() {}
}

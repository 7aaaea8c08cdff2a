import ArgumentParser

public struct AnalyzeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "analyze")
    public init() {}
    public func run() async throws {}
}

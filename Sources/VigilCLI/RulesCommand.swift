import ArgumentParser
import Foundation
import VigilConfig
import VigilCore
import VigilRules

/// `vigil rules validate|test`: check a rule directory, and run its test cases.
public struct RulesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check Sigma rule directories and run their test cases.",
        subcommands: [Validate.self, RulesTestCommand.self]
    )

    public init() {}

    public struct Validate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Load every rule and print every problem as file:line: rule: key: problem (hint).",
            discussion: """
                Loads the rules in stages — read, collect (id, title, level, tags, duplicates), compile \
                (detection against the field mapping of the rule's logsource, from DIR/mappings/). A bad \
                rule is reported and skipped; the others load. Warnings do not fail validation.

                Examples:
                  vigil rules validate rules/
                  vigil rules validate rules/ --quiet || echo "fix the rules first"

                Exit status: 0 when every rule loads, 2 when any rule has an error.
                """
        )

        @Argument(help: ArgumentHelp("A rule directory.", valueName: "dir"))
        var directory: String

        @Flag(name: [.short, .long], help: "Print only problems.")
        var quiet = false

        public init() {}

        public func run() throws {
            guard FileManager.default.fileExists(atPath: directory) else {
                FileHandle.standardError.write(Data("vigil: error: \(directory): no such directory\n".utf8))
                throw ExitCode(2)
            }
            let result = RuleLoader.load(directory: directory)
            for d in result.diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
            if !quiet {
                let metas = result.rules.rules.map(\.meta) + result.correlations.rules.map(\.meta)
                let byStage = Dictionary(grouping: metas) { $0.stage?.rawValue ?? "other" }
                    .map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")
                let calendar = result.calendar.map { _ in "calendar.yaml read; " } ?? ""
                print(
                    "\(directory): \(result.rules.rules.count) detection and \(result.correlations.rules.count) "
                        + "correlation rules loaded from \(result.files) files (\(byStage)); "
                        + "\(result.mappings.mappings.count) field mappings; \(calendar)"
                        + "\(result.errors.count) errors, \(result.diagnostics.count - result.errors.count) warnings")
            }
            if !result.errors.isEmpty { throw ExitCode(2) }
        }
    }
}

import Foundation
import Testing
import VigilRules

@testable import VigilCLI

/// The rule pack in rules/: it loads cleanly, every case in rules/tests passes through the real
/// pipeline, and every rule is tested both ways.
@Suite("The rule pack in rules/")
struct RulePackTests {
    static let rules = Repo.root.appendingPathComponent("rules").path

    @Test("every rule in the pack loads without an error")
    func validates() {
        let result = RuleLoader.load(directory: Self.rules)
        for e in result.errors { Issue.record(Comment(rawValue: e.description)) }
        #expect(result.rules.rules.count >= 15)
        #expect(result.mappings.mappings.count >= 6)
    }

    @Test("every rule test case passes, and every rule has a positive and a negative case")
    func cases() async throws {
        let outcome = try await RulesTestCommand.runCases(directory: Self.rules, only: [])
        for line in outcome.lines where !line.hasPrefix("PASS") { Issue.record(Comment(rawValue: line)) }
        #expect(outcome.passed >= 30)
        let loaded = RuleLoader.load(directory: Self.rules).rules.rules
        for rule in loaded where rule.meta.file.contains("/sigmahq/") == false {
            #expect(outcome.positive.contains(rule.meta.id), "\(rule.meta.title) has no passing positive case")
            #expect(outcome.negative.contains(rule.meta.id), "\(rule.meta.title) has no passing negative case")
        }
    }

    @Test("every rule of the pack carries a lifecycle stage or sits in network/host, and a GB/T 20986 category")
    func metadata() {
        for rule in RuleLoader.load(directory: Self.rules).rules.rules where !rule.meta.file.contains("/sigmahq/") {
            let folder = URL(fileURLWithPath: rule.meta.file).deletingLastPathComponent().lastPathComponent
            if ["network", "host"].contains(folder) == false {
                #expect(rule.meta.stage?.rawValue == folder, "\(rule.meta.file): stage tag matches its folder")
            }
            #expect(rule.meta.category != nil, "\(rule.meta.file) has a gbt20986 tag")
        }
    }
}

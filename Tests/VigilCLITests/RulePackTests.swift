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
        let result = RuleLoader.load(directory: Self.rules)
        let all = result.rules.rules.map(\.meta) + result.correlations.rules.map(\.meta)
        // Every detection rule and every correlation that raises incidents (inner steps of a chain
        // are tested through the correlation that uses them).
        for meta in all where !meta.file.contains("/sigmahq/") {
            if meta.correlation != nil && result.correlations.silent.contains(meta.id) { continue }
            #expect(outcome.positive.contains(meta.id), "\(meta.title) has no passing positive case")
            // A silent input of correlations (it raises no incident of its own) has its near misses
            // tested through the negative cases of the correlations that read it.
            if result.correlations.silent.contains(meta.id) { continue }
            #expect(outcome.negative.contains(meta.id), "\(meta.title) has no passing negative case")
        }
        #expect(result.correlations.rules.count >= 3)
    }

    @Test("every rule of the pack carries a lifecycle stage or sits in network/host, and a GB/T 20986 category")
    func metadata() {
        let result = RuleLoader.load(directory: Self.rules)
        let correlations = result.correlations.rules.map(\.meta).filter { !result.correlations.silent.contains($0.id) }
        for meta in result.rules.rules.map(\.meta) + correlations where !meta.file.contains("/sigmahq/") {
            let folder = URL(fileURLWithPath: meta.file).deletingLastPathComponent().lastPathComponent
            if ["network", "host"].contains(folder) == false {
                #expect(meta.stage?.rawValue == folder, "\(meta.file): stage tag matches its folder")
            }
            #expect(meta.category != nil, "\(meta.file) has a gbt20986 tag")
        }
    }
}

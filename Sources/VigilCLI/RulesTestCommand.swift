import ArgumentParser
import Foundation
import Synchronization
import VigilConfig
import VigilCore
import VigilInspect
import VigilRules
import VigilSensor

/// `vigil rules test DIR`: runs every case in DIR/tests/<case>/case.yaml through the real pipeline
/// (decode → Inspect → rules) and compares the hits with what the case expects.
public struct RulesTestCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the rule test cases in DIR/tests/ (input evidence, expected hits).",
        discussion: """
            Each case is a folder with case.yaml and its input files:

              description: SQL injection in a query string is detected
              rules: [web/sqli.yml]        # optional, relative to DIR; default: every rule
              inputs:
                - log: nginx:access.log    # FORMAT:FILE relative to the case folder
                - pcap: capture.pcap
              expect:
                - rule: <rule id>
                  hits: 2                  # matching events
              absent: [<rule id>]          # rules that must not fire

            Examples:
              vigil rules test rules/
              vigil rules test rules/ --case web-sqli-positive

            Exit status: 0 when every case passes, 1 when any fails, 2 when a case or rule cannot be read.
            """
    )

    @Argument(help: ArgumentHelp("A rule directory with tests/.", valueName: "dir"))
    var directory: String

    @Option(name: .long, help: ArgumentHelp("Run only this case (repeatable).", valueName: "name"))
    var `case`: [String] = []

    public init() {}

    public func run() async throws {
        let outcome = try await Self.runCases(directory: directory, only: `case`)
        for line in outcome.lines { print(line) }
        print("\(outcome.passed) passed, \(outcome.failed) failed, \(outcome.broken) could not run")
        if outcome.broken > 0 { throw ExitCode(2) }
        if outcome.failed > 0 { throw ExitCode(1) }
    }

    struct Outcome {
        var lines: [String] = []
        var passed = 0
        var failed = 0
        var broken = 0
        /// Rule ids with a passing case that expects them to fire, and one that expects them absent.
        var positive: Set<String> = []
        var negative: Set<String> = []
    }

    struct Case {
        var name: String
        var directory: String
        var rules: [String]
        var inputs: [(kind: String, value: String)]
        var expect: [(rule: String, hits: Int)]
        var absent: [String]
        /// For json: inputs, the ECS ← JSON mapping file (ecs.field=json.path lines).
        var jsonMapping: String?
    }

    static func runCases(directory: String, only: [String]) async throws -> Outcome {
        var outcome = Outcome()
        let testsDir = directory + "/tests"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: testsDir)) ?? []).sorted()
            .filter { only.isEmpty || only.contains($0) }
        var mappingDiagnostics: [ConfigDiagnostic] = []
        let mappings = RuleMappings.load(directory: directory + "/mappings", diagnostics: &mappingDiagnostics)
        let all = RuleLoader.load(files: RuleLoader.ruleFiles(in: directory), mappings: mappings)
        let enrichment = Enrichment(
            publicSuffixes: RuleStage.publicSuffixes(path: PublicSuffixList.systemPath),
            calendar: RuleLoader.loadCalendar(directory: directory, diagnostics: &mappingDiagnostics))
        for name in names {
            let caseDir = testsDir + "/" + name
            let reader = ConfigReader(file: caseDir + "/case.yaml")
            guard let text = try? String(contentsOfFile: reader.file, encoding: .utf8) else { continue }
            guard let root = reader.root(text), let c = parseCase(root, name: name, directory: caseDir),
                reader.errors.isEmpty
            else {
                outcome.broken += 1
                outcome.lines += reader.diagnostics.map { "BROKEN \(name): \($0)" }
                continue
            }
            let loaded =
                c.rules.isEmpty
                ? all
                : RuleLoader.load(files: c.rules.map { directory + "/" + $0 }, mappings: mappings)
            let hits: [String: Int]
            do {
                hits = try await evaluate(
                    c, rules: loaded.rules, correlations: loaded.correlations, enrichment: enrichment)
            } catch {
                outcome.broken += 1
                outcome.lines.append("BROKEN \(name): \(error)")
                continue
            }
            var problems: [String] = []
            for (rule, expected) in c.expect where hits[rule, default: 0] != expected {
                problems.append("rule \(rule) expected \(expected) hits, got \(hits[rule, default: 0])")
            }
            for rule in c.absent where hits[rule, default: 0] > 0 {
                problems.append("rule \(rule) must not fire, got \(hits[rule]!) hits")
            }
            let ids = Set(loaded.rules.rules.map(\.meta.id) + loaded.correlations.rules.map(\.meta.id))
            for rule in Set(c.expect.map(\.rule) + c.absent) where !ids.contains(rule) {
                problems.append("rule \(rule) is not loaded (unknown id, or it failed to load)")
            }
            if problems.isEmpty {
                outcome.passed += 1
                outcome.lines.append("PASS \(name)")
                outcome.positive.formUnion(c.expect.filter { $0.hits > 0 }.map(\.rule))
                outcome.negative.formUnion(c.absent)
            } else {
                outcome.failed += 1
                outcome.lines.append("FAIL \(name): " + problems.joined(separator: "; "))
            }
        }
        return outcome
    }

    static func parseCase(_ root: ConfigNode, name: String, directory: String) -> Case? {
        root.allowOnly(["description", "rules", "inputs", "expect", "absent", "json_mapping"])
        var c = Case(name: name, directory: directory, rules: [], inputs: [], expect: [], absent: [])
        c.rules = root.child("rules")?.sequence().compactMap { $0.string() } ?? []
        c.jsonMapping = root.child("json_mapping")?.string()
        for input in root.child("inputs")?.sequence() ?? [] {
            input.allowOnly(["log", "pcap"])
            if let log = input.child("log")?.string() {
                c.inputs.append(("log", log))
            } else if let pcap = input.child("pcap")?.string() {
                c.inputs.append(("pcap", pcap))
            } else {
                input.error("an input is log: FORMAT:FILE or pcap: FILE")
            }
        }
        if c.inputs.isEmpty { root.error("a case needs at least one input") }
        for item in root.child("expect")?.sequence() ?? [] {
            item.allowOnly(["rule", "hits"])
            guard let rule = item.child("rule")?.string(), let hits = item.child("hits")?.int(in: 0...1_000_000) else {
                item.error("an expectation is rule: ID and hits: N")
                continue
            }
            c.expect.append((rule.lowercased(), hits))
        }
        c.absent = (root.child("absent")?.sequence().compactMap { $0.string() } ?? []).map { $0.lowercased() }
        if c.expect.isEmpty && c.absent.isEmpty { root.error("a case expects something: expect: or absent:") }
        return c
    }

    /// Hits per rule id over the case's inputs, through the same decode → Inspect → rules path as
    /// `vigil analyze`.
    static func evaluate(_ c: Case, rules: RuleSet, correlations: CorrelationSet, enrichment: Enrichment)
        async throws -> [String: Int]
    {
        let inspector = Inspector(secret: Array("vigil rules test".utf8))
        let stage = RuleStage(rules: rules, correlations: correlations, enrichment: enrichment)
        let process: @Sendable (inout Event) -> Void = { event in
            stage.enrich(&event)
            inspector.inspect(&event)
            stage.evaluate(event, source: "case")
        }
        let writer = EventWriter(fd: open("/dev/null", O_WRONLY | O_CLOEXEC), ownsDescriptor: true)
        defer { writer.close() }
        var sources: [LogSource] = []
        for (kind, value) in c.inputs {
            switch kind {
            case "log":
                var (spec, file) = try LogFormats.parseArgument(value)
                file = c.directory + "/" + file
                if spec.name == "json", let mapping = c.jsonMapping {
                    let path = c.directory + "/" + mapping
                    try spec.readMapping(String(contentsOfFile: path, encoding: .utf8), file: path)
                }
                sources.append(try LogFormats.source(spec, pattern: file))
            default:
                _ = try await CaptureRun.run(
                    input: .file(c.directory + "/" + value), filter: nil, observerID: "rules-test",
                    configure: { _ in }, stop: StopSignal(),
                    sink: AnalyzeCommand.sink(writer: writer, process: process, inspectOnly: nil)
                )
            }
        }
        if !sources.isEmpty {
            var options = LogTailer.Options(observerID: "rules-test")
            options.identityIncludesInode = false
            let tailer = try LogTailer(
                sources: sources, options: options, sink: ProcessingLogSink(writer: writer, process: process),
                checkpoint: nil)
            try tailer.readToEnd()
        }
        stage.finish()
        return stage.snapshot.hitsByRule
    }
}

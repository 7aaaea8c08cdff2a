import Foundation
import Testing
import VigilConfig
import VigilCore

@testable import VigilRules

/// Auth events and the detection rules correlation tests refer to.
enum Corr {
    static let mapping = """
        logsource:
          product: vigil
          category: auth
        datasets: [auth]
        fields:
          src: source.ip
        """

    static func detection(_ name: String, _ id: String, action: String, outcome: String) -> String {
        """
        title: \(name)
        id: \(id)
        name: \(name)
        level: low
        logsource: {product: vigil, category: auth}
        detection:
          selection:
            event.action: \(action)
            event.outcome: \(outcome)
          condition: selection
        """
    }

    static let failure = detection(
        "fail", "11111111-1111-4111-8111-111111111111", action: "ssh_login", outcome: "failure")
    static let success = detection(
        "ok", "22222222-2222-4222-8222-222222222222", action: "ssh_login", outcome: "success")
    static let sudoFail = detection(
        "sudofail", "33333333-3333-4333-8333-333333333333", action: "sudo_command", outcome: "failure")

    static func correlation(_ body: String, extra: String = "") -> String {
        correlation("cccccccc-cccc-4ccc-8ccc-cccccccccccc", body, extra: extra)
    }

    static func correlation(_ id: String, _ body: String, extra: String = "") -> String {
        "title: Correlation \(id.prefix(4))\nid: \(id)\nlevel: high\n\(extra)\ncorrelation:\n"
            + body.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }

    static func load(_ texts: [String], overrides: String? = nil) -> RuleLoader.Result {
        var diagnostics: [ConfigDiagnostic] = []
        let m = RuleMappings.parse(text: mapping, file: "auth.yaml", diagnostics: &diagnostics)!
        let o = overrides.map { RuleOverrides.parse($0, file: "overrides.yaml", diagnostics: &diagnostics) }
        return RuleLoader.load(
            texts: texts.enumerated().map { ("r\($0.offset).yml", $0.element) }, mappings: RuleMappings(mappings: [m]),
            overrides: o ?? RuleOverrides(), diagnostics: diagnostics)
    }

    static func event(
        _ second: Int64, action: String = "ssh_login", outcome: String = "failure", ip: String? = "10.0.0.1",
        user: String? = nil, extra: [(String, FieldValue)] = []
    ) -> Event {
        var e = Event(
            timestamp: Timestamp(microseconds: 1_764_000_000_000_000 + second * 1_000_000),
            id: "e\(second)-\(action)-\(outcome)-\(ip ?? "-")-\(user ?? "-")", dataset: .auth, observerID: "node-1")
        e.set(Fields.eventAction, action)
        e.set(Fields.eventOutcome, outcome)
        if let ip { e.set(Fields.sourceIP, ip) }
        if let user { e.set(Fields.userName, user) }
        for (f, v) in extra { e.set(FieldID(f), v) }
        return e
    }

    /// Runs events (source "s" unless given) through the rules and the engine; returns the
    /// correlation hits' rule ids and group values, in order.
    static func run(
        _ result: RuleLoader.Result, _ events: [(Event, String)], options: CorrelationEngine.Options = .init(),
        engine: inout CorrelationEngine, flush: Bool = true
    ) -> [CorrelationHit] {
        var hits: [CorrelationHit] = []
        for (event, source) in events {
            let matched = result.rules.matches(event).map(\.meta.id)
            hits += engine.process(event, matched: matched, source: source)
        }
        if flush { hits += engine.flush() }
        return hits
    }

    static func run(_ result: RuleLoader.Result, _ events: [Event], options: CorrelationEngine.Options = .init())
        -> [CorrelationHit]
    {
        var engine = CorrelationEngine(set: result.correlations, options: options)
        return run(result, events.map { ($0, "s") }, engine: &engine)
    }
}

@Suite("Correlation rules")
struct CorrelationTests {
    let guessing = Corr.correlation(
        """
        type: event_count
        rules: [fail]
        group-by: [src]
        timespan: 5m
        condition: {gte: 5}
        """)

    @Test("event_count fires when the fifth failure from one source falls within 5 minutes, then starts over")
    func eventCount() throws {
        let r = Corr.load([Corr.failure, guessing])
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        #expect(r.correlations.rules.count == 1)
        // 12 failures 10 s apart from one source: hits at the 5th and the 10th.
        let events = (0..<12).map { Corr.event(Int64($0) * 10) }
        let hits = Corr.run(r, events)
        #expect(hits.count == 2)
        #expect(hits.first?.count == 5)
        #expect(hits.first?.event[Fields.sourceIP] == .string("10.0.0.1"), "group-by resolves the mapping's 'src'")
        #expect(hits.first?.event.timestamp == events[4].timestamp)
        #expect(hits.first?.eventIDs.first == events[0].id && hits.first?.eventIDs.last == events[4].id)
    }

    @Test("a correlation hit carries the department and data classification of its events (the incident's assets)")
    func assetLabels() throws {
        let r = Corr.load([Corr.failure, guessing])
        let labelled: [(String, FieldValue)] = [
            ("labels.department", .string("政务服务中心")), ("data.classification", .string("important")),
        ]
        let hits = Corr.run(r, (0..<5).map { Corr.event(Int64($0), extra: labelled) })
        #expect(hits.first?.event[Fields.labelsDepartment] == .string("政务服务中心"))
        #expect(hits.first?.event[Fields.dataClassification] == .string("important"))
        #expect(Corr.run(r, (0..<5).map { Corr.event(Int64($0)) }).first?.event[Fields.labelsDepartment] == nil)
    }

    @Test("failures spread wider than the timespan, or split between sources, do not fire")
    func eventCountWindowAndGroups() {
        let r = Corr.load([Corr.failure, guessing])
        let spread = (0..<10).map { Corr.event(Int64($0) * 100) }  // 5 in any 5 minutes? 100 s apart: 4 per 300 s
        #expect(Corr.run(r, spread).isEmpty)
        let split = (0..<8).map { Corr.event(Int64($0), ip: $0 % 2 == 0 ? "10.0.0.1" : "10.0.0.2") }
        #expect(Corr.run(r, split).isEmpty)
        let noSource = (0..<8).map { Corr.event(Int64($0), ip: nil) }
        var engine = CorrelationEngine(set: r.correlations)
        #expect(Corr.run(r, noSource.map { ($0, "s") }, engine: &engine).isEmpty)
        #expect(engine.stats.ungrouped == 8, "events without the group-by field are counted, not grouped together")
    }

    @Test("value_count counts distinct values, each element of a list field on its own")
    func valueCount() {
        let rule = Corr.correlation(
            """
            type: value_count
            rules: [fail]
            group-by: [src]
            timespan: 1h
            condition: {field: user.name, gte: 3}
            """)
        let r = Corr.load([Corr.failure, rule])
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        let same = (0..<6).map { Corr.event(Int64($0), user: "root") }
        #expect(Corr.run(r, same).isEmpty, "one user tried six times is not spraying")
        let spray = ["root", "admin", "root", "oracle"].enumerated().map {
            Corr.event(Int64($0.offset), user: $0.element)
        }
        let hits = Corr.run(r, spray)
        #expect(hits.map(\.count) == [3])
        let listRule = Corr.correlation(
            """
            type: value_count
            rules: [fail]
            group-by: [src]
            timespan: 1h
            condition: {field: dlp.hashes, gte: 4}
            """)
        let lists = Corr.load([Corr.failure, listRule])
        let events = [
            Corr.event(1, extra: [("dlp.hashes", .list([.string("a"), .string("b")]))]),
            Corr.event(2, extra: [("dlp.hashes", .list([.string("b"), .string("c")]))]),
            Corr.event(3, extra: [("dlp.hashes", .list([.string("d")]))]),
        ]
        #expect(Corr.run(lists, events).map(\.count) == [4])
    }

    @Test("temporal needs every rule in the window in any order; temporal_ordered needs the order")
    func temporal() {
        let anyOrder = Corr.correlation(
            """
            type: temporal
            rules: [fail, ok]
            group-by: [src]
            timespan: 10m
            """)
        let ordered = Corr.correlation(
            "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
            """
            type: temporal_ordered
            rules: [fail, ok]
            group-by: [src]
            timespan: 10m
            """)
        let r = Corr.load([Corr.failure, Corr.success, anyOrder, ordered])
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        let successFirst = [Corr.event(0, outcome: "success"), Corr.event(60)]
        let hits = Corr.run(r, successFirst)
        #expect(hits.map(\.rule.id) == ["cccccccc-cccc-4ccc-8ccc-cccccccccccc"], "only the unordered rule fires")
        let failureFirst = [Corr.event(0), Corr.event(60, outcome: "success")]
        #expect(Set(Corr.run(r, failureFirst).map(\.rule.id)).count == 2)
        let tooLate = [Corr.event(0), Corr.event(601, outcome: "success")]
        #expect(Corr.run(r, tooLate).isEmpty, "the success came after the 10-minute window")
    }

    @Test("chained correlations: a burst of failures then a success, as in the Sigma specification's example")
    func chained() {
        let burst = """
            title: Burst
            id: eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee
            name: burst
            correlation:
              type: event_count
              rules: [fail]
              group-by: [src]
              timespan: 5m
              condition: {gte: 3}
            """
        let after = Corr.correlation(
            """
            type: temporal_ordered
            rules: [burst, ok]
            group-by: [source.ip]
            timespan: 30m
            """)
        let r = Corr.load([after, Corr.failure, Corr.success, burst])
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        #expect(r.correlations.rules.map(\.meta.name) == ["burst", nil], "dependencies come first")
        #expect(
            r.correlations.silent == [
                "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "22222222-2222-4222-8222-222222222222",
                "11111111-1111-4111-8111-111111111111",
            ], "referenced rules raise no incident of their own unless a correlation generates them")
        let events = [Corr.event(0), Corr.event(10), Corr.event(20), Corr.event(300, outcome: "success")]
        let hits = Corr.run(r, events)
        #expect(hits.map(\.rule.name) == ["burst", nil])
        #expect(hits.last?.eventIDs.contains(events[0].id) == true, "samples reach down to the real events")
        #expect(hits.last?.eventIDs.last == events[3].id)
    }

    @Test("new_terms reports a value first seen after the learning period, and again after the history window")
    func newTerms() {
        let rule = Corr.correlation(
            """
            type: new_terms
            rules: [ok]
            group-by: [user.name]
            timespan: 1d
            condition: {field: src}
            """, extra: "vigil: {learning: 1h}")
        let r = Corr.load([Corr.success, rule])
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        let events = [
            Corr.event(0, outcome: "success", ip: "10.0.0.1", user: "alice"),  // learnt
            Corr.event(4000, outcome: "success", ip: "10.0.0.1", user: "alice"),  // known
            Corr.event(5000, outcome: "success", ip: "10.9.9.9", user: "alice"),  // new → hit
            Corr.event(5100, outcome: "success", ip: "10.9.9.9", user: "alice"),  // known now
            Corr.event(5200, outcome: "success", ip: "10.9.9.9", user: "bob"),  // new for bob → hit
            Corr.event(5100 + 86_400 + 1, outcome: "success", ip: "10.9.9.9", user: "alice"),  // forgotten → hit
        ]
        let hits = Corr.run(r, events)
        #expect(hits.count == 3)
        #expect(hits.first?.event[Fields.sourceIP] == .string("10.9.9.9"))
        #expect(
            hits.first?.rule.groupBy.map(\.name) == ["user.name", "source.ip"], "each new term is its own incident")
    }

    @Test("an upper-bounded condition is judged when the window closes")
    func upperBound() {
        let rule = Corr.correlation(
            """
            type: event_count
            rules: [fail]
            group-by: [src]
            timespan: 1m
            condition: {gte: 2, lte: 3}
            """)
        let r = Corr.load([Corr.failure, rule])
        #expect(Corr.run(r, [Corr.event(0), Corr.event(10)]).map(\.count) == [2])
        #expect(Corr.run(r, (0..<5).map { Corr.event(Int64($0)) }).isEmpty, "5 in a minute is more than 3")
        let twoWindows = [0, 10, 20, 30, 100, 110].map { Corr.event(Int64($0)) }
        #expect(Corr.run(r, twoWindows).map(\.count) == [2], "windows follow each other: 4 in the first, 2 in the next")
    }

    @Test("two sources read out of order give the same hits as one stream in order")
    func watermarks() {
        let r = Corr.load([Corr.failure, Corr.success, guessing])
        let events = (0..<20).map { Corr.event(Int64($0) * 20, ip: $0 % 3 == 0 ? "10.0.0.7" : "10.0.0.1") }
        let inOrder = Corr.run(r, events).map { "\($0.event.timestamp) \($0.event[Fields.sourceIP]!)" }
        // Source a has the even events, b the odd ones; a is read to its end before b starts.
        var options = CorrelationEngine.Options()
        options.latenessMicros = 3_600_000_000
        var engine = CorrelationEngine(set: r.correlations, options: options)
        engine.expect(source: "a")
        engine.expect(source: "b")
        let evens = events.enumerated().filter { $0.offset % 2 == 0 }.map { ($0.element, "a") }
        let odds = events.enumerated().filter { $0.offset % 2 == 1 }.map { ($0.element, "b") }
        var hits = Corr.run(r, evens, engine: &engine, flush: false)
        #expect(hits.isEmpty, "source b has not reported: nothing is released")
        hits += engine.finish(source: "a")
        hits += Corr.run(r, odds, engine: &engine)
        #expect(hits.map { "\($0.event.timestamp) \($0.event[Fields.sourceIP]!)" } == inOrder)
        #expect(engine.stats.late == 0)
    }

    @Test("a match older than the released watermark is late: counted, not correlated")
    func late() {
        let r = Corr.load([Corr.failure, guessing])
        var options = CorrelationEngine.Options()
        options.latenessMicros = 60_000_000
        var engine = CorrelationEngine(set: r.correlations, options: options)
        let events = [Corr.event(0), Corr.event(1000), Corr.event(10)]
        _ = Corr.run(r, events.map { ($0, "s") }, engine: &engine, flush: false)
        #expect(engine.stats.late == 1)
        #expect(engine.stats.released == 1)
    }

    @Test("state restored from a snapshot continues as if the run had not stopped")
    func snapshotRestore() throws {
        let r = Corr.load([Corr.failure, guessing])
        let events = (0..<9).map { Corr.event(Int64($0) * 10) }
        var options = CorrelationEngine.Options()
        options.latenessMicros = 0
        var whole = CorrelationEngine(set: r.correlations, options: options)
        let expected = Corr.run(r, events.map { ($0, "s") }, engine: &whole, flush: false).count
        #expect(expected == 1)
        var first = CorrelationEngine(set: r.correlations, options: options)
        _ = Corr.run(r, events.prefix(3).map { ($0, "s") }, engine: &first, flush: false)
        let data = try first.snapshot()
        var second = CorrelationEngine(set: r.correlations, options: options)
        #expect(try second.restore(data) == 1)
        let hits = Corr.run(r, events.dropFirst(3).map { ($0, "s") }, engine: &second, flush: false)
        #expect(hits.count == expected, "three failures before the restart and two after make five")
        // A changed rule does not inherit state kept for its old definition.
        let changed = Corr.load([Corr.failure, guessing.replacingOccurrences(of: "gte: 5", with: "gte: 4")])
        var third = CorrelationEngine(set: changed.correlations, options: options)
        #expect(try third.restore(data) == 0)
    }

    @Test("a rule reload keeps the state and buffered matches of unchanged rules; a changed rule starts empty")
    func reload() {
        let r = Corr.load([Corr.failure, guessing])
        // Lateness 5 minutes: the first failures are still buffered (not yet released) at the reload.
        let events = (0..<9).map { Corr.event(Int64($0) * 10) }
        var whole = CorrelationEngine(set: r.correlations)
        let expected = Corr.run(r, events.map { ($0, "s") }, engine: &whole).count
        #expect(expected == 1)

        var before = CorrelationEngine(set: r.correlations)
        _ = Corr.run(r, events.prefix(3).map { ($0, "s") }, engine: &before, flush: false)
        let sudo = Corr.correlation(
            "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
            """
            type: event_count
            rules: [sudofail]
            group-by: [src]
            timespan: 5m
            condition: {gte: 2}
            """)
        let grown = Corr.load([Corr.failure, Corr.sudoFail, guessing, sudo])
        var (after, kept) = before.reloaded(with: grown.correlations)
        #expect(kept == 1, "the guessing rule is unchanged; the sudo rule is new")
        let hits = Corr.run(grown, events.dropFirst(3).map { ($0, "s") }, engine: &after)
        #expect(hits.count == expected, "three failures before the reload and six after: as without a reload")

        let changed = Corr.load([Corr.failure, guessing.replacingOccurrences(of: "gte: 5", with: "gte: 8")])
        var (fresh, none) = before.reloaded(with: changed.correlations)
        #expect(none == 0)
        #expect(
            Corr.run(changed, events.dropFirst(3).map { ($0, "s") }, engine: &fresh).isEmpty,
            "the changed rule counts only the six failures after the reload")
    }

    @Test("state is bounded: groups beyond the cap are refused and counted; expired groups are dropped")
    func bounded() {
        let r = Corr.load([Corr.failure, guessing])
        var options = CorrelationEngine.Options()
        options.maxGroupsPerRule = 10
        options.latenessMicros = 0
        var engine = CorrelationEngine(set: r.correlations, options: options)
        let many = (0..<50).map { Corr.event(Int64($0), ip: "10.1.0.\($0)") }
        _ = Corr.run(r, many.map { ($0, "s") }, engine: &engine, flush: false)
        #expect(engine.groupCount == 10)
        #expect(engine.stats.overflow == 40)
        _ = Corr.run(r, [(Corr.event(10_000, ip: "10.2.0.1"), "s")], engine: &engine, flush: false)
        #expect(engine.groupCount == 1, "groups idle for longer than the timespan expire")
    }
}

@Suite("Correlation rule loading")
struct CorrelationLoadingTests {
    @Test("a reference cycle is an error naming the rule")
    func cycle() {
        let a = """
            title: A
            id: aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
            name: a
            correlation: {type: event_count, rules: [b], group-by: [src], timespan: 5m, condition: {gte: 2}}
            """
        let b = """
            title: B
            id: bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb
            name: b
            correlation: {type: event_count, rules: [a], group-by: [src], timespan: 5m, condition: {gte: 2}}
            """
        let r = Corr.load([a, b])
        #expect(r.correlations.rules.isEmpty)
        #expect(r.errors.contains { $0.problem.contains("cycle") })
    }

    @Test("missing pieces are reported with a hint: value_count without field, bad timespan, unknown type")
    func badCorrelations() {
        let noField = Corr.correlation(
            "type: value_count\nrules: [fail]\ngroup-by: [src]\ntimespan: 5m\ncondition: {gte: 2}")
        let badSpan = Corr.correlation(
            "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
            "type: event_count\nrules: [fail]\ngroup-by: [src]\ntimespan: 5 minutes\ncondition: {gte: 2}")
        let badType = Corr.correlation(
            "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "type: event_cnt\nrules: [fail]\ntimespan: 5m")
        let r = Corr.load([Corr.failure, noField, badSpan, badType])
        #expect(r.correlations.rules.isEmpty)
        let text = r.errors.map(\.description).joined(separator: "\n")
        #expect(text.contains("value_count needs the field"))
        #expect(text.contains("r2.yml:9") && text.contains("'5 minutes' is not a timespan"), "\(text)")
        #expect(text.contains("did you mean 'event_count'"))
    }

    @Test("overrides change a threshold, a window and a level by rule id, disable rules, and warn about unknown ids")
    func overrides() throws {
        let rule = Corr.correlation(
            "type: event_count\nrules: [fail]\ngroup-by: [src]\ntimespan: 5m\ncondition: {gte: 50}")
        let overrides = """
            cccccccc-cccc-4ccc-8ccc-cccccccccccc:
              condition: {gte: 3}
              timespan: 10m
              level: critical
            33333333-3333-4333-8333-333333333333:
              enabled: false
            44444444-4444-4444-8444-444444444444:
              level: low
            """
        let r = Corr.load([Corr.failure, Corr.sudoFail, rule], overrides: overrides)
        #expect(r.errors.isEmpty, "\(r.errors)")
        let c = try #require(r.correlations.rules.first)
        #expect(c.condition.gte == 3 && c.timespanMicros == 600_000_000 && c.meta.level == .critical)
        #expect(!r.rules.rules.contains { $0.meta.id == "33333333-3333-4333-8333-333333333333" })
        #expect(
            r.diagnostics.contains {
                $0.isWarning && $0.file == "overrides.yaml" && $0.line == 7 && $0.problem.contains("no loaded rule")
            })
        #expect(Corr.run(r, (0..<3).map { Corr.event(Int64($0) * 200) }).count == 1)
        let bad = Corr.load([Corr.failure, rule], overrides: "cccccccc-cccc-4ccc-8ccc-cccccccccccc: {timespan: soon}")
        #expect(bad.errors.contains { $0.file == "overrides.yaml" && $0.problem.contains("'soon' is not a timespan") })
    }
}

@Suite("The pending-match queue: an in-order run beside a heap")
struct PendingQueueTests {
    @Test(
        "matches come out in (event time, arrival) order whatever mix of in-order, late and tied times goes in, also interleaved with pops"
    )
    func order() {
        var rng = DetectionPropertyTests.Generator(state: 42)
        for round in 0..<50 {
            var queue = PendingHeap<Int>()
            var model: [(key: Int64, seq: UInt64)] = []
            var popped: [(key: Int64, seq: UInt64)] = []
            var expected: [(key: Int64, seq: UInt64)] = []
            var clock: Int64 = 0
            var seq: UInt64 = 0
            for _ in 0..<(200 + round * 20) {
                if Int.random(in: 0..<10, using: &rng) < 3, let (key, element) = queue.pop() {
                    // What pops is the smallest (key, seq) still queued.
                    let smallest = model.indices.min {
                        (model[$0].key, model[$0].seq) < (model[$1].key, model[$1].seq)
                    }!
                    expected.append(model.remove(at: smallest))
                    popped.append((key, UInt64(element)))
                    continue
                }
                // Mostly forward in time, sometimes equal, sometimes back (a late or interleaved source).
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<6: clock += Int64.random(in: 1...5, using: &rng)
                case 6..<8: break
                default: clock -= Int64.random(in: 1...20, using: &rng)
                }
                seq += 1
                queue.push(clock, seq, Int(seq))
                model.append((clock, seq))
            }
            #expect(queue.count == model.count)
            while let (key, element) = queue.pop() { popped.append((key, UInt64(element))) }
            expected += model.sorted { ($0.key, $0.seq) < ($1.key, $1.seq) }
            #expect(
                popped.map(\.key) == expected.map(\.key) && popped.map(\.seq) == expected.map(\.seq), "round \(round)")
            #expect(queue.isEmpty && queue.minKey == nil)
        }
    }

    @Test("a reload's compactMap keeps the kept elements in the same order")
    func compactMap() {
        var queue = PendingHeap<Int>()
        for (i, key) in [5, 3, 9, 9, 1, 12, 7].enumerated() { queue.push(Int64(key), UInt64(i), i) }
        var kept = queue.compactMap { $0 % 2 == 0 ? $0 * 10 : nil }
        var out: [Int] = []
        while let (_, element) = kept.pop() { out.append(element) }
        #expect(out == [40, 0, 60, 20], "keys 1, 5, 7 and 9 (the first of the two arrivals)")
    }
}

/// Every correlation type's state across a snapshot, and a snapshot file written by an earlier
/// release (the correlator keeps them in its store: an upgrade must not forget a brute force).
@Suite("Correlation snapshots")
struct CorrelationSnapshotTests {
    static let rules = [
        Corr.failure, Corr.success,
        Corr.correlation(
            "cccccccc-cccc-4ccc-8ccc-cccccccccccc",
            "type: event_count\nrules: [fail]\ngroup-by: [src]\ntimespan: 5m\ncondition: {gte: 3}"),
        Corr.correlation(
            "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
            "type: value_count\nrules: [fail]\ngroup-by: [src]\ntimespan: 1h\ncondition: {field: user.name, gte: 3}"),
        Corr.correlation(
            "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee",
            "type: temporal_ordered\nrules: [fail, ok]\ngroup-by: [src]\ntimespan: 30m"),
        Corr.correlation(
            "ffffffff-ffff-4fff-8fff-ffffffffffff",
            "type: new_terms\nrules: [ok, fail]\ngroup-by: [user.name]\ntimespan: 1d\ncondition: {field: src}",
            extra: "vigil: {learning: 1m}"),
        Corr.correlation(
            "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
            "type: event_count\nrules: [ok]\ngroup-by: [src, user.name]\ntimespan: 10m\ncondition: {lt: 2}"),
    ]

    /// 40 events over 20 minutes from three addresses and four users: guessing, spraying, a
    /// success after failures, new sources for users, and lone successes.
    static let events: [Event] = (0..<40).map { i in
        let ip = ["10.0.0.1", "10.0.0.2", "192.168.7.9"][i % 3]
        let user = ["root", "admin", "oracle", "alice"][(i / 3) % 4]
        return Corr.event(Int64(i) * 30, outcome: i % 7 == 6 ? "success" : "failure", ip: ip, user: user)
    }

    /// The hits, sorted: the order of hits released together (windows closed by one sweep) is not defined.
    static func describe(_ hits: [CorrelationHit]) -> [String] {
        hits.map { hit in
            let group = hit.rule.groupBy.map { hit.event[$0]?.stringValue ?? "-" }.joined(separator: ",")
            return "\(hit.rule.id.prefix(4)) \(group) n=\(hit.count) at=\(hit.event.timestamp.microseconds) "
                + hit.eventIDs.joined(separator: ";")
        }.sorted()
    }

    static func engine(_ r: RuleLoader.Result) -> CorrelationEngine {
        var options = CorrelationEngine.Options()
        options.latenessMicros = 0
        return CorrelationEngine(set: r.correlations, options: options)
    }

    @Test("every correlation type's state survives a snapshot: the hits are those of an uninterrupted run")
    func allTypes() throws {
        let r = Corr.load(Self.rules)
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        var whole = Self.engine(r)
        let expected = Self.describe(Corr.run(r, Self.events.map { ($0, "s") }, engine: &whole))
        #expect(Set(expected.map { $0.prefix(4) }) == ["cccc", "dddd", "eeee", "ffff", "aaaa"], "\(expected)")
        for split in [1, 13, 20, 26, 33] {
            var first = Self.engine(r)
            var hits = Corr.run(r, Self.events.prefix(split).map { ($0, "s") }, engine: &first, flush: false)
            var second = Self.engine(r)
            #expect(try second.restore(first.snapshot()) == 5)
            #expect(second.groupCount == first.groupCount)
            hits += Corr.run(r, Self.events.dropFirst(split).map { ($0, "s") }, engine: &second)
            #expect(Self.describe(hits) == expected, "split after \(split) events")
        }
    }

    @Test("rules that group by the same fields share key lookups, not state: together each fires as it does alone")
    func sharedGroupKeys() {
        // Seven rules by source address (two shared directories of at most four), with windows from
        // 1 to 60 minutes, so one rule's groups expire while another's with the same key live on.
        let extra = [("b1", "2m", 2), ("b2", "5m", 3), ("b3", "10m", 5), ("b4", "1h", 8)].map { id, span, n in
            Corr.correlation(
                "\(id)bbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
                "type: event_count\nrules: [fail]\ngroup-by: [src]\ntimespan: \(span)\ncondition: {gte: \(n)}")
        }
        let all = Self.rules + extra
        let r = Corr.load(all)
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        // The events twice, an hour apart: every group of every rule expires in between.
        let events =
            Self.events
            + Self.events.map { e in
                var later = e
                later.timestamp = Timestamp(microseconds: e.timestamp.microseconds + 3_600_000_000)
                later.id = e.id + "-later"
                return later
            }
        var together = Self.engine(r)
        let hits = Self.describe(Corr.run(r, events.map { ($0, "s") }, engine: &together))
        var alone: [String] = []
        for rule in all where rule.contains("correlation:") {
            let single = Corr.load([Corr.failure, Corr.success, rule])
            var engine = Self.engine(single)
            alone += Self.describe(Corr.run(single, events.map { ($0, "s") }, engine: &engine))
        }
        #expect(hits == alone.sorted())
        #expect(Set(hits.map { $0.prefix(4) }).count == 9, "every rule fires: \(hits)")

        // A reload that drops the first rules moves the others to other lanes: their groups carry on.
        var before = Self.engine(r)
        let first = Self.describe(Corr.run(r, events.prefix(30).map { ($0, "s") }, engine: &before, flush: false))
        let fewer = Corr.load([Corr.failure, Corr.success] + extra)
        var (after, kept) = before.reloaded(with: fewer.correlations)
        #expect(kept == 4)
        let second = Self.describe(Corr.run(fewer, events.dropFirst(30).map { ($0, "s") }, engine: &after))
        var reference = Self.engine(fewer)
        let expected = Self.describe(Corr.run(fewer, events.map { ($0, "s") }, engine: &reference))
        #expect((first + second).filter { $0.hasPrefix("b") }.sorted() == expected)
    }

    @Test("a version 2 snapshot saved by an earlier release loads and carries on")
    func earlierRelease() throws {
        let r = Corr.load(Self.rules)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/correlation/snapshot-v2-after-26-events.json")
        if ProcessInfo.processInfo.environment["VIGIL_WRITE_SNAPSHOT_FIXTURE"] == "1" {
            var first = Self.engine(r)
            _ = Corr.run(r, Self.events.prefix(26).map { ($0, "s") }, engine: &first, flush: false)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try first.snapshot().write(to: file)
        }
        var whole = Self.engine(r)
        let all = Self.describe(Corr.run(r, Self.events.map { ($0, "s") }, engine: &whole))
        var first = Self.engine(r)
        let before = Self.describe(
            Corr.run(r, Self.events.prefix(26).map { ($0, "s") }, engine: &first, flush: false))
        var restored = Self.engine(r)
        #expect(try restored.restore(Data(contentsOf: file)) == 5)
        let after = Self.describe(Corr.run(r, Self.events.dropFirst(26).map { ($0, "s") }, engine: &restored))
        #expect((before + after).sorted() == all)
    }
}

import Foundation
import Testing
import VigilConfig
import VigilCore

@testable import VigilResponse

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func shipped(_ path: String) throws -> String {
    try String(contentsOf: repoRoot.appendingPathComponent(path), encoding: .utf8)
}

@Suite("Ticket workflow")
struct TicketStatusTests {
    @Test("the happy path new → acknowledged → contained → resolved → closed is allowed step by step")
    func happyPath() {
        var status = TicketStatus.new
        for next in [TicketStatus.acknowledged, .contained, .resolved, .closed] {
            guard case .success(let s) = status.transition(to: next) else {
                Issue.record("\(status) → \(next) refused")
                return
            }
            status = s
        }
        #expect(status == .closed && status.isFinal)
    }

    @Test("a skipped step is refused with the way to get there; final states refuse everything")
    func refusals() {
        guard case .failure(let skip) = TicketStatus.new.transition(to: .contained) else {
            Issue.record("new → contained must be refused")
            return
        }
        #expect(skip.message == "a ticket cannot go from new to contained; go new → acknowledged → contained")
        guard case .failure(let final) = TicketStatus.falsePositive.transition(to: .acknowledged) else {
            Issue.record("false_positive is final")
            return
        }
        #expect(final.message.contains("final"))
        guard case .failure(let same) = TicketStatus.acknowledged.transition(to: .acknowledged) else {
            Issue.record("no-op refused")
            return
        }
        #expect(same.message == "the ticket is already acknowledged")
        #expect(TicketStatus.resolved.next.contains(.acknowledged), "a resolved ticket can be reopened")
        #expect(!TicketStatus.contained.next.contains(.falsePositive), "contained means it was real")
        #expect(!TicketStatus.resolved.isOpen && TicketStatus.contained.isOpen)
    }

    @Test("every status can reach closed or a final state: no dead end but the final ones")
    func noDeadEnds() {
        for status in TicketStatus.allCases where !status.isFinal {
            #expect(TicketStatus.path(from: status, to: .closed) != nil, "\(status)")
        }
    }
}

@Suite("Response levels")
struct ResponseLevelTests {
    func table() throws -> ResponseLevelTable {
        var diagnostics: [ConfigDiagnostic] = []
        let table = ResponseLevelTable.parse(
            try shipped("rules/response/levels.yaml"), file: "levels.yaml", diagnostics: &diagnostics)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        return try #require(table)
    }

    @Test(
        "the shipped table grades by rule level, data class and scale",
        arguments: [
            (RuleLevel.high, DataClassification.core, 0, ResponseLevel.i),
            (.low, nil, 150_000_000, .i),
            (.medium, .core, 0, .ii),
            (.high, .important, 0, .ii),
            (.critical, .important, 0, .ii),
            (.medium, nil, 12_000_000, .ii),
            (.low, .important, 0, .iii),
            (.critical, .general, 0, .iii),
            (.medium, nil, 1_000_000, .iii),
            (.high, .general, 999_999, .iv),
            (.informational, nil, 0, .iv),
        ] as [(RuleLevel, DataClassification?, Int, ResponseLevel)])
    func grading(rule: RuleLevel, classification: DataClassification?, people: Int, expected: ResponseLevel) throws {
        let (level, why) = try table().level(
            for: LevelInputs(ruleLevel: rule, classification: classification, people: people))
        #expect(level == expected, "\(why)")
        #expect(why.contains("levels.yaml"))
    }

    @Test("a bad table names the line: unknown level, rows out of order, a row without conditions, unknown keys")
    func badTable() {
        var diagnostics: [ConfigDiagnostic] = []
        let text = """
            rows:
              - level: III
                when: {rule_level: critical}
              - level: II
                when: {classification: secret}
              - level: V
                when: {people: 10}
              - level: IV
                when: {}
              - level: IV
                when: {peoples: 3}
            default: IV
            """
        #expect(ResponseLevelTable.parse(text, file: "levels.yaml", diagnostics: &diagnostics) == nil)
        let text2 = diagnostics.map(\.description).joined(separator: "\n")
        #expect(text2.contains("levels.yaml:4") && text2.contains("comes after a level III row"), "\(text2)")
        #expect(text2.contains("levels.yaml:5") && text2.contains("secret"), "\(text2)")
        #expect(text2.contains("levels.yaml:6") && text2.contains("'V' is not a response level"), "\(text2)")
        #expect(text2.contains("has no condition"), "\(text2)")
        #expect(text2.contains("peoples"), "\(text2)")
    }

    @Test("levels order by severity and name themselves in Chinese with their warning colour")
    func names() {
        #expect(ResponseLevel.i > .ii && ResponseLevel.iii > .iv)
        #expect(ResponseLevel.ii.chinese == "重大" && ResponseLevel.ii.colour == "orange")
        #expect(ResponseLevel.iv.colourChinese == "蓝" && ResponseLevel(roman: "iii") == .iii)
    }
}

@Suite("Deadlines")
struct DeadlineTests {
    let opened = Timestamp(seconds: 1_800_000_000, microseconds: 0)

    func at(_ seconds: Int64) -> Timestamp { Timestamp(microseconds: opened.microseconds + seconds * 1_000_000) }

    @Test("a state organ reports level III and above within 2 h; level IV has no report deadline")
    func reportDeadlines() {
        let policy = DeadlinePolicy()
        let iii = policy.deadlines(opened: opened, level: .iii)
        #expect(iii.map(\.kind) == [.acknowledge, .report])
        #expect(iii[1].due == at(7200))
        #expect(iii[0].due == at(3600), "level III is acknowledged within an hour")
        #expect(policy.deadlines(opened: opened, level: .iv).map(\.kind) == [.acknowledge])
        var cii = DeadlinePolicy()
        cii.operatorKind = .criticalInfrastructure
        #expect(cii.deadlines(opened: opened, level: .i)[1].due == at(3600))
        var other = DeadlinePolicy()
        other.operatorKind = .other
        #expect(other.deadlines(opened: opened, level: .ii)[1].due == at(4 * 3600))
    }

    @Test(
        "a deadline is pending, then approaching at 75 %, then missed; met stays met",
        arguments: [
            (0, Deadline.State.pending), (2699, .pending), (2700, .approaching), (3600, .approaching), (3601, .missed),
        ] as [(Int64, Deadline.State)])
    func states(elapsed: Int64, expected: Deadline.State) {
        let d = Deadline(kind: .acknowledge, opened: opened, due: at(3600))
        #expect(d.state(at: at(elapsed)) == expected)
        var met = d
        met.met = at(10)
        #expect(met.state(at: at(elapsed)) == .met)
    }
}

@Suite("Playbooks and categories")
struct PlaybookTests {
    @Test("the shipped playbooks load; a subcategory uses its category's; reporting only from level III")
    func shippedLibrary() throws {
        var diagnostics: [ConfigDiagnostic] = []
        let library = PlaybookLibrary.load(
            directory: repoRoot.appendingPathComponent("rules/playbooks").path, diagnostics: &diagnostics)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let leak = try #require(library.playbook(for: "dsi-leak"))
        #expect(leak.category == "dsi")
        #expect(leak.steps.first?.id == "confirm-scope")
        #expect(leak.steps(for: .iii).contains { $0.id == "report-authority" })
        #expect(!leak.steps(for: .iv).contains { $0.id == "report-authority" })
        #expect(library.playbook(for: "efi-fault")?.category == "default")
        #expect(library.playbook(for: nil)?.category == "default")
        for book in library.playbooks.values {
            #expect(book.steps.allSatisfy { !$0.zh.isEmpty && !$0.en.isEmpty && $0.dueSeconds > 0 }, "\(book.file)")
        }
    }

    @Test("a bad playbook names the line: a step without a role, a bad due time, a duplicate id")
    func badPlaybook() {
        var diagnostics: [ConfigDiagnostic] = []
        let text = """
            category: nai
            steps:
              - {id: a, zh: 甲, en: A, due: 1h}
              - {id: b, zh: 乙, en: B, role: ops, due: soon}
              - {id: c, zh: 丙, en: C, role: ops, due: 1h}
              - {id: c, zh: 丙, en: C, role: ops, due: 2h}
            """
        #expect(Playbook.parse(text, file: "nai.yaml", diagnostics: &diagnostics) == nil)
        let all = diagnostics.map(\.description).joined(separator: "\n")
        #expect(all.contains("nai.yaml:3") && all.contains("needs id, zh, en, role and due"), "\(all)")
        #expect(all.contains("nai.yaml:4") && all.contains("'soon' is not a duration"), "\(all)")
        #expect(all.contains("nai.yaml:6") && all.contains("appears twice"), "\(all)")
    }

    @Test("categories resolve to Chinese and English names, a subcategory with its parent")
    func categories() throws {
        var diagnostics: [ConfigDiagnostic] = []
        let table = try #require(
            CategoryTable.parse(
                try shipped("rules/response/categories.yaml"), file: "categories.yaml", diagnostics: &diagnostics))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(table.category("dsi-leak")?.parent == "dsi")
        #expect(table.describe("dsi-leak") == "数据泄露事件 / Data leakage (数据安全事件 / Data security incident)")
        #expect(table.describe("nai") == "网络攻击事件 / Network attack incident")
        #expect(table.categories.values.filter { $0.parent == $0.code }.count == 10, "GB/T 20986-2023 has 10")
    }
}

@Suite("Ticket timeline hash chain")
struct TimelineTests {
    func chain(_ n: Int) -> [TimelineEntry] {
        var out: [TimelineEntry] = []
        for i in 0..<n {
            out.append(
                TimelineEntry(
                    after: out.last, time: Int64(i) * 1_000_000, ticket: "T-\(i % 3)", actor: "ana (tok_1)",
                    action: "ticket.note", detail: "{\"note\":\"step \(i)\"}"))
        }
        return out
    }

    @Test("an untouched chain verifies up to the head recorded outside the database")
    func intact() {
        let entries = chain(10)
        #expect(TimelineEntry.verify(entries, head: (10, entries[9].hash)) == .intact(entries: 10))
        #expect(entries[0].previousHash == TimelineEntry.genesis && entries[1].previousHash == entries[0].hash)
    }

    @Test("an edited entry is named")
    func edited() {
        var entries = chain(10)
        entries[4].detail = "{\"note\":\"nothing happened\"}"
        guard case .broken(let seq, let problem) = TimelineEntry.verify(entries, head: nil) else {
            Issue.record("an edit must be detected")
            return
        }
        #expect(seq == 5 && problem.contains("was changed"))
    }

    @Test("an edit that recomputes its own hash still breaks the next entry's link")
    func rehashed() {
        var entries = chain(10)
        entries[4].actor = "someone else"
        entries[4].hash = entries[4].computedHash
        guard case .broken(let seq, let problem) = TimelineEntry.verify(entries, head: nil) else {
            Issue.record("a re-hashed edit must be detected")
            return
        }
        #expect(seq == 6 && problem.contains("does not chain"))
    }

    @Test("a deleted entry in the middle is named; deleted newest entries show against the outside head")
    func deleted() {
        var entries = chain(10)
        let head = (seq: Int64(10), hash: entries[9].hash)
        entries.remove(at: 3)
        #expect(
            TimelineEntry.verify(entries, head: head)
                == .broken(seq: 5, problem: "entry 5 follows entry 3: entries 4…4 are missing"))
        var truncated = chain(10)
        truncated.removeLast(2)
        guard case .broken(let seq, let problem) = TimelineEntry.verify(truncated, head: head) else {
            Issue.record("a truncated tail must be detected")
            return
        }
        #expect(seq == 9 && problem.contains("newest entries were deleted"))
        #expect(TimelineEntry.verify(truncated, head: nil) == .intact(entries: 8), "without the head it cannot show")
    }

    @Test("fields are length-prefixed: moving text between fields changes the hash")
    func unambiguous() {
        let a = TimelineEntry(after: nil, time: 1, ticket: "T", actor: "ab", action: "c", detail: "")
        let b = TimelineEntry(after: nil, time: 1, ticket: "T", actor: "a", action: "bc", detail: "")
        #expect(a.hash != b.hash)
    }
}

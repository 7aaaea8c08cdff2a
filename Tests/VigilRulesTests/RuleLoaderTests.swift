import Foundation
import Testing
import VigilConfig
import VigilCore

@testable import VigilRules

/// A rule directory written to a temporary folder.
final class RuleDir {
    let path: String
    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "vigil-rules-\(UUID().uuidString)"
        for (name, text) in files {
            let file = path + "/" + name
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let webMapping = """
    logsource:
      category: webserver
    datasets: [web.access, http]
    keyword_fields: [url.original, user_agent.original]
    fields:
      cs-uri-query: url.query
      c-ip: source.ip
    """

func rule(id: String = "5f0c5b8e-8a4c-4b8e-9a51-0d6c3f1e2a11", title: String = "SQL injection", extra: String = "")
    -> String
{
    """
    title: \(title)
    id: \(id)
    status: experimental
    level: high
    tags:
      - vigil.stage.collection
      - gbt20986.CAA
      - attack.t1190
    logsource:
      category: webserver
    detection:
      selection:
        cs-uri-query|contains: "' or 1=1"
      condition: selection
    \(extra)
    """
}

@Suite("Rule loading")
struct RuleLoaderTests {
    @Test("a valid rule loads with its stage, category, ATT&CK tags and the datasets of its mapping")
    func loads() throws {
        let dir = try RuleDir(["mappings/web.yaml": webMapping, "web/sqli.yml": rule()])
        let result = RuleLoader.load(directory: dir.path)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let r = try #require(result.rules.rules.first)
        #expect(r.meta.stage == .collection)
        #expect(r.meta.category == "CAA")
        #expect(r.meta.attack == ["attack.t1190"])
        #expect(r.meta.level == .high)
        #expect(r.datasets == ["web.access", "http"])
        var e = Event(timestamp: Timestamp(microseconds: 0), id: "e1", dataset: .webAccess)
        e.set(Fields.urlQuery, "id=1' OR 1=1--")
        #expect(result.rules.matches(e).map(\.meta.id) == [r.meta.id])
        var other = e
        other.dataset = .dns
        #expect(result.rules.matches(other).isEmpty, "a web rule never meets DNS events")
    }

    @Test("one bad rule is reported with file, line, rule and problem; the others load")
    func badRuleSkipped() throws {
        let dir = try RuleDir([
            "mappings/web.yaml": webMapping,
            "web/good.yml": rule(),
            "web/bad.yml": rule(id: "not-a-uuid", title: "Broken"),
            "web/stage.yml": rule(id: "7a1d9d43-3f5e-4b7f-8f0a-1f2e3d4c5b6a", title: "Typo")
                .replacingOccurrences(of: "vigil.stage.collection", with: "vigil.stage.colection"),
            "web/dup.yml": rule(title: "Duplicate"),
        ])
        let result = RuleLoader.load(directory: dir.path)
        // Files load in path order: dup.yml comes first and keeps the id; good.yml is the duplicate.
        #expect(result.rules.rules.map(\.meta.title) == ["Duplicate"])
        let text = result.errors.map(\.description)
        #expect(text.contains { $0.contains("bad.yml:2: rule not-a-uuid \"Broken\": id: 'not-a-uuid' is not a UUID") })
        #expect(
            text.contains {
                $0.contains("stage.yml") && $0.contains("unknown lifecycle stage 'colection'")
                    && $0.contains("did you mean 'collection'")
            })
        #expect(text.contains { $0.contains("good.yml") && $0.contains("duplicate rule id, first defined in") })
    }

    @Test("a rule whose log source no mapping covers is an error, not a rule that silently never fires")
    func unmappedLogsource() throws {
        let dir = try RuleDir([
            "mappings/web.yaml": webMapping,
            "x.yml": rule().replacingOccurrences(of: "category: webserver", with: "product: windows"),
        ])
        let result = RuleLoader.load(directory: dir.path)
        #expect(result.rules.rules.isEmpty)
        #expect(result.errors.first?.problem.contains("no field mapping covers this log source") == true)
    }

    @Test("a correlation rule referring to a rule that does not exist names the file, line and reference")
    func correlationUnknownReference() throws {
        let dir = try RuleDir([
            "mappings/web.yaml": webMapping,
            "web/sqli.yml": rule(extra: "name: sqli"),
            "c.yml": """
            title: Many injections
            id: 0b0c5b8e-8a4c-4b8e-9a51-0d6c3f1e2a11
            correlation:
              type: event_count
              rules: [sqlj]
              group-by: [source.ip]
              timespan: 5m
              condition: {gte: 10}
            """,
        ])
        let result = RuleLoader.load(directory: dir.path)
        #expect(result.correlations.rules.isEmpty)
        let text = result.errors.map(\.description).joined(separator: "\n")
        #expect(text.contains("c.yml:5"), "\(text)")
        #expect(text.contains("no loaded rule has the id or name 'sqlj'") && text.contains("did you mean 'sqli'"))
    }

    @Test("a file that is not YAML is reported with its line")
    func notYAML() throws {
        let dir = try RuleDir(["mappings/web.yaml": webMapping, "x.yml": "title: [unclosed\n"])
        let result = RuleLoader.load(directory: dir.path)
        #expect(result.errors.first?.description.hasPrefix(dir.path + "/x.yml:") == true)
    }
}

@Suite("Incident aggregation")
struct IncidentTrackerTests {
    let meta = CompiledRule.Metadata(
        id: "r1", title: "Probe", description: nil, status: nil, level: .low, tags: [], stage: .collection,
        category: nil, attack: [], falsePositives: [], groupBy: [Fields.sourceIP], file: "f", line: 1)

    func event(_ n: Int, ip: String, seconds: Int64) -> Event {
        var e = Event(timestamp: Timestamp(seconds: seconds, microseconds: 0), id: "e\(n)", dataset: .webAccess)
        e.set(Fields.sourceIP, .ip(IPAddress(ip)!))
        return e
    }

    @Test("hits of one rule from one source are one incident with counts, first/last seen and samples")
    func aggregates() {
        var t = IncidentTracker()
        guard case .opened = t.hit(meta, event: event(0, ip: "10.0.0.1", seconds: 100)) else {
            Issue.record("first hit opens")
            return
        }
        for n in 1..<7 { _ = t.hit(meta, event: event(n, ip: "10.0.0.1", seconds: 100 + Int64(n))) }
        _ = t.hit(meta, event: event(9, ip: "10.0.0.2", seconds: 120))
        #expect(t.incidents.count == 2)
        let first = t.incidents[0]
        #expect(first.hits == 7)
        #expect(first.groupKey.map(\.value) == ["10.0.0.1"])
        #expect(first.firstSeen == Timestamp(seconds: 100, microseconds: 0))
        #expect(first.lastSeen == Timestamp(seconds: 106, microseconds: 0))
        #expect(first.sampleEventIDs == ["e0", "e1", "e2", "e3", "e4"])
    }

    @Test("an incident escalates at 10 and 100 hits and never drops")
    func escalates() {
        var t = IncidentTracker()
        var escalations: [(RuleLevel, RuleLevel)] = []
        for n in 0..<150 {
            if case .escalated(let i, let from) = t.hit(meta, event: event(n, ip: "10.0.0.1", seconds: Int64(n))) {
                escalations.append((from, i.level))
            }
        }
        #expect(escalations.map(\.0) == [.low, .medium])
        #expect(escalations.map(\.1) == [.medium, .high])
        #expect(t.incidents[0].level == .high)
    }

    @Test("after the quiet period a new hit opens a new incident; ids are deterministic")
    func quietPeriod() {
        var a = IncidentTracker(quietPeriodSeconds: 60)
        var b = IncidentTracker(quietPeriodSeconds: 60)
        for tracker in [0, 1] {
            for (n, s) in [(0, 0), (1, 30), (2, 200)] {
                if tracker == 0 {
                    _ = a.hit(meta, event: event(n, ip: "10.0.0.1", seconds: Int64(s)))
                } else {
                    _ = b.hit(meta, event: event(n, ip: "10.0.0.1", seconds: Int64(s)))
                }
            }
        }
        #expect(a.incidents.map(\.hits) == [2, 1])
        #expect(a.incidents.map(\.id) == b.incidents.map(\.id))
        #expect(Set(a.incidents.map(\.id)).count == 2)
    }

    @Test("a resumed incident (read back after a restart) takes the next hits; expired ones are forgotten")
    func resumeAndExpire() {
        var before = IncidentTracker(quietPeriodSeconds: 60)
        for n in 0..<3 { _ = before.hit(meta, event: event(n, ip: "10.0.0.1", seconds: Int64(n))) }
        var after = IncidentTracker(quietPeriodSeconds: 60)
        var stored = before.incidents[0]
        stored.groupKey = stored.groupKey.reversed()  // a store's map has no order
        after.resume(stored)
        guard case .updated(let i) = after.hit(meta, event: event(3, ip: "10.0.0.1", seconds: 10)) else {
            Issue.record("the hit updates the resumed incident")
            return
        }
        #expect(i.id == stored.id && i.hits == 4)
        _ = after.hit(meta, event: event(4, ip: "10.0.0.2", seconds: 50))
        #expect(after.expire() == 0, "40 s of event time since the first's last hit: within the quiet period")
        _ = after.hit(meta, event: event(5, ip: "10.0.0.2", seconds: 100))
        #expect(after.expire() == 1, "90 s: past it")
        #expect(after.incidents.map(\.groupKey.first?.value) == ["10.0.0.2"])
        guard case .updated = after.hit(meta, event: event(6, ip: "10.0.0.2", seconds: 110)) else {
            Issue.record("the kept incident still takes hits after the compaction")
            return
        }
    }
}

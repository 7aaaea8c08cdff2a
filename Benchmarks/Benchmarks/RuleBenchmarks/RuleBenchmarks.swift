// Stateless rule matching: the rule pack in rules/ plus 300 generated Sigma rules (contains,
// endswith, exact, keyword and PCRE2 regex selections across web, auth, DNS, HTTP and database
// log sources), matched against 1 000 varied events of those datasets. One iteration matches every
// event once, so throughput × 1 000 = events per second on one core.
//
//   swift package --package-path Benchmarks --scratch-path Benchmarks/.build-rules-bench benchmark --target RuleBenchmarks

import Benchmark
import Foundation
import VigilCore
import VigilRules

private let repoRules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules").path

/// 300 synthetic rules written into a copy of the pack (so the real mappings apply).
private func ruleDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "vigil-rule-bench-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.copyItem(atPath: repoRules, toPath: dir)
    try? FileManager.default.removeItem(atPath: dir + "/tests")
    try FileManager.default.createDirectory(atPath: dir + "/synthetic", withIntermediateDirectories: true)
    for i in 0..<300 {
        let (logsource, detection): (String, String)
        switch i % 6 {
        case 0:
            logsource = "category: webserver"
            detection = "selection:\n    cs-uri-query|contains: 'token\(i)='\n  condition: selection"
        case 1:
            logsource = "category: webserver"
            detection = "keywords:\n    - 'payload\(i)'\n    - 'exploit-\(i)'\n  condition: keywords"
        case 2:
            logsource = "product: linux\n  service: sshd"
            detection =
                "selection:\n    user.name: 'svc\(i)'\n    event.outcome: failure\n  condition: selection"
        case 3:
            logsource = "category: dns"
            detection = "selection:\n    query|endswith: '.bad\(i).example'\n  condition: selection"
        case 4:
            logsource = "product: vigil\n  category: database"
            detection =
                "selection:\n    vigil.db.statement|contains|all: ['citizens_\(i)', 'select']\n"
                + "  filter:\n    user.name: 'etl'\n  condition: selection and not filter"
        default:
            logsource = "category: webserver"
            detection = "selection:\n    cs-uri-stem|re: '^/api/v[0-9]+/item\(i)/[a-z]+$'\n  condition: selection"
        }
        let text = """
            title: Synthetic rule \(i)
            id: \(UUID().uuidString.lowercased())
            status: experimental
            level: low
            tags: [gbt20986.nai-scan]
            logsource:
              \(logsource)
            detection:
              \(detection)
            """
        try text.write(toFile: dir + "/synthetic/r\(i).yml", atomically: true, encoding: .utf8)
    }
    return dir
}

private func events() -> [Event] {
    var out: [Event] = []
    let agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0", "curl/7.88.1"]
    for i in 0..<1000 {
        var e: Event
        switch i % 5 {
        case 0, 1:
            e = Event(timestamp: Timestamp(microseconds: Int64(i)), id: "w\(i)", dataset: .webAccess)
            e.set(Fields.sourceIP, .ip(IPAddress("10.1.\(i % 250).\(i % 200 + 1)")!))
            e.set(Fields.httpRequestMethod, "GET")
            e.set(Fields.urlOriginal, "/api/v1/items/\(i)?page=\(i % 7)&sort=name")
            e.set(Fields.urlPath, "/api/v1/items/\(i)")
            e.set(Fields.urlQuery, "page=\(i % 7)&sort=name")
            e.set(Fields.httpResponseStatusCode, .int(200))
            e.set(Fields.userAgentOriginal, agents[i % 2])
        case 2:
            e = Event(timestamp: Timestamp(microseconds: Int64(i)), id: "a\(i)", dataset: .auth)
            e.set(Fields.eventAction, "ssh_login")
            e.set(Fields.eventOutcome, i % 3 == 0 ? "failure" : "success")
            e.set(Fields.userName, "user\(i % 40)")
            e.set(Fields.sourceIP, .ip(IPAddress("10.2.0.\(i % 200 + 1)")!))
            e.set(Fields.message, "Failed password for user\(i % 40) from 10.2.0.\(i % 200 + 1) port 5\(i) ssh2")
        case 3:
            e = Event(timestamp: Timestamp(microseconds: Int64(i)), id: "d\(i)", dataset: .dns)
            e.set(Fields.dnsQuestionName, "host\(i).svc.example.gov.cn")
            e.set(Fields.dnsQuestionType, "A")
        default:
            e = Event(timestamp: Timestamp(microseconds: Int64(i)), id: "s\(i)", dataset: .dbStatement)
            e.set(Fields.userName, "app")
            e.set(Fields.dbStatement, "SELECT name, city FROM citizens WHERE id = \(i)")
            e.set(Fields.dbStatementClass, "select")
        }
        out.append(e)
    }
    return out
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(3))
    guard let dir = try? ruleDirectory() else { fatalError("cannot write the synthetic rules") }
    let loaded = RuleLoader.load(directory: dir)
    precondition(loaded.errors.isEmpty, "\(loaded.errors.prefix(3))")
    let rules = loaded.rules
    let sample = events()
    Benchmark("RuleSet.matches (\(rules.rules.count) rules, 1 000 mixed events)") { benchmark in
        for _ in benchmark.scaledIterations {
            var hits = 0
            for e in sample { hits &+= rules.matches(e).count }
            blackHole(hits)
        }
    }
}

// Stateless rule matching: the rule pack in rules/ plus 300 generated Sigma rules (contains,
// endswith, exact, keyword and PCRE2 regex selections across web, auth, DNS, HTTP and database
// log sources), matched against 1 000 varied events of those datasets. One iteration matches every
// event once, so throughput × 1 000 = events per second on one core.
//
//   swift package --package-path Benchmarks --scratch-path Benchmarks/.build-rules-bench benchmark --target RuleBenchmarks

import Benchmark
import Foundation
import VigilConfig
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

/// `count` varied web/auth/DNS/database events, `spacing` µs apart. With `addresses`, web and auth
/// events come from that many source addresses (every five events share one, in turn), and one
/// auth event in 50 is a failure from one of ten guessing addresses.
private func events(count: Int = 1000, spacing: Int64 = 1, addresses: Int? = nil) -> [Event] {
    var out: [Event] = []
    out.reserveCapacity(count)
    let agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0", "curl/7.88.1"]
    let start: Int64 = addresses == nil ? 0 : 1_764_000_000_000_000
    for i in 0..<count {
        var e: Event
        let t = Timestamp(microseconds: start + Int64(i) * spacing)
        let host = addresses.map { (i / 5) % $0 }
        func address(_ prefix: String, _ fallback: String) -> IPAddress {
            guard let host else { return IPAddress(fallback)! }
            return IPAddress("\(prefix).\(host >> 16).\((host >> 8) & 255).\(host & 255)")!
        }
        switch i % 5 {
        case 0, 1:
            e = Event(timestamp: t, id: "w\(i)", dataset: .webAccess)
            e.set(Fields.sourceIP, .ip(address("10", "10.1.\(i % 250).\(i % 200 + 1)")))
            e.set(Fields.httpRequestMethod, "GET")
            e.set(Fields.urlOriginal, "/api/v1/items/\(i)?page=\(i % 7)&sort=name")
            e.set(Fields.urlPath, "/api/v1/items/\(i)")
            e.set(Fields.urlQuery, "page=\(i % 7)&sort=name")
            e.set(Fields.httpResponseStatusCode, .int(200))
            e.set(Fields.userAgentOriginal, agents[i % 2])
        case 2:
            e = Event(timestamp: t, id: "a\(i)", dataset: .auth)
            e.set(Fields.eventAction, "ssh_login")
            let guessing = host != nil && (i / 5) % 50 == 0
            e.set(Fields.eventOutcome, i % 3 == 0 || guessing ? "failure" : "success")
            e.set(Fields.userName, "user\(i % 40)")
            let ip = guessing ? IPAddress("192.0.2.\(i / 250 % 10 + 1)")! : address("172", "10.2.0.\(i % 200 + 1)")
            e.set(Fields.sourceIP, .ip(ip))
            e.set(Fields.message, "Failed password for user\(i % 40) from \(ip) port 5\(i % 10_000) ssh2")
        case 3:
            e = Event(timestamp: t, id: "d\(i)", dataset: .dns)
            e.set(Fields.dnsQuestionName, "host\(i).svc.example.gov.cn")
            e.set(Fields.dnsQuestionType, "A")
        default:
            e = Event(timestamp: t, id: "s\(i)", dataset: .dbStatement)
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
    correlationBenchmarks()
    endToEndBenchmark(loaded)
}

// Detection and correlation together, as `vigil analyze` and the correlator run them: the pack plus
// the 300 generated rules (with the pack's correlation rules: SSH guessing and success after
// guessing, web brute force, scan then exploit, DNS tunnelling, API quotas …) over 1 000 000 mixed
// events 1 ms apart, web and auth events from 100 000 source addresses (one iteration = a fresh
// engine, every event matched then fed to it, then flushed; events/s = 1 M × throughput).
private func endToEndBenchmark(_ loaded: RuleLoader.Result) {
    let rules = loaded.rules
    let stream = events(count: 1_000_000, spacing: 1000, addresses: 100_000)
    Benchmark(
        "Rules end to end (\(rules.rules.count) rules + \(loaded.correlations.rules.count) correlations, "
            + "1 000 000 mixed events, 100 000 source addresses)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(10))
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            var engine = CorrelationEngine(set: loaded.correlations)
            var hits = 0
            var groups = 0
            for i in 0..<stream.count {
                let matched = rules.matches(stream[i])
                hits &+= engine.process(stream[i], matched: matched.map(\.meta.id), source: "s").count
                if i % 100_000 == 0 { groups = max(groups, engine.groupCount) }
            }
            hits &+= engine.flush().count
            if ProcessInfo.processInfo.environment["VIGIL_BENCH_VERBOSE"] != nil {
                FileHandle.standardError.write(
                    Data("end to end: \(hits) correlation hits, up to \(groups) groups, \(engine.stats)\n".utf8))
            }
            blackHole(hits)
        }
    }
}

// Correlation with state for 100 000 distinct group keys: SSH logins (98 % failures) in event-time
// order (1 ms apart) from 100 000 source addresses and 5 000 user names, through four correlation
// rules (event_count and value_count by source.ip, temporal_ordered failure → success by source.ip,
// new_terms of source.ip per user.name). One iteration = a fresh engine fed every match, then
// flushed, so events/s = events × throughput. Two sizes: 200 000 events (each address seen twice:
// mostly the cost of creating and dropping 300 000 groups) and the issue's 1 000 000 events (each
// address seen ten times). The rules' detection matches are computed beforehand: this measures the
// correlation engine alone (the stateless benchmark above measures matching).
private let correlationRules = [
    """
    title: Failure
    id: 11111111-1111-4111-8111-111111111111
    name: fail
    level: low
    logsource: {product: vigil, category: auth}
    detection: {selection: {event.outcome: failure}, condition: selection}
    """,
    """
    title: Success
    id: 22222222-2222-4222-8222-222222222222
    name: ok
    level: low
    logsource: {product: vigil, category: auth}
    detection: {selection: {event.outcome: success}, condition: selection}
    """,
    """
    title: Guessing
    id: 33333333-3333-4333-8333-333333333333
    correlation: {type: event_count, rules: [fail], group-by: [source.ip], timespan: 5m, condition: {gte: 10}}
    """,
    """
    title: Spraying
    id: 44444444-4444-4444-8444-444444444444
    correlation:
      type: value_count
      rules: [fail]
      group-by: [source.ip]
      timespan: 1h
      condition: {field: user.name, gte: 20}
    """,
    """
    title: Success after failure
    id: 55555555-5555-4555-8555-555555555555
    correlation: {type: temporal_ordered, rules: [fail, ok], group-by: [source.ip], timespan: 30m}
    """,
    """
    title: New source for a user
    id: 66666666-6666-4666-8666-666666666666
    vigil: {learning: 1m}
    correlation: {type: new_terms, rules: [fail, ok], group-by: [user.name], timespan: 1d, condition: {field: source.ip}}
    """,
]

private func correlationBenchmarks() {
    var diagnostics: [ConfigDiagnostic] = []
    let mapping = RuleMappings.parse(
        text: "logsource: {product: vigil, category: auth}\ndatasets: [auth]\n", file: "auth.yaml",
        diagnostics: &diagnostics)!
    let loaded = RuleLoader.load(
        texts: correlationRules.enumerated().map { ("r\($0.offset).yml", $0.element) },
        mappings: RuleMappings(mappings: [mapping]))
    precondition(loaded.errors.isEmpty && loaded.correlations.rules.count == 4, "\(loaded.errors)")
    let start: Int64 = 1_764_000_000_000_000
    // Two arrays, not one of (event, matches) tuples: reading a tuple's element copies the tuple.
    var events: [Event] = []
    var matched: [[String]] = []
    events.reserveCapacity(1_000_000)
    matched.reserveCapacity(1_000_000)
    for i in 0..<1_000_000 {
        var e = Event(timestamp: Timestamp(microseconds: start + Int64(i) * 1000), id: "e\(i)", dataset: .auth)
        let host = i % 100_000
        e.set(Fields.sourceIP, .ip(IPAddress("10.\(host >> 16).\((host >> 8) & 255).\(host & 255)")!))
        e.set(Fields.userName, "user\(i % 5000)")
        let success = i % 50 == 49
        e.set(Fields.eventOutcome, success ? "success" : "failure")
        events.append(e)
        matched.append(loaded.rules.matches(e).map(\.meta.id))
    }
    let correlations = loaded.correlations
    // Default lateness (5 min): matches wait in the buffer until their source is 5 minutes further.
    // Lateness 0 (one source, in order): each match is correlated as it arrives.
    let runs: [(events: Int, label: String, lateness: Int64)] = [
        (200_000, "lateness 5 min", 300_000_000), (200_000, "lateness 0", 0),
        (1_000_000, "lateness 5 min", 300_000_000), (1_000_000, "lateness 0", 0),
    ]
    for (count, label, lateness) in runs {
        Benchmark(
            "CorrelationEngine.process (4 correlation rules, \(count == 200_000 ? "200 000" : "1 000 000") events, "
                + "100 000 group keys, \(label))",
            configuration: .init(
                metrics: [.wallClock, .throughput, .peakMemoryResident], scalingFactor: .one,
                maxDuration: .seconds(10))
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                var options = CorrelationEngine.Options()
                options.latenessMicros = lateness
                var engine = CorrelationEngine(set: correlations, options: options)
                var hits = 0
                // By index: iterating would copy each event (the engine only borrows it).
                for i in 0..<count {
                    hits &+= engine.process(events[i], matched: matched[i], source: "s").count
                }
                hits &+= engine.flush().count
                blackHole(hits)
                blackHole(engine.groupCount)
            }
        }
    }
}

import FuzzSupport
import VigilConfig
import VigilCore
import VigilRules

/// A web mapping like rules/mappings/webserver.yaml, so fuzzed rules reach the compiler.
private let mappings: RuleMappings = {
    var diagnostics: [ConfigDiagnostic] = []
    let mapping = RuleMappings.parse(
        text: """
            logsource:
              category: webserver
            datasets: [web.access, http]
            keyword_fields: [url.original, user_agent.original]
            fields:
              cs-uri-query: url.query
              c-ip: source.ip
              sc-status: http.response.status_code
            """, file: "webserver.yaml", diagnostics: &diagnostics)
    return RuleMappings(mappings: mapping.map { [$0] } ?? [])
}()

private let events: [Event] = {
    var a = Event(timestamp: fuzzTime(0), id: "a", dataset: .webAccess)
    a.set(Fields.urlOriginal, "/search?q=1' OR 1=1--&x=%2e%2e%2f")
    a.set(Fields.urlQuery, "q=1' OR 1=1--&x=%2e%2e%2f")
    a.set(Fields.sourceIP, .ip(IPAddress("10.1.2.3")!))
    a.set(Fields.httpResponseStatusCode, .int(404))
    a.set(Fields.userAgentOriginal, "sqlmap/1.7 (ÉCLAIR)")
    var b = Event(timestamp: fuzzTime(1), id: "b", dataset: .http)
    b.set(Fields.urlOriginal, "/")
    b.set(FieldID("dlp.types"), .list([.string("cn_mobile")]))
    return [a, b]
}()

/// Input: the text of a rule file (any bytes; `---` separates several rules, so fuzzed correlation
/// rules can refer to fuzzed detection rules). The loader must never crash: it reports problems
/// as diagnostics, and whatever loads must match without crashing, the prefilter agreeing with the
/// rules' own detections; loaded correlation rules run on the matches, in and out of time order,
/// and survive a snapshot and restore.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = RuleLoader.load(texts: [("fuzz.yml", text)], mappings: mappings)
    for d in result.diagnostics { consume(d.description) }
    for event in events {
        let viaIndex = Set(result.rules.matches(event).map(\.meta.id))
        let direct = Set(result.rules.rules.filter { $0.matches(event) }.map(\.meta.id))
        precondition(viaIndex == direct, "the prefilter and the rules disagree")
    }
    guard !result.correlations.isEmpty else { return 0 }
    var options = CorrelationEngine.Options()
    options.latenessMicros = 1_000_000
    options.maxGroupsPerRule = 4
    var engine = CorrelationEngine(set: result.correlations, options: options)
    // The two events, at times that go forwards, back (late) and far ahead (windows expire).
    for (step, offset) in [0, 1, 400, 2, 10_000_000, 10_000_001].enumerated() {
        var event = events[step % events.count]
        event.timestamp = fuzzTime(offset)
        event.id = "e\(step)"
        consume(engine.process(event, matched: result.rules.matches(event).map(\.meta.id), source: "s").count)
    }
    if let snapshot = try? engine.snapshot() {
        var restored = CorrelationEngine(set: result.correlations, options: options)
        precondition((try? restored.restore(snapshot)) == result.correlations.rules.count, "snapshot does not restore")
    }
    consume(engine.flush().count)
    return 0
}

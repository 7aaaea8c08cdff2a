import VigilConfig
import VigilCore
import VigilRules

/// Compiles a `detection:` block given as YAML text (written without the `detection:` line).
struct CompiledDetection {
    var detection: Detection?
    var diagnostics: [ConfigDiagnostic]

    init(_ body: String, fields: FieldResolver = FieldResolver(keywordFields: [Fields.message])) {
        let indented = body.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        let reader = ConfigReader(file: "rule.yml")
        let root = reader.root("title: test\ndetection:\n" + indented.joined(separator: "\n"))
        detection = root?.child("detection").flatMap { Detection.compile($0, fields: fields) }
        diagnostics = reader.diagnostics
    }

    /// Whether `event` matches; false (and the test fails on the nil detection) when it did not compile.
    func matches(_ event: Event) -> Bool { detection?.matches(event) ?? false }

    func matches(_ fields: KeyValuePairs<String, FieldValue>) -> Bool { matches(testEvent(fields)) }
}

func testEvent(_ fields: KeyValuePairs<String, FieldValue>) -> Event {
    var event = Event(timestamp: Timestamp(microseconds: 0), id: "test", dataset: .http)
    for (name, value) in fields { event.set(FieldID(name), value) }
    return event
}

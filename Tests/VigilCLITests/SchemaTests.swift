import Foundation
import Testing

/// The event schemas in deploy/schema/: one per dataset, closed (`additionalProperties: false`), plus
/// common.schema.json for the fields every event has, which each dataset schema repeats.
enum Schemas {
    static let directory = Repo.root.appendingPathComponent("deploy/schema")
    static let datasets = ["network.flow", "dns", "http", "tls", "ssh"]

    static func url(_ name: String) -> URL { directory.appendingPathComponent("\(name).schema.json") }

    static func document(_ name: String) throws -> [String: JSONValue] {
        try #require(JSONValue.parse(Data(contentsOf: url(name))).objectValue, "\(name).schema.json is an object")
    }

    /// A validator per dataset and one for common.schema.json.
    static func validators() throws -> [String: JSONSchemaValidator] {
        var out: [String: JSONSchemaValidator] = [:]
        for name in datasets + ["common"] { out[name] = try JSONSchemaValidator(contentsOf: url(name)) }
        return out
    }

    /// The expected outputs checked in next to the captures.
    static let fixtureFiles: [String] = {
        let dir = Repo.root.appendingPathComponent("Tests/Fixtures/expected")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".ndjson") }.sorted()
    }()

    /// Checks each line against the schema of its dataset and against common.schema.json. Returns one
    /// message per violation (`source:line: dataset: field: keyword: reason`) and the count per dataset.
    static func check(_ lines: [String], source: String, with validators: [String: JSONSchemaValidator])
        -> (failures: [String], perDataset: [String: Int])
    {
        var failures: [String] = []
        var perDataset: [String: Int] = [:]
        for (index, line) in lines.enumerated() {
            let at = "\(source):\(index + 1)"
            guard let event = try? JSONValue.parse(line), let fields = event.objectValue else {
                failures.append("\(at): not a JSON object")
                continue
            }
            guard let dataset = fields["event.dataset"]?.stringValue, let validator = validators[dataset] else {
                failures.append(
                    "\(at): event.dataset \(fields["event.dataset"]?.description ?? "missing") has no schema")
                continue
            }
            perDataset[dataset, default: 0] += 1
            for v in validator.validate(event) { failures.append("\(at): \(dataset): \(v)") }
            for v in validators["common"]!.validate(event) { failures.append("\(at): common: \(v)") }
        }
        return (failures, perDataset)
    }
}

@Suite("Event schemas in deploy/schema")
struct SchemaTests {
    // MARK: The schemas themselves

    @Test("each schema is well-formed, documented and closed", arguments: Schemas.datasets + ["common"])
    func wellFormed(name: String) throws {
        let doc = try Schemas.document(name)
        #expect(doc["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        #expect(doc["type"] == .string("object"))
        if name != "common" {
            #expect(doc["additionalProperties"] == .bool(false), "\(name): a new field must be documented")
        }
        let properties = try #require(doc["properties"]?.objectValue)
        for (field, schema) in properties {
            let s = try #require(schema.objectValue, "\(name): \(field)")
            #expect(s["type"] != nil, "\(name): \(field) has no type")
            #expect((s["description"]?.stringValue ?? "").count > 10, "\(name): \(field) has no description")
        }
        if case .array(let required)? = doc["required"] {
            for field in required.compactMap(\.stringValue) {
                #expect(properties[field] != nil, "\(name): required \(field) is not a property")
            }
        } else {
            Issue.record("\(name): no required list")
        }
        let validator = try JSONSchemaValidator(contentsOf: Schemas.url(name))
        #expect(validator.unsupportedKeywords() == [], "\(name): keywords the test validator does not check")
    }

    @Test("dataset schemas repeat common.schema.json", arguments: Schemas.datasets)
    func repeatsCommon(dataset: String) throws {
        let common = try Schemas.document("common")
        let doc = try Schemas.document(dataset)
        let commonProperties = try #require(common["properties"]?.objectValue)
        let properties = try #require(doc["properties"]?.objectValue)
        for (field, schema) in commonProperties {
            let mine = try #require(properties[field]?.objectValue, "\(dataset) lacks common field \(field)")
            let theirs = try #require(schema.objectValue)
            #expect(mine["type"] == theirs["type"], "\(dataset): \(field) type differs from common")
            #expect(mine["description"] == theirs["description"], "\(dataset): \(field) description differs")
            // A dataset may narrow (enum → const) but must otherwise keep the common constraints.
            for key in ["pattern", "minimum", "maximum", "items", "anyOf", "minLength"] {
                #expect(mine[key] == theirs[key], "\(dataset): \(field) \(key) differs from common")
            }
        }
        guard case .array(let commonRequired)? = common["required"], case .array(let required)? = doc["required"] else {
            Issue.record("required lists missing")
            return
        }
        for field in commonRequired where !required.contains(field) {
            Issue.record("\(dataset): common required \(field) is not required")
        }
        #expect(properties["event.dataset"]?.objectValue?["const"] == .string(dataset))
    }

    // MARK: Real events

    @Test("every checked-in expected output validates", arguments: Schemas.fixtureFiles)
    func fixture(file: String) throws {
        let url = Repo.root.appendingPathComponent("Tests/Fixtures/expected/\(file)")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty, "\(file) is empty")
        let result = Schemas.check(lines, source: file, with: try Schemas.validators())
        for failure in result.failures { Issue.record(Comment(rawValue: failure)) }
    }

    @Test("the fixtures exercise every dataset schema")
    func fixturesCoverDatasets() throws {
        #expect(Schemas.fixtureFiles.count >= 10)
        var seen: Set<String> = []
        for file in Schemas.fixtureFiles {
            let text = try String(
                contentsOf: Repo.root.appendingPathComponent("Tests/Fixtures/expected/\(file)"),
                encoding: .utf8)
            for line in text.split(separator: "\n") {
                if let d = try JSONValue.parse(String(line)).objectValue?["event.dataset"]?.stringValue {
                    seen.insert(d)
                }
            }
        }
        #expect(seen == Set(Schemas.datasets))
    }

    @Test("fresh vigil analyze output on sample.pcap validates")
    func freshOutput() async throws {
        let lines = try await analyze(["--pcap", Repo.pcap("sample.pcap")])
        #expect(lines.count > 10)
        let result = Schemas.check(lines, source: "analyze sample.pcap", with: try Schemas.validators())
        for failure in result.failures { Issue.record(Comment(rawValue: failure)) }
        #expect(Set(result.perDataset.keys) == ["network.flow", "dns", "http", "tls", "ssh"])
    }

    // MARK: The validator can fail

    /// A real event of each dataset, from the golden outputs.
    static func sample(_ dataset: String) throws -> [String: JSONValue] {
        let text = try String(contentsOf: Repo.expected("sample.pcap"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let event = try JSONValue.parse(String(line)).objectValue ?? [:]
            if event["event.dataset"] == .string(dataset) { return event }
        }
        throw CocoaError(.fileReadCorruptFile)
    }

    enum Breakage: String, CaseIterable, Sendable {
        case unknownField, wrongType, badEventID, missingRequired, notInEnum, boolForInteger, badNestedAnswer,
            badIP, negativeBytes, badTimestamp

        var dataset: String {
            switch self {
            case .badNestedAnswer: "dns"
            case .boolForInteger: "http"
            default: "network.flow"
            }
        }

        /// The field the violation must name, and the keyword that must fail.
        var expected: (path: String, keyword: String) {
            switch self {
            case .unknownField: ("vigil.conn.new_thing", "additionalProperties")
            case .wrongType: ("source.port", "type")
            case .badEventID: ("event.id", "pattern")
            case .missingRequired: ("vigil.conn.uid", "required")
            case .notInEnum: ("vigil.conn.state", "enum")
            case .boolForInteger: ("http.response.status_code", "type")
            case .badNestedAnswer: ("dns.answers[0].ttl", "type")
            case .badIP: ("destination.ip", "pattern")
            case .negativeBytes: ("source.bytes", "minimum")
            case .badTimestamp: ("@timestamp", "pattern")
            }
        }

        func apply(to e: inout [String: JSONValue]) {
            switch self {
            case .unknownField: e["vigil.conn.new_thing"] = .integer(1)
            case .wrongType: e["source.port"] = .string("443")
            case .badEventID: e["event.id"] = .string("78E2C518B7B1434E1AA38C34092A24D8")
            case .missingRequired: e["vigil.conn.uid"] = nil
            case .notInEnum: e["vigil.conn.state"] = .string("ESTABLISHED")
            case .boolForInteger: e["http.response.status_code"] = .bool(true)
            case .badNestedAnswer:
                guard case .array(var answers)? = e["dns.answers"], case .object(var first) = answers[0] else { return }
                first["ttl"] = .string("300")
                answers[0] = .object(first)
                e["dns.answers"] = .array(answers)
            case .badIP: e["destination.ip"] = .string("10.0.0.256")
            case .negativeBytes: e["source.bytes"] = .integer(-1)
            case .badTimestamp: e["@timestamp"] = .string("2026-11-23T16:09:45.411Z")
            }
        }
    }

    @Test("a broken event fails validation and names the field", arguments: Breakage.allCases)
    func broken(_ breakage: Breakage) throws {
        let validators = try Schemas.validators()
        let validator = try #require(validators[breakage.dataset])
        var event = try Self.sample(breakage.dataset)
        #expect(validator.validate(.object(event)) == [], "the unbroken \(breakage.dataset) event is valid")
        breakage.apply(to: &event)
        let violations = validator.validate(.object(event))
        #expect(!violations.isEmpty, "\(breakage) passed validation")
        let (path, keyword) = breakage.expected
        #expect(
            violations.contains { $0.path == path && $0.keyword == keyword },
            "\(breakage): expected \(path) \(keyword), got \(violations)")
    }

    @Test("an event with the wrong dataset's fields fails its own schema")
    func crossDataset() throws {
        var event = try Self.sample("tls")
        event["dns.id"] = .integer(1)
        let violations = try #require(Schemas.validators()["tls"]).validate(.object(event))
        #expect(violations.map(\.path) == ["dns.id"])
    }

    @Test("keywords the validator does not implement are reported, not ignored")
    func unsupportedKeyword() throws {
        let schema = try JSONValue.parse(#"{"type":"object","unevaluatedProperties":false}"#)
        let validator = JSONSchemaValidator(schema: schema)
        #expect(validator.validate(.object(["x": .integer(1)])).map(\.keyword) == ["unsupported"])
        #expect(validator.unsupportedKeywords() == ["#/unevaluatedProperties"])
    }

    @Test("$ref to a sibling file, anyOf and type lists work")
    func refAnyOfTypeList() throws {
        let schema = try JSONValue.parse(
            """
            {"allOf": [{"$ref": "common.schema.json"}],
             "properties": {"x": {"type": ["integer", "null"]},
                            "network.transport": {"$ref": "common.schema.json#/properties/network.transport"}}}
            """)
        let validator = JSONSchemaValidator(schema: schema, directory: Schemas.directory)
        var event = try Self.sample("network.flow")
        event["x"] = .null
        #expect(validator.validate(.object(event)) == [])
        event["x"] = .string("1")
        event["network.transport"] = .string("sctp")
        event["observer.id"] = nil
        let found = Set(validator.validate(.object(event)).map { "\($0.path) \($0.keyword)" })
        #expect(found == ["x type", "network.transport anyOf", "observer.id required"])
        event["x"] = .integer(3)
        event["network.transport"] = .string("132")
        event["observer.id"] = .string("n1")
        #expect(validator.validate(.object(event)) == [])
    }
}

import Foundation
import Testing

/// The event schemas in deploy/schema/ (written by deploy/schema/make-schemas.py): one per dataset,
/// closed (`additionalProperties: false`), plus three open layer schemas each dataset schema repeats:
/// common.schema.json (every event), connection.schema.json (packet datasets) and log.schema.json
/// (log datasets).
enum Schemas {
    static let directory = Repo.root.appendingPathComponent("deploy/schema")
    static let packetDatasets = ["network.flow", "dns", "http", "tls", "ssh"]
    static let logDatasets = ["web.access", "auth", "audit", "db.statement", "api.access", "log.unparsed"]
    static let datasets = packetDatasets + logDatasets
    static let layers = ["common", "connection", "log"]

    /// The layer a dataset repeats besides common.
    static func layer(of dataset: String) -> String { packetDatasets.contains(dataset) ? "connection" : "log" }

    static func url(_ name: String) -> URL { directory.appendingPathComponent("\(name).schema.json") }

    static func document(_ name: String) throws -> [String: JSONValue] {
        try #require(JSONValue.parse(Data(contentsOf: url(name))).objectValue, "\(name).schema.json is an object")
    }

    /// A validator per dataset and one per layer.
    static func validators() throws -> [String: JSONSchemaValidator] {
        var out: [String: JSONSchemaValidator] = [:]
        for name in datasets + layers { out[name] = try JSONSchemaValidator(contentsOf: url(name)) }
        return out
    }

    /// The expected outputs checked in next to the captures and logs.
    static let fixtureFiles: [String] = {
        let dir = Repo.root.appendingPathComponent("Tests/Fixtures/expected")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".ndjson") }.sorted()
    }()

    /// One violation found in a line of output.
    struct Failure: CustomStringConvertible {
        var at: String
        var dataset: String
        /// The schema that failed: the dataset's, or a layer's.
        var schema: String
        var violation: SchemaViolation

        var description: String { "\(at): \(schema): \(violation)" }
    }

    /// Checks each line against the schema of its dataset, common.schema.json and its layer schema.
    /// Returns every violation and the count of lines per dataset.
    static func check(_ lines: [String], source: String, with validators: [String: JSONSchemaValidator])
        -> (failures: [Failure], perDataset: [String: Int])
    {
        var failures: [Failure] = []
        var perDataset: [String: Int] = [:]
        func fail(_ at: String, _ reason: String) {
            failures.append(
                Failure(
                    at: at, dataset: "", schema: "-",
                    violation: SchemaViolation(path: "", keyword: "event", reason: reason)))
        }
        for (index, line) in lines.enumerated() {
            let at = "\(source):\(index + 1)"
            guard let event = try? JSONValue.parse(line), let fields = event.objectValue else {
                fail(at, "not a JSON object")
                continue
            }
            guard let dataset = fields["event.dataset"]?.stringValue, let validator = validators[dataset],
                datasets.contains(dataset)
            else {
                fail(at, "event.dataset \(fields["event.dataset"]?.description ?? "missing") has no schema")
                continue
            }
            perDataset[dataset, default: 0] += 1
            for (name, v) in [
                (dataset, validator), ("common", validators["common"]!),
                (layer(of: dataset), validators[layer(of: dataset)]!),
            ] {
                for violation in v.validate(event) {
                    failures.append(Failure(at: at, dataset: dataset, schema: name, violation: violation))
                }
            }
        }
        return (failures, perDataset)
    }

    /// A value in a checked-in output that the schemas reject because the decoder is wrong, not the
    /// schema. It is reported as a known issue (not a failure) for the fixture named; once the decoder is
    /// fixed and the baseline rewritten, the issue no longer occurs, the test fails, and the entry must go.
    struct KnownDecoderIssue: Sendable {
        var fixture: String
        var dataset: String
        var path: String
        var keyword: String
        var why: String

        func matches(_ f: Failure) -> Bool {
            f.dataset == dataset && f.violation.path == path && f.violation.keyword == keyword
        }
    }

    static let knownDecoderIssues: [KnownDecoderIssue] = []

    /// Records every failure as an issue, except the known decoder issues of `fixture`, which are
    /// recorded as known issues (and must occur).
    static func record(_ failures: [Failure], fixture: String?) {
        let known = knownDecoderIssues.filter { $0.fixture == fixture }
        var rest = failures
        for issue in known {
            let hits = rest.filter(issue.matches)
            rest.removeAll(where: issue.matches)
            withKnownIssue("\(issue.dataset) \(issue.path): \(issue.why)") {
                for hit in hits { Issue.record(Comment(rawValue: hit.description)) }
            }
        }
        for failure in rest { Issue.record(Comment(rawValue: failure.description)) }
    }
}

@Suite("Event schemas in deploy/schema")
struct SchemaTests {
    // MARK: The schemas themselves

    @Test("each schema is well-formed, documented and closed", arguments: Schemas.datasets + Schemas.layers)
    func wellFormed(name: String) throws {
        let doc = try Schemas.document(name)
        #expect(doc["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        #expect(doc["$id"] == .string("https://vigil.invalid/schema/\(name).schema.json"))
        #expect(doc["type"] == .string("object"))
        if Schemas.layers.contains(name) {
            #expect(doc["additionalProperties"] == nil, "\(name): a layer schema is open")
        } else {
            #expect(doc["additionalProperties"] == .bool(false), "\(name): a new field must be documented")
        }
        let properties = try #require(doc["properties"]?.objectValue)
        let patterns = doc["patternProperties"]?.objectValue ?? [:]
        for (field, schema) in properties.merging(patterns, uniquingKeysWith: { a, _ in a }) {
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

    @Test("the schemas are exactly the datasets and layers, and common names every dataset")
    func everyDataset() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Schemas.directory.path)
            .filter { $0.hasSuffix(".schema.json") }
        #expect(Set(files) == Set((Schemas.datasets + Schemas.layers).map { "\($0).schema.json" }))
        let common = try Schemas.document("common")
        let dataset = try #require(common["properties"]?.objectValue?["event.dataset"]?.objectValue)
        #expect(dataset["enum"] == .array(Schemas.datasets.map(JSONValue.string)))
    }

    @Test("dataset schemas repeat common.schema.json and their layer", arguments: Schemas.datasets)
    func repeatsLayers(dataset: String) throws {
        let doc = try Schemas.document(dataset)
        let properties = try #require(doc["properties"]?.objectValue)
        guard case .array(let required)? = doc["required"] else {
            Issue.record("\(dataset): required list missing")
            return
        }
        for layerName in ["common", Schemas.layer(of: dataset)] {
            let layer = try Schemas.document(layerName)
            let layerProperties = try #require(layer["properties"]?.objectValue)
            for (field, schema) in layerProperties {
                let mine = try #require(properties[field]?.objectValue, "\(dataset) lacks \(layerName) field \(field)")
                let theirs = try #require(schema.objectValue)
                #expect(mine["type"] == theirs["type"], "\(dataset): \(field) type differs from \(layerName)")
                #expect(mine["description"] == theirs["description"], "\(dataset): \(field) description differs")
                // A dataset may narrow (enum → const) but must otherwise keep the layer's constraints.
                for key in [
                    "pattern", "minimum", "maximum", "items", "anyOf", "minLength", "maxLength", "minItems", "maxItems",
                    "properties", "additionalProperties",
                ] {
                    #expect(mine[key] == theirs[key], "\(dataset): \(field) \(key) differs from \(layerName)")
                }
                if let options = theirs["enum"], mine["enum"] != options {
                    guard case .array(let values) = options, let narrowed = mine["const"] else {
                        Issue.record("\(dataset): \(field) enum differs from \(layerName)")
                        continue
                    }
                    #expect(
                        values.contains(narrowed), "\(dataset): \(field) const \(narrowed) not in \(layerName)'s enum")
                }
                if let constant = theirs["const"] { #expect(mine["const"] == constant) }
            }
            guard case .array(let layerRequired)? = layer["required"] else {
                Issue.record("\(layerName): required list missing")
                continue
            }
            for field in layerRequired where !required.contains(field) {
                Issue.record("\(dataset): \(layerName) required \(field) is not required")
            }
        }
        #expect(doc["patternProperties"] == (try Schemas.document("common"))["patternProperties"])
        #expect(properties["event.dataset"]?.objectValue?["const"] == .string(dataset))
        // The other layer's own fields do not belong here: a log event has no vigil.conn.uid, a packet event
        // no log.offset (the source and destination fields are defined per dataset, so they may appear in both).
        let other = try Schemas.document(Schemas.layer(of: dataset) == "log" ? "connection" : "log")
        guard case .array(let otherRequired)? = other["required"] else { return }
        for field in otherRequired.compactMap(\.stringValue)
        where !["event.category", "source.ip", "destination.ip"].contains(field) {
            #expect(properties[field] == nil, "\(dataset) has \(field) of the other layer")
        }
    }

    // MARK: Real events

    @Test("every checked-in expected output validates", arguments: Schemas.fixtureFiles)
    func fixture(file: String) throws {
        let url = Repo.root.appendingPathComponent("Tests/Fixtures/expected/\(file)")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty, "\(file) is empty")
        let result = Schemas.check(lines, source: file, with: try Schemas.validators())
        Schemas.record(result.failures, fixture: file)
    }

    @Test("the fixtures exercise every dataset schema")
    func fixturesCoverDatasets() throws {
        #expect(Schemas.fixtureFiles.count >= 20)
        var seen: Set<String> = []
        var dlp: Set<String> = []
        for file in Schemas.fixtureFiles {
            let text = try String(
                contentsOf: Repo.root.appendingPathComponent("Tests/Fixtures/expected/\(file)"),
                encoding: .utf8)
            for line in text.split(separator: "\n") {
                let event = try JSONValue.parse(String(line)).objectValue ?? [:]
                if let d = event["event.dataset"]?.stringValue {
                    seen.insert(d)
                    if event["dlp.types"] != nil { dlp.insert(d) }
                }
            }
        }
        // log.unparsed is in no baseline (the fixture logs are all readable): freshUnparsedOutput covers it.
        #expect(seen.union(Self.freshOnly) == Set(Schemas.datasets))
        // dlp.* on packet and log events both.
        #expect(dlp.contains("http") && dlp.contains("web.access") && dlp.contains("db.statement"))
    }

    @Test("fresh vigil analyze output on sample.pcap validates")
    func freshOutput() async throws {
        let lines = try await analyze(["--pcap", Repo.pcap("sample.pcap")])
        #expect(lines.count > 10)
        let result = Schemas.check(lines, source: "analyze sample.pcap", with: try Schemas.validators())
        Schemas.record(result.failures, fixture: nil)
        #expect(Set(result.perDataset.keys) == ["network.flow", "dns", "http", "tls", "ssh"])
    }

    static func log(_ name: String) -> String { Repo.root.appendingPathComponent("Tests/Fixtures/logs/\(name)").path }
    static let dlpKey = Repo.root.appendingPathComponent("Tests/Fixtures/dlp-test.key").path

    @Test("fresh vigil analyze output on an nginx log, with dlp fields, validates")
    func freshLogOutput() async throws {
        let lines = try await analyze([
            "--log", "nginx:" + Self.log("nginx-combined.log"), "--dlp-key-file", Self.dlpKey,
        ])
        #expect(lines.count > 10)
        let result = Schemas.check(lines, source: "analyze nginx-combined.log", with: try Schemas.validators())
        Schemas.record(result.failures, fixture: nil)
        #expect(Set(result.perDataset.keys) == ["web.access"])
        #expect(lines.contains { $0.contains("\"dlp.hashes\"") }, "the log has sensitive data")
    }

    /// Datasets no checked-in output has, validated from fresh output instead.
    static let freshOnly: Set<String> = ["log.unparsed"]

    /// `vigil analyze` on three small logs that no decoder can read (nginx, sshd, auditd), one of them
    /// with a mobile number in it: `log.unparsed` events, with dlp fields.
    static func unparsedRun() async throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-schema-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var args = ["--dlp-key-file", dlpKey, "--observer-id", "schema"]
        for (format, text) in [
            ("nginx", "not an access log line, call 13812345678 today\n"), ("sshd", "\u{1}binary junk\n"),
            ("auditd", "type=SYSCALL without a msg\n"),
        ] {
            let file = dir.appendingPathComponent("\(format).log")
            try text.write(to: file, atomically: true, encoding: .utf8)
            args += ["--log", "\(format):\(file.path)"]
        }
        return try await analyze(args)
    }

    @Test("fresh log.unparsed output validates, with masked sensitive data")
    func freshUnparsedOutput() async throws {
        let lines = try await Self.unparsedRun()
        let result = Schemas.check(lines, source: "analyze unreadable logs", with: try Schemas.validators())
        Schemas.record(result.failures, fixture: nil)
        #expect(result.perDataset == ["log.unparsed": 3])
        let events = try lines.map { try JSONValue.parse($0).objectValue ?? [:] }
        #expect(Set(events.compactMap { $0["vigil.log.format"]?.stringValue }) == ["nginx", "syslog", "auditd"])
        let withNumber = try #require(events.first { $0["dlp.types"] != nil }, "the mobile number is found")
        #expect(withNumber["dlp.samples"] == .array([.string("138****5678")]))
        #expect(!lines.joined().contains("13812345678"), "the raw value appears nowhere")
    }

    @Test("fresh output through a sensor profile carries its labels and validates")
    func freshProfileOutput() async throws {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-schema-\(UUID()).yaml")
        defer { try? FileManager.default.removeItem(at: profile) }
        try """
        kind: database-node
        labels:
          department: 人口信息管理处
          data_classification: core
          zone: dmz
          系统: 人口库
        logs:
          - format: mysql
            path: \(Self.log("mysql-general.log"))
        """.write(to: profile, atomically: true, encoding: .utf8)
        let lines = try await analyze(["--profile", profile.path, "--dlp-key-file", Self.dlpKey])
        let result = Schemas.check(lines, source: "analyze --profile", with: try Schemas.validators())
        Schemas.record(result.failures, fixture: nil)
        #expect(Set(result.perDataset.keys) == ["db.statement"])
        let first = try #require(try lines.first.map { try JSONValue.parse($0).objectValue ?? [:] })
        #expect(first["labels.department"] == .string("人口信息管理处"))
        #expect(first["data.classification"] == .string("core"))
        #expect(first["labels.zone"] == .string("dmz"))
        #expect(first["labels.系统"] == .string("人口库"))
    }

    // MARK: The validator can fail

    /// A real event of `dataset` from the golden output `file` (without .ndjson).
    static func sample(_ dataset: String, from file: String = "sample.pcap") throws -> [String: JSONValue] {
        let text = try String(contentsOf: Repo.expected(file), encoding: .utf8)
        return try sample(dataset, in: text.split(separator: "\n").map(String.init))
    }

    static func sample(_ dataset: String, in lines: [String]) throws -> [String: JSONValue] {
        for line in lines {
            let event = try JSONValue.parse(String(line)).objectValue ?? [:]
            if event["event.dataset"] == .string(dataset) { return event }
        }
        throw CocoaError(.fileReadCorruptFile)
    }

    enum Breakage: String, CaseIterable, Sendable {
        case unknownField, wrongType, badEventID, missingRequired, notInEnum, boolForInteger, badNestedAnswer,
            badIP, negativeBytes, badTimestamp
        // dlp.* and labels, on any dataset
        case unknownDLPField, badConfidence, badClassification, unknownDLPKind, zeroDLPCount, badHash, rawSample,
            labelNotString, badLabelName
        // log datasets
        case unknownAuthAction, badStatementClass, missingLogOffset, connectionFieldOnLog, badUnparsedReason,
            badAuditType

        /// The dataset and the golden output its unbroken event comes from (nil: `unparsedRun`).
        var base: (dataset: String, file: String?) {
            switch self {
            case .badNestedAnswer: ("dns", "sample.pcap")
            case .boolForInteger: ("http", "sample.pcap")
            case .unknownDLPField, .badConfidence, .unknownDLPKind, .zeroDLPCount, .badHash, .rawSample:
                ("http", "pii-api.pcap")
            case .badClassification, .labelNotString, .badLabelName, .missingLogOffset, .connectionFieldOnLog:
                ("web.access", "logs-nginx-combined")
            case .unknownAuthAction: ("auth", "logs-auth-rfc5424")
            case .badStatementClass: ("db.statement", "logs-mysql-general")
            case .badUnparsedReason: ("log.unparsed", nil)
            case .badAuditType: ("audit", "logs-audit")
            default: ("network.flow", "sample.pcap")
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
            case .unknownDLPField: ("dlp.something", "additionalProperties")
            case .badConfidence: ("dlp.confidence", "enum")
            case .badClassification: ("data.classification", "enum")
            case .unknownDLPKind: ("dlp.counts.ssn", "additionalProperties")
            case .zeroDLPCount: ("dlp.counts.cn_mobile", "minimum")
            case .badHash: ("dlp.hashes[0]", "pattern")
            case .rawSample: ("dlp.samples[0]", "pattern")
            case .labelNotString: ("labels.rack", "type")
            case .badLabelName: ("labels.rack.row", "additionalProperties")
            case .unknownAuthAction: ("event.action", "enum")
            case .badStatementClass: ("vigil.db.statement_class", "enum")
            case .missingLogOffset: ("log.offset", "required")
            case .connectionFieldOnLog: ("vigil.conn.uid", "additionalProperties")
            case .badUnparsedReason: ("error.message", "enum")
            case .badAuditType: ("vigil.audit.types[0]", "pattern")
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
            case .unknownDLPField: e["dlp.something"] = .integer(1)
            case .badConfidence: e["dlp.confidence"] = .string("certain")
            case .badClassification: e["data.classification"] = .string("secret")
            case .unknownDLPKind: e["dlp.counts"] = .object(["cn_mobile": .integer(5), "ssn": .integer(1)])
            case .zeroDLPCount: e["dlp.counts"] = .object(["cn_mobile": .integer(0)])
            case .badHash: e["dlp.hashes"] = .array([.string("2DFEB0F2853329A388E812C666EE3192")])
            case .rawSample: e["dlp.samples"] = .array([.string("13812345678")])
            case .labelNotString: e["labels.rack"] = .integer(7)
            case .badLabelName: e["labels.rack.row"] = .string("7")
            case .unknownAuthAction: e["event.action"] = .string("ssh_magic")
            case .badStatementClass: e["vigil.db.statement_class"] = .string("query")
            case .missingLogOffset: e["log.offset"] = nil
            case .connectionFieldOnLog: e["vigil.conn.uid"] = .string("CAYcnxbEpGp3IcnXj0")
            case .badUnparsedReason: e["error.message"] = .string("oops")
            case .badAuditType: e["vigil.audit.types"] = .array([.string("user auth")])
            }
        }
    }

    @Test("a broken event fails validation and names the field", arguments: Breakage.allCases)
    func broken(_ breakage: Breakage) async throws {
        let validators = try Schemas.validators()
        let (dataset, file) = breakage.base
        let validator = try #require(validators[dataset])
        var event =
            if let file { try Self.sample(dataset, from: file) } else {
                try Self.sample(dataset, in: try await Self.unparsedRun())
            }
        #expect(validator.validate(.object(event)) == [], "the unbroken \(dataset) event is valid")
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

    @Test("a log event fails a packet dataset's schema and the connection layer")
    func logIsNotPacket() throws {
        let validators = try Schemas.validators()
        var event = try Self.sample("web.access", from: "logs-nginx-combined")
        #expect(try #require(validators["common"]).validate(.object(event)) == [])
        #expect(try #require(validators["log"]).validate(.object(event)) == [])
        let missing = Set(try #require(validators["connection"]).validate(.object(event)).map(\.path))
        #expect(missing.isSuperset(of: ["vigil.conn.uid", "network.community_id", "destination.ip"]))
        event["event.dataset"] = .string("http")
        let asHTTP = try #require(validators["http"]).validate(.object(event))
        #expect(asHTTP.contains { $0.path == "log.file.path" && $0.keyword == "additionalProperties" })
    }

    @Test("keywords the validator does not implement are reported, not ignored")
    func unsupportedKeyword() throws {
        let schema = try JSONValue.parse(#"{"type":"object","unevaluatedProperties":false}"#)
        let validator = JSONSchemaValidator(schema: schema)
        #expect(validator.validate(.object(["x": .integer(1)])).map(\.keyword) == ["unsupported"])
        #expect(validator.unsupportedKeywords() == ["#/unevaluatedProperties"])
        let nested = try JSONValue.parse(#"{"patternProperties":{"^x":{"type":"string","propertyNames":{}}}}"#)
        #expect(JSONSchemaValidator(schema: nested).unsupportedKeywords() == ["#/patternProperties/^x/propertyNames"])
    }

    @Test("patternProperties apply with properties; only unmatched keys are additional")
    func patternProperties() throws {
        let schema = try JSONValue.parse(
            #"""
            {"properties": {"labels.department": {"type": "string", "maxLength": 3}},
             "patternProperties": {"^labels\\.": {"type": "string"}, "^labels\\.z": {"minLength": 2}},
             "additionalProperties": false}
            """#)
        let validator = JSONSchemaValidator(schema: schema)
        #expect(validator.validate(.object(["labels.a": .string("x"), "labels.department": .string("abc")])) == [])
        let found = Set(
            validator.validate(
                .object([
                    "labels.department": .string("abcd"), "labels.b": .integer(1), "labels.zone": .string("z"),
                    "other": .string("x"),
                ])
            ).map { "\($0.path) \($0.keyword)" })
        #expect(
            found == [
                "labels.department maxLength", "labels.b type", "labels.zone minLength", "other additionalProperties",
            ])
    }

    @Test("$ref to a sibling file, anyOf and type lists work")
    func refAnyOfTypeList() throws {
        let schema = try JSONValue.parse(
            """
            {"allOf": [{"$ref": "common.schema.json"}],
             "properties": {"x": {"type": ["integer", "null"]},
                            "network.transport": {"$ref": "connection.schema.json#/properties/network.transport"}}}
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

import Foundation

/// A parsed JSON value that keeps the distinctions JSON Schema needs: integer, number and boolean
/// are different types (`JSONSerialization` would hand back `NSNumber` for all three).
indirect enum JSONValue: Equatable, Sendable, Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    static func parse(_ text: String) throws -> JSONValue { try parse(Data(text.utf8)) }
    static func parse(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }

    /// The JSON Schema type name (`integer` for numbers without a fraction).
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number(let d): d.rounded() == d && d.isFinite ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    var numericValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// JSON equality as JSON Schema defines it for `enum` and `const` (1 equals 1.0).
    func jsonEquals(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.jsonEquals($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { k, v in b[k].map { v.jsonEquals($0) } ?? false }
        default:
            if let x = numericValue, let y = other.numericValue { return x == y }
            return self == other
        }
    }

    /// Compact JSON text, for messages.
    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .string(let s):
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\"\($0)\":\(o[$0]!.description)" }.joined(separator: ",") + "}"
        }
    }
}

/// One reason an instance does not satisfy a schema.
struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// Where in the instance: the top-level field name (`dns.answers`), then `[i]` and `.key` steps;
    /// empty for the whole event.
    var path: String
    /// The schema keyword that failed (`type`, `required`, `additionalProperties`, ...).
    var keyword: String
    var reason: String

    var description: String { "\(path.isEmpty ? "(event)" : path): \(keyword): \(reason)" }
}

/// A small JSON Schema (draft 2020-12) validator for the subset `deploy/schema/` uses:
/// `type` (a name or a list of names), `enum`, `const`, `pattern` (ICU regular expressions through
/// `NSRegularExpression`, unanchored as the spec says), `minLength`, `maxLength`, `minimum`, `maximum`,
/// `properties`, `patternProperties`, `required`, `additionalProperties` (false or a schema), `items` (one schema),
/// `minItems`, `maxItems`, `allOf`, `anyOf`, and `$ref` to `#...` or to a sibling file
/// (`common.schema.json`, `common.schema.json#/properties/x`).
///
/// Annotations (`$schema`, `$id`, `title`, `description`, `$comment`, `examples`, `default`) are
/// ignored. Any other keyword is reported as a violation (keyword `unsupported`) rather than skipped,
/// so a schema cannot silently rely on something this validator does not check.
final class JSONSchemaValidator {
    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "$comment", "examples", "default"]
    static let supported: Set<String> = [
        "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "properties",
        "patternProperties", "required", "additionalProperties", "items", "minItems", "maxItems", "allOf", "anyOf",
        "$ref",
    ]

    let schema: JSONValue
    /// Where `$ref`s to other files are looked up.
    let directory: URL?
    private var documents: [String: JSONValue] = [:]
    private var regexes: [String: NSRegularExpression] = [:]

    init(schema: JSONValue, directory: URL? = nil) {
        self.schema = schema
        self.directory = directory
    }

    convenience init(contentsOf url: URL) throws {
        try self.init(schema: JSONValue.parse(Data(contentsOf: url)), directory: url.deletingLastPathComponent())
    }

    /// Every violation of the schema by `instance`; empty when it is valid.
    func validate(_ instance: JSONValue) -> [SchemaViolation] {
        var out: [SchemaViolation] = []
        check(instance, against: schema, document: schema, path: "", into: &out)
        return out
    }

    func validate(jsonText: String) -> [SchemaViolation] {
        do {
            return validate(try JSONValue.parse(jsonText))
        } catch {
            return [SchemaViolation(path: "", keyword: "json", reason: "not valid JSON: \(error)")]
        }
    }

    /// Keywords anywhere in the schema that this validator does not implement (as `path: keyword`).
    func unsupportedKeywords() -> [String] {
        var found: [String] = []
        func walk(_ s: JSONValue, _ at: String) {
            guard case .object(let o) = s else { return }
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if !Self.supported.contains(k), !Self.annotations.contains(k) { found.append("\(at)/\(k)") }
                switch k {
                case "properties", "patternProperties":
                    for (name, sub) in v.objectValue ?? [:] { walk(sub, "\(at)/\(k)/\(name)") }
                case "items", "additionalProperties": walk(v, "\(at)/\(k)")
                case "allOf", "anyOf":
                    if case .array(let subs) = v { for (i, sub) in subs.enumerated() { walk(sub, "\(at)/\(k)/\(i)") } }
                default: break
                }
            }
        }
        walk(schema, "#")
        return found
    }

    // MARK: - Keywords

    private func check(
        _ value: JSONValue, against schema: JSONValue, document: JSONValue, path: String,
        into out: inout [SchemaViolation]
    ) {
        func fail(_ keyword: String, _ reason: String, at p: String? = nil) {
            out.append(SchemaViolation(path: p ?? path, keyword: keyword, reason: reason))
        }
        switch schema {
        case .bool(true): return
        case .bool(false): return fail("false", "no value is allowed here")
        case .object: break
        default: return fail("schema", "a schema must be an object or a boolean, not \(schema.typeName)")
        }
        let s = schema.objectValue!

        for key in s.keys.sorted() where !Self.supported.contains(key) && !Self.annotations.contains(key) {
            fail("unsupported", "schema keyword \(key) is not implemented by this validator")
        }

        if let ref = s["$ref"]?.stringValue {
            if let (target, targetDocument) = resolve(ref, in: document) {
                check(value, against: target, document: targetDocument, path: path, into: &out)
            } else {
                fail("$ref", "cannot resolve \(ref)")
            }
        }

        if let type = s["type"] {
            let allowed: [String] =
                switch type {
                case .string(let t): [t]
                case .array(let ts): ts.compactMap(\.stringValue)
                default: []
                }
            let actual = value.typeName
            let ok = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !ok {
                // Type errors make the other keywords noise: report this one only.
                return fail("type", "expected \(allowed.joined(separator: " or ")), got \(actual) \(value)")
            }
        }
        if case .array(let options)? = s["enum"], !options.contains(where: { $0.jsonEquals(value) }) {
            fail("enum", "\(value) is not one of \(JSONValue.array(options))")
        }
        if let constant = s["const"], !constant.jsonEquals(value) {
            fail("const", "\(value) is not \(constant)")
        }

        if case .string(let text) = value {
            let length = text.unicodeScalars.count
            if let min = s["minLength"]?.numericValue, Double(length) < min {
                fail("minLength", "\(value) is shorter than \(Int(min)) characters")
            }
            if let max = s["maxLength"]?.numericValue, Double(length) > max {
                fail("maxLength", "\(value) is longer than \(Int(max)) characters")
            }
            if let pattern = s["pattern"]?.stringValue {
                if regex(pattern) == nil {
                    fail("pattern", "invalid regular expression \(pattern)")
                } else if !matches(pattern, text) {
                    fail("pattern", "\(value) does not match \(pattern)")
                }
            }
        }

        if let number = value.numericValue {
            if let min = s["minimum"]?.numericValue, number < min { fail("minimum", "\(value) is less than \(min)") }
            if let max = s["maximum"]?.numericValue, number > max { fail("maximum", "\(value) is more than \(max)") }
        }

        if case .object(let members) = value {
            let properties = s["properties"]?.objectValue ?? [:]
            if case .array(let required)? = s["required"] {
                for name in required.compactMap(\.stringValue) where members[name] == nil {
                    fail("required", "missing required field", at: join(path, name))
                }
            }
            // Every pattern that matches a key applies, as well as `properties`; only a key matched by
            // neither is an additional property.
            var patterns: [(String, JSONValue)] = []
            for (pattern, sub) in (s["patternProperties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                if regex(pattern) == nil { fail("patternProperties", "invalid regular expression \(pattern)") }
                patterns.append((pattern, sub))
            }
            for key in members.keys.sorted() {
                let member = members[key]!
                var matched = false
                if let sub = properties[key] {
                    matched = true
                    check(member, against: sub, document: document, path: join(path, key), into: &out)
                }
                for (pattern, sub) in patterns where matches(pattern, key) {
                    matched = true
                    check(member, against: sub, document: document, path: join(path, key), into: &out)
                }
                if matched { continue }
                if let additional = s["additionalProperties"] {
                    if case .bool(false) = additional {
                        fail("additionalProperties", "field is not in the schema", at: join(path, key))
                    } else {
                        check(member, against: additional, document: document, path: join(path, key), into: &out)
                    }
                }
            }
        }

        if case .array(let elements) = value {
            if let min = s["minItems"]?.numericValue, Double(elements.count) < min {
                fail("minItems", "\(elements.count) items, at least \(Int(min)) required")
            }
            if let max = s["maxItems"]?.numericValue, Double(elements.count) > max {
                fail("maxItems", "\(elements.count) items, at most \(Int(max)) allowed")
            }
            if let items = s["items"] {
                for (i, element) in elements.enumerated() {
                    check(element, against: items, document: document, path: "\(path)[\(i)]", into: &out)
                }
            }
        }

        if case .array(let all)? = s["allOf"] {
            for sub in all { check(value, against: sub, document: document, path: path, into: &out) }
        }
        if case .array(let any)? = s["anyOf"] {
            var reasons: [String] = []
            var matched = false
            for sub in any {
                var attempt: [SchemaViolation] = []
                check(value, against: sub, document: document, path: path, into: &attempt)
                if attempt.isEmpty {
                    matched = true
                    break
                }
                reasons.append(attempt.map { "\($0.keyword): \($0.reason)" }.joined(separator: "; "))
            }
            if !matched { fail("anyOf", "matches none of: " + reasons.map { "(\($0))" }.joined(separator: " ")) }
        }
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether `pattern` (unanchored, as JSON Schema says) matches somewhere in `text`; false when the
    /// pattern does not compile.
    private func matches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = regex(pattern) else { return false }
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.firstMatch(in: text, options: [], range: range) != nil
    }

    private func regex(_ pattern: String) -> NSRegularExpression? {
        if let cached = regexes[pattern] { return cached }
        guard let compiled = try? NSRegularExpression(pattern: pattern) else { return nil }
        regexes[pattern] = compiled
        return compiled
    }

    /// A `$ref`: `#`, `#/json/pointer`, `file.json` or `file.json#/json/pointer` (file relative to `directory`).
    private func resolve(_ ref: String, in document: JSONValue) -> (JSONValue, JSONValue)? {
        let parts = ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = String(parts[0])
        let pointer = parts.count > 1 ? String(parts[1]) : ""
        var target = document
        if !file.isEmpty {
            if let loaded = documents[file] {
                target = loaded
            } else {
                guard let directory, let data = try? Data(contentsOf: directory.appendingPathComponent(file)),
                    let parsed = try? JSONValue.parse(data)
                else { return nil }
                documents[file] = parsed
                target = parsed
            }
        }
        let root = target
        for token in pointer.split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch target {
            case .object(let o): guard let next = o[key] else { return nil }; target = next
            case .array(let a): guard let i = Int(key), a.indices.contains(i) else { return nil }; target = a[i]
            default: return nil
            }
        }
        return (target, root)
    }
}

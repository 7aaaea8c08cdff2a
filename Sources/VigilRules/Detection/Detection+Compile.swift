import VigilConfig
import VigilCore
import Yams

extension Detection {
    /// Compiles the `detection` mapping (selections + `condition`). Every problem is recorded on the
    /// node's reader with line and key path (unknown modifier, condition referring to an undefined
    /// selection, bad regex with PCRE2's message and offset, empty selection, `|all` on a single
    /// value, cidr that does not parse, …); returns nil when the detection cannot be used.
    public static func compile(_ node: ConfigNode, fields resolver: FieldResolver) -> Detection? {
        guard case .mapping(let mapping) = node.node else {
            node.error("detection must be a mapping of selections and a condition")
            return nil
        }
        var compiler = DetectionCompiler(resolver: resolver)
        var selections: [Selection] = []
        var failed = false
        var conditionNode: ConfigNode?
        for (key, _) in mapping {
            guard let name = key.string, let child = node.child(name) else {
                node.error("a selection name must be text")
                failed = true
                continue
            }
            switch name {
            case "condition":
                conditionNode = child
            case "timeframe":
                // Sigma v1 put a time window here; v2 moved it into correlation rules, and it never
                // changes what a single event matches.
                continue
            default:
                if let groups = compiler.selection(child) {
                    selections.append(Selection(name: name, groups: groups))
                } else {
                    failed = true
                    selections.append(Selection(name: name, groups: []))
                }
            }
        }
        guard let conditionNode else {
            node.error("the detection has no condition", hint: "add `condition: <selection name>`")
            return nil
        }
        guard let condition = compileCondition(conditionNode, selections: selections.map(\.name)) else { return nil }
        guard !failed else { return nil }
        return Detection(selections: selections, condition: condition, fields: compiler.fields)
    }

    /// A condition is one expression or a list of them (any of which may hold).
    private static func compileCondition(_ node: ConfigNode, selections: [String]) -> SigmaCondition? {
        let lines: [ConfigNode]
        if case .sequence = node.node {
            lines = node.sequence()
            if lines.isEmpty { node.error("the condition list is empty") }
        } else {
            lines = [node]
        }
        var conditions: [SigmaCondition] = []
        for line in lines {
            guard case .scalar = line.node, let text = line.string() else {
                line.error("a condition must be text such as `selection and not filter`")
                return nil
            }
            switch SigmaCondition.parse(text, selections: selections) {
            case .success(let condition): conditions.append(condition)
            case .failure(let problem): line.error(problem.message, hint: problem.hint)
            }
        }
        guard conditions.count == lines.count, !conditions.isEmpty else { return nil }
        return conditions.count == 1 ? conditions[0] : .or(conditions)
    }
}

/// Turns selections into items and values into tests, recording every problem on the node.
struct DetectionCompiler {
    let resolver: FieldResolver
    var fields: Set<FieldID> = []

    init(resolver: FieldResolver) { self.resolver = resolver }

    static let modifiers = [
        "contains", "startswith", "endswith", "all", "re", "i", "ignorecase", "m", "multiline", "s", "dotall",
        "cidr", "exists", "cased", "gt", "gte", "lt", "lte", "base64", "base64offset", "utf16le", "utf16be",
        "utf16", "wide", "windash", "fieldref", "neq",
    ]
    static let unsupportedModifiers = ["expand", "minute", "hour", "day", "week", "month", "year"]

    /// Keyword searches fall back to the raw line when the log source names no keyword fields.
    var keywordFields: [FieldID] {
        resolver.keywordFields.isEmpty ? [Fields.eventOriginal, Fields.message] : resolver.keywordFields
    }

    /// A selection: a mapping (AND), a list of mappings (OR) and/or plain values (keywords).
    mutating func selection(_ node: ConfigNode) -> [[Detection.Item]]? {
        switch node.node {
        case .mapping:
            return mapping(node).map { [$0] }
        case .sequence:
            let entries = node.sequence()
            guard !entries.isEmpty else {
                node.error("the selection is empty")
                return nil
            }
            var groups: [[Detection.Item]] = []
            var keywords: [ConfigNode] = []
            var failed = false
            for entry in entries {
                switch entry.node {
                case .mapping:
                    if let group = mapping(entry) { groups.append(group) } else { failed = true }
                case .scalar:
                    keywords.append(entry)
                default:
                    entry.error("a selection list holds mappings (field: value) or plain keywords, not nested lists")
                    failed = true
                }
            }
            if !keywords.isEmpty {
                if let item = item(field: "", modifiers: [], values: keywords, single: false, at: node) {
                    groups.append([item])
                } else {
                    failed = true
                }
            }
            return failed ? nil : groups
        case .scalar:
            if node.node.tag.description == Tag.Name.null.rawValue {
                node.error("the selection is empty")
                return nil
            }
            return item(field: "", modifiers: [], values: [node], single: true, at: node).map { [[$0]] }
        case .alias:
            node.error("YAML aliases are not supported in a detection")
            return nil
        }
    }

    /// A mapping of `field|modifiers: values` lines, all of which must hold.
    private mutating func mapping(_ node: ConfigNode) -> [Detection.Item]? {
        guard case .mapping(let mapping) = node.node else { return nil }
        guard !mapping.isEmpty else {
            node.error("the selection is empty")
            return nil
        }
        var items: [Detection.Item] = []
        var failed = false
        for (key, _) in mapping {
            guard let name = key.string, let child = node.child(name) else {
                node.error("a field name must be text")
                failed = true
                continue
            }
            let pieces = name.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard let item = values(field: pieces[0], modifiers: Array(pieces.dropFirst()), node: child) else {
                failed = true
                continue
            }
            items.append(item)
        }
        guard !failed else { return nil }
        // Cheap tests first: an AND stops at the first item that fails.
        return items.enumerated().sorted { ($0.element.cost, $0.offset) < ($1.element.cost, $1.offset) }.map(\.element)
    }

    private mutating func values(field: String, modifiers: [String], node: ConfigNode) -> Detection.Item? {
        switch node.node {
        case .sequence:
            let entries = node.sequence()
            guard !entries.isEmpty else {
                node.error("the list of values is empty")
                return nil
            }
            return item(field: field, modifiers: modifiers, values: entries, single: false, at: node)
        case .mapping:
            node.error("a field's value must be a value or a list of values, not a mapping")
            return nil
        default:
            return item(field: field, modifiers: modifiers, values: [node], single: true, at: node)
        }
    }

    private mutating func item(
        field: String, modifiers: [String], values: [ConfigNode], single: Bool,
        at node: ConfigNode
    ) -> Detection.Item? {
        var valid = true
        for modifier in modifiers where !Self.modifiers.contains(modifier) {
            valid = false
            if modifier.isEmpty {
                node.error("empty modifier name (two '|' in a row, or a '|' at the end)")
            } else if Self.unsupportedModifiers.contains(modifier) {
                node.error("the '\(modifier)' modifier is not supported by Vigil")
            } else {
                node.error(
                    "unknown modifier '\(modifier)'",
                    hint: closest(to: modifier, in: Self.modifiers).map { "did you mean '\($0)'?" })
            }
        }
        guard valid else { return nil }
        let keyword = field.isEmpty
        let all = modifiers.contains("all")
        if all, single {
            node.error("'|all' needs a list of values; a single value is matched on its own")
            return nil
        }
        let targets = keyword ? keywordFields : resolver.resolve(field)
        if modifiers.contains("exists") {
            guard !keyword else {
                node.error("'|exists' needs a field name")
                return nil
            }
            guard modifiers.allSatisfy({ $0 == "exists" || $0 == "neq" }), single,
                case .scalar = values[0].node, values[0].node.tag.description == Tag.Name.bool.rawValue,
                let expected = values[0].node.bool
            else {
                node.error("'|exists' takes true or false and no other modifier")
                return nil
            }
            fields.formUnion(targets)
            return Detection.Item(fields: targets, kind: .exists(expected), negated: modifiers.contains("neq"))
        }
        var tests: [ValueTest] = []
        for value in values {
            guard let test = self.value(value, modifiers: modifiers, keyword: keyword) else {
                valid = false
                continue
            }
            tests.append(test)
        }
        guard valid else { return nil }
        fields.formUnion(targets)
        return Detection.Item(fields: targets, kind: .values(tests, all: all), negated: modifiers.contains("neq"))
    }

    /// A value on its way through the modifier chain.
    private enum Stage {
        case text([SigmaString])
        case number(Int64?, Double)
        case bool(Bool)
        case null
        case regex(SigmaRegex.Flags)
        case cidr(CIDRNetwork)
        case compare(ValueTest.Comparison, Double)
        case fieldReference(ValueTest.FieldReferenceMode)

        var name: String {
            switch self {
            case .text: "text"
            case .number: "a number"
            case .bool: "true/false"
            case .null: "null"
            case .regex: "a regular expression"
            case .cidr: "a cidr network"
            case .compare: "a comparison"
            case .fieldReference: "a field reference"
            }
        }
    }

    // Modifiers apply left to right, as in pySigma: each one checks the kind of value the ones
    // before it produced.
    private mutating func value(_ node: ConfigNode, modifiers: [String], keyword: Bool) -> ValueTest? {
        guard case .scalar(let scalar) = node.node else {
            node.error("a value must be text, a number, true/false or null, not a list or mapping")
            return nil
        }
        let raw = scalar.string
        var stage: Stage
        switch Tag.Name(rawValue: node.node.tag.description) {
        case .null: stage = .null
        case .bool: stage = node.node.bool.map(Stage.bool) ?? .text([SigmaString(sigma: raw)])
        case .int:
            let integer = node.node.int.map(Int64.init) ?? Int64(raw)
            if let double = integer.map(Double.init) ?? node.node.float {
                stage = .number(integer, double)
            } else {
                stage = .text([SigmaString(sigma: raw)])
            }
        case .float: stage = node.node.float.map { .number(nil, $0) } ?? .text([SigmaString(sigma: raw)])
        default: stage = .text([SigmaString(sigma: raw)])
        }
        if keyword, case .null = stage {
            node.error("a keyword cannot be null")
            return nil
        }
        var caseSensitive = false
        var positioned = false
        var transformed = false
        func fail(_ modifier: String, _ problem: String) -> ValueTest? {
            node.error("'|\(modifier)' \(problem)")
            return nil
        }
        for modifier in modifiers where !["all", "neq"].contains(modifier) {
            if case .null = stage { return fail(modifier, "cannot apply to null") }
            // Numbers and booleans are matched as their text once a text modifier applies.
            if Self.textModifiers.contains(modifier) {
                switch stage {
                case .number, .bool: stage = .text([SigmaString(sigma: raw)])
                default: break
                }
            }
            switch modifier {
            case "contains", "startswith", "endswith":
                positioned = true
                let leading = modifier != "startswith", trailing = modifier != "endswith"
                switch stage {
                case .text(let values): stage = .text(values.map { $0.wrapped(leading: leading, trailing: trailing) })
                case .regex: break  // a Sigma regex is a search anywhere in the value already
                case .fieldReference(let mode):
                    let combined: ValueTest.FieldReferenceMode
                    switch (mode, modifier) {
                    case (.equal, "startswith"): combined = .prefix
                    case (.equal, "endswith"): combined = .suffix
                    default: combined = .contains
                    }
                    stage = .fieldReference(combined)
                default: return fail(modifier, "does not apply to \(stage.name)")
                }
            case "base64", "base64offset":
                guard case .text(let values) = stage else { return fail(modifier, "does not apply to \(stage.name)") }
                var encoded: [SigmaString] = []
                for value in values {
                    guard let bytes = value.plainBytes else {
                        return fail(modifier, "cannot encode wildcards or windash variants; put contains after it")
                    }
                    if modifier == "base64" {
                        encoded.append(SigmaString(parts: [.bytes(SigmaEncoding.base64(bytes))]))
                    } else {
                        encoded += SigmaEncoding.base64Offsets(bytes).map { SigmaString(parts: [.bytes($0)]) }
                    }
                }
                stage = .text(encoded)
                // Base64 text is case-sensitive: another case is other bytes.
                caseSensitive = true
                transformed = true
            case "wide", "utf16le", "utf16be", "utf16":
                guard case .text(let values) = stage else { return fail(modifier, "does not apply to \(stage.name)") }
                let form: SigmaEncoding.UTF16Form = modifier == "utf16be" ? .bigEndian : .littleEndian
                // `utf16` is little-endian after a byte order mark, which starts the value once.
                let mark: [SigmaString.Part] = modifier == "utf16" ? [.bytes([0xFF, 0xFE])] : []
                stage = .text(
                    values.map { SigmaString(parts: mark + $0.mapLiterals { SigmaEncoding.utf16($0, form) }.parts) })
                transformed = true
            case "windash":
                guard case .text(let values) = stage else { return fail(modifier, "does not apply to \(stage.name)") }
                stage = .text(values.map(SigmaEncoding.windash))
                transformed = true
            case "re":
                guard case .text = stage, !transformed, !positioned else {
                    return fail(modifier, "only applies to a plain text value")
                }
                stage = .regex([])
            case "i", "ignorecase", "m", "multiline", "s", "dotall":
                guard case .regex(let flags) = stage else { return fail(modifier, "only applies after '|re'") }
                let flag: SigmaRegex.Flags =
                    switch modifier {
                    case "i", "ignorecase": .caseless
                    case "m", "multiline": .multiline
                    default: .dotAll
                    }
                stage = .regex(flags.union(flag))
            case "cidr":
                guard case .text = stage, !transformed, !positioned else {
                    return fail(modifier, "only applies to a plain text value")
                }
                guard let network = CIDRNetwork(raw.trimmingASCIISpaces) else {
                    return fail(modifier, "value '\(raw)' is not an IPv4 or IPv6 network such as 10.0.0.0/8")
                }
                stage = .cidr(network)
            case "gt", "gte", "lt", "lte":
                guard case .number(_, let bound) = stage else { return fail(modifier, "needs a number") }
                let comparison: ValueTest.Comparison =
                    switch modifier {
                    case "gt": .greater
                    case "gte": .greaterOrEqual
                    case "lt": .less
                    default: .lessOrEqual
                    }
                stage = .compare(comparison, bound)
            case "fieldref":
                guard case .text(let values) = stage, !transformed, !positioned, values.count == 1,
                    values[0].plainBytes != nil
                else { return fail(modifier, "needs a plain field name (no wildcards, no other modifier before it)") }
                stage = .fieldReference(.equal)
            case "cased":
                switch stage {
                case .text, .fieldReference: caseSensitive = true
                default: return fail(modifier, "does not apply to \(stage.name)")
                }
            default:
                return fail(modifier, "cannot be combined with other modifiers")
            }
        }
        switch stage {
        case .text(var values):
            if keyword, !positioned { values = values.map { $0.wrapped(leading: true, trailing: true) } }
            return .text(values.map { StringPattern($0, caseSensitive: caseSensitive) })
        case .number(let integer, let double):
            let text = StringPattern(SigmaString(sigma: raw), caseSensitive: false)
            if keyword {
                return .text([
                    StringPattern(SigmaString(sigma: raw).wrapped(leading: true, trailing: true), caseSensitive: false)
                ])
            }
            return .number(ValueTest.NumberValue(integer: integer, double: double, text: text))
        case .bool(let bool):
            if keyword {
                return .text([
                    StringPattern(
                        SigmaString(literal: raw).wrapped(leading: true, trailing: true), caseSensitive: false)
                ])
            }
            return .bool(bool)
        case .null:
            return .null
        case .regex(let flags):
            do {
                return .regex(try SigmaRegex(raw, flags: flags))
            } catch {
                node.error("regular expression does not compile: \(error.message) at offset \(error.offset)")
                return nil
            }
        case .cidr(let network):
            return .cidr(network)
        case .compare(let comparison, let bound):
            return .compare(comparison, bound)
        case .fieldReference(let mode):
            let targets = resolver.resolve(raw)
            fields.formUnion(targets)
            return .fieldReference(targets, mode, caseSensitive: caseSensitive)
        }
    }

    /// Modifiers that read their value as text.
    private static let textModifiers: Set<String> = [
        "contains", "startswith", "endswith", "base64", "base64offset", "wide", "utf16le", "utf16be", "utf16",
        "windash", "re", "cidr", "fieldref", "cased",
    ]
}

extension String {
    fileprivate var trimmingASCIISpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

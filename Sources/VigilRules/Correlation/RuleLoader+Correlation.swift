import VigilConfig
import VigilCore

/// The correlation rules of a pack and how matches reach them.
public struct CorrelationSet: Sendable {
    /// In dependency order: a rule comes after every correlation it refers to.
    public private(set) var rules: [CorrelationRule]
    /// Rules (detection or correlation) referenced only by correlations that do not `generate`
    /// them: their hits feed the correlations but raise no incident of their own (Sigma's default).
    public private(set) var silent: Set<String>
    /// Rule id → the (correlation index, input position) pairs its matches feed.
    public private(set) var consumers: [String: [(rule: Int, input: Int)]]

    public init(rules: [CorrelationRule] = []) {
        self.rules = rules
        var consumers: [String: [(rule: Int, input: Int)]] = [:]
        var generated: Set<String> = []
        for (index, rule) in rules.enumerated() {
            for (position, input) in rule.inputs.enumerated() {
                consumers[input, default: []].append((index, position))
                if rule.generate { generated.insert(input) }
            }
        }
        self.consumers = consumers
        silent = Set(consumers.keys).subtracting(generated)
    }

    public var isEmpty: Bool { rules.isEmpty }
}

/// A correlation document read but not yet resolved (its references may live in later files).
struct PendingCorrelation {
    var meta: CompiledRule.Metadata
    var levelGiven: Bool
    var type: CorrelationType
    var references: [(ref: String, node: ConfigNode)]
    var groupBy: [String]
    var aliases: [String: [String: String]]
    var timespan: Int64
    var condition: CorrelationCondition
    var valueFields: [String]
    var generate: Bool
    var learning: Int64?
    var node: ConfigNode
}

extension RuleLoader {
    static let correlationKeys = ["type", "rules", "group-by", "timespan", "condition", "aliases", "generate"]
    static let conditionKeys = ["gt", "gte", "lt", "lte", "eq", "neq", "field"]

    /// Reads a correlation section; the referenced rules are resolved once every file is read.
    static func collectCorrelation(
        _ node: ConfigNode, document: ConfigNode, meta: CompiledRule.Metadata, levelGiven: Bool,
        override: ConfigNode?
    ) -> PendingCorrelation? {
        node.allowOnly(correlationKeys)
        override?.allowOnly(RuleOverrides.correlationKeys)
        let before = node.reader.errors.count
        let types = CorrelationType.allCases.map(\.rawValue)
        guard let typeNode = node.child("type") else {
            node.error("missing key 'type'", hint: types.joined(separator: ", "))
            return nil
        }
        guard let type = typeNode.oneOf(types).flatMap(CorrelationType.init(rawValue:)) else { return nil }
        var references: [(String, ConfigNode)] = []
        if let rulesNode = node.child("rules") {
            if case .scalar = rulesNode.node {
                if let ref = rulesNode.string() { references = [(ref, rulesNode)] }
            } else {
                references = rulesNode.sequence().compactMap { n in n.string().map { ($0, n) } }
            }
        }
        if references.isEmpty {
            node.error("missing key 'rules'", hint: "the ids or names of the rules this correlation counts")
        }
        if (type == .temporal || type == .temporalOrdered) && references.count < 2 {
            node.child("rules")?.warning("a \(type.rawValue) correlation of one rule is an event_count of 1")
        }
        let groupNode = override?.child("group-by") ?? node.child("group-by")
        let groupBy = groupNode?.sequence().compactMap { $0.string() } ?? []
        var aliases: [String: [String: String]] = [:]
        if let aliasNode = node.child("aliases") {
            if case .mapping(let mapping) = aliasNode.node {
                for (key, _) in mapping {
                    guard let alias = key.string, let fields = aliasNode.child(alias) else { continue }
                    aliases[alias] = Dictionary(
                        fields.stringMap().map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                }
            } else {
                aliasNode.error("expected alias: {rule name: field, …}")
            }
        }
        var timespan: Int64 = 0
        if let spanNode = override?.child("timespan") ?? node.child("timespan") {
            if let text = spanNode.string() {
                if let micros = SigmaTimespan.micros(text) {
                    timespan = micros
                } else {
                    spanNode.error("'\(text)' is not a timespan", hint: "a number and s, m, h or d: 30s, 5m, 1h, 7d")
                }
            }
        } else {
            node.error("missing key 'timespan'", hint: "e.g. timespan: 5m")
        }
        let conditionNode = override?.child("condition") ?? node.child("condition")
        var condition = CorrelationCondition()
        var valueFields: [String] = []
        if let conditionNode {
            conditionNode.allowOnly(conditionKeys)
            for key in conditionKeys where key != "field" {
                guard let bound = conditionNode.child(key)?.int(in: 0...Int(Int32.max)) else { continue }
                switch key {
                case "gt": condition.gt = bound
                case "gte": condition.gte = bound
                case "lt": condition.lt = bound
                case "lte": condition.lte = bound
                case "eq": condition.eq = bound
                default: condition.neq = bound
                }
            }
            if let fieldNode = conditionNode.child("field") {
                if case .scalar = fieldNode.node {
                    valueFields = fieldNode.string().map { [$0] } ?? []
                } else {
                    valueFields = fieldNode.sequence().compactMap { $0.string() }
                }
            }
        }
        let hasBounds = condition != CorrelationCondition()
        switch type {
        case .eventCount, .valueCount:
            if !hasBounds {
                (conditionNode ?? node).error(
                    "\(type.rawValue) needs a condition", hint: "e.g. condition: {gte: 10}")
            }
            if type == .valueCount && valueFields.count != 1 {
                (conditionNode ?? node).error(
                    "value_count needs the field whose distinct values it counts",
                    hint: "condition: {field: user.name, gte: 10}")
            }
            if type == .eventCount && !valueFields.isEmpty {
                conditionNode?.child("field")?.error("event_count counts events; 'field' belongs to value_count")
            }
        case .temporal:
            if !valueFields.isEmpty { conditionNode?.child("field")?.error("temporal counts rules, not field values") }
            if !hasBounds { condition.gte = references.count }
        case .temporalOrdered:
            if conditionNode != nil {
                conditionNode?.warning("temporal_ordered needs every rule in order; the condition is ignored")
            }
            condition = CorrelationCondition(gte: references.count)
        case .newTerms:
            if !(1...3).contains(valueFields.count) {
                (conditionNode ?? node).error(
                    "new_terms needs 1 to 3 fields whose combination must be new",
                    hint: "condition: {field: destination.ip}")
            }
            if hasBounds { conditionNode?.error("new_terms takes only 'field' in its condition") }
        }
        let generateNode =
            override?.child("generate") ?? node.child("generate") ?? document.child("generate")
        let generate = generateNode?.bool() ?? false
        var learning: Int64?
        if let vigil = document.child("vigil") {
            vigil.allowOnly(["learning"])
            if type != .newTerms, vigil.child("learning") != nil {
                vigil.child("learning")?.error("'learning' applies to new_terms only")
            }
        }
        if let learningNode = override?.child("learning") ?? document.child("vigil")?.child("learning"),
            let text = learningNode.string()
        {
            if text == "0s" || text == "0" {
                learning = 0
            } else if let micros = SigmaTimespan.micros(text) {
                learning = micros
            } else {
                learningNode.error("'\(text)' is not a timespan", hint: "e.g. learning: 7d")
            }
        }
        guard node.reader.errors.count == before else { return nil }
        return PendingCorrelation(
            meta: meta, levelGiven: levelGiven, type: type, references: references, groupBy: groupBy,
            aliases: aliases, timespan: timespan, condition: condition, valueFields: valueFields,
            generate: generate, learning: learning, node: node)
    }

    /// Resolves references (by id or name, across files), rejects cycles, and reads each input's
    /// group-by and value fields through its log source's mapping (or the alias given for it).
    static func resolve(_ pending: [PendingCorrelation], rules: [CompiledRule], mappings: RuleMappings)
        -> CorrelationSet
    {
        guard !pending.isEmpty else { return CorrelationSet() }
        var detections: [String: Int] = [:]
        for (index, rule) in rules.enumerated() {
            detections[rule.meta.id] = index
            if let name = rule.meta.name { detections[name] = detections[name] ?? index }
        }
        var correlations: [String: Int] = [:]
        for (index, c) in pending.enumerated() {
            correlations[c.meta.id] = index
            if let name = c.meta.name {
                if correlations[name] != nil || detections[name] != nil {
                    c.node.reader.subject = subject(c.meta)
                    c.node.error("the name '\(name)' is used by another rule; references to it are ambiguous")
                } else {
                    correlations[name] = index
                }
            }
        }
        enum Visit { case visiting, done(Int, RuleLevel, FieldResolver), failed }
        var state: [Int: Visit] = [:]
        var out: [CorrelationRule] = []

        func visit(_ index: Int) -> (Int, RuleLevel, FieldResolver)? {
            switch state[index] {
            case .done(let at, let level, let resolver): return (at, level, resolver)
            case .failed: return nil
            case .visiting:
                pending[index].node.reader.subject = subject(pending[index].meta)
                pending[index].node.child("rules")?.error(
                    "the correlation refers to itself through its rules (a cycle)")
                state[index] = .failed
                return nil
            case nil: break
            }
            state[index] = .visiting
            let c = pending[index]
            var inputs: [String] = []
            var levels: [RuleLevel] = []
            var resolvers: [FieldResolver] = []
            var names: [[String]] = []
            var ok = true
            for (ref, node) in c.references {
                let key = ref.lowercased()
                if let d = detections[ref] ?? detections[key] {
                    let rule = rules[d]
                    inputs.append(rule.meta.id)
                    levels.append(rule.meta.level)
                    resolvers.append(rule.resolver)
                    names.append([rule.meta.name, rule.meta.id, ref].compactMap { $0 })
                } else if let j = correlations[ref] ?? correlations[key] {
                    guard let (at, level, resolver) = visit(j) else {
                        if case .failed = state[index] { return nil }
                        c.node.reader.subject = subject(c.meta)
                        node.error("refers to correlation '\(ref)', which did not load")
                        ok = false
                        continue
                    }
                    inputs.append(out[at].meta.id)
                    levels.append(level)
                    resolvers.append(resolver)
                    names.append([pending[j].meta.name, pending[j].meta.id, ref].compactMap { $0 })
                } else {
                    c.node.reader.subject = subject(c.meta)
                    node.error(
                        "no loaded rule has the id or name '\(ref)'",
                        hint: closest(to: ref, in: Array(detections.keys) + Array(correlations.keys)).map {
                            "did you mean '\($0)'?"
                        } ?? "the referenced rule must load too (it may have failed: see its diagnostics)")
                    ok = false
                }
            }
            func fields(_ written: String, input: Int) -> [FieldID]? {
                guard let alias = c.aliases[written] else { return resolvers[input].resolve(written) }
                guard let field = names[input].lazy.compactMap({ alias[$0] }).first else {
                    c.node.reader.subject = subject(c.meta)
                    c.node.child("aliases")?.error(
                        "alias '\(written)' names no field for rule '\(names[input].first ?? "")'")
                    return nil
                }
                return resolvers[input].resolve(field)
            }
            var projections: [CorrelationRule.Projection] = []
            if ok {
                for input in inputs.indices {
                    let group = c.groupBy.compactMap { fields($0, input: input) }
                    let values = c.valueFields.compactMap { fields($0, input: input) }
                    if group.count != c.groupBy.count || values.count != c.valueFields.count { ok = false }
                    projections.append(.init(group: group, values: values))
                }
            }
            guard ok else {
                state[index] = .failed
                return nil
            }
            var meta = c.meta
            if !c.levelGiven { meta.level = levels.max() ?? .medium }
            meta.groupBy = projections.first?.group.compactMap(\.first) ?? []
            meta.correlation = c.type.rawValue
            let rule = CorrelationRule(
                meta: meta, name: c.meta.name, type: c.type, inputs: inputs, groupBy: c.groupBy,
                timespanMicros: c.timespan, condition: c.condition, valueFields: c.valueFields,
                generate: c.generate, learningMicros: c.learning ?? c.timespan, projections: projections)
            out.append(rule)
            let resolver = resolvers.first ?? FieldResolver()
            state[index] = .done(out.count - 1, meta.level, resolver)
            return (out.count - 1, meta.level, resolver)
        }
        for index in pending.indices { _ = visit(index) }
        return CorrelationSet(rules: out)
    }

    static func subject(_ meta: CompiledRule.Metadata) -> String { "rule \(meta.id) \"\(meta.title)\"" }
}

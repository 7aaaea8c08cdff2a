import VigilConfig
import VigilCore

/// What a ticket's response level is computed from.
public struct LevelInputs: Sendable, Equatable {
    /// The incident's level (the rule's, escalated by repeated hits).
    public var ruleLevel: RuleLevel
    /// The most important data class the incident's events touched, when known.
    public var classification: DataClassification?
    /// People or records affected: the incident's `dlp.count`.
    public var people: Int
    /// Rule hits aggregated in the incident.
    public var events: Int

    public init(ruleLevel: RuleLevel, classification: DataClassification? = nil, people: Int = 0, events: Int = 1) {
        (self.ruleLevel, self.classification, self.people, self.events) = (ruleLevel, classification, people, events)
    }
}

/// `rules/response/levels.yaml`: rows checked in order, the first whose conditions all hold gives the
/// response level; `default` otherwise. Every condition is a minimum (`rule_level: high` means high
/// or critical, `classification: important` means important or core, `people: 1000000` at least a
/// million), so the file reads as the grading guide does: "level II when important data is hit by
/// a high-severity attack, or ten million people's data is affected".
public struct ResponseLevelTable: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var level: ResponseLevel
        public var ruleLevel: RuleLevel?
        public var classification: DataClassification?
        public var people: Int?
        public var events: Int?
        /// Where the row is (for the "why" of a computed level).
        public var line: Int?

        func matches(_ x: LevelInputs) -> Bool {
            if let r = ruleLevel, x.ruleLevel < r { return false }
            if let c = classification { guard let have = x.classification, have >= c else { return false } }
            if let p = people, x.people < p { return false }
            if let e = events, x.events < e { return false }
            return true
        }

        /// The row's conditions in words.
        public var conditions: String {
            var parts: [String] = []
            if let ruleLevel { parts.append("rule level \(ruleLevel.rawValue) or above") }
            if let classification {
                parts.append("\(classification.rawValue) data (\(classification.chinese)) or above")
            }
            if let people { parts.append("at least \(people) people or records") }
            if let events { parts.append("at least \(events) hits") }
            return parts.isEmpty ? "always" : parts.joined(separator: " and ")
        }
    }

    public var rows: [Row]
    public var defaultLevel: ResponseLevel
    public var file: String

    /// The level for `inputs` and why (the row's conditions and line).
    public func level(for inputs: LevelInputs) -> (level: ResponseLevel, why: String) {
        for row in rows where row.matches(inputs) {
            return (row.level, "\(row.conditions) (\(file)\(row.line.map { ":\($0)" } ?? ""))")
        }
        return (defaultLevel, "no row matched: the default (\(file))")
    }

    /// Parses the table; nil (with diagnostics naming file, line and key) when it has errors.
    public static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> ResponseLevelTable?
    {
        let reader = ConfigReader(file: file)
        defer { diagnostics += reader.diagnostics }
        guard let root = reader.root(text) else { return nil }
        root.allowOnly(["rows", "default"])
        var table = ResponseLevelTable(rows: [], defaultLevel: .iv, file: file)
        if let node = root.child("default"), let text = node.string() {
            if let level = ResponseLevel(roman: text) {
                table.defaultLevel = level
            } else {
                node.error("'\(text)' is not a response level", hint: "I, II, III or IV")
            }
        }
        guard let rows = root.child("rows") else {
            root.error("no 'rows': the table needs at least one row")
            return nil
        }
        var previous: ResponseLevel = .i
        for node in rows.sequence() {
            node.allowOnly(["level", "when"])
            guard let levelNode = node.child("level"), let text = levelNode.string() else {
                node.error("a row needs 'level' (I, II, III or IV)")
                continue
            }
            guard let level = ResponseLevel(roman: text) else {
                levelNode.error("'\(text)' is not a response level", hint: "I, II, III or IV")
                continue
            }
            if level > previous {
                levelNode.error(
                    "level \(level.roman) comes after a level \(previous.roman) row",
                    hint: "list rows from the most severe (I) down: the first matching row wins")
            }
            previous = level
            var row = Row(level: level, line: node.line)
            guard let when = node.child("when") else {
                node.error("a row needs 'when' with at least one of rule_level, classification, people, events")
                continue
            }
            when.allowOnly(["rule_level", "classification", "people", "events"])
            if let n = when.child("rule_level"), let v = n.oneOf(RuleLevel.allCases.map(\.rawValue)) {
                row.ruleLevel = RuleLevel(rawValue: v)
            }
            if let n = when.child("classification"), let v = n.oneOf(DataClassification.allCases.map(\.rawValue)) {
                row.classification = DataClassification(rawValue: v)
            }
            row.people = when.child("people")?.int(in: 1...Int.max)
            row.events = when.child("events")?.int(in: 1...Int.max)
            if row.ruleLevel == nil && row.classification == nil && row.people == nil && row.events == nil {
                when.error("'when' has no condition", hint: "rule_level, classification, people or events")
                continue
            }
            table.rows.append(row)
        }
        return reader.errors.isEmpty ? table : nil
    }
}

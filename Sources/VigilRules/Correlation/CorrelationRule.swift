import VigilCore

/// The kinds of Sigma correlation (correlation rules specification 2.0), plus Vigil's `new_terms`.
public enum CorrelationType: String, Sendable, Codable, CaseIterable {
    /// At least (or at most …) N events of the referenced rules per group within the timespan.
    case eventCount = "event_count"
    /// N distinct values of a field per group within the timespan.
    case valueCount = "value_count"
    /// Every referenced rule matched (any order) per group within the timespan.
    case temporal
    /// Every referenced rule matched in the listed order per group within the timespan.
    case temporalOrdered = "temporal_ordered"
    /// Vigil's extension: a value (or combination of up to 3 fields) not seen for the group within
    /// the history window (`timespan`), after a learning period.
    case newTerms = "new_terms"
}

/// A correlation condition: one or more bounds that must all hold (`gt: 100, lte: 200` is a range).
public struct CorrelationCondition: Sendable, Equatable, Codable {
    public var gt: Int?
    public var gte: Int?
    public var lt: Int?
    public var lte: Int?
    public var eq: Int?
    public var neq: Int?

    public init(gt: Int? = nil, gte: Int? = nil, lt: Int? = nil, lte: Int? = nil, eq: Int? = nil, neq: Int? = nil) {
        (self.gt, self.gte, self.lt, self.lte, self.eq, self.neq) = (gt, gte, lt, lte, eq, neq)
    }

    public func matches(_ n: Int) -> Bool {
        if let gt, !(n > gt) { return false }
        if let gte, !(n >= gte) { return false }
        if let lt, !(n < lt) { return false }
        if let lte, !(n <= lte) { return false }
        if let eq, n != eq { return false }
        if let neq, n == neq { return false }
        return true
    }

    /// True when only lower bounds are given: once the count satisfies the condition, more events
    /// cannot undo it, so the correlation fires at once instead of when its window closes.
    public var isMonotone: Bool { lt == nil && lte == nil && eq == nil && neq == nil }

    /// The smallest count that satisfies the lower bounds (what a monotone window needs to hold).
    var threshold: Int { max(gt.map { $0 + 1 } ?? 0, gte ?? 0, 1) }

    public var description: String {
        var parts: [String] = []
        for (name, value) in [("gt", gt), ("gte", gte), ("lt", lt), ("lte", lte), ("eq", eq), ("neq", neq)] {
            if let value { parts.append("\(name) \(value)") }
        }
        return parts.joined(separator: " and ")
    }
}

/// A loaded Sigma correlation rule, its references resolved to rule ids and its fields to ECS.
public struct CorrelationRule: Sendable {
    /// What the rule reads from each input's events: the group-by fields (each a list of
    /// alternatives, the first present wins) and the fields whose values it counts or remembers.
    struct Projection: Sendable {
        var group: [[FieldID]]
        var values: [[FieldID]]
    }

    public var meta: CompiledRule.Metadata
    public var name: String?
    public var type: CorrelationType
    /// Ids of the referenced rules (detection or correlation), in the order written.
    public var inputs: [String]
    /// Group-by names as written (field names or aliases).
    public var groupBy: [String]
    public var timespanMicros: Int64
    public var condition: CorrelationCondition
    /// value_count: the counted field; new_terms: the 1…3 fields whose combination must be new.
    public var valueFields: [String]
    /// Whether the referenced rules also raise incidents of their own (Sigma `generate`, default false).
    public var generate: Bool
    /// new_terms: event time after the rule's first event during which terms are learnt, not reported.
    public var learningMicros: Int64
    var projections: [Projection]
}

/// Parses Sigma durations: a whole number and one unit letter (`30s`, `5m`, `1h`, `7d`; Vigil also
/// takes `w` for weeks).
enum SigmaTimespan {
    /// A positive duration in µs (`5m`, `1h`, `7d`, `2w`).
    static func micros(_ text: String) -> Int64? {
        DurationText.seconds(text).flatMap { $0 > 0 ? $0 * 1_000_000 : nil }
    }

    static func text(_ micros: Int64) -> String { DurationText.text(seconds: micros / 1_000_000) }
}

/// An incident as stored. The store and the rule engine sit on the same level (DESIGN §2) and meet
/// only through VigilCore, so this is the store's own type: the correlator maps
/// `VigilRules.Incident` to it, field for field.
public struct IncidentRecord: Sendable, Equatable {
    public var id: String
    public var ruleID: String
    public var title: String
    /// The incident's current level (`RuleLevel` raw value), escalated by hits.
    public var level: String
    /// The rule's own level.
    public var ruleLevel: String
    /// `LifecycleStage` raw value.
    public var stage: String?
    /// GB/T 20986 category code.
    public var category: String?
    /// The correlation type when the rule is a correlation rule.
    public var correlation: String?
    /// The group-by fields and their values; stored as JSON.
    public var group: [String: String]
    public var hits: Int
    /// Event time of the first and last hit, µs since 1970.
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// Sample event ids.
    public var samples: [String]
    public var observers: [String]
    public var dlpCount: Int
    /// Departments (`labels.department`) of the hits' events.
    public var departments: [String] = []
    /// The most important `data.classification` touched: `core`, `important` or `general`.
    public var classification: String?
    /// `open` when first stored, then what analysts set; an upsert from the rules never changes it.
    public var status: String = "open"

    public init(
        id: String, ruleID: String, title: String, level: String, ruleLevel: String, stage: String?,
        category: String?, correlation: String?, group: [String: String], hits: Int, firstSeen: Int64,
        lastSeen: Int64, samples: [String], observers: [String], dlpCount: Int
    ) {
        (self.id, self.ruleID, self.title, self.level, self.ruleLevel) = (id, ruleID, title, level, ruleLevel)
        (self.stage, self.category, self.correlation, self.group) = (stage, category, correlation, group)
        (self.hits, self.firstSeen, self.lastSeen, self.samples) = (hits, firstSeen, lastSeen, samples)
        (self.observers, self.dlpCount) = (observers, dlpCount)
    }
}

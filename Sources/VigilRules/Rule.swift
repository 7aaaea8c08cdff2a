import VigilCore

/// A loaded, compiled Sigma detection rule with Vigil's metadata read from its tags.
public struct CompiledRule: Sendable {
    public struct Metadata: Sendable, Equatable {
        /// The rule's UUID, as in Sigma.
        public var id: String
        public var title: String
        public var description: String?
        public var status: String?
        public var level: RuleLevel
        public var tags: [String]
        /// From `vigil.stage.<stage>`.
        public var stage: LifecycleStage?
        /// GB/T 20986-2023 category code, from `gbt20986.<code>`.
        public var category: String?
        /// `attack.*` tags.
        public var attack: [String]
        public var falsePositives: [String]
        /// Fields an incident of this rule is grouped by (`vigil: {group_by: [...]}`); default
        /// `source.ip`, then `user.name`, then the observer.
        public var groupBy: [FieldID]
        public var file: String
        public var line: Int?
        /// Sigma's optional `name`, by which correlation rules may refer to the rule.
        public var name: String? = nil
        /// For a correlation rule, its type (`event_count`, …); nil for a detection rule.
        public var correlation: String? = nil
    }

    public var meta: Metadata
    public var logsource: [String: String]
    /// Datasets the rule's log source covers (from its mapping).
    public var datasets: Set<String>
    public var detection: Detection
    /// The field mapping of the rule's log source (correlation rules read group-by fields through it).
    public var resolver: FieldResolver = FieldResolver()

    public func matches(_ event: Event) -> Bool {
        datasets.contains(event.dataset.name) && detection.matches(event)
    }
}

/// The compiled rules, indexed by dataset so an event only meets the rules that can match it, and
/// within a dataset behind a literal prefilter (`Prefilter`) so it only meets the rules whose
/// necessary literals occur in it.
public struct RuleSet: Sendable {
    public private(set) var rules: [CompiledRule]
    private var byDataset: [String: Prefilter] = [:]

    public init(rules: [CompiledRule]) {
        self.rules = rules
        var indices: [String: [Int]] = [:]
        for (index, rule) in rules.enumerated() {
            for dataset in rule.datasets { indices[dataset, default: []].append(index) }
        }
        byDataset = indices.mapValues { members in
            Prefilter(rules: members, detections: members.map { rules[$0].detection })
        }
    }

    /// Rules that match `event`, in load order.
    public func matches(_ event: Event) -> [CompiledRule] {
        guard let prefilter = byDataset[event.dataset.name] else { return [] }
        var out: [CompiledRule] = []
        prefilter.forEachCandidate(event) { index in
            if rules[index].detection.matches(event) { out.append(rules[index]) }
        }
        return out
    }
}

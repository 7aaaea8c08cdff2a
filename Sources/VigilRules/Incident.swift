import VigilCore

/// Rule hits aggregated by (rule, group key) while active (DESIGN §6). Built here, in the pure rule
/// module, so `vigil analyze` and the correlator raise the very same incidents.
public struct Incident: Sendable, Equatable {
    /// Deterministic: a hash of rule id, group key and the first hit's event id, so a replay of the
    /// same evidence gives the same incident ids.
    public var id: String
    public var ruleID: String
    public var title: String
    public var tags: [String]
    public var stage: LifecycleStage?
    public var category: String?
    /// The rule's level, raised as hits accumulate (see `IncidentTracker.escalation`), never lowered.
    public var level: RuleLevel
    public var ruleLevel: RuleLevel
    /// The group-by fields and their values (`source.ip: 10.1.2.3`); empty values are omitted.
    public var groupKey: [(field: String, value: String)]
    public var hits: Int
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    /// Up to `IncidentTracker.maxSamples` event ids, the first ones seen.
    public var sampleEventIDs: [String]
    /// Distinct observers (sensors) the hits came from.
    public var observers: [String]
    /// Sum of `dlp.count` over the hits: how many personal-data values the incident touched.
    public var dlpCount: Int
    /// The correlation type when the rule is a correlation rule (each hit is one fired correlation).
    public var correlation: String? = nil

    public static func == (a: Incident, b: Incident) -> Bool {
        a.id == b.id && a.hits == b.hits && a.level == b.level && a.lastSeen == b.lastSeen
    }
}

/// The incident aggregation state machine (CONVENTIONS 5): `hit` returns what changed; the caller
/// (CLI or correlator) stores, prints or notifies.
public struct IncidentTracker: Sendable {
    public enum Action: Sendable, Equatable {
        case opened(Incident)
        case updated(Incident)
        /// The incident's level rose (from, to).
        case escalated(Incident, from: RuleLevel)
    }

    public static let maxSamples = 5
    /// Hits after which an incident is raised one level above its rule's (10) and two levels (100):
    /// a rule firing a hundred times for one source is worse than once. Capped at critical.
    public static let escalation = [10, 100]

    /// An incident stays open while hits keep coming within this many seconds of event time; a
    /// later hit opens a new one.
    public var quietPeriodSeconds: Int64
    /// Every incident, in the order they were opened.
    public private(set) var incidents: [Incident] = []
    /// The open incident of each (rule, group key).
    private var active: [String: Int] = [:]

    public init(quietPeriodSeconds: Int64 = 3600) { self.quietPeriodSeconds = quietPeriodSeconds }

    /// Records a hit of `rule` on `event`; `samples` are the contributing event ids when the hit is a
    /// correlation's (default: the event's own id).
    public mutating func hit(_ rule: CompiledRule.Metadata, event: Event, samples: [String]? = nil) -> Action {
        var key: [(String, String)] = []
        for field in rule.groupBy {
            if let value = event[field], let text = Self.text(value), !text.isEmpty { key.append((field.name, text)) }
        }
        if key.isEmpty {
            if let user = event[Fields.userName].flatMap(Self.text) {
                key = [("user.name", user)]
            } else if let observer = event.observerID {
                key = [("observer.id", observer)]
            }
        }
        let slot = rule.id + "\u{0}" + key.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{0}")
        let dlp = Int(event[Fields.dlpCount]?.intValue ?? 0)
        if let index = active[slot],
            event.timestamp.microseconds - incidents[index].lastSeen.microseconds <= quietPeriodSeconds * 1_000_000
        {
            var incident = incidents[index]
            incident.hits += 1
            incident.firstSeen = min(incident.firstSeen, event.timestamp)
            incident.lastSeen = max(incident.lastSeen, event.timestamp)
            for id in samples ?? [event.id]
            where incident.sampleEventIDs.count < Self.maxSamples && !incident.sampleEventIDs.contains(id) {
                incident.sampleEventIDs.append(id)
            }
            if let o = event.observerID, !incident.observers.contains(o) { incident.observers.append(o) }
            incident.dlpCount += dlp
            let before = incident.level
            incident.level = Self.level(for: incident.ruleLevel, hits: incident.hits)
            incidents[index] = incident
            return incident.level > before ? .escalated(incident, from: before) : .updated(incident)
        }
        let id = Digest.sha256.hex(rule.id + "\u{0}" + slot + "\u{0}" + event.id).prefix(32)
        let incident = Incident(
            id: String(id), ruleID: rule.id, title: rule.title, tags: rule.tags, stage: rule.stage,
            category: rule.category, level: rule.level, ruleLevel: rule.level, groupKey: key, hits: 1,
            firstSeen: event.timestamp, lastSeen: event.timestamp,
            sampleEventIDs: Array((samples ?? [event.id]).prefix(Self.maxSamples)),
            observers: event.observerID.map { [$0] } ?? [], dlpCount: dlp, correlation: rule.correlation)
        active[slot] = incidents.count
        incidents.append(incident)
        return .opened(incident)
    }

    static func level(for base: RuleLevel, hits: Int) -> RuleLevel {
        let steps = escalation.filter { hits >= $0 }.count
        let all = RuleLevel.allCases
        return all[min(all.count - 1, all.firstIndex(of: base)! + steps)]
    }

    /// A group-key value as text: Sigma's textual form of scalars, list elements joined by commas.
    static func text(_ value: FieldValue) -> String? {
        switch value {
        case .object: nil
        case .list(let items): items.compactMap(text).joined(separator: ",")
        default: ValueTest.text(of: value)
        }
    }
}

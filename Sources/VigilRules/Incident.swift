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
    /// Distinct departments (`labels.department`) of the hits' events, at most `maxDepartments`.
    public var departments: [String] = []
    /// The most important `data.classification` among the hits' events (core > important > general).
    public var classification: DataClassification? = nil

    public init(
        id: String, ruleID: String, title: String, tags: [String], stage: LifecycleStage?, category: String?,
        level: RuleLevel, ruleLevel: RuleLevel, groupKey: [(field: String, value: String)], hits: Int,
        firstSeen: Timestamp, lastSeen: Timestamp, sampleEventIDs: [String], observers: [String], dlpCount: Int,
        correlation: String? = nil
    ) {
        (self.id, self.ruleID, self.title, self.tags, self.stage) = (id, ruleID, title, tags, stage)
        (self.category, self.level, self.ruleLevel, self.groupKey) = (category, level, ruleLevel, groupKey)
        (self.hits, self.firstSeen, self.lastSeen, self.sampleEventIDs) = (hits, firstSeen, lastSeen, sampleEventIDs)
        (self.observers, self.dlpCount, self.correlation) = (observers, dlpCount, correlation)
    }

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
    public static let maxDepartments = 20
    /// Hits after which an incident is raised one level above its rule's (10) and two levels (100):
    /// a rule firing a hundred times for one source is worse than once. Capped at critical.
    public static let escalation = [10, 100]

    /// An incident stays open while hits keep coming within this many seconds of event time; a
    /// later hit opens a new one.
    public var quietPeriodSeconds: Int64
    /// Every incident, in the order they were opened.
    public private(set) var incidents: [Incident] = []
    /// The open incident of each (rule, group key), by `activeKey`.
    private var active: [String: Int] = [:]
    /// The latest hit's event time: incidents quiet for longer than the quiet period before it can
    /// no longer be updated (`expire`).
    private var latest = Timestamp(microseconds: .min)
    /// The last hit time, as stored, of each incident taken up after a restart (by `activeKey`),
    /// until the replay of the events after the last snapshot is done (`alreadyCounted`).
    private var resumedThrough: [String: Timestamp] = [:]

    public init(quietPeriodSeconds: Int64 = 3600) { self.quietPeriodSeconds = quietPeriodSeconds }

    /// Records a hit of `rule` on `event`; `samples` are the contributing event ids when the hit is a
    /// correlation's (default: the event's own id).
    public mutating func hit(_ rule: CompiledRule.Metadata, event: Event, samples: [String]? = nil) -> Action {
        let key = Self.groupKey(rule, event)
        let slot = rule.id + "\u{0}" + key.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{0}")
        let dlp = Int(event[Fields.dlpCount]?.intValue ?? 0)
        latest = max(latest, event.timestamp)
        let activeKey = Self.activeKey(rule.id, key)
        if let index = active[activeKey],
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
            Self.noteData(event, in: &incident)
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
        var opened = incident
        Self.noteData(event, in: &opened)
        active[activeKey] = incidents.count
        incidents.append(opened)
        return .opened(opened)
    }

    /// The group an event's hit of `rule` counts in: the rule's group-by fields, else the user,
    /// else the sensor.
    static func groupKey(_ rule: CompiledRule.Metadata, _ event: Event) -> [(String, String)] {
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
        return key
    }

    /// Whether a hit of `rule` on `event`, produced again while a restarted correlator replays the
    /// events stored after its last snapshot, is one the incident taken up from the store already
    /// counted: the same rule and group, no later than that incident's last hit as stored. Hits of
    /// one rule and group come in event-time order (matches are released by watermark), so the
    /// replay first re-creates the hits counted before the crash, then new ones.
    public func alreadyCounted(_ rule: CompiledRule.Metadata, event: Event) -> Bool {
        guard !resumedThrough.isEmpty,
            let through = resumedThrough[Self.activeKey(rule.id, Self.groupKey(rule, event))]
        else { return false }
        return event.timestamp <= through
    }

    /// Ends the replay after a restart: from now on every hit is new.
    public mutating func replayDone() { resumedThrough = [:] }

    /// Adds the event's department and data class to the incident's.
    static func noteData(_ event: Event, in incident: inout Incident) {
        if let d = event[Fields.labelsDepartment].flatMap(text), !d.isEmpty, !incident.departments.contains(d),
            incident.departments.count < maxDepartments
        {
            incident.departments.append(d)
        }
        if let c = event[Fields.dataClassification].flatMap(text).flatMap(DataClassification.init(rawValue:)),
            incident.classification.map({ c > $0 }) ?? true
        {
            incident.classification = c
        }
    }

    /// The key of the open incident of a rule and group: field order does not matter, so an
    /// incident read back from a store (whose group is a map) finds its slot again.
    static func activeKey(_ rule: String, _ key: [(field: String, value: String)]) -> String {
        rule + "\u{0}" + key.sorted { $0.field < $1.field }.map { "\($0.field)=\($0.value)" }.joined(separator: "\u{0}")
    }

    /// Takes up an incident from before a restart (read back from the store), so later hits of its
    /// rule and group update it instead of opening a second one. An incident already tracked under
    /// the same rule and group wins.
    public mutating func resume(_ incident: Incident) {
        let key = Self.activeKey(incident.ruleID, incident.groupKey)
        guard active[key] == nil else { return }
        resumedThrough[key] = incident.lastSeen
        latest = max(latest, incident.lastSeen)
        active[key] = incidents.count
        incidents.append(incident)
    }

    /// Forgets incidents whose last hit is more than the quiet period before the latest hit seen:
    /// the next hit of their rule and group opens a new incident anyway, so a long-running
    /// correlator need not keep them (they stay in its store). Returns how many went.
    @discardableResult
    public mutating func expire() -> Int {
        guard latest.microseconds > .min / 2 else { return 0 }  // no hit yet
        let cutoff = latest.microseconds - quietPeriodSeconds * 1_000_000
        let before = incidents.count
        incidents.removeAll { $0.lastSeen.microseconds < cutoff }
        active = [:]
        for (index, incident) in incidents.enumerated() {
            active[Self.activeKey(incident.ruleID, incident.groupKey)] = index
        }
        return before - incidents.count
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

import Foundation
import VigilCore

/// A correlation rule that fired: which rule, for which group, when, on which events.
public struct CorrelationHit: Sendable {
    public var rule: CorrelationRule.Metadata
    public var type: CorrelationType
    /// An event standing for the hit: the correlation's time, the group-by fields (and new_terms'
    /// term fields) with their values, `rule.id`, and the observer and asset labels (department,
    /// data classification) of the last contributing event.
    /// Correlations that refer to this one read it; incidents are raised from it.
    public var event: Event
    /// Ids of contributing events (the first of the window and the one that completed it).
    public var eventIDs: [String]
    /// What the condition counted: events, distinct values or matched rules (1 for new_terms).
    public var count: Int
}

extension CorrelationRule {
    public typealias Metadata = CompiledRule.Metadata
}

/// Runs correlation rules on rule matches, in event time (DESIGN §5).
///
/// Matches are buffered and released in event-time order once every source's **watermark** has
/// passed them: a source's watermark is the latest event time it reported minus the allowed
/// lateness, and the slowest open source bounds the release. A match older than what was already
/// released is **late**: the caller has matched it statelessly (its detection incidents stand),
/// it is counted here and not correlated. So a replayed capture and a live stream give the same
/// hits. Event time is `event.end` when present (flows are emitted when they end), else the
/// event's timestamp.
///
/// State is bounded: a group's entries expire with its window, groups per rule and values per group
/// are capped (overflow is counted), and the buffer of unreleased matches is capped (the oldest are
/// then released early, counted). `snapshot()` / `restore(_:)` carry the state across restarts;
/// matches newer than the snapshot's `watermark` must be submitted again (the correlator replays
/// the events it stored after it).
public struct CorrelationEngine: Sendable {
    public struct Options: Sendable {
        /// How long after a source reported time T a match older than T is still accepted in order.
        /// Default 5 minutes: a TCP flow is emitted when it times out, up to 5 minutes after it ended.
        public var latenessMicros: Int64 = 300 * 1_000_000
        public var maxPending = 1_000_000
        public var maxGroupsPerRule = 250_000
        public var maxValuesPerGroup = 100_000
        public init() {}
    }

    public struct Stats: Sendable, Codable, Equatable {
        /// Matches fed to correlation rules in order.
        public var released = 0
        /// Matches that arrived after the watermark had passed them (matched statelessly only).
        public var late = 0
        /// Matches released before their sources' watermark because the buffer was full.
        public var forced = 0
        /// Matches dropped because a group-by field was missing from the event.
        public var ungrouped = 0
        /// New groups or values refused because a state cap was reached.
        public var overflow = 0
        public var hits = 0
    }

    public let set: CorrelationSet
    public var options: Options
    public private(set) var stats = Stats()
    /// Every match at or before this event time (µs) has been released to the rules.
    public private(set) var watermark: Int64 = .min

    /// What the hot path reads of each rule, shared rather than copied per event.
    private final class Plan: Sendable {
        let type: CorrelationType
        let timespanMicros: Int64
        let condition: CorrelationCondition
        let inputCount: Int
        let learningMicros: Int64
        let projections: [CorrelationRule.Projection]
        /// Per input: the text slots (see `slotFields`) of the group-by fields and of the value fields.
        let groupSlots: [[Int]]
        let valueSlots: [[Int]]
        /// Per input: the index of its group-by slot list among every rule's (a memo key).
        let groupSpec: [Int]

        init(_ rule: CorrelationRule, slot: (([FieldID]) -> Int), spec: (([Int]) -> Int)) {
            (type, timespanMicros, condition) = (rule.type, rule.timespanMicros, rule.condition)
            (inputCount, learningMicros, projections) = (rule.inputs.count, rule.learningMicros, rule.projections)
            groupSlots = rule.projections.map { $0.group.map(slot) }
            valueSlots = rule.projections.map { $0.values.map(slot) }
            groupSpec = groupSlots.map(spec)
        }
    }

    /// Every distinct field (with its alternatives) the rules read; an event's text of each is
    /// computed once however many rules read it.
    private let slotFields: [[FieldID]]
    private enum Text {
        case unknown, missing
        case text(String)
    }
    private var texts: [Text]
    /// The slots whose text the current event has computed (what `forgetEvent` resets).
    private var textSlots: [Int] = []
    /// Per group-by slot list: the fingerprint of the event's group values (0: missing), once per
    /// event; nil when not computed yet.
    private var keys: [UInt64?]
    private var keySpecs: [Int] = []
    /// The current event's projections, until its `MatchSource` (which holds the texts they read)
    /// is made.
    private var staged: [Projected] = []

    private let plans: [Plan]
    /// Per rule: its groups, found by group key fingerprint through its directory (`homes`).
    private var groups: [GroupTable]
    /// Rules that group by the same fields share a directory, each in its own lane.
    private var directories: [GroupDirectory]
    private let homes: [Int]
    /// new_terms: the event time each rule first saw an event (its learning period starts there).
    private var firstSeen: [Int64?]
    private var lastSweep: [Int64]
    private var sources = SourceClocks()
    /// The latest event time any source reported, finished ones included.
    private var reported: Int64 = .min
    /// Matched events waiting for the watermark, and how many projections they hold.
    private var pending = PendingHeap<MatchSource>()
    private var pendingMatches = 0
    private var sequence: UInt64 = 0
    /// Hits of windows closed while making room for a new group, reported with the next release.
    private var deferred: [CorrelationHit] = []
    /// Consumers ordered so that a rule listed twice in one temporal_ordered correlation advances it
    /// one step per event (later positions first).
    private let routes: [String: [(rule: Int, input: Int)]]

    public init(set: CorrelationSet, options: Options = Options()) {
        self.set = set
        var slots: [[FieldID]] = []
        var specs: [[Int]] = []
        plans = set.rules.map { rule in
            Plan(
                rule,
                slot: { fields in
                    if let index = slots.firstIndex(of: fields) { return index }
                    slots.append(fields)
                    return slots.count - 1
                },
                spec: { list in
                    if let index = specs.firstIndex(of: list) { return index }
                    specs.append(list)
                    return specs.count - 1
                })
        }
        slotFields = slots
        texts = Array(repeating: .unknown, count: slots.count)
        keys = Array(repeating: nil, count: specs.count)
        self.options = options
        var homes: [Int] = []
        var lanes: [Int] = []
        var open: [[String]: (directory: Int, lanes: Int)] = [:]
        var directoryCount = 0
        for rule in set.rules {
            var home = open[rule.groupBy] ?? (directoryCount, 0)
            if home.lanes == GroupDirectory.lanes { home = (directoryCount, 0) }
            if home.lanes == 0 { directoryCount += 1 }
            homes.append(home.directory)
            lanes.append(home.lanes)
            open[rule.groupBy] = (home.directory, home.lanes + 1)
        }
        self.homes = homes
        // One by one: each table draws its own random seed.
        directories = (0..<directoryCount).map { _ in GroupDirectory() }
        groups = set.rules.indices.map { GroupTable(markStride: Self.markStride(set.rules[$0]), lane: lanes[$0]) }
        firstSeen = Array(repeating: nil, count: set.rules.count)
        lastSweep = Array(repeating: .min, count: set.rules.count)
        routes = set.consumers.mapValues { list in
            list.sorted { $0.rule != $1.rule ? $0.rule < $1.rule : $0.input > $1.input }
        }
    }

    /// temporal: the last time per input; temporal_ordered: the latest start of a chain that
    /// matched the first k inputs (k = 1…inputs, index 0 unused).
    private static func markStride(_ rule: CorrelationRule) -> Int {
        rule.type == .temporal || rule.type == .temporalOrdered ? rule.inputs.count + 1 : 0
    }

    /// Number of groups currently held, over all rules.
    public var groupCount: Int { groups.reduce(0) { $0 + $1.count } }
    /// Matches (one per correlation input an event feeds) waiting for the watermark.
    public var pendingCount: Int { pendingMatches }

    /// Declares a source before it reports: the release waits for it (e.g. an input file not yet read).
    public mutating func expect(source: String) {
        if sources[source] == nil { _ = sources.report(source, .min) }
    }

    /// The sources the release waits for (each holds it back to its latest event time − lateness).
    public var sourceNames: [String] { Array(sources.latest.keys) }

    /// A source that will report nothing more (its file ended); it stops holding the release back.
    public mutating func finish(source: String) -> [CorrelationHit] {
        sources.remove(source)
        // The last source gone: everything reported so far is complete, so it is released (the
        // correlator letting go of its last silent sensor; `analyze` flushes after this anyway).
        if sources.isEmpty { return release(upTo: max(watermark, reported)) }
        return release(upTo: releasePoint())
    }

    /// A source says it has sent everything up to `time` (a sensor's heartbeat with an empty spool):
    /// its watermark moves there as if an event of that time had come, so windows close and held
    /// matches are correlated on a quiet node too, not only when its next event arrives.
    public mutating func advance(source: String, to time: Int64) -> [CorrelationHit] {
        guard time > sources.report(source, time) else { return [] }
        reported = max(reported, time)
        return release(upTo: releasePoint())
    }

    /// Releases and correlates everything pending, then closes every window (end of input).
    public mutating func flush() -> [CorrelationHit] {
        var out = release(upTo: .max)
        for rule in set.rules.indices {
            for hit in sweep(rule, now: .max, force: true) { emit(hit, into: &out) }
        }
        return out
    }

    /// The event time correlation orders by.
    public static func time(of event: Event) -> Int64 {
        if case .time(let end)? = event[Fields.eventEnd] { return end.microseconds }
        return event.timestamp.microseconds
    }

    /// Feeds one event from `source` with the ids of the detection rules it matched; returns the
    /// correlation hits this released. Call it for every event, matched or not: every event
    /// advances its source's watermark.
    public mutating func process(_ event: Event, matched: [String], source: String) -> [CorrelationHit] {
        let t = Self.time(of: event)
        let known = sources.report(source, t)
        reported = max(reported, t)
        var first = true
        for rule in matched {
            guard let targets = routes[rule] else { continue }
            if t < watermark {
                stats.late += 1
                continue
            }
            if first {
                forgetEvent()
                first = false
            }
            // Only what the correlations read is kept while the match waits for the watermark.
            for (r, input) in targets { project(r, input: input, event: event) }
        }
        if !staged.isEmpty {
            sequence &+= 1
            pendingMatches += staged.count
            pending.push(t, sequence, MatchSource(event, ids: [event.id], texts: eventTexts(), projections: staged))
            staged.removeAll(keepingCapacity: true)
        }
        var out: [CorrelationHit] = []
        while pendingMatches > options.maxPending, let key = pending.minKey {
            let before = pendingMatches
            out += release(upTo: key, limit: 1)
            stats.forced += before - pendingMatches
        }
        if t > known || !out.isEmpty { out += release(upTo: releasePoint()) }
        return out
    }

    private func releasePoint() -> Int64 {
        guard !sources.isEmpty else { return watermark }
        let (bound, overflow) = sources.slowest.subtractingReportingOverflow(options.latenessMicros)
        return overflow ? .min : bound
    }

    /// Correlates the pending events up to `point` (at most `limit` events), in event-time order.
    private mutating func release(upTo point: Int64, limit: Int = .max) -> [CorrelationHit] {
        var out: [CorrelationHit] = []
        var released = 0
        while released < limit, let key = pending.minKey, key <= point, let (t, source) = pending.pop() {
            released += 1
            pendingMatches -= source.projections.count
            stats.released += source.projections.count
            watermark = max(watermark, t)
            for item in source.projections {
                if let hit = correlate(item, from: source, t: t) { emit(hit, into: &out) }
            }
        }
        if limit == .max && point > watermark { watermark = point }
        let closed = deferred
        deferred = []
        for hit in closed { emit(hit, into: &out) }
        for rule in set.rules.indices {
            for hit in sweep(rule, now: watermark, force: false) { emit(hit, into: &out) }
        }
        return out
    }

    /// Reports a hit and feeds it at once to the correlations that refer to its rule (chaining).
    private mutating func emit(_ hit: CorrelationHit, into out: inout [CorrelationHit]) {
        stats.hits += 1
        out.append(hit)
        guard let targets = routes[hit.rule.id] else { return }
        for (r, input) in targets {
            // Reset for each target: a chained hit in between may have filled the memo.
            forgetEvent()
            project(r, input: input, event: hit.event)
            guard let item = staged.popLast() else { continue }
            let source = MatchSource(hit.event, ids: hit.eventIDs, texts: eventTexts(), projections: [])
            guard let next = correlate(item, from: source, t: hit.event.timestamp.microseconds) else { continue }
            emit(next, into: &out)
        }
    }

    /// Clears the per-event memo (a new event is being projected).
    private mutating func forgetEvent() {
        for slot in textSlots { texts[slot] = .unknown }
        for spec in keySpecs { keys[spec] = nil }
        textSlots.removeAll(keepingCapacity: true)
        keySpecs.removeAll(keepingCapacity: true)
    }

    /// The texts the current event's projections computed, for its `MatchSource`.
    private func eventTexts() -> [(slot: Int, text: String)] {
        var out: [(slot: Int, text: String)] = []
        out.reserveCapacity(textSlots.count)
        for slot in textSlots {
            if case .text(let text) = texts[slot] { out.append((slot, text)) }
        }
        return out
    }

    /// The fingerprint of the event's group values for one input (memoised per event); nil when
    /// one is missing.
    private mutating func groupKey(_ rule: Plan, input: Int, in event: Event) -> UInt64? {
        let spec = rule.groupSpec[input]
        if let key = keys[spec] { return key == 0 ? nil : key }
        let key = slotFingerprint(rule.groupSlots[input], in: event)
        keys[spec] = key ?? 0
        keySpecs.append(spec)
        return key
    }

    /// The fingerprint of the event's texts of `slots`, or nil when one is missing.
    private mutating func slotFingerprint(_ slots: [Int], in event: Event) -> UInt64? {
        var f = Fingerprint()
        for slot in slots {
            guard let text = text(slot, in: event) else { return nil }
            f.add(part: text)
        }
        return f.value
    }

    /// The event's text of a slot, or nil when it is missing (memoised per event in `texts`).
    private mutating func text(_ slot: Int, in event: Event) -> String? {
        switch texts[slot] {
        case .text(let text): return text
        case .missing: return nil
        case .unknown:
            textSlots.append(slot)
            guard let value = Self.firstValue(slotFields[slot], in: event), let text = IncidentTracker.text(value),
                !text.isEmpty
            else {
                texts[slot] = .missing
                return nil
            }
            texts[slot] = .text(text)
            return text
        }
    }

    /// Stages the event's projection for one input of one rule (nothing when a field it needs is missing).
    private mutating func project(_ r: Int, input: Int, event: Event) {
        let rule = plans[r]
        let projection = rule.projections[input]
        guard let key = groupKey(rule, input: input, in: event) else {
            stats.ungrouped += 1
            return
        }
        var item = Projected(rule: r, input: input, key: key, value: 0, moreValues: [])
        switch rule.type {
        case .valueCount:
            // The first value inline, the rest (a list field) in an array: no allocation for one value.
            Self.forEachValueText(projection.values.first ?? [], in: event) { text in
                if item.value == 0 { item.value = fingerprint(text) } else { item.moreValues.append(fingerprint(text)) }
            }
            if item.value == 0 { return }
        case .newTerms:
            guard let value = slotFingerprint(rule.valueSlots[input], in: event) else { return }
            item.value = value
        default: break
        }
        staged.append(item)
    }

    private mutating func correlate(_ item: Projected, from source: MatchSource, t: Int64) -> CorrelationHit? {
        let r = item.rule
        let rule = plans[r]
        let home = homes[r]
        var position = directories[home].find(item.key)
        let existing = directories[home].slot(at: position, lane: groups[r].lane)
        if existing == nil && groups[r].count >= options.maxGroupsPerRule {
            // A full table is swept for expired groups at most once a second of event time.
            if saturating(t, minus: lastSweep[r]) >= 1_000_000 {
                deferred += sweep(r, now: t, force: false, due: true)
                position = directories[home].find(item.key)
            }
            guard groups[r].count < options.maxGroupsPerRule else {
                stats.overflow += 1
                return nil
            }
        }
        let span = rule.timespanMicros
        let input = item.input
        let ids = source.ids
        var fired: (count: Int, samples: [String])?
        let maxValues = options.maxValuesPerGroup
        var overflowed = false
        update: do {
            let g =
                existing
                ?? groups[r].create(
                    item.key, keyValues: source.texts(rule.groupSlots[input]), in: &directories[home],
                    at: position)
            groups[r].touch(
                g, at: t, observer: source.observer, department: source.department,
                classification: source.classification)
            switch rule.type {
            case .eventCount:
                while let first = groups[r].firstStamp(g), first.t < t - span { groups[r].popFirstStamp(g) }
                guard groups[r].stampCount(g) < maxValues else {
                    overflowed = true
                    break update
                }
                groups[r].appendStamp(g, Stamp(t: t, v: 0))
                for id in ids { groups[r].sample(g, id) }
                let count = groups[r].stampCount(g)
                if rule.condition.isMonotone && rule.condition.matches(count) {
                    fired = (count, groups[r].samples(g))
                    groups[r].reset(g)
                }
            case .valueCount:
                for k in -1..<item.moreValues.count {
                    let h = k < 0 ? item.value : item.moreValues[k]
                    if groups[r].valueCount(g) >= maxValues && groups[r].value(g, h) == nil {
                        overflowed = true
                        continue
                    }
                    groups[r].setValue(g, h, t)
                    groups[r].appendStamp(g, Stamp(t: t, v: h))
                }
                while let first = groups[r].firstStamp(g), first.t < t - span {
                    groups[r].popFirstStamp(g)
                    if groups[r].value(g, first.v) == first.t { groups[r].removeValue(g, first.v) }
                }
                for id in ids { groups[r].sample(g, id) }
                let count = groups[r].valueCount(g)
                if rule.condition.isMonotone && rule.condition.matches(count) {
                    fired = (count, groups[r].samples(g))
                    groups[r].reset(g)
                } else if groups[r].stampCount(g) > 2 * count + 64 {
                    groups[r].compactStamps(g)
                }
            case .temporal:
                groups[r].setMark(g, input, t)
                var count = 0
                for i in 0..<rule.inputCount {
                    if let m = groups[r].mark(g, i), m >= t - span { count += 1 } else { groups[r].setMark(g, i, nil) }
                }
                for id in ids { groups[r].sample(g, id) }
                if rule.condition.matches(count) {
                    fired = (count, groups[r].samples(g))
                    groups[r].reset(g)
                }
            case .temporalOrdered:
                // Mark k: the latest start time of a chain that matched inputs 0..<k in order.
                for k in 1...rule.inputCount {
                    if let m = groups[r].mark(g, k), m < t - span { groups[r].setMark(g, k, nil) }
                }
                if input == 0 {
                    groups[r].setMark(g, 1, t)
                } else if let start = groups[r].mark(g, input) {
                    groups[r].setMark(g, input + 1, max(groups[r].mark(g, input + 1) ?? start, start))
                } else {
                    break update
                }
                for id in ids { groups[r].sample(g, id) }
                if groups[r].mark(g, rule.inputCount) != nil {
                    fired = (rule.inputCount, groups[r].samples(g))
                    groups[r].reset(g)
                }
            case .newTerms:
                let h = item.value
                let seen = groups[r].value(g, h)
                if seen == nil && groups[r].valueCount(g) >= maxValues {
                    overflowed = true
                    break update
                }
                groups[r].setValue(g, h, max(seen ?? t, t))
                if let seen, t - seen <= span { break update }
                fired = (1, ids)
            }
        }
        if overflowed { stats.overflow += 1 }
        if rule.type == .newTerms {
            let first = firstSeen[r] ?? t
            firstSeen[r] = first
            if t < first &+ rule.learningMicros { return nil }
        }
        guard let fired else { return nil }
        // The first events of the window and the one that completed it.
        var samples = Array(fired.samples.prefix(IncidentTracker.maxSamples - 1))
        if let last = ids.last, !samples.contains(last) { samples.append(last) }
        return hit(
            r, keyValues: source.texts(rule.groupSlots[input]),
            terms: rule.type == .newTerms ? source.texts(rule.valueSlots[input]) : [], t: t,
            observer: source.observer, ids: samples,
            count: fired.count, labels: (source.department, source.classification))
    }

    /// The value of the first of a field's alternatives the event has. A loop, not
    /// `lazy.compactMap`: its closure would copy the event.
    private static func firstValue(_ alternatives: [FieldID], in event: Event) -> FieldValue? {
        for field in alternatives {
            if let value = event.ruleValue(field) { return value }
        }
        return nil
    }

    /// Calls `body` with every value of a counted field: each element of a list, or the single value.
    private static func forEachValueText(_ alternatives: [FieldID], in event: Event, _ body: (String) -> Void) {
        guard let value = firstValue(alternatives, in: event) else { return }
        if case .list(let items) = value {
            for item in items { if let text = IncidentTracker.text(item), !text.isEmpty { body(text) } }
        } else if let text = IncidentTracker.text(value), !text.isEmpty {
            body(text)
        }
    }

    private func hit(
        _ r: Int, keyValues: [String], terms: [String], t: Int64, observer: String?, ids: [String], count: Int,
        labels: (department: String?, classification: String?)
    ) -> CorrelationHit {
        let rule = set.rules[r]
        let fields = rule.projections.first?.group.map { $0.first ?? FieldID("") } ?? []
        let termFields = rule.projections.first?.values.map { $0.first ?? FieldID("") } ?? []
        var identity = rule.meta.id + "\u{0}" + String(t)
        for v in keyValues + terms { identity += "\u{0}" + v }
        var event = Event(
            timestamp: Timestamp(microseconds: t), id: "corr:" + Digest.sha256.hex(identity).prefix(32),
            dataset: Dataset("correlation"), observerID: observer)
        for (field, value) in zip(fields, keyValues) where !field.name.isEmpty { event.set(field, .string(value)) }
        for (field, value) in zip(termFields, terms) where !field.name.isEmpty { event.set(field, .string(value)) }
        event.set(Fields.labelsDepartment, labels.department)
        event.set(Fields.dataClassification, labels.classification)
        event.set(FieldID("rule.id"), .string(rule.meta.id))
        event.set(FieldID("vigil.correlation.count"), .int(Int64(count)))
        var meta = rule.meta
        if rule.type == .newTerms { meta.groupBy = fields + termFields }
        return CorrelationHit(rule: meta, type: rule.type, event: event, eventIDs: ids, count: count)
    }

    /// Closes windows of rules with upper-bounded conditions and drops expired groups, at most a few
    /// times per window (never on every event); `force` closes everything (end of input).
    private mutating func sweep(_ r: Int, now: Int64, force: Bool, due: Bool = false) -> [CorrelationHit] {
        let rule = plans[r]
        let span = rule.timespanMicros
        let interval = max(1_000_000, min(60_000_000, span / 4))
        guard force || due || (now != .min && saturating(now, minus: lastSweep[r]) >= interval) else { return [] }
        lastSweep[r] = now
        var out: [CorrelationHit] = []
        let closing = !rule.condition.isMonotone && (rule.type == .eventCount || rule.type == .valueCount)
        if rule.type == .newTerms {
            // Learnt terms outlive the end of input (a snapshot keeps them); they expire with the window.
            if now != .max {
                groups[r].removeValues(where: { saturating(now, minus: $0) > span }, in: &directories[homes[r]])
            }
            return out
        }
        if !closing {
            // Groups whose last event is older than the window can no longer fire.
            if force {
                groups[r].removeAll(in: &directories[homes[r]])
            } else {
                groups[r].removeAll(lastUpdate: { saturating(now, minus: $0) > span }, in: &directories[homes[r]])
            }
            return out
        }
        for g in groups[r].slots {
            while let first = groups[r].firstStamp(g), force || saturating(now, minus: first.t) > span {
                let end = first.t + span
                var window = 0
                var distinct = Set<UInt64>()
                var last = first.t
                groups[r].forEachStamp(g) { stamp in
                    guard stamp.t <= end else { return false }
                    window += 1
                    last = stamp.t
                    if rule.type == .valueCount { distinct.insert(stamp.v) }
                    return true
                }
                let count = rule.type == .eventCount ? window : distinct.count
                if rule.condition.matches(count) {
                    let labels = groups[r].labels(g)
                    out.append(
                        hit(
                            r, keyValues: groups[r].keyValues(g), terms: [], t: last, observer: labels.observer,
                            ids: groups[r].samples(g), count: count,
                            labels: (labels.department, labels.classification)))
                }
                // Windows follow each other (tumbling from the first event of each): the
                // events of a judged window do not count again in the next.
                for _ in 0..<window { groups[r].popFirstStamp(g) }
                groups[r].clearSamples(g)
                if rule.type == .valueCount { groups[r].clearValues(g) }
            }
            if groups[r].stampCount(g) == 0 { groups[r].remove(g, in: &directories[homes[r]]) }
        }
        return out
    }
}

/// `a - b`, clamped to the Int64 range (times may be the `.min`/`.max` sentinels).
func saturating(_ a: Int64, minus b: Int64) -> Int64 {
    let (d, overflow) = a.subtractingReportingOverflow(b)
    return overflow ? (a > b ? .max : .min) : d
}

// MARK: - Snapshots

extension CorrelationEngine {
    struct Snapshot: Codable {
        struct RuleState: Codable {
            var id: String
            var shape: String
            var groups: [UInt64: GroupState]
            var firstSeen: Int64?
        }
        var version = 2
        var watermark: Int64
        var sources: [String: Int64]
        var rules: [RuleState]
        var stats: Stats
    }

    /// What a rule's state depends on: state kept for a rule whose definition changed is dropped.
    private static func shape(_ rule: CorrelationRule) -> String {
        "\(rule.type.rawValue)|\(rule.timespanMicros)|\(rule.condition.description)|\(rule.inputs)|\(rule.groupBy)|\(rule.valueFields)"
    }

    /// The engine's state as JSON: group windows, learnt terms, watermarks and counters. Matches
    /// still pending (newer than `watermark`) are not included: resubmit them after `restore`.
    public func snapshot() throws -> Data {
        let rules = set.rules.indices.map { r in
            Snapshot.RuleState(
                id: set.rules[r].meta.id, shape: Self.shape(set.rules[r]), groups: groups[r].states(),
                firstSeen: firstSeen[r])
        }
        let snapshot = Snapshot(watermark: watermark, sources: sources.latest, rules: rules, stats: stats)
        return try JSONEncoder().encode(snapshot)
    }

    /// This engine's state carried over to a new rule set (a rule reload): rules that still exist
    /// unchanged (same id and shape) keep their groups and their buffered, not yet released
    /// matches; new or changed rules start empty; watermarks, sources and counters carry over, so
    /// nothing needs replaying. Returns the engine and how many rules kept state.
    public func reloaded(with newSet: CorrelationSet) -> (engine: CorrelationEngine, kept: Int) {
        var next = CorrelationEngine(set: newSet, options: options)
        var byID: [String: Int] = [:]
        for (index, rule) in newSet.rules.enumerated() { byID[rule.meta.id] = index }
        var map: [Int: Int] = [:]
        for r in set.rules.indices {
            guard let n = byID[set.rules[r].meta.id], Self.shape(set.rules[r]) == Self.shape(newSet.rules[n]) else {
                continue
            }
            map[r] = n
            var moved = groups[r]
            moved.register(lane: next.groups[n].lane, in: &next.directories[next.homes[n]])
            next.groups[n] = moved
            next.firstSeen[n] = firstSeen[r]
            next.lastSweep[n] = lastSweep[r]
        }
        var keptMatches = 0
        next.pending = pending.compactMap { source in
            let kept = source.projections.compactMap { item -> Projected? in
                guard let n = map[item.rule] else { return nil }
                var moved = item
                moved.rule = n
                return moved
            }
            keptMatches += kept.count
            return kept.isEmpty ? nil : MatchSource(source, projections: kept)
        }
        next.pendingMatches = keptMatches
        (next.watermark, next.sources, next.stats, next.sequence) = (watermark, sources, stats, sequence)
        next.reported = reported
        next.deferred = deferred
        return (next, map.count)
    }

    /// Loads a snapshot taken by `snapshot()`, possibly from a different rule set: the state of
    /// rules that still exist unchanged is kept, the rest dropped. Returns how many rules kept state.
    @discardableResult
    public mutating func restore(_ data: Data) throws -> Int {
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: data)
        guard snapshot.version == 2 else {
            throw VigilError(.badCheckpoint, "correlation snapshot version \(snapshot.version) is not supported")
        }
        var byID: [String: Snapshot.RuleState] = [:]
        for rule in snapshot.rules { byID[rule.id] = rule }
        var kept = 0
        for r in set.rules.indices {
            guard let saved = byID[set.rules[r].meta.id], saved.shape == Self.shape(set.rules[r]) else { continue }
            let lane = groups[r].lane
            groups[r].removeAll(in: &directories[homes[r]])
            groups[r] = GroupTable(
                markStride: Self.markStride(set.rules[r]), lane: lane, states: saved.groups,
                in: &directories[homes[r]])
            firstSeen[r] = saved.firstSeen
            kept += 1
        }
        watermark = snapshot.watermark
        sources = SourceClocks(snapshot.sources)
        reported = max(snapshot.watermark, snapshot.sources.values.max() ?? .min)
        stats = snapshot.stats
        return kept
    }
}

import Dispatch
import Foundation
import VigilCore
import VigilResponse
import VigilRules
import VigilStore

/// The correlator's ingest (deploy/schema/ingest.md): a batch is parsed, matched against the rules,
/// committed durably with its rule hits, and only then answered; new events then feed the
/// correlation rules (per-sensor watermarks) and the incidents, which are stored too.
/// An actor: batches are applied one at a time, in arrival order, so incidents see one stream.
public actor IngestService {
    public struct Counters: Sendable, Equatable {
        public var batches = 0
        public var accepted = 0
        public var duplicates = 0
        public var rejected = 0
        public var refusedBatches = 0
        public var incidentsOpened = 0
        /// Correlation hits re-created by the replay at start that stored incidents already had.
        public var replayedHitsSkipped = 0
    }

    let store: any EventStore
    let lane = BlockingLane(label: "vigil-store")
    let limits: CorrelatorConfig.Limits
    private(set) var rules: RuleSet
    private(set) var enrichment: Enrichment
    var engine: CorrelationEngine?
    var tracker = IncidentTracker()
    private(set) var silent: Set<String>
    private let latenessMicros: Int64
    /// A sensor heard from (batch or heartbeat) no later than this ago still holds correlation back
    /// to its own watermark; a longer silence releases it (`releaseSilentSensors`).
    public let sensorTimeout: Duration
    /// When each sensor was last heard from (monotonic clock), and when this service started
    /// (sensors known from a snapshot count as heard then).
    private var lastHeard: [String: ContinuousClock.Instant] = [:]
    private let started = ContinuousClock.now
    public let metrics: CorrelatorMetrics
    /// Opens and escalates tickets for incidents (nil: no response policy loaded).
    public let desk: TicketDesk?
    public private(set) var counters = Counters()

    public init(
        store: any EventStore, limits: CorrelatorConfig.Limits, rules: RuleSet = RuleSet(rules: []),
        correlations: CorrelationSet = CorrelationSet(), enrichment: Enrichment = Enrichment(),
        latenessMicros: Int64 = 300_000_000, sensorTimeout: Duration = .seconds(300),
        metrics: CorrelatorMetrics = CorrelatorMetrics(), desk: TicketDesk? = nil
    ) {
        self.store = store
        self.sensorTimeout = sensorTimeout
        self.desk = desk
        self.metrics = metrics
        self.limits = limits
        self.rules = rules
        self.enrichment = enrichment
        self.latenessMicros = latenessMicros
        silent = correlations.silent
        if !correlations.isEmpty {
            var options = CorrelationEngine.Options()
            options.latenessMicros = latenessMicros
            engine = CorrelationEngine(set: correlations, options: options)
        }
    }

    /// Swaps in a new rule pack (SIGHUP) between two batches: correlation rules that still exist
    /// unchanged keep their state and buffered matches; new and changed ones start empty. Open
    /// incidents carry on. Returns how many correlation rules kept state.
    public func reload(rules: RuleSet, correlations: CorrelationSet, enrichment: Enrichment) -> Int {
        self.rules = rules
        self.enrichment = enrichment
        silent = correlations.silent
        guard !correlations.isEmpty else {
            engine = nil
            return 0
        }
        if let engine {
            let (next, kept) = engine.reloaded(with: correlations)
            self.engine = next
            return kept
        }
        var options = CorrelationEngine.Options()
        options.latenessMicros = latenessMicros
        engine = CorrelationEngine(set: correlations, options: options)
        return 0
    }

    public func ingest(_ batch: IngestBatch) async -> Reply {
        // Back-pressure: batches wait on the store one after another; past the limits a sensor is
        // told to come back rather than queue unboundedly in memory (deploy/schema/ingest.md).
        guard inFlight < limits.inFlight, inFlightBySensor[batch.sensor, default: 0] < limits.inFlightPerSensor
        else {
            metrics.batchesRefused.increment()
            counters.refusedBatches += 1
            return Reply(
                status: .tooManyRequests,
                json: ["error": "overloaded", "message": "the ingest queue is full; retry after 1 s"], retryAfter: 1)
        }
        inFlight += 1
        inFlightBySensor[batch.sensor, default: 0] += 1
        defer {
            inFlight -= 1
            inFlightBySensor[batch.sensor, default: 1] -= 1
            if inFlightBySensor[batch.sensor] == 0 { inFlightBySensor[batch.sensor] = nil }
        }
        let started = ContinuousClock.now
        let reply = await apply(batch)
        if reply.status == .ok {
            metrics.batches.increment()
            metrics.batchDuration.record(ContinuousClock.now - started)
        } else {
            metrics.batchesRefused.increment()
        }
        return reply
    }

    private func apply(_ batch: IngestBatch) async -> Reply {
        counters.batches += 1
        lastHeard[batch.sensor] = .now
        let batchID = batch.batchID ?? UUID().uuidString.lowercased()
        let parsed: IngestParser.Parsed
        switch IngestParser.parse(batch, limits: limits) {
        case .success(let p): parsed = p
        case .failure(.badBody(let message)):
            counters.refusedBatches += 1
            return .error(.badRequest, "bad_body", message)
        case .failure(.tooLarge(let message)):
            counters.refusedBatches += 1
            return .error(.contentTooLarge, "too_large", message)
        }
        // Stateless matching first, so each event is stored with the rules it matched.
        var matched: [[CompiledRule]] = []
        matched.reserveCapacity(parsed.events.count)
        var enrichedEvents: [Event] = []
        enrichedEvents.reserveCapacity(parsed.events.count)
        var stored: [StoredEvent] = []
        stored.reserveCapacity(parsed.events.count)
        for (index, (_, event)) in parsed.events.enumerated() {
            var enriched = event
            enrichment.apply(&enriched)
            let hits = rules.matches(enriched)
            matched.append(hits)
            enrichedEvents.append(enriched)
            let json = parsed.lines[index] ?? event.jsonLine
            stored.append(StoredEvent(event: event, json: json, ruleHits: hits.map(\.meta.id)))
        }
        let result: AppendResult
        if let beforeCommit { await beforeCommit() }
        do {
            let store = self.store
            let rows = stored
            result = try await lane.run { try store.append(rows) }
        } catch {
            counters.refusedBatches += 1
            return .error(.internalServerError, "store_failed", "the store could not commit the batch: \(error)")
        }
        // Only events new to the store raise incidents: a retried batch changes nothing.
        var changed = ChangedIncidents()
        for (index, enriched) in enrichedEvents.enumerated() where result.outcomes[index] == .inserted {
            for rule in matched[index] where !silent.contains(rule.meta.id) {
                metrics.ruleHit(rule.meta.id, correlation: false)
                record(tracker.hit(rule.meta, event: enriched), into: &changed)
            }
            if engine != nil {
                let hits = engine!.process(enriched, matched: matched[index].map(\.meta.id), source: batch.sensor)
                record(hits, into: &changed)
            }
        }
        if !changed.incidents.isEmpty { await storeIncidents(changed) }
        let accepted = result.outcomes.filter { $0 == .inserted }.count
        let duplicates = result.outcomes.count - accepted
        counters.accepted += accepted
        counters.duplicates += duplicates
        counters.rejected += parsed.errors.count
        metrics.eventsAccepted.increment(by: Int64(accepted))
        metrics.eventsDuplicate.increment(by: Int64(duplicates))
        metrics.eventsRejected.increment(by: Int64(parsed.errors.count))
        var errors: [[String: any Sendable]] = []
        for e in parsed.errors.prefix(100) {
            errors.append(["line": e.line, "reason": e.reason, "message": e.message])
        }
        var json: [String: any Sendable] = [
            "batch": batchID, "accepted": accepted, "duplicates": duplicates, "rejected": parsed.errors.count,
            "errors": errors,
        ]
        if parsed.errors.count > 100 { json["truncated"] = true }
        if Date().timeIntervalSince(lastSnapshot) >= snapshotInterval { await saveCorrelation() }
        return Reply(status: .ok, json: json)
    }

    /// Stores changed incidents and opens or escalates their tickets (with their timeline entries
    /// and notifications) in one transaction: one commit for the whole batch, where a commit per
    /// ticket cost more than the batch's events when an attack opened a ticket every ~130 events
    /// (measured with `Benchmarks/ingest-bench.py`, 2026-12-05). A failure stores none of them;
    /// the next change of each incident stores it again.
    private func storeIncidents(_ changed: ChangedIncidents) async {
        let store = self.store
        let desk = self.desk
        let incidents = changed.incidents.values.map(Self.record)
        let leveled = changed.leveled
        let now = Timestamp.now().microseconds
        let outcomes: [TicketDesk.Outcome] =
            (try? await lane.run {
                guard let desk else {
                    try store.upsertIncidents(incidents)
                    return []
                }
                return try desk.incidentsChanged(incidents.filter { leveled.contains($0.id) }, now: now) {
                    () throws(VigilError) in try store.upsertIncidents(incidents)
                }
            }) ?? []
        for outcome in outcomes {
            switch outcome {
            case .opened: metrics.ticketsOpened.increment()
            case .escalated: metrics.ticketsEscalated.increment()
            }
        }
    }

    /// Queues notifications for approaching and missed ticket deadlines (each once); returns how
    /// many rows were offered to the outbox. Run every half minute by the correlator.
    @discardableResult
    public func checkDeadlines(now: Int64 = Timestamp.now().microseconds) async -> Int {
        guard let desk, !desk.endpoints.isEmpty, let outbox = store as? any OutboxStore else { return 0 }
        return
            (try? await lane.run {
                let rows = try desk.deadlineAlerts(now: now)
                if !rows.isEmpty { try outbox.enqueue(rows) }
                return rows.count
            }) ?? 0
    }

    /// The stored form of an incident.
    static func record(_ i: Incident) -> IncidentRecord {
        var record = IncidentRecord(
            id: i.id, ruleID: i.ruleID, title: i.title, level: i.level.rawValue, ruleLevel: i.ruleLevel.rawValue,
            stage: i.stage?.rawValue, category: i.category, correlation: i.correlation,
            group: Dictionary(i.groupKey.map { ($0.field, $0.value) }, uniquingKeysWith: { a, _ in a }), hits: i.hits,
            firstSeen: i.firstSeen.microseconds, lastSeen: i.lastSeen.microseconds, samples: i.sampleEventIDs,
            observers: i.observers, dlpCount: i.dlpCount)
        record.departments = i.departments
        record.classification = i.classification?.rawValue
        return record
    }

    /// Batches admitted and not yet answered, in all and per sensor.
    private var inFlight = 0
    private var inFlightBySensor: [String: Int] = [:]
    /// Tests: runs before each batch's commit (to hold a batch in flight).
    var beforeCommit: (@Sendable () async -> Void)?

    func setBeforeCommit(_ hook: (@Sendable () async -> Void)?) { beforeCommit = hook }

    /// A batch's changed incidents, and which of them may need a ticket or a higher one: every one
    /// that opened, escalated or grew (the response level also counts the people and events an
    /// incident involves, so a growing incident of the same severity can cross a scale threshold).
    struct ChangedIncidents {
        var incidents: [String: Incident] = [:]
        var leveled: Set<String> = []
    }

    /// Correlation hits (of rules not marked silent) as incident hits.
    private func record(_ hits: [CorrelationHit], into changed: inout ChangedIncidents) {
        for hit in hits where !silent.contains(hit.rule.id) {
            metrics.ruleHit(hit.rule.id, correlation: true)
            record(tracker.hit(hit.rule, event: hit.event, samples: hit.eventIDs), into: &changed)
        }
    }

    private func record(_ action: IncidentTracker.Action, into changed: inout ChangedIncidents) {
        switch action {
        case .opened(let i):
            counters.incidentsOpened += 1
            metrics.incidentsOpened.increment()
            changed.incidents[i.id] = i
            changed.leveled.insert(i.id)
        case .escalated(let i, _):
            metrics.incidentsEscalated.increment()
            changed.incidents[i.id] = i
            changed.leveled.insert(i.id)
        case .updated(let i):
            changed.incidents[i.id] = i
            changed.leveled.insert(i.id)
        }
    }

    public func heartbeat(sensor: String, body: [UInt8]) async -> Reply {
        lastHeard[sensor] = .now
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .error(.badRequest, "bad_body", "a heartbeat is a JSON object with version and counters")
        }
        let version = object["version"] as? String ?? "unknown"
        var counters: [String: Int64] = [:]
        for (key, value) in object["counters"] as? [String: Any] ?? [:] {
            if let n = value as? NSNumber { counters[key] = n.int64Value }
        }
        let now = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
        do {
            let store = self.store
            let values = counters
            try await lane.run {
                try store.recordHeartbeat(sensorID: sensor, version: version, counters: values, at: now.microseconds)
            }
        } catch {
            return .error(.internalServerError, "store_failed", "the heartbeat could not be stored: \(error)")
        }
        // A sensor whose spool is empty has sent everything it saw up to its heartbeat's time: its
        // watermark advances there (never past this correlator's clock), so a quiet node's
        // correlation windows close without waiting for its next event.
        if engine != nil, counters["spool_events"] == 0, let text = object["time"] as? String,
            let time = Timestamp(rfc3339: text)
        {
            var changed = ChangedIncidents()
            record(engine!.advance(source: sensor, to: min(time.microseconds, now.microseconds)), into: &changed)
            if !changed.incidents.isEmpty { await storeIncidents(changed) }
        }
        return Reply(status: .ok, json: ["server_time": now.description])
    }

    /// Stops waiting for sensors not heard from (no batch, no heartbeat) for `sensorTimeout`:
    /// the correlation release point is the minimum over all sensors' watermarks, so a node that
    /// went down, was retired or lost its network would otherwise hold every correlation rule of
    /// the platform back at its last event. Its held matches are correlated now; when it comes
    /// back, its events join again, and those older than the watermark by then are matched
    /// statelessly only (counted as late), as for any late event. Run every half minute by the
    /// correlator; returns the sensors released.
    @discardableResult
    public func releaseSilentSensors(now: ContinuousClock.Instant = .now) async -> [String] {
        guard engine != nil else { return [] }
        var released: [String] = []
        var changed = ChangedIncidents()
        for sensor in engine!.sourceNames.sorted() where now - (lastHeard[sensor] ?? started) > sensorTimeout {
            released.append(sensor)
            lastHeard[sensor] = nil
            record(engine!.finish(source: sensor), into: &changed)
        }
        if !changed.incidents.isEmpty { await storeIncidents(changed) }
        return released
    }

    private var lastSnapshot = Date()
    /// Correlation state is saved at most this often while batches arrive, and at shutdown.
    public var snapshotInterval: TimeInterval = 60

    /// Saves the correlation state to the store (periodically, and at shutdown).
    public func saveCorrelation() async {
        guard let engine, let data = try? engine.snapshot() else { return }
        let store = self.store
        let watermark = engine.watermark
        _ = try? await lane.run { try store.saveSnapshot(data, watermark: watermark) }
        lastSnapshot = Date()
    }

    /// At start: loads the last correlation snapshot and replays the stored events it had not yet
    /// correlated (later than its watermark), so a burst that straddles a restart, even kill -9, is
    /// still caught. Detection incidents of replayed events were raised before; only correlation
    /// hits are new. Returns (rules whose state was restored, events replayed).
    /// `progress` is called with the number of events replayed so far, every 10 000 events.
    public func restoreCorrelation(progress: (@Sendable (Int) -> Void)? = nil) async -> (rules: Int, replayed: Int) {
        guard engine != nil else { return (0, 0) }
        let store = self.store
        // No snapshot yet (first start, or killed before the first one): every stored event is
        // replayed, since none was correlated for sure.
        let saved = (try? await lane.run({ try store.latestSnapshot() })) ?? nil
        let restored = saved.flatMap { try? engine!.restore($0.data) } ?? 0
        let after = saved?.watermark ?? .min
        var changed = ChangedIncidents()
        var replayed = 0
        var skipped = 0
        // Page by page (bounded memory), on the actor: the engine is its state. The correlator
        // restores before its listeners start, so nothing else waits on the actor meanwhile.
        let count =
            (try? store.replay(after: after, pageSize: 1000) { page in
                replayed += page.count
                if replayed % 10_000 < page.count { progress?(replayed) }
                for line in page {
                    guard let event = try? Event(jsonLine: Array(line.utf8)) else { continue }
                    var enriched = event
                    enrichment.apply(&enriched)
                    let matched = rules.matches(enriched).map(\.meta.id)
                    let hits = engine!.process(enriched, matched: matched, source: event.observerID ?? "unknown")
                    // A hit counted before a crash (kill -9 after the snapshot) comes again: the
                    // incident taken up from the store has it already.
                    for hit in hits where !silent.contains(hit.rule.id) {
                        if tracker.alreadyCounted(hit.rule, event: hit.event) {
                            skipped += 1
                            continue
                        }
                        record(tracker.hit(hit.rule, event: hit.event, samples: hit.eventIDs), into: &changed)
                    }
                }
            }) ?? 0
        tracker.replayDone()
        counters.replayedHitsSkipped += skipped
        if !changed.incidents.isEmpty { await storeIncidents(changed) }
        return (restored, count)
    }

    /// At start: takes up the incidents stored before the restart that can still be updated (last
    /// seen within the quiet period of the most recent one), so a burst that continues after a
    /// restart adds to its incident instead of opening a second one. Returns how many.
    public func restoreIncidents() async -> Int {
        let store = self.store
        let quiet = tracker.quietPeriodSeconds * 1_000_000
        let records: [IncidentRecord] =
            (try? await lane.run {
                guard let newest = try store.incidents(limit: 1).first else { return [] }
                var query = IncidentQuery()
                query.since = newest.lastSeen - quiet
                query.limit = 1000
                var out: [IncidentRecord] = []
                // Bounded: at most the rule groups active within one quiet period, 1 000 per page.
                for _ in 0..<1000 {
                    let page = try store.incidents(query)
                    out += page.incidents
                    guard let next = page.next else { break }
                    query.cursor = next
                }
                return out
            }) ?? []
        // Oldest first, so the most recent incident of a rule and group is the one resumed.
        for record in records.reversed() { tracker.resume(Self.incident(record)) }
        return records.count
    }

    /// An incident read back from the store (tags are not stored: the rule pack has them).
    static func incident(_ r: IncidentRecord) -> Incident {
        var incident = Incident(
            id: r.id, ruleID: r.ruleID, title: r.title, tags: [], stage: r.stage.flatMap(LifecycleStage.init),
            category: r.category, level: RuleLevel(rawValue: r.level) ?? .medium,
            ruleLevel: RuleLevel(rawValue: r.ruleLevel) ?? .medium,
            groupKey: r.group.sorted { $0.key < $1.key }.map { (field: $0.key, value: $0.value) }, hits: r.hits,
            firstSeen: Timestamp(microseconds: r.firstSeen), lastSeen: Timestamp(microseconds: r.lastSeen),
            sampleEventIDs: r.samples, observers: r.observers, dlpCount: r.dlpCount, correlation: r.correlation)
        incident.departments = r.departments
        incident.classification = r.classification.flatMap(DataClassification.init(rawValue:))
        return incident
    }

    /// Drops incidents that can no longer be updated from memory (they stay in the store); hourly.
    @discardableResult
    public func expireIncidents() -> Int { tracker.expire() }

    /// Deletes events older than `days` (in batches of 1 000, each its own short transaction, so
    /// ingest waits at most one batch); returns how many went.
    public func enforceRetention(days: Int, now: Date = Date()) async -> Int {
        let cutoff = Int64((now.timeIntervalSince1970 - Double(days) * 86_400) * 1_000_000)
        let store = self.store
        return (try? await lane.run { try store.deleteEvents(olderThan: cutoff, batchSize: 1000) }) ?? 0
    }

    /// Incidents as the tracker holds them (tests).
    public var incidents: [Incident] { tracker.incidents }

    /// The event time up to which correlation is complete (µs), or nil without correlation rules
    /// or before any event: `/metrics` reports the lag behind the wall clock.
    public var watermark: Int64? {
        guard let w = engine?.watermark, w > Int64.min else { return nil }
        return w
    }
}

import Foundation
import Synchronization
import VigilCore
import VigilRules

/// Runs the rules on every event of `vigil analyze` (and `vigil rules test`), feeds the matches to
/// the correlation rules in event time, and aggregates both kinds of hits into incidents. Shared by
/// the capture's writer thread and the log thread: matching reads only the compiled rules; the lock
/// is taken to count the event and record its hits.
final class RuleStage: Sendable {
    struct Snapshot: Sendable {
        var incidents: [Incident] = []
        /// Matches per detection rule and hits per correlation rule.
        var hitsByRule: [String: Int] = [:]
        var events = 0
        var rules = 0
        var correlationRules = 0
        var correlation: CorrelationEngine.Stats?
    }

    struct State: Sendable {
        var tracker = IncidentTracker()
        var hits: [String: Int] = [:]
        var events = 0
        var engine: CorrelationEngine?
    }

    let rules: RuleSet
    let silent: Set<String>
    let enrichment: Enrichment
    private let state: Mutex<State>

    /// `latenessMicros`: how long a live source may lag; offline runs pass `.max` (every match is
    /// held until `finish()` and correlated in event-time order, whatever order the inputs are read in).
    init(
        rules: RuleSet, correlations: CorrelationSet = CorrelationSet(), enrichment: Enrichment = Enrichment(),
        latenessMicros: Int64 = .max
    ) {
        self.rules = rules
        self.enrichment = enrichment
        silent = correlations.silent
        var s = State()
        if !correlations.isEmpty {
            var options = CorrelationEngine.Options()
            options.latenessMicros = latenessMicros
            s.engine = CorrelationEngine(set: correlations, options: options)
        }
        state = Mutex(s)
    }

    /// Adds what the rules test besides the decoded fields (before Inspect, so decoded URL forms are
    /// masked too).
    func enrich(_ event: inout Event) { enrichment.apply(&event) }

    /// Loads the Public Suffix List for registered domains of DNS names; a missing list is a
    /// warning (the rules counting names per registered domain then never fire), not a failure.
    static func publicSuffixes(path: String) -> PublicSuffixList? {
        do {
            return try PublicSuffixList.load(path: path)
        } catch {
            FileHandle.standardError.write(
                Data(
                    ("vigil: warning: \(error.message); DNS events get no dns.question.registered_domain "
                        + "(apt-get install publicsuffix)\n").utf8))
            return nil
        }
    }

    /// `source` names the input the event came from (its watermark is kept separately).
    func evaluate(_ event: Event, source: String) {
        let matched = rules.matches(event)
        state.withLock { s in
            s.events += 1
            for rule in matched {
                s.hits[rule.meta.id, default: 0] += 1
                if !silent.contains(rule.meta.id) { _ = s.tracker.hit(rule.meta, event: event) }
            }
            if s.engine != nil {
                let hits = s.engine!.process(event, matched: matched.map(\.meta.id), source: source)
                Self.record(hits, in: &s)
            }
        }
    }

    /// End of input: every held match is correlated and every window closed.
    func finish() {
        state.withLock { s in
            guard s.engine != nil else { return }
            let hits = s.engine!.flush()
            Self.record(hits, in: &s)
        }
    }

    private static func record(_ hits: [CorrelationHit], in s: inout State) {
        for hit in hits {
            s.hits[hit.rule.id, default: 0] += 1
            if !(s.engine?.set.silent.contains(hit.rule.id) ?? false) {
                _ = s.tracker.hit(hit.rule, event: hit.event, samples: hit.eventIDs)
            }
        }
    }

    var snapshot: Snapshot {
        state.withLock {
            Snapshot(
                incidents: $0.tracker.incidents, hitsByRule: $0.hits, events: $0.events, rules: rules.rules.count,
                correlationRules: $0.engine?.set.rules.count ?? 0, correlation: $0.engine?.stats)
        }
    }
}

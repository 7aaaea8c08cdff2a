import Synchronization
import VigilCore
import VigilRules

/// Runs the rules on every event of `vigil analyze` and aggregates the hits into incidents. Shared
/// by the capture's writer thread and the log thread: matching reads only the compiled rules; the
/// lock is taken for hits only.
final class RuleStage: Sendable {
    struct Snapshot: Sendable {
        var incidents: [Incident] = []
        var hitsByRule: [String: Int] = [:]
        var events = 0
        var rules = 0
    }

    let rules: RuleSet
    private let state = Mutex((tracker: IncidentTracker(), hits: [String: Int](), events: 0))

    init(rules: RuleSet) { self.rules = rules }

    func evaluate(_ event: Event) {
        let matched = rules.matches(event)
        state.withLock { s in
            s.events += 1
            for rule in matched {
                s.hits[rule.meta.id, default: 0] += 1
                _ = s.tracker.hit(rule.meta, event: event)
            }
        }
    }

    var snapshot: Snapshot {
        state.withLock {
            Snapshot(incidents: $0.tracker.incidents, hitsByRule: $0.hits, events: $0.events, rules: rules.rules.count)
        }
    }
}

import Foundation
import Prometheus

/// The correlator's Prometheus metrics (`GET /metrics` on the query API). Counters are updated as
/// work happens; the gauges that describe state (store size, correlation lag, sensors) are set
/// when scraped, by `QueryAPI`.
///
/// Names follow Prometheus conventions: `vigil_` namespace, base units (seconds, bytes), `_total`
/// on counters. Labels are bounded: outcomes and states are fixed sets, rules are the loaded pack.
public final class CorrelatorMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    let batches: Counter
    let batchesRefused: Counter
    let eventsAccepted: Counter
    let eventsDuplicate: Counter
    let eventsRejected: Counter
    let batchDuration: DurationHistogram
    let incidentsOpened: Counter
    let incidentsEscalated: Counter
    let ticketsOpened: Counter
    let ticketsEscalated: Counter
    let storeBytes: Gauge
    let correlationLag: Gauge
    let sensorsReporting: Gauge
    let sensorsSilent: Gauge
    let apiRequests: Counter
    let apiAuthFailures: Counter

    static func name(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "vigil", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    public init() {
        let r = registry
        batches = r.makeCounter(descriptor: Self.name("ingest", "batches", "total", "Event batches answered 200."))
        batchesRefused = r.makeCounter(
            descriptor: Self.name(
                "ingest", "batches_refused", "total",
                "Event batches refused whole (bad body, too large, store failure)."))
        let events = Self.name("ingest", "events", "total", "Event lines received, by outcome.")
        eventsAccepted = r.makeCounter(descriptor: events, labels: [("outcome", "accepted")])
        eventsDuplicate = r.makeCounter(descriptor: events, labels: [("outcome", "duplicate")])
        eventsRejected = r.makeCounter(descriptor: events, labels: [("outcome", "rejected")])
        batchDuration = r.makeDurationHistogram(
            descriptor: Self.name(
                "ingest", "batch_duration", "seconds",
                "Time from a batch's body received to its answer (parse, rules, durable commit, incidents)."),
            buckets: [
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
            ])
        incidentsOpened = r.makeCounter(descriptor: Self.name("", "incidents_opened", "total", "Incidents opened."))
        incidentsEscalated = r.makeCounter(
            descriptor: Self.name("", "incidents_escalated", "total", "Incident level rises (repeated hits)."))
        ticketsOpened = r.makeCounter(descriptor: Self.name("", "tickets_opened", "total", "Tickets opened."))
        ticketsEscalated = r.makeCounter(
            descriptor: Self.name("", "tickets_escalated", "total", "Ticket response-level rises."))
        storeBytes = r.makeGauge(descriptor: Self.name("store", "size", "bytes", "Database and WAL file sizes."))
        correlationLag = r.makeGauge(
            descriptor: Self.name(
                "correlation", "lag", "seconds",
                "Wall clock minus the correlation watermark: how far behind event time correlation is."))
        let sensors = Self.name("", "sensors", "", "Sensors by heartbeat state (silent: no heartbeat for 5 minutes).")
        sensorsReporting = r.makeGauge(descriptor: sensors, labels: [("state", "reporting")])
        sensorsSilent = r.makeGauge(descriptor: sensors, labels: [("state", "silent")])
        apiRequests = r.makeCounter(descriptor: Self.name("api", "requests", "total", "Query API requests."))
        apiAuthFailures = r.makeCounter(
            descriptor: Self.name(
                "api", "auth_failures", "total", "Query API requests refused for a missing, unknown or revoked token."))
    }

    /// A rule's hits on newly stored events, by rule id and kind (`detection` or `correlation`).
    func ruleHit(_ rule: String, correlation: Bool) {
        registry.makeCounter(
            descriptor: Self.name("rule", "hits", "total", "Rule hits on newly stored events, by rule."),
            labels: [("rule", rule), ("kind", correlation ? "correlation" : "detection")]
        ).increment()
    }

    /// The text exposition format.
    public func exposition() -> String { registry.emitToString() }
}

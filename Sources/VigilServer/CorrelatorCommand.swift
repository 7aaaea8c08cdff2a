import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VigilConfig
import VigilCore
import VigilResponse
import VigilRules
import VigilStore

/// `vigil-correlator`: the correlator service (issue 6). Sensors post events over mutual TLS; the
/// correlator stores them, runs the rules and keeps incidents.
public struct CorrelatorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vigil-correlator",
        abstract: "Vigil's correlator: authenticated ingest, event store, rules and incidents.",
        discussion: """
            Sensors send NDJSON event batches to POST /v1/events over HTTPS with a client certificate \
            from the platform CA (deploy/schema/ingest.md); the certificate's common name is the \
            sensor id. Each batch is answered after it is committed to the SQLite store.

            Examples:
              deploy/pki/make-pki.sh /etc/vigil/pki --sensor web-01
              vigil-correlator --config /etc/vigil/correlator.yaml --check-config
              vigil-correlator --config /etc/vigil/correlator.yaml
              vigil-correlator token create --name alice --role analyst

            SIGHUP (systemctl reload) reads the deny-list (revoked sensor certificates) and the \
            rule pack again: correlation rules that did not change keep their state; a pack with an \
            error is refused whole and the running rules stay. SIGTERM finishes the requests in flight and saves the correlation state.

            Analysts query events, incidents and sensors on the query API (deploy/schema/query.md) \
            with a token: curl -H "Authorization: Bearer $TOKEN" https://127.0.0.1:8444/v1/incidents
            """,
        subcommands: [TokenCommand.self])

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config = "/etc/vigil/correlator.yaml"

    @Flag(name: .long, help: "Check the configuration and the files it names, print the problems, and exit.")
    var checkConfig = false

    public init() {}

    public func run() async throws {
        let (settings, diagnostics) = Self.load(config)
        for d in diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
        guard let settings, diagnostics.allSatisfy(\.isWarning) else { throw ExitCode(2) }
        if checkConfig {
            FileHandle.standardError.write(Data("vigil-correlator: \(config): OK\n".utf8))
            return
        }
        var logger = Logger(label: "vigil-correlator")
        logger.logLevel = .info
        let service = try Self.service(settings)
        let notifier = SystemdNotifier.fromProcess()
        let resumed = await service.restoreIncidents()
        // Replaying the events stored after the last snapshot can outlast systemd's start timeout
        // on a busy platform: say how far it got and ask for 30 s more at every 10 000 events.
        let (restored, replayed) = await service.restoreCorrelation { n in
            notifier.notify(
                "STATUS=replaying events stored after the last snapshot: \(n)\nEXTEND_TIMEOUT_USEC=30000000")
        }
        if resumed > 0 { Self.say("\(resumed) recent incidents taken up") }
        if restored > 0 || replayed > 0 {
            Self.say("correlation state of \(restored) rules restored, \(replayed) events replayed")
        }
        let store = service.store
        let api = QueryAPI(
            store: store, storePath: settings.store, service: service, logger: logger, webhooks: settings.webhooks)
        // READY=1 once both listeners are bound; only then is the watchdog fed, and only while the
        // ingest actor answers: a wedged correlator stops the pings and systemd restarts it.
        let ready = ReadyLatch(count: 2) {
            notifier.notify("READY=1\nSTATUS=ingest and query API listening")
            guard let interval = notifier.watchdogInterval else { return }
            while !Task.isCancelled {
                _ = await service.counters
                notifier.notify("WATCHDOG=1")
                try? await Task.sleep(for: interval)
            }
        }
        defer { ready.cancel() }
        let revocations = try RevocationList(path: settings.denyList)
        let ingest = try CorrelatorServer.application(
            config: settings, service: service, logger: logger, denyList: revocations
        ) { port in
            Self.say("listening on \(settings.host):\(port) for sensors (mutual TLS)")
            await ready.arrive()
        }
        let query = try CorrelatorServer.queryApplication(config: settings, api: api, logger: logger) { port in
            Self.say("query API on \(settings.apiHost):\(port) (API tokens)")
            await ready.arrive()
        }
        // Retention: hourly, from the start.
        let retention = Task {
            while !Task.isCancelled {
                await service.expireIncidents()
                let deleted = await service.enforceRetention(days: settings.retentionDays)
                if deleted > 0 {
                    Self.say("retention deleted \(deleted) events older than \(settings.retentionDays) days")
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }
        defer { retention.cancel() }
        // A sensor silent for longer than sensor_timeout stops holding correlation back.
        let silence = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                for sensor in await service.releaseSilentSensors() {
                    Self.say(
                        "sensor \(sensor) silent for more than \(settings.sensorTimeoutSeconds) s: correlation no longer waits for it"
                    )
                }
            }
        }
        defer { silence.cancel() }
        // Webhooks: the outbox is delivered from the start (rows left by a crash go out first).
        let delivery = Task {
            guard !settings.webhooks.isEmpty, let outbox = service.store as? any OutboxStore else { return }
            let deadlines = Task {
                while !Task.isCancelled {
                    await service.checkDeadlines()
                    try? await Task.sleep(for: .seconds(30))
                }
            }
            await WebhookDispatcher(store: outbox, endpoints: settings.webhooks).run()
            deadlines.cancel()
        }
        defer { delivery.cancel() }
        // SIGHUP: read the deny-list and the rule pack again; a pack with errors is refused whole
        // and the running rules stay.
        let reloader = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicros())")
                if settings.denyList != nil { Self.say(revocations.reload()) }
                if let directory = settings.rules { Self.say(await Self.reload(service, directory: directory)) }
                notifier.notify("READY=1")
            }
        }
        defer { reloader.cancel() }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: ingest), .init(service: query)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        ready.cancel()
        delivery.cancel()
        await delivery.value
        // Graceful stop (SIGTERM/SIGINT): both listeners have finished their requests; the
        // correlation state goes to the store for the next start.
        notifier.notify("STOPPING=1")
        await service.saveCorrelation()
        Self.say("stopped")
    }

    /// Loads the rule pack at `directory` and hands it to the service; what happened, as a sentence.
    static func reload(_ service: IngestService, directory: String) async -> String {
        let result = await Task.detached { RuleLoader.load(directory: directory) }.value
        let errors = result.diagnostics.filter { !$0.isWarning }
        guard errors.isEmpty else {
            for d in errors { say("\(d)") }
            return "rule reload refused: \(errors.count) errors in \(directory) (the running rules stay)"
        }
        let psl = try? PublicSuffixList.load(path: PublicSuffixList.systemPath)
        let kept = await service.reload(
            rules: result.rules, correlations: result.correlations,
            enrichment: Enrichment(publicSuffixes: psl, calendar: result.calendar))
        return
            "rules reloaded from \(directory): \(result.rules.rules.count) detection and \(result.correlations.rules.count) correlation rules (\(kept) kept their state)"
    }

    /// CLOCK_MONOTONIC in µs, which systemd wants with RELOADING=1.
    static func monotonicMicros() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    static func say(_ message: String) {
        FileHandle.standardError.write(Data("vigil-correlator: \(message)\n".utf8))
    }

    /// The config and every problem with it or with the files it names.
    static func load(_ path: String) -> (CorrelatorConfig?, [ConfigDiagnostic]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return (nil, [ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file")])
        }
        var diagnostics: [ConfigDiagnostic] = []
        guard let config = CorrelatorConfig.parse(text, file: path, diagnostics: &diagnostics) else {
            return (nil, diagnostics)
        }
        diagnostics += config.checkFiles(file: path)
        if let rules = config.rules {
            let result = RuleLoader.load(directory: rules)
            diagnostics += result.diagnostics
            diagnostics += ResponsePolicy.load(rules: rules).1
        }
        return (config, diagnostics)
    }

    /// Opens the store and loads the rules (and the response policy) the config names.
    public static func service(_ settings: CorrelatorConfig) throws -> IngestService {
        let store = try SQLiteStore(path: settings.store)
        guard let directory = settings.rules else { return IngestService(store: store, limits: settings.limits) }
        let result = RuleLoader.load(directory: directory)
        let psl = try? PublicSuffixList.load(path: PublicSuffixList.systemPath)
        var desk: TicketDesk?
        if var policy = ResponsePolicy.load(rules: directory).0 {
            policy.openFrom = settings.ticketsFrom
            policy.deadlines.operatorKind = settings.operatorKind
            desk = TicketDesk(
                store: store, policy: policy, headFile: settings.timelineHead, endpoints: settings.webhooks)
            desk?.journal = JournalWriter(identifier: "vigil-correlator")
            desk?.journalStore = TicketDesk.storeName(settings.store)
        }
        return IngestService(
            store: store, limits: settings.limits, rules: result.rules, correlations: result.correlations,
            enrichment: Enrichment(publicSuffixes: psl, calendar: result.calendar),
            latenessMicros: Int64(settings.latenessSeconds) * 1_000_000,
            sensorTimeout: .seconds(settings.sensorTimeoutSeconds), desk: desk)
    }
}

/// The `vigil-correlator` executable's entry point.
public enum CorrelatorMain {
    public static func main(_ arguments: [String]? = nil) async {
        do {
            var command = try CorrelatorCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            CorrelatorCommand.exit(withError: error)
        }
    }
}

/// Counts arrivals; the last one starts `onReady` (both listeners bound: ready) as a task that
/// `cancel` stops.
actor ReadyLatch {
    private var remaining: Int
    private let onReady: @Sendable () async -> Void
    private var task: Task<Void, Never>?

    init(count: Int, onReady: @escaping @Sendable () async -> Void) { (remaining, self.onReady) = (count, onReady) }

    func arrive() {
        remaining -= 1
        if remaining == 0 { task = Task { await onReady() } }
    }

    nonisolated func cancel() { Task { await self.stop() } }

    private func stop() { task?.cancel() }
}

import ArgumentParser
import Foundation
import VigilConfig
import VigilCore
import VigilInspect
import VigilRules
import VigilSensor

/// `vigil analyze`: the sensor pipeline in one process over a capture file or a live interface,
/// like `zeek -r` or `suricata -r`.
public struct AnalyzeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Decode a capture (or a live interface) into ECS events as JSON lines.",
        discussion: """
            Reads packets with libpcap (pcap or pcapng files; Ethernet, Linux cooked SLL/SLL2, raw IP, \
            NULL/LOOP links; 802.1Q/QinQ tags), tracks bidirectional flows, reassembles TCP and \
            recognises DNS, HTTP/1.x, TLS and SSH by content, whatever the port. Writes one JSON \
            object per line: a `network.flow` event per connection, and one `dns`, `http`, `tls` or \
            `ssh` event per transaction, tagged by `event.dataset`. A summary goes to stderr.

            Examples:
              vigil analyze --pcap capture.pcap
              vigil analyze --pcap capture.pcapng --bpf 'tcp port 80' --output events.ndjson
              vigil analyze --pcap capture.pcap | jq 'select(."event.dataset" == "dns")'
              sudo vigil analyze --interface lo --bpf 'port 53'      # until Ctrl-C

            Exit status: 0 on success (malformed packets are counted, not fatal); 2 when the input \
            is not a capture, the filter is invalid or the options are wrong; 1 on other errors.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A capture file to read (pcap or pcapng).", valueName: "file"))
    var pcap: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A live interface to capture on (needs root or CAP_NET_RAW).",
            valueName: "name"))
    var interface: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A tcpdump-syntax capture filter, e.g. 'tcp port 80'.",
            valueName: "expression"))
    var bpf: String?

    @Option(
        name: .customLong("log"),
        help: ArgumentHelp(
            "A log to decode, as FORMAT:PATH (repeatable; PATH may be a glob). Formats: \(LogFormats.names.joined(separator: ", ")).",
            valueName: "format:path"))
    var logs: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "nginx log_format string for the nginx logs given with --log (default: combined).", valueName: "format"))
    var nginxFormat: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "PostgreSQL log_line_prefix for postgres logs given with --log (default: '%m [%p] %q%u@%d ').",
            valueName: "prefix"))
    var postgresPrefix: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Field mapping for json logs given with --log: lines of ecs.field=json.path; @timestamp=path for the time.",
            valueName: "file"))
    var jsonMapping: String?

    @Option(
        name: .long, help: ArgumentHelp("Unit of the JSON value mapped to event.duration.", valueName: "ns|us|ms|s"))
    var jsonDurationUnit: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A sensor profile (sensors/*.yaml): its logs are read and its labels added to every event.",
            valueName: "file"))
    var profile: String?

    @Flag(name: .long, help: "Keep following the logs as they grow (and rotate) until Ctrl-C, like tail -F.")
    var follow = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Log offsets are saved here and resumed from on the next run: nothing lost or repeated across restarts.",
            valueName: "file"))
    var checkpoint: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "When the logs were written, e.g. 2026-11-23T18:00:00Z: year-less syslog times take their year from it (default: each file's modification time).",
            valueName: "time"))
    var logTime: String?

    @Flag(name: .long, help: "Logs without a checkpoint: start at their end instead of their beginning.")
    var startAtEnd = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The per-deployment secret for dlp.hashes (keyed HMAC-SHA256 of each sensitive value), read from a file. Without it a random key is used for this run only.",
            valueName: "file"))
    var dlpKeyFile: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A rule directory (Sigma rules with rules/mappings/): matching events are grouped into incidents, summarised on stderr.",
            valueName: "dir"))
    var rules: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Write the incidents as JSON lines to this file (with --rules).", valueName: "file"))
    var incidents: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Live runs (--interface, --follow): seconds a source's events may arrive late and still be correlated in event-time order (default 300, the TCP flow timeout). Offline inputs are correlated in full event-time order.",
            valueName: "seconds"))
    var lateness = 300

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The Public Suffix List (with --rules): DNS names get dns.question.registered_domain, so names under gov.cn or com.cn count per department or company.",
            valueName: "file"))
    var publicSuffixList = PublicSuffixList.systemPath

    @Option(name: [.short, .long], help: ArgumentHelp("Write events here instead of stdout.", valueName: "file"))
    var output: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "observer.id on every event (default: the host name).",
            valueName: "id"))
    var observerID: String?

    @Option(name: .long, help: "Bytes of each HTTP body kept, decoded, for inspection.")
    var bodyLimit: Int = 8192

    @Option(
        name: .long,
        help: "Flows tracked at once (1...100000000); beyond it the least recently active flow is ended early.")
    var maxFlows: Int = 1_000_000

    @Option(name: .long, help: "Seconds an established TCP connection may be idle before it is ended.")
    var tcpTimeout: Int = 300

    @Option(name: .long, help: "Seconds a UDP or ICMP flow may be idle before it is ended.")
    var udpTimeout: Int = 60

    @Option(name: .long, help: "Live capture: bytes captured per packet.")
    var snaplen: Int = 262_144

    @Flag(name: .long, help: "Live capture: put the interface in promiscuous mode.")
    var promiscuous = false

    @Flag(name: [.short, .long], help: "Do not print the summary on stderr.")
    var quiet = false

    public init() {}

    public func validate() throws {
        guard pcap == nil || interface == nil else {
            throw ValidationError("give at most one of --pcap FILE or --interface NAME")
        }
        guard pcap != nil || interface != nil || !logs.isEmpty || profile != nil else {
            throw ValidationError(
                "nothing to analyze: give --pcap FILE, --interface NAME, --log FORMAT:PATH or --profile FILE")
        }
        if follow && pcap != nil {
            throw ValidationError(
                "--follow follows logs; it does not combine with --pcap (use --interface for live capture)")
        }
        guard bodyLimit >= 0, bodyLimit <= 16 << 20 else { throw ValidationError("--body-limit must be 0...16 MiB") }
        // The sensor profile's bound too (`max_flows`); the flow table holds at most 2^27 − 1.
        guard (1...100_000_000).contains(maxFlows) else { throw ValidationError("--max-flows must be 1...100000000") }
        guard tcpTimeout > 0, udpTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        guard snaplen >= 64 else { throw ValidationError("--snaplen must be at least 64") }
    }

    public func run() async throws {
        let sensorProfile = try loadProfile()
        let observer = observerID ?? sensorProfile?.observerID ?? Self.hostName()
        let logSources = try loadLogSources(profile: sensorProfile)
        let inspector = try makeInspector()
        let writer: EventWriter
        do {
            writer =
                try output.map { path throws(VigilError) in try EventWriter(path: path) }
                ?? EventWriter(fd: STDOUT_FILENO, ownsDescriptor: false)
        } catch {
            throw Self.fail(error)
        }
        defer { writer.close() }
        let stop = StopSignal()
        let signals = Self.trapSignals(stop)
        defer { signals.forEach { $0.cancel() } }
        let counter = InspectStage(inspector: inspector)
        let ruleStage = try loadRules()
        // With rules: decoded URL forms first (so Inspect masks them too), then Inspect, then rules.
        let process: @Sendable (inout Event, String) -> Void = { event, source in
            ruleStage?.enrich(&event)
            counter.inspect(&event)
            ruleStage?.evaluate(event, source: source)
        }

        // Packets and logs run side by side, each on its own thread, into one output.
        var logOptions = LogTailer.Options(observerID: observer)
        logOptions.startAtEnd = startAtEnd
        logOptions.identityIncludesInode = follow || checkpoint != nil
        if let logTime {
            guard let date = ISO8601DateFormatter().date(from: logTime) else {
                throw Self.fail(
                    VigilError(.usage, "--log-time \(logTime): expected an ISO 8601 time such as 2026-11-23T18:00:00Z"))
            }
            logOptions.referenceTime = Timestamp(microseconds: Int64(date.timeIntervalSince1970 * 1_000_000))
        }
        let (following, checkpointPath) = (follow, checkpoint)
        async let logSummary = Self.runLogs(
            logSources, options: logOptions, follow: following, checkpoint: checkpointPath, writer: writer,
            process: { process(&$0, "logs") }, stop: stop)
        var captureSummary: CaptureSummary?
        if pcap != nil || interface != nil {
            do {
                captureSummary = try await runCapture(
                    observer: observer, writer: writer, process: { process(&$0, "capture") },
                    inspectOnly: ruleStage == nil ? counter : nil, stop: stop)
            } catch let error as VigilError {
                stop.stop()
                _ = try? await logSummary
                throw Self.fail(error)
            }
            if !follow && interface != nil { stop.stop() }
        }
        let logs: LogRunSummary?
        do {
            logs = try await logSummary
        } catch let error as VigilError {
            throw Self.fail(error)
        }
        ruleStage?.finish()
        if let failure = writer.failure {
            throw Self.fail(VigilError(.io, "\(output ?? "stdout"): write failed: \(failure)"))
        }
        if !quiet {
            var text = ""
            if let captureSummary { text += SummaryFormatter.text(captureSummary, source: pcap ?? interface!) }
            if let logs { text += SummaryFormatter.text(logs) }
            text += SummaryFormatter.text(counter.snapshot)
            if let ruleStage { text += SummaryFormatter.text(ruleStage.snapshot) }
            FileHandle.standardError.write(Data(text.utf8))
        }
        if let ruleStage, let incidentsPath = incidents {
            do {
                try IncidentWriter.write(ruleStage.snapshot.incidents, to: incidentsPath)
            } catch {
                throw Self.fail(error)
            }
        }
    }

    /// - Parameter inspectOnly: when Inspect is the only step (no rules), events are encoded as they
    ///   are built, each field inspected on the way, instead of through `process`.
    func runCapture(
        observer: String, writer: EventWriter, process: @escaping @Sendable (inout Event) -> Void,
        inspectOnly: InspectStage?, stop: StopSignal
    ) async throws
        -> CaptureSummary
    {
        let input: CaptureInput
        if let pcap {
            input = .file(pcap)
        } else {
            var options = PcapSource.LiveOptions()
            options.snaplen = Int32(snaplen)
            options.promiscuous = promiscuous
            input = .interface(interface!, options)
        }
        let (bodyLimit, maxFlows, tcpTimeout, udpTimeout) = (bodyLimit, maxFlows, tcpTimeout, udpTimeout)
        return try await CaptureRun.run(
            input: input, filter: bpf, observerID: observer,
            configure: { config in
                config.bodyLimit = bodyLimit
                config.maxFlows = maxFlows
                config.timeouts.tcpEstablished = Int64(tcpTimeout)
                config.timeouts.udp = Int64(udpTimeout)
                config.timeouts.icmp = Int64(udpTimeout)
            },
            stop: stop,
            sink: Self.sink(
                writer: writer, process: process, inspectOnly: inspectOnly,
                progress: quiet || isatty(STDERR_FILENO) == 0 ? nil : pcap.map { ProgressLine(file: $0) }))
    }

    /// Where a capture's outputs go: events built on a writer thread, processed (Inspect, rules), written.
    static func sink(
        writer: EventWriter, process: @escaping @Sendable (inout Event) -> Void, inspectOnly: InspectStage?,
        progress: ProgressLine? = nil
    ) -> CaptureRun.SinkFactory {
        { config in
            let factory = EventFactory(config: config)
            let sink =
                inspectOnly.map { BackgroundEventSink(factory: factory, jsonLines: writer, inspect: $0) }
                ?? BackgroundEventSink(factory: factory, writer: writer, inspect: process)
            return CaptureRun.Sink(
                output: sink.emit,
                close: {
                    sink.close(); progress?.clear()
                },
                progress: progress.map { line in { stats, _ in line.show(stats) } })
        }
    }

    /// Reads (or follows) the logs on a dedicated thread: every call in the tailer blocks.
    static func runLogs(
        _ sources: [LogSource], options: LogTailer.Options, follow: Bool, checkpoint: String?, writer: EventWriter,
        process: @escaping @Sendable (inout Event) -> Void, stop: StopSignal
    ) async throws -> LogRunSummary? {
        guard !sources.isEmpty else { return nil }
        let sink = ProcessingLogSink(writer: writer, process: process)
        let tailer = try LogTailer(
            sources: sources, options: options, sink: sink, checkpoint: checkpoint.map { TailCheckpointStore(path: $0) }
        )
        // The tailer is handed whole to its thread and used nowhere else.
        nonisolated(unsafe) let owned = tailer
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let started = Date()
                do {
                    if follow {
                        owned.follow(until: stop)
                    } else {
                        try owned.readToEnd()
                    }
                    continuation.resume(
                        returning: LogRunSummary(
                            sources: sources.map { "\($0.format):\($0.pattern)" }, stats: owned.stats,
                            elapsedSeconds: Date().timeIntervalSince(started)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "vigil-logs"
            thread.start()
        }
    }

    /// Loads the rules; bad rules are reported on stderr and skipped (the others still run).
    func loadRules() throws -> RuleStage? {
        guard let rules else {
            if incidents != nil { throw Self.fail(VigilError(.usage, "--incidents needs --rules DIR")) }
            return nil
        }
        guard FileManager.default.fileExists(atPath: rules) else {
            throw Self.fail(VigilError(.io, "\(rules): no such rule directory"))
        }
        let result = RuleLoader.load(directory: rules)
        for d in result.diagnostics { FileHandle.standardError.write(Data("vigil: \(d)\n".utf8)) }
        if result.rules.rules.isEmpty {
            throw Self.fail(VigilError(.usage, "\(rules): no usable rule (\(result.errors.count) errors)"))
        }
        let live = follow || interface != nil
        let enrichment = Enrichment(
            publicSuffixes: RuleStage.publicSuffixes(path: publicSuffixList), calendar: result.calendar)
        return RuleStage(
            rules: result.rules, correlations: result.correlations, enrichment: enrichment,
            latenessMicros: live ? Int64(lateness) * 1_000_000 : .max)
    }

    /// The sensor profile, read and validated once; its problems are one error listing all of them.
    func loadProfile() throws -> SensorProfile? {
        guard let profile else { return nil }
        let (loaded, diagnostics) = SensorProfile.load(path: profile)
        guard let loaded else {
            throw Self.fail(VigilError(.badProfile, diagnostics.map(\.description).joined(separator: "\n")))
        }
        return loaded
    }

    func loadLogSources(profile: SensorProfile?) throws -> [LogSource] {
        var sources: [LogSource] = []
        do throws(VigilError) {
            for argument in logs {
                var (spec, path) = try LogFormats.parseArgument(argument)
                if spec.name.hasPrefix("nginx") || spec.name == "apache" { spec.logFormat = nginxFormat }
                if spec.name == "postgres" { spec.prefix = postgresPrefix }
                if spec.name == "json" {
                    if let jsonMapping {
                        guard let text = try? String(contentsOfFile: jsonMapping, encoding: .utf8) else {
                            throw VigilError(.io, "\(jsonMapping): cannot read the JSON mapping")
                        }
                        try spec.readMapping(text, file: jsonMapping)
                    }
                    spec.durationUnit = jsonDurationUnit
                }
                let source = try LogFormats.source(spec, pattern: path)
                // Following may wait for a file to appear; reading once needs it now.
                if !follow && source.matchingFiles.isEmpty {
                    throw VigilError(.io, "--log \(argument): no such file")
                }
                sources.append(source)
            }
            if let profile { sources += try profile.logSources() }
        } catch {
            throw Self.fail(error)
        }
        return sources
    }

    func makeInspector() throws -> Inspector {
        do throws(VigilError) {
            let key: [UInt8]
            if let dlpKeyFile {
                guard let data = FileManager.default.contents(atPath: dlpKeyFile), data.count >= 16 else {
                    throw VigilError(.usage, "\(dlpKeyFile): cannot read a key of at least 16 bytes")
                }
                key = Array(data)
            } else {
                key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            }
            return Inspector(secret: key)
        } catch {
            throw Self.fail(error)
        }
    }

    /// The exit status for an error that escaped `run` (the entry point prints the message).
    static func exitCode(for error: any Error) -> ExitCode {
        if let error = error as? VigilError { return fail(error) }
        return ExitCode(1)
    }

    static func fail(_ error: VigilError) -> ExitCode {
        FileHandle.standardError.write(Data("vigil: error: \(error.message)\n".utf8))
        switch error.code {
        case .notACapture, .badFilter, .usage, .badLogFormat, .badProfile, .badCheckpoint: return ExitCode(2)
        default: return ExitCode(1)
        }
    }

    static func hostName() -> String {
        ProcessInfo.processInfo.hostName
    }

    /// SIGINT/SIGTERM stop the capture cleanly: flows are flushed and the summary printed.
    static func trapSignals(_ stop: StopSignal) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.stop() }
            source.resume()
            return source
        }
    }
}

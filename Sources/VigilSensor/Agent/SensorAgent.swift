import Foundation
import Logging
import Synchronization
import VigilCore
import VigilInspect

/// One sensor agent: the capture and log sources of its profile, the Inspect step, the spool and
/// the shipper, and the counters they report in heartbeats and the metrics file. The services that
/// run it are in `SensorServices.swift`; the command in `SensorCommand.swift`.
public final class SensorAgent: Sendable {
    public static let version = "0.4.0"

    /// Counters of the sources, merged across profile reloads.
    struct Live: Sendable {
        var pipeline = PipelineStats()
        var pipelineBefore = PipelineStats()
        var kernelDropped = 0
        var kernelDroppedBefore = 0
        var logs = LogStats()
        var logsBefore = LogStats()
        /// Events lost because the spool failed (not full: failing) for long.
        var sinkLost = 0
        var spoolFailures = 0
        /// When the capture thread last reported (uptime ns): the watchdog's proof of life.
        var captureTick: UInt64 = 0

        var packets: Int { pipeline.packets + pipelineBefore.packets }
        var decoded: Int { pipeline.decodedPackets + pipelineBefore.decodedPackets }
        var issues: Int { pipeline.totalIssues + pipelineBefore.totalIssues }
        var captureEvents: Int { pipeline.totalEvents + pipelineBefore.totalEvents }
        var flowsEvicted: Int { pipeline.flowsEvicted + pipelineBefore.flowsEvicted }
        var logLines: Int { logs.lines + logsBefore.lines }
        var logEvents: Int { logs.events + logsBefore.events }
        var logUnparsed: Int { logs.unparsed + logsBefore.unparsed }

        /// A source run ended (reload): its counters become the base of the next.
        mutating func endRun() {
            pipelineBefore.packets += pipeline.packets
            pipelineBefore.decodedPackets += pipeline.decodedPackets
            pipelineBefore.flowsEvicted += pipeline.flowsEvicted
            for (k, v) in pipeline.issues { pipelineBefore.issues[k, default: 0] += v }
            for (k, v) in pipeline.events { pipelineBefore.events[k, default: 0] += v }
            pipeline = PipelineStats()
            kernelDroppedBefore += kernelDropped
            kernelDropped = 0
            logsBefore.lines += logs.lines
            logsBefore.events += logs.events
            logsBefore.unparsed += logs.unparsed
            logs = LogStats()
        }
    }

    public let config: SensorConfig
    public let sensorID: String
    public let spool: Spool
    public let shipper: Shipper
    let inspect: InspectStage
    let logger: Logger
    let live = Mutex(Live())
    let started = Date()

    public init(config: SensorConfig, logger: Logger) throws(VigilError) {
        self.config = config
        self.logger = logger
        let certificate = try CertificateFile.load(path: config.certificate)
        guard SensorIdentity.isValidID(certificate.commonName) else {
            throw VigilError(
                .usage, "\(config.certificate): the common name '\(certificate.commonName)' is not a sensor id")
        }
        sensorID = certificate.commonName
        try Self.makeStateDir(config.stateDir)
        spool = try Spool(path: config.spoolPath, limits: config.spool)
        shipper = try Shipper(config: config, spool: spool, logger: logger)
        let key: [UInt8]
        if let file = config.inspectKeyFile {
            guard let data = FileManager.default.contents(atPath: file), data.count >= 16 else {
                throw VigilError(.usage, "\(file): cannot read a key of at least 16 bytes")
            }
            key = Array(data)
        } else {
            // Hashes then differ between sensors and restarts: rules that count distinct citizens
            // across them need one key everywhere.
            logger.warning("inspect.key_file is not set: dlp.hashes use a random key of this run only")
            key = (0..<32).map { _ in UInt8.random(in: 0...255) }
        }
        inspect = InspectStage(inspector: Inspector(secret: key))
    }

    static func makeStateDir(_ path: String) throws(VigilError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw VigilError(.io, "\(path): cannot create the state folder: \(error.localizedDescription)")
        }
    }

    // MARK: - sources

    /// Runs the profile's capture and logs, each on its own thread, until `stop`; an error in one
    /// stops the other and is thrown.
    func runSources(_ profile: SensorProfile, stop: StopSignal) async throws {
        let logs = try profile.logSources()
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let capture = profile.capture {
                group.addTask { try await self.runCapture(capture, labels: profile.labelFields, stop: stop) }
            }
            if !logs.isEmpty {
                let startAtEnd = profile.logs.contains { $0.startAtEnd }
                group.addTask { try await self.runLogs(logs, startAtEnd: startAtEnd, stop: stop) }
            }
            do {
                try await group.waitForAll()
            } catch {
                stop.stop()
                try? await group.waitForAll()
                throw error
            }
        }
        live.withLock { $0.endRun() }
    }

    func sinkReport() -> @Sendable (Spool.AppendOutcome?, VigilError?, Int) -> Void {
        { [self] outcome, error, lost in
            if let outcome {
                let total = spool.snapshot.lost
                let inFlight =
                    outcome.droppedInFlight > 0
                    ? " (\(outcome.droppedInFlight) of them in a batch being sent: lost only if it is not delivered)"
                    : ""
                logger.warning(
                    "spool full (\(outcome.reason ?? "no room")): dropped the oldest \(outcome.droppedFlows) flow events and \(outcome.droppedOther) other events\(inFlight); \(total) events lost in all"
                )
            }
            if let error {
                live.withLock {
                    $0.spoolFailures += 1
                    $0.sinkLost += lost
                }
                logger.error("cannot spool events: \(error.message); holding them in memory and retrying")
            }
        }
    }

    func runCapture(_ capture: SensorProfile.Capture, labels: [Event.Field], stop: StopSignal) async throws {
        var options = PcapSource.LiveOptions()
        options.snaplen = Int32(capture.snaplen)
        options.promiscuous = capture.promiscuous
        options.bufferSize = Int32(capture.bufferMiB) << 20
        options.immediate = capture.immediate
        let spoolSink = SpoolSink(spool: spool, report: sinkReport())
        let maxFlows = config.maxFlows
        let inspect = self.inspect
        logger.info("capturing on \(capture.interface)\(capture.bpf.map { " (filter: \($0))" } ?? "")")
        let summary = try await CaptureRun.run(
            input: .interface(capture.interface, options), filter: capture.bpf, observerID: sensorID,
            configure: { $0.maxFlows = maxFlows }, stop: stop
        ) { config in
            let sink = BackgroundEventSink(
                factory: EventFactory(config: config), writer: spoolSink,
                inspect: { event in
                    for label in labels { event.set(label.id, label.value) }
                    inspect.inspect(&event)
                }, maxDelay: 1.0)
            return CaptureRun.Sink(
                output: sink.emit, idle: sink.idle, close: sink.close,
                progress: { [self] stats, kernel in
                    live.withLock { l in
                        l.pipeline = stats
                        if let kernel { l.kernelDropped = Int(kernel.dropped) + Int(kernel.interfaceDropped) }
                        l.captureTick = DispatchTime.now().uptimeNanoseconds
                    }
                })
        }
        logger.info(
            "capture on \(capture.interface) stopped: \(summary.stats.packets) packets, \(summary.stats.totalEvents) events"
        )
    }

    func runLogs(_ sources: [LogSource], startAtEnd: Bool, stop: StopSignal) async throws {
        var options = LogTailer.Options(observerID: sensorID)
        options.startAtEnd = startAtEnd
        let inspect = self.inspect
        let sink = SpoolSink(spool: spool, process: { inspect.inspect(&$0) }, report: sinkReport())
        let tailer = try LogTailer(
            sources: sources, options: options, sink: sink, checkpoint: TailCheckpointStore(path: config.checkpointPath)
        )
        logger.info("tailing \(sources.map { "\($0.format):\($0.pattern)" }.joined(separator: ", "))")
        // The tailer is handed whole to its thread and used nowhere else.
        nonisolated(unsafe) let owned = tailer
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                owned.follow(until: stop) { [self] stats in live.withLock { $0.logs = stats } }
                continuation.resume()
            }
            thread.name = "vigil-logs"
            thread.start()
        }
    }

    // MARK: - counters

    /// The heartbeat's counters (deploy/schema/ingest.md), totals since start.
    public func counters() -> [(String, Int)] {
        let l = live.withLock { $0 }
        let s = spool.snapshot
        let c = shipper.counters
        let lag = s.oldestAppendedMicros.map { max(0, Int((Timestamp.now().microseconds - $0) / 1_000_000)) } ?? 0
        let dlp = inspect.snapshot
        return [
            ("captured", l.packets), ("decoded", l.decoded), ("dropped", l.sinkLost + s.lost),
            ("kernel_dropped", l.kernelDropped + l.kernelDroppedBefore), ("spooled", s.appended),
            ("shipped", c.shipped), ("duplicates", c.duplicates), ("spool_bytes", Int(s.bytes)),
            ("spool_events", s.rows), ("spool_lost", s.lost),
            ("spool_lost_flows", s.lostFlows), ("spool_in_flight_dropped", s.inFlightDropped),
            ("log_lines", l.logLines), ("checkpoint_lag_seconds", lag),
            ("events", l.captureEvents + l.logEvents), ("decode_errors", l.issues), ("flows_evicted", l.flowsEvicted),
            ("log_unparsed", l.logUnparsed), ("dlp_events", dlp.events), ("rejected", c.rejected),
            ("dead_lettered", c.deadLettered), ("shipping_failures", c.failures), ("spool_failures", l.spoolFailures),
        ]
    }

    /// Whether the capture thread reported within `seconds` (true when nothing is captured).
    func captureAlive(within seconds: Double, capturing: Bool) -> Bool {
        guard capturing else { return true }
        let tick = live.withLock { $0.captureTick }
        let now = DispatchTime.now().uptimeNanoseconds
        // Before the first report the capture is still starting.
        return tick == 0 || Double(now &- tick) / 1e9 < seconds
    }

    /// Writes the Prometheus textfile-collector file (node_exporter): temporary file, then rename,
    /// so the collector never reads half a file.
    public func writeMetrics() {
        let gauges: Set<String> = ["spool_bytes", "spool_events", "spool_in_flight_dropped", "checkpoint_lag_seconds"]
        var text = ""
        for (name, value) in counters() {
            let isGauge = gauges.contains(name)
            let metric = "vigil_sensor_\(name)\(isGauge ? "" : "_total")"
            text += "# TYPE \(metric) \(isGauge ? "gauge" : "counter")\n"
            text += "\(metric){sensor=\"\(sensorID)\"} \(value)\n"
        }
        text += "# TYPE vigil_sensor_clock_skew_seconds gauge\n"
        text += "vigil_sensor_clock_skew_seconds{sensor=\"\(sensorID)\"} \(shipper.counters.clockSkewSeconds)\n"
        text += "# TYPE vigil_sensor_start_time_seconds gauge\n"
        text += "vigil_sensor_start_time_seconds{sensor=\"\(sensorID)\",version=\"\(Self.version)\"} "
        text += "\(Int(started.timeIntervalSince1970))\n"
        let path = config.metricsPath
        let temporary = path + ".tmp"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            _ = rename(temporary, path)
        } catch {
            logger.error("cannot write the metrics file \(path): \(error.localizedDescription)")
        }
    }
}

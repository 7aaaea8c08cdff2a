import Foundation
import Synchronization
import VigilCore
import VigilDecode

/// Asks a running capture to stop (Ctrl-C, SIGTERM); checked between packets and on read timeouts.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func stop() { flag.store(true, ordering: .relaxed) }
    public var isStopped: Bool { flag.load(ordering: .relaxed) }
}

/// What to capture from.
public enum CaptureInput: Sendable {
    case file(String)
    case interface(String, PcapSource.LiveOptions)
}

/// The outcome of a capture run.
public struct CaptureSummary: Sendable {
    public var stats: PipelineStats
    public var linkType: String
    public var elapsedSeconds: Double
    public var kernel: PcapSource.Stats?
}

/// Runs capture → pipeline → sink on a dedicated thread (CONVENTIONS: blocking pcap calls never run
/// on the cooperative pool) and returns when the input ends or `stop` is signalled.
public enum CaptureRun {
    /// Makes, on the capture thread, where the pipeline's outputs go; given the run's configuration
    /// so it can build events (`EventFactory`) with the right observer and source identity.
    public typealias SinkFactory = @Sendable (PipelineConfig) -> Sink

    /// Where a run's outputs go: `output` for each, `idle` when a live capture had nothing to read
    /// for a read timeout, `close` at the end (flush everything).
    public struct Sink {
        public var output: (consuming PipelineOutput) -> Void
        public var idle: () -> Void
        public var close: () -> Void
        /// Called on the capture thread about once a second with the counters so far (live
        /// sensors' heartbeats and metrics, progress displays).
        public var progress: ((PipelineStats, PcapSource.Stats?) -> Void)?
        public init(
            output: @escaping (consuming PipelineOutput) -> Void, idle: @escaping () -> Void = {},
            close: @escaping () -> Void, progress: ((PipelineStats, PcapSource.Stats?) -> Void)? = nil
        ) {
            self.output = output
            self.idle = idle
            self.close = close
            self.progress = progress
        }
    }

    public static func run(
        input: CaptureInput, filter: String?, observerID: String,
        configure: @escaping @Sendable (inout PipelineConfig) -> Void,
        stop: StopSignal, sink: @escaping SinkFactory
    ) async throws -> CaptureSummary {
        // Cancelling the calling task stops the capture like a signal would: the thread flushes and returns.
        try await withTaskCancellationHandler {
            try await runOnThread(
                input: input, filter: filter, observerID: observerID, configure: configure, stop: stop,
                sink: sink)
        } onCancel: {
            stop.stop()
        }
    }

    static func runOnThread(
        input: CaptureInput, filter: String?, observerID: String,
        configure: @escaping @Sendable (inout PipelineConfig) -> Void,
        stop: StopSignal, sink: @escaping SinkFactory
    ) async throws -> CaptureSummary {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CaptureSummary, any Error>) in
            let thread = Thread {
                do {
                    continuation.resume(
                        returning: try runBlocking(
                            input: input, filter: filter, observerID: observerID, configure: configure, stop: stop,
                            sink: sink))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "vigil-capture"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    static func runBlocking(
        input: CaptureInput, filter: String?, observerID: String, configure: (inout PipelineConfig) -> Void,
        stop: StopSignal, sink: SinkFactory
    ) throws -> CaptureSummary {
        let source: PcapSource
        let identity: String
        switch input {
        case .file(let path):
            source = try PcapSource.open(file: path)
            identity = try SourceIdentity.ofFile(path)
        case .interface(let name, let options):
            source = try PcapSource.open(interface: name, options: options)
            identity = "live:\(name):\(Int64(Date().timeIntervalSince1970 * 1_000_000))"
        }
        if let filter { try source.setFilter(filter) }
        var config = PipelineConfig(observerID: observerID, sourceIdentity: identity)
        configure(&config)
        let target = sink(config)
        let close = target.close
        let pipeline = PacketPipeline(config: config, linkType: source.linkType, output: target.output)
        let started = DispatchTime.now()
        var nextProgress = started.uptimeNanoseconds + 1_000_000_000
        var sinceCheck = 0
        func reportProgress() {
            guard let progress = target.progress else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now >= nextProgress else { return }
            nextProgress = now + 1_000_000_000
            progress(pipeline.stats, source.stats())
        }
        loop: while !stop.isStopped {
            switch source.next() {
            case .packet(let time, let bytes, let wireLength):
                pipeline.packet(time: time, bytes: bytes, wireLength: wireLength)
                sinceCheck += 1
                if sinceCheck == 4096 {
                    sinceCheck = 0
                    reportProgress()
                }
            case .idle:
                reportProgress()
                // No packets: let wall-clock time expire idle flows of a live capture.
                pipeline.advance(to: Int64(Date().timeIntervalSince1970 * 1_000_000))
                target.idle()
            case .end:
                break loop
            case .truncated:
                pipeline.countIssue("capture.truncated")
                break loop
            case .failed(let reason):
                pipeline.finish()
                close()
                throw VigilError(.io, "\(source.name): capture failed: \(reason)")
            }
        }
        pipeline.finish()
        close()
        target.progress?(pipeline.stats, source.stats())
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return CaptureSummary(
            stats: pipeline.stats, linkType: source.linkType.description, elapsedSeconds: elapsed,
            kernel: source.stats())
    }
}

/// Identities of what a sensor reads, for deterministic event ids.
public enum SourceIdentity {
    /// `pcap:` + a hash of the file's size and first 64 KiB: the same capture gives the same ids
    /// wherever it is copied, and a different capture different ids.
    public static func ofFile(_ path: String) throws(VigilError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw VigilError(.io, "\(path): cannot open")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 65_536)) ?? Data()
        let size = (try? handle.seekToEnd()) ?? 0
        var input = Array(head)
        withUnsafeBytes(of: size.bigEndian) { input.append(contentsOf: $0) }
        return "pcap:" + Hex.encode(Digest.sha256.hash(input).prefix(8))
    }
}

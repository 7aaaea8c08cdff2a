import Foundation
import VigilCore

/// Where a live source's events go in the sensor agent: each event is processed (Inspect), encoded
/// as a JSON line and held; `commit` (a log tailer's commit, the end of a capture batch) appends
/// what is held to the spool in one fsynced transaction. A tailer checkpoints only after `commit`
/// returns true, so a crash re-reads at most the lines that were not spooled.
///
/// `@unchecked Sendable`: `held`, `writer` and `heldBytes` are touched only while `lock` is held;
/// each source (the capture's writer thread, the log thread) has its own sink, so the lock is
/// uncontended.
public final class SpoolSink: LogEventSink, EventBatchWriter, @unchecked Sendable {
    /// Held lines beyond this (the spool failing for a long time) are dropped and counted.
    static let maxHeldBytes = 64 << 20
    /// Held lines are spooled as soon as they reach this, without waiting for `commit`: a tailer
    /// catching up on a large log holds at most this much (spooling early is safe: the checkpoint
    /// still moves only at `commit`, and a replay after a crash is deduplicated by event id).
    static let flushBytes = 4 << 20

    private let lock = NSLock()
    private let spool: Spool
    private let process: (@Sendable (inout Event) -> Void)?
    private let report: @Sendable (Spool.AppendOutcome?, VigilError?, Int) -> Void
    private var held: [Spool.Line] = []
    private var heldBytes = 0
    private var writer = JSONWriter(capacity: 4096)

    /// - Parameters:
    ///   - process: run on each event before it is encoded (the pipeline's Inspect step), for
    ///     sources whose events were not processed yet (logs).
    ///   - report: told about drops (a full spool), failures, and lines lost because the spool failed.
    public init(
        spool: Spool, process: (@Sendable (inout Event) -> Void)? = nil,
        report: @escaping @Sendable (Spool.AppendOutcome?, VigilError?, Int) -> Void
    ) {
        self.spool = spool
        self.process = process
        self.report = report
    }

    public func write(_ event: Event) {
        var event = event
        process?(&event)
        lock.lock()
        defer { lock.unlock() }
        writer.removeAll()
        event.writeJSON(to: &writer)
        held.append(Spool.Line(bytes: writer.bytes, lowValue: event.dataset == .flow))
        heldBytes += writer.byteCount
        if heldBytes >= Self.flushBytes { _ = spoolHeld() }
    }

    public func endBatch() { _ = commit() }

    public func commit() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return spoolHeld()
    }

    /// Appends what is held; the caller holds `lock`.
    private func spoolHeld() -> Bool {
        guard !held.isEmpty else { return true }
        do {
            let outcome = try spool.append(held)
            held.removeAll(keepingCapacity: true)
            heldBytes = 0
            if outcome.droppedFlows + outcome.droppedOther > 0 { report(outcome, nil, 0) }
            return true
        } catch {
            var lost = 0
            while heldBytes > Self.maxHeldBytes, !held.isEmpty {
                heldBytes -= held.removeFirst().bytes.count
                lost += 1
            }
            report(nil, error, lost)
            return false
        }
    }
}

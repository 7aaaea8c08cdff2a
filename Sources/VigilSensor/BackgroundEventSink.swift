import Dispatch
import Foundation
import Synchronization
import VigilCore
import VigilInspect

/// Where a capture's events go, one batch at a time: an `EventWriter` (a file or stdout) or, in
/// the sensor agent, the spool.
public protocol EventBatchWriter: AnyObject, Sendable {
    func write(_ event: Event)
    /// The end of a batch: make what was written so far durable (or at least written out).
    func endBatch()
}

/// Moves event building, JSON encoding and writing off the capture thread: the pipeline hands its
/// typed outputs over in batches and a dedicated thread turns them into events and writes them, so a
/// two-core node uses both cores.
/// Bounded: at most `maxBatches` batches wait; a slow writer holds the pipeline back rather than
/// letting memory grow.
public final class BackgroundEventSink: Sendable {
    public static let batchSize = 1024
    public static let maxBatches = 4

    private let queue = Mutex<[[PipelineOutput]]>([])
    private let ready = DispatchSemaphore(value: 0)
    private let free = DispatchSemaphore(value: BackgroundEventSink.maxBatches)
    private let finished = DispatchSemaphore(value: 0)
    /// The batch being filled; only the producing thread touches it.
    private let pending = Mutex<(items: [PipelineOutput], since: UInt64)>(([], 0))
    /// Batches the writer has emptied, handed back so the producing thread reuses their storage. At
    /// most `maxSpent`: beyond that the writer frees them. (The writer frees the records: it takes
    /// each output over rather than copying it — a copy retains every string and array a record
    /// holds — and the capture thread is the busier one.)
    private let spent = Mutex<[[PipelineOutput]]>([])
    private static let maxSpent = 2
    /// A live sensor's bound on how long an event may wait in a partial batch (nil: only full batches).
    private let maxDelayNanos: UInt64?

    /// Events are built (`Event`), processed and handed to `writer`.
    /// - Parameters:
    ///   - inspect: the pipeline's Inspect step (and any later step, such as rules), run on each
    ///     event before it is written.
    ///   - maxDelay: seconds a partial batch may wait before it is handed over anyway (a live
    ///     capture with little traffic); nil for files, which end.
    public convenience init(
        factory: EventFactory, writer: any EventBatchWriter, inspect: (@Sendable (inout Event) -> Void)? = nil,
        maxDelay: Double? = nil
    ) {
        self.init(maxDelay: maxDelay, endBatch: writer.endBatch) { output in
            var event = factory.event(for: output)
            inspect?(&event)
            writer.write(event)
        }
    }

    /// Events are written as JSON lines as they are built, each field inspected on the way
    /// (`EventFactory.writeJSON`): for output that only Inspect stands before (`vigil analyze`
    /// without rules). The text is the same as building, inspecting and encoding each `Event`.
    public convenience init(factory: EventFactory, jsonLines writer: EventWriter, inspect: InspectStage) {
        self.init(maxDelay: nil, endBatch: writer.endBatch) { output in
            // Moved into the closure through an optional: a captured value could only be copied.
            var taken = Optional(output)
            writer.writeLine { w in
                inspect.count(factory.writeJSON(taken.take()!, inspector: inspect.inspector, to: &w))
            }
        }
    }

    private init(
        maxDelay: Double?, endBatch: @escaping @Sendable () -> Void,
        write: @escaping @Sendable (consuming PipelineOutput) -> Void
    ) {
        maxDelayNanos = maxDelay.map { UInt64($0 * 1e9) }
        let thread = Thread { [self] in
            while true {
                ready.wait()
                var batch = queue.withLock { $0.removeFirst() }
                free.signal()
                if batch.isEmpty { break }
                Self.drain(&batch, into: write)
                endBatch()
                recycle(batch)
            }
            // The writer's owner closes it: other sources (log tailers) may still write to it.
            endBatch()
            finished.signal()
        }
        thread.name = "vigil-writer"
        thread.start()
    }

    /// Takes `item` over into the pending batch (moved, not copied: a copy retains every string
    /// and array its record holds).
    public func emit(_ item: consuming PipelineOutput) {
        let now = maxDelayNanos == nil ? 0 : DispatchTime.now().uptimeNanoseconds
        var taken = Optional(item)
        let full: [PipelineOutput]? = pending.withLock { batch in
            if batch.items.isEmpty {
                if let reused = spent.withLock({ $0.popLast() }) {
                    batch.items = reused
                } else {
                    batch.items.reserveCapacity(Self.batchSize)
                }
                batch.since = now
            }
            batch.items.append(taken.take()!)
            guard batch.items.count >= Self.batchSize || aged(batch.since, now: now) else { return nil }
            defer { batch.items = [] }
            return batch.items
        }
        if let full { push(full) }
    }

    /// Hands over a partial batch that has waited longer than `maxDelay` (called while the capture is
    /// idle), and frees the storage of spent batches.
    public func idle() {
        guard maxDelayNanos != nil else { return }
        spent.withLock { $0.removeAll() }
        let now = DispatchTime.now().uptimeNanoseconds
        let stale: [PipelineOutput]? = pending.withLock { batch in
            guard !batch.items.isEmpty, aged(batch.since, now: now) else { return nil }
            defer { batch.items = [] }
            return batch.items
        }
        if let stale { push(stale) }
    }

    private func aged(_ since: UInt64, now: UInt64) -> Bool {
        guard let maxDelayNanos else { return false }
        return now &- since >= maxDelayNanos
    }

    /// Flushes what is pending, ends the writer thread and waits until every event is written.
    public func close() {
        let rest = pending.withLock { batch in
            defer { batch.items = [] }
            return batch.items
        }
        if !rest.isEmpty { push(rest) }
        push([])
        finished.wait()
    }

    /// Hands each output of `batch` to `body` in order, moved rather than copied (a copy retains
    /// every string and array a record holds; `reverse()` plus `popLast()` copied too), and leaves
    /// `batch` empty with its storage. Each slot holds a placeholder with nothing to release until
    /// the array drops it.
    private static func drain(_ batch: inout [PipelineOutput], into body: (consuming PipelineOutput) -> Void) {
        batch.withUnsafeMutableBufferPointer { items in
            guard let base = items.baseAddress else { return }
            for i in 0..<items.count {
                let slot = base + i
                body(slot.move())
                slot.initialize(to: PipelineOutput.placeholder)
            }
        }
        batch.removeAll(keepingCapacity: true)
    }

    /// On the writer thread: hands an emptied batch back to the producer, or frees it here when the
    /// producer has not taken the ones before it (it is idle, or the writer is the faster thread).
    private func recycle(_ batch: [PipelineOutput]) {
        spent.withLock { list in
            if list.count < Self.maxSpent { list.append(batch) }
        }
    }

    private func push(_ batch: [PipelineOutput]) {
        free.wait()
        queue.withLock { $0.append(batch) }
        ready.signal()
    }
}

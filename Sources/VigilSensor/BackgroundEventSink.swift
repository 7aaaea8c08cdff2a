import Dispatch
import Foundation
import Synchronization
import VigilCore

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
    private let pending = Mutex<[PipelineOutput]>([])

    /// - Parameter inspect: the pipeline's Inspect step, run on each event before it is written.
    public init(factory: EventFactory, writer: EventWriter, inspect: (@Sendable (inout Event) -> Void)? = nil) {
        let thread = Thread { [self] in
            var factory = factory
            while true {
                ready.wait()
                let batch = queue.withLock { $0.removeFirst() }
                free.signal()
                if batch.isEmpty { break }
                for item in batch {
                    var event = factory.event(for: item)
                    inspect?(&event)
                    writer.write(event)
                }
            }
            // The writer's owner closes it: other sources (log tailers) may still write to it.
            writer.flush()
            finished.signal()
        }
        thread.name = "vigil-writer"
        thread.start()
    }

    public func emit(_ item: PipelineOutput) {
        let full: [PipelineOutput]? = pending.withLock { batch in
            if batch.isEmpty { batch.reserveCapacity(Self.batchSize) }
            batch.append(item)
            guard batch.count >= Self.batchSize else { return nil }
            defer { batch = [] }
            return batch
        }
        if let full { push(full) }
    }

    /// Flushes what is pending, ends the writer thread and waits until every event is written.
    public func close() {
        let rest = pending.withLock { batch in
            defer { batch = [] }
            return batch
        }
        if !rest.isEmpty { push(rest) }
        push([])
        finished.wait()
    }

    private func push(_ batch: [PipelineOutput]) {
        free.wait()
        queue.withLock { $0.append(batch) }
        ready.signal()
    }
}

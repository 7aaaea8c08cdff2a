import Dispatch
import Foundation
import Synchronization
import VigilCore

/// Moves JSON encoding and writing off the capture thread: the pipeline hands events over in
/// batches and a dedicated writer thread encodes and writes them, so a two-core node uses both.
/// Bounded: at most `maxBatches` batches wait; a slow writer holds the pipeline back rather than
/// letting memory grow.
public final class BackgroundEventSink: Sendable {
    public static let batchSize = 1024
    public static let maxBatches = 4

    private let queue = Mutex<[[Event]]>([])
    private let ready = DispatchSemaphore(value: 0)
    private let free = DispatchSemaphore(value: BackgroundEventSink.maxBatches)
    private let finished = DispatchSemaphore(value: 0)
    /// The batch being filled; only the producing thread touches it.
    private let pending = Mutex<[Event]>([])

    public init(writer: EventWriter) {
        let thread = Thread { [self] in
            while true {
                ready.wait()
                let batch = queue.withLock { $0.removeFirst() }
                free.signal()
                if batch.isEmpty { break }
                for event in batch { writer.write(event) }
            }
            writer.close()
            finished.signal()
        }
        thread.name = "vigil-writer"
        thread.start()
    }

    public func emit(_ event: Event) {
        let full: [Event]? = pending.withLock { batch in
            if batch.isEmpty { batch.reserveCapacity(Self.batchSize) }
            batch.append(event)
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

    private func push(_ batch: [Event]) {
        free.wait()
        queue.withLock { $0.append(batch) }
        ready.signal()
    }
}

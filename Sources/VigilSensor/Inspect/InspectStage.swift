import Synchronization
import VigilCore
import VigilInspect

/// The pipeline's one Inspect step (DESIGN §1: decode → inspect → ship): every event passes
/// through it before it is written, spooled or shipped, so no detected raw value leaves the process.
/// Shared by the capture's writer thread and the log thread; it counts what it found for the
/// summary and metrics (the lock is taken only for events with findings).
public final class InspectStage: Sendable {
    public struct Counts: Sendable, Equatable {
        /// Events that carried sensitive data.
        public var events = 0
        /// Values found, by `dlp.types` name.
        public var values: [String: Int] = [:]
        public init() {}
    }

    let inspector: Inspector
    private let counts = Mutex(Counts())

    public init(inspector: Inspector) { self.inspector = inspector }

    public func inspect(_ event: inout Event) {
        inspector.inspect(&event)
        count(event[Fields.dlpCounts])
    }

    /// Counts what an event written field by field carried (its `FieldInspection`'s summary).
    func count(_ summary: [Event.Field]) {
        guard !summary.isEmpty else { return }
        count(summary.first { $0.id == Fields.dlpCounts }?.value)
    }

    private func count(_ dlpCounts: FieldValue?) {
        guard case .object(let byType)? = dlpCounts else { return }
        counts.withLock { c in
            c.events += 1
            for member in byType { c.values[member.key, default: 0] += Int(member.value.intValue ?? 0) }
        }
    }

    public var snapshot: Counts { counts.withLock { $0 } }
}

/// A log sink that runs the pipeline's per-event steps (Inspect, and in `vigil analyze` the rules),
/// then writes the event.
public final class ProcessingLogSink: LogEventSink {
    let writer: EventWriter
    let process: @Sendable (inout Event) -> Void

    public init(writer: EventWriter, process: @escaping @Sendable (inout Event) -> Void) {
        self.writer = writer
        self.process = process
    }

    public func write(_ event: Event) {
        var event = event
        process(&event)
        writer.write(event)
    }

    public func commit() -> Bool { writer.commit() }
}

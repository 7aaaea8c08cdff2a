import VigilCore
import VigilDecode

/// One log to follow: a path or glob, the decoder for its format, and the asset labels its events carry.
public struct LogSource: Sendable {
    /// The format name as the user wrote it (`nginx`, `sshd`, …), for messages and stats.
    public var format: String
    /// A path or shell pattern (`/var/log/nginx/*.log`).
    public var pattern: String
    /// Makes a decoder for one file (each file has its own multi-line state).
    public var makeDecoder: @Sendable (LogContext) -> any LogDecoder
    /// Fields added to every event of this source (labels.department, data.classification …).
    public var labels: [Event.Field]

    public init(
        format: String, pattern: String, labels: [Event.Field] = [],
        makeDecoder: @escaping @Sendable (LogContext) -> any LogDecoder
    ) {
        self.format = format
        self.pattern = pattern
        self.labels = labels
        self.makeDecoder = makeDecoder
    }

    /// The files the pattern matches now.
    public var matchingFiles: [String] { LogFS.expand(pattern) }
}

/// Where a tailer's events go. `commit` makes every event written so far durable (or at least
/// handed to the next stage's durable store); only then are offsets checkpointed, so a crash
/// replays at most what was not committed (at-least-once; event ids make the replay idempotent).
public protocol LogEventSink: AnyObject {
    func write(_ event: Event)
    /// Returns false when the events could not be made durable (the checkpoint is then not advanced).
    func commit() -> Bool
}

/// Counters of a tailing run.
public struct LogStats: Sendable, Equatable {
    public var files = 0
    public var lines = 0
    public var bytes: UInt64 = 0
    public var events = 0
    public var unparsed = 0
    public var oversized = 0
    public var truncations = 0
    public var rotations = 0
    public var readErrors = 0
    public var eventsByDataset: [String: Int] = [:]
    public init() {}
}

/// The outcome of reading or following logs.
public struct LogRunSummary: Sendable {
    public var sources: [String]
    public var stats: LogStats
    public var elapsedSeconds: Double

    public init(sources: [String], stats: LogStats, elapsedSeconds: Double) {
        self.sources = sources
        self.stats = stats
        self.elapsedSeconds = elapsedSeconds
    }
}

import VigilCore

/// One decoded log entry: what the line(s) said, as ECS fields, ready for the pipeline to give it an
/// id (from the file identity and `offset`) and an observer.
///
/// Decoders make no judgement (CONVENTIONS 1): a failed login is `event.outcome: failure`, not an
/// alert. A line a decoder cannot read becomes a `log.unparsed` record carrying the raw line in
/// `event.original` and the reason in `error.message`, so nothing is dropped silently.
public struct LogRecord: Sendable, Equatable {
    /// Event time from the line itself; nil when the line has none (the pipeline uses read time).
    public var timestamp: Timestamp?
    public var dataset: Dataset
    /// Byte offset, in its file, of the first line this record came from.
    public var offset: UInt64
    /// ECS fields in a stable order (golden tests diff them).
    public var fields: [Event.Field]

    public init(timestamp: Timestamp?, dataset: Dataset, offset: UInt64, fields: [Event.Field] = []) {
        self.timestamp = timestamp
        self.dataset = dataset
        self.offset = offset
        self.fields = fields
    }

    public mutating func set(_ id: FieldID, _ value: FieldValue?) {
        guard let value else { return }
        fields.append(Event.Field(id: id, value: value))
    }

    public mutating func set(_ id: FieldID, _ value: String?) { set(id, value.map(FieldValue.string)) }

    public var isUnparsed: Bool { dataset == .logUnparsed }
}

/// What a decoder needs to know that the line does not say.
public struct LogContext: Sendable, Equatable {
    /// Year-less syslog times take their year from this instant (file mtime or now), stepping back a
    /// year when the month is ahead of it (December lines read in January).
    public var referenceTime: Timestamp
    /// Seconds east of UTC for times written without a zone (syslog RFC 3164, MySQL general log).
    public var utcOffsetSeconds: Int

    public init(referenceTime: Timestamp, utcOffsetSeconds: Int = 0) {
        self.referenceTime = referenceTime
        self.utcOffsetSeconds = utcOffsetSeconds
    }
}

/// A log-format decoder. One per format, same shape (CONVENTIONS 4). Stateful because some formats
/// span lines (a PostgreSQL statement continued on the next lines, a CSV field with newlines, auditd
/// records joined by serial): a record is returned when it is known to be complete.
public protocol LogDecoder: Sendable {
    /// Decodes one line, without its line terminator, that starts at byte `offset` of its file.
    /// Appends the records this line completes (zero, one, or more).
    mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord])

    /// Appends every record still held (end of input, or the file went idle).
    mutating func flush(into records: inout [LogRecord])

    /// Offset of the first line of the oldest record still held (a statement waiting for its
    /// continuation lines), or nil when nothing is held. A tailer never checkpoints past it, so a
    /// restart re-reads the held lines instead of losing them.
    var heldOffset: UInt64? { get }
}

extension LogDecoder {
    /// Single-line formats hold nothing.
    public var heldOffset: UInt64? { nil }
}

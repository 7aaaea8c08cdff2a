import VigilCore

/// Decodes PostgreSQL server logs into `db.statement` records: the stderr format behind a
/// `log_line_prefix`, or `csvlog`.
///
/// stderr: the prefix is compiled once (escapes `%m %t %s %n %p %u %d %a %h %r %l %c %x %e %v %i %b %Q
/// %q %%`, optional padding such as `%-10u`); after it comes `LEVEL:  message`. A line starting with a
/// TAB continues the previous message (a multi-line statement); `STATEMENT:` attaches the statement to
/// the preceding `ERROR`; `DETAIL:`, `HINT:`, `CONTEXT:` lines are consumed. A record is therefore
/// complete only when the next message starts, or at `flush`.
///
/// csvlog: one record per CSV row of 23 to 26 columns (PostgreSQL 12 to 16); quoted fields may contain
/// doubled quotes and newlines, so a row may span physical lines. Rows are accumulated up to
/// `maxRecordBytes`; a longer row becomes one `log.unparsed` record and the rest of it is skipped.
///
/// Time zones: numeric zones and `UTC`/`GMT` are honoured; other abbreviations (`CET`) are ambiguous
/// and the time is read at `LogContext.utcOffsetSeconds`. The statement is capped at 64 KiB.
public struct PostgresLogDecoder: LogDecoder {
    enum Mode: Sendable {
        case stderr(Prefix)
        case csv
    }

    let mode: Mode
    public var context: LogContext
    public let maxRecordBytes: Int
    var entry: Entry?
    var csv = CSVState()

    /// A decoder for the stderr format with `log_line_prefix` `prefix` (PostgreSQL's default is
    /// `%m [%p] `). Throws for an empty prefix or an unsupported escape.
    public init(prefix: String = "%m [%p] ", context: LogContext) throws(LogFormatError) {
        mode = .stderr(try Prefix(prefix))
        self.context = context
        maxRecordBytes = 1 << 20
    }

    private init(csvContext context: LogContext, maxRecordBytes: Int) {
        mode = .csv
        self.context = context
        self.maxRecordBytes = max(1024, maxRecordBytes)
    }

    /// A decoder for `log_destination = 'csvlog'` files.
    public static func csvlog(context: LogContext, maxRecordBytes: Int = 1 << 20) -> PostgresLogDecoder {
        PostgresLogDecoder(csvContext: context, maxRecordBytes: maxRecordBytes)
    }

    /// The held statement (waiting for continuation lines) or the CSV row still being read.
    public var heldOffset: UInt64? {
        switch mode {
        case .stderr: entry?.offset
        case .csv: csv.active ? csv.offset : nil
        }
    }

    static let format: StaticString = "postgresql"
    static let csvFormat: StaticString = "postgresql.csv"

    public mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        switch mode {
        case .stderr(let prefix): stderrLine(line, offset: offset, prefix: prefix, into: &records)
        case .csv: csvLine(line, offset: offset, into: &records)
        }
    }

    public mutating func flush(into records: inout [LogRecord]) {
        if let entry { records.append(entry.record()) }
        entry = nil
        if csv.active {
            if !csv.discarding {
                records.append(
                    .unparsed(csv.buffer, offset: csv.offset, format: Self.csvFormat, reason: "unterminated csv record")
                )
            }
            csv.reset()
        }
    }

    mutating func stderrLine(
        _ p: UnsafeRawBufferPointer, offset: UInt64, prefix: Prefix, into records: inout [LogRecord]
    ) {
        if p.count > 0, p[0] == LogBytes.tab {
            if entry != nil {
                entry!.appendContinuation(UnsafeRawBufferPointer(rebasing: p[1...]))
            } else {
                records.append(
                    .unparsed(p, offset: offset, format: Self.format, reason: "continuation line without a message"))
            }
            return
        }
        guard let (values, level) = Self.matchPrefix(prefix, p, context: context) else {
            if let entry { records.append(entry.record()) }
            entry = nil
            records.append(
                .unparsed(p, offset: offset, format: Self.format, reason: "line does not match log_line_prefix"))
            return
        }
        let textStart = min(level.end + 3, p.count)
        let text = UnsafeRawBufferPointer(rebasing: p[textStart...])
        let severity = Severity(p, level)
        let samePID = entry != nil && (values.pid == nil || entry!.pid == nil || values.pid == entry!.pid)
        if severity == .statement, samePID {
            var s: [UInt8] = []
            var truncated = false
            Entry.append(text, to: &s, truncated: &truncated)
            entry!.statement = s
            entry!.continuation = 1
            return
        }
        if severity == .secondary, samePID {
            entry!.continuation = 2
            return
        }
        if let entry { records.append(entry.record()) }
        var e = Entry(
            offset: offset, time: values.time, pid: values.pid, user: values.user, database: values.database,
            application: values.application, host: Self.clientHost(values.host), port: values.port,
            session: values.session, level: LogBytes.string(p, level.start, level.end))
        if severity == .statement {
            e.statement = []
            Entry.append(text, to: &e.statement!, truncated: &e.truncated)
            e.continuation = 1
        } else {
            Entry.append(text, to: &e.message, truncated: &e.truncated)
        }
        entry = e
    }

    /// `[local]` (a Unix socket) is no client address.
    static func clientHost(_ host: String?) -> String? {
        host == "[local]" ? nil : host
    }
}

import VigilCore

/// Decodes the MySQL / MariaDB general query log into `db.statement` records.
///
/// Entry lines: MySQL 8 `2026-11-23T17:03:01.123456Z<TAB>   12 Query<TAB>SELECT 1` (`Z`, or a numeric
/// offset with `log_timestamps=SYSTEM`) and MariaDB / MySQL 5 `261123 17:03:01<TAB>   12 Query<TAB>...`,
/// whose following entries in the same second start with two TABs instead of a time (zone-less times
/// use `LogContext.utcOffsetSeconds`). Any other line continues the previous entry's argument (a
/// multi-line query), so an entry is complete when the next one starts, or at `flush`. The server's
/// start-up banner (`... Version: ...`, `Tcp port: ...`, `Time Id Command Argument`) is skipped.
///
/// The user, client host and database of each thread are tracked from `Connect`, `Change user`,
/// `Init DB` and `USE db` (at most `maxSessions` threads; the state of a thread whose `Connect` was
/// not seen is unknown). `event.action` is the command in snake case: `connect`, `query`, `execute`,
/// `prepare`, `init_db`, `change_user`, `quit`, ...; a `Connect` that was refused (`Access denied for
/// user ...`) has `event.outcome: failure`.
public struct MySQLGeneralLogDecoder: LogDecoder {
    public var context: LogContext

    /// The query waiting for its continuation lines.
    public var heldOffset: UInt64? { pending?.offset }
    public let maxSessions: Int

    struct Session: Sendable {
        var user: String?
        var host: String?
        var database: String?
    }

    struct Pending: Sendable {
        var offset: UInt64
        var time: Timestamp?
        var thread: Int64
        var command: String
        var argument: [UInt8]
        var truncated = false
    }

    var sessions: [Int64: Session] = [:]
    var pending: Pending?
    /// The time of the last entry that had one (MariaDB omits repeated times).
    var lastTime: Timestamp?

    public init(context: LogContext, maxSessions: Int = 10_000) {
        self.context = context
        self.maxSessions = max(1, maxSessions)
    }

    static let format: StaticString = "mysql.general"
    static let maxStatement = 65_536

    public mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        if let entry = entryLine(line) {
            complete(into: &records)
            if let t = entry.time { lastTime = t }
            var arg: [UInt8] = []
            let argBytes = UnsafeRawBufferPointer(rebasing: line[entry.argument...])
            arg.append(contentsOf: argBytes.prefix(Self.maxStatement))
            pending = Pending(
                offset: offset, time: entry.time ?? lastTime, thread: entry.thread,
                command: LogBytes.string(line, entry.command.start, entry.command.end), argument: arg,
                truncated: argBytes.count > Self.maxStatement)
            return
        }
        if isBanner(line) {
            complete(into: &records)
            return
        }
        if pending != nil {
            if pending!.argument.count < Self.maxStatement {
                pending!.argument.append(0x0A)
                let room = Self.maxStatement - pending!.argument.count
                pending!.argument.append(contentsOf: line.prefix(room))
                if line.count > room { pending!.truncated = true }
            } else {
                pending!.truncated = true
            }
            return
        }
        records.append(.unparsed(line, offset: offset, format: Self.format, reason: "not a general log entry"))
    }

    public mutating func flush(into records: inout [LogRecord]) {
        complete(into: &records)
    }

    /// The parts of an entry line: time (nil for MariaDB's repeated-time lines), thread id, command
    /// span and argument start.
    func entryLine(_ p: UnsafeRawBufferPointer) -> (time: Timestamp?, thread: Int64, command: ByteRange, argument: Int)?
    {
        let end = p.count
        var i: Int
        var time: Timestamp?
        let offset = Int64(context.utcOffsetSeconds)
        if let iso = LogTime.iso8601(p, 0, end: end, defaultOffset: offset, allowSpace: false) {
            time = iso.time
            i = iso.end
        } else if end >= 15, let ymd = LogTime.digits(p, 0, 6), p[6] == LogBytes.space {
            let hourStart = p[7] == LogBytes.space ? 8 : 7
            guard let h = LogTime.digits(p, hourStart, 15 - hourStart - 6), p[9] == LogBytes.colon,
                let m = LogTime.digits(p, 10, 2), p[12] == LogBytes.colon, let s = LogTime.digits(p, 13, 2),
                let t = LogTime.timestamp(
                    year: 2000 + ymd / 10_000, month: ymd / 100 % 100, day: ymd % 100, hour: h, minute: m, second: s,
                    utcOffsetSeconds: offset)
            else { return nil }
            time = t
            i = 15
        } else if end > 2, p[0] == LogBytes.tab, p[1] == LogBytes.tab {
            i = 1
        } else {
            return nil
        }
        guard i < end, p[i] == LogBytes.tab else { return nil }
        i = LogBytes.skipSpaces(p, i + 1, end)
        let idStart = i
        while i < end, LogBytes.isDigit(p[i]) { i += 1 }
        guard i > idStart, i < end, p[i] == LogBytes.space, let thread = LogBytes.int(p, idStart, i) else { return nil }
        let commandStart = i + 1
        let commandEnd = LogBytes.find(LogBytes.tab, p, commandStart, end) ?? end
        guard Self.isCommand(p, commandStart, commandEnd) else { return nil }
        return (time, thread, (commandStart, commandEnd), min(commandEnd + 1, end))
    }

    /// The command names the server writes (`sql/sql_parse.cc` `command_name`).
    static func isCommand(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> Bool {
        guard b > a, b - a <= 24 else { return false }
        for name: StaticString in [
            "Query", "Connect", "Quit", "Init DB", "Execute", "Prepare", "Close stmt", "Reset stmt", "Change user",
            "Field List", "Fetch", "Long Data", "Set option", "Ping", "Statistics", "Processlist", "Kill",
            "Refresh", "Shutdown", "Debug", "Sleep", "Time", "Create DB", "Drop DB", "Delayed insert", "Binlog Dump",
            "Binlog Dump GTID", "Table Dump", "Connect Out", "Register Slave", "Register Replica", "Daemon",
            "Reset Connection", "Clone", "Error", "Com_multi", "Bulk_execute", "Slave_worker", "Slave_IO",
            "Slave_SQL",
        ] where b - a == name.utf8CodeUnitCount && LogBytes.matches(p, a, b, name) {
            return true
        }
        return false
    }

    func isBanner(_ p: UnsafeRawBufferPointer) -> Bool {
        let end = p.count
        if LogBytes.matches(p, 0, end, "Tcp port: ")
            || (LogBytes.matches(p, 0, end, "Time") && LogBytes.find("Id Command", p, 0, end) != nil)
        {
            return true
        }
        // `/usr/sbin/mysqld, Version: ...`; MariaDB 10.11 writes the bare program name (`mariadbd, Version: ...`).
        return end > 0 && LogBytes.find(", Version: ", p, 0, end) != nil
            && LogBytes.find("started with:", p, 0, end) != nil
    }
}

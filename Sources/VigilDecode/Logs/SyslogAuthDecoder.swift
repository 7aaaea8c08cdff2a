import VigilCore

/// Decodes an authentication log (`/var/log/auth.log`, `/var/log/secure`) as rsyslog writes it into
/// `auth` records.
///
/// Headers: RFC 3164 (`Nov 23 17:03:01 host sshd[1234]: ...`, year from `LogContext.referenceTime`,
/// the year before when the month is more than one month ahead of the reference month; zone from
/// `LogContext.utcOffsetSeconds`), RSYSLOG_FileFormat (`2026-11-23T17:03:01.123456+08:00 host ...`) and
/// RFC 5424 (`<38>1 2026-11-23T17:03:01.123Z host sshd 1234 - - msg`), optionally behind a `<PRI>`.
/// A line without a readable header becomes `log.unparsed`; every other line is an `auth` record.
///
/// `event.action` vocabulary (with `event.outcome`):
/// - `ssh_login`: sshd `Accepted METHOD for` (success) or `Failed METHOD for` (failure).
/// - `ssh_invalid_user`: sshd `Invalid user X from IP` (failure).
/// - `ssh_max_auth_tries`: sshd `maximum authentication attempts exceeded` (failure).
/// - `ssh_disconnect_preauth` / `ssh_disconnect`: `Connection closed|reset by`, `Disconnected from`,
///   `Received disconnect from`, before (`[preauth]`) or after authentication (unknown).
/// - `ssh_no_identification`: sshd `Did not receive identification string` (unknown).
/// - `pam_auth_failure`: `pam_unix(SERVICE:auth): authentication failure` and `PAM N more
///   authentication failures`, any program (failure).
/// - `session_opened` / `session_closed`: `pam_unix(SERVICE:session)`, any program (success).
/// - `sudo_command`: sudo's `USER : TTY=... ; COMMAND=...` (success), or with a reason such as
///   `3 incorrect password attempts` or `command not allowed` before the first `;` (failure, reason in
///   `event.reason`).
/// - `su`: `(to root) alice on pts/0` (success), `FAILED SU (to root) ...` (failure).
/// - `other`: any other line, text in `message`, no outcome.
public struct SyslogAuthDecoder: LogDecoder {
    public var context: LogContext

    public init(context: LogContext) {
        self.context = context
    }

    static let format: StaticString = "syslog"

    public mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        guard let header = Self.header(line, context: context) else {
            records.append(.unparsed(line, offset: offset, format: Self.format, reason: "no syslog header"))
            return
        }
        var record = LogRecord(timestamp: header.time, dataset: .auth, offset: offset)
        record.fields.reserveCapacity(14)
        Self.message(line, header, into: &record)
        record.set(Fields.hostHostname, header.host)
        record.set(Fields.processName, header.program)
        record.set(Fields.processPID, header.pid.map(FieldValue.int))
        record.set(Fields.logSyslogPriority, header.priority.map(FieldValue.int))
        records.append(record)
    }

    public mutating func flush(into records: inout [LogRecord]) {}

    /// What the syslog header said, and where the message starts.
    struct Header {
        var time: Timestamp?
        var priority: Int64?
        var host: String?
        var program: String?
        var pid: Int64?
        var messageStart: Int
    }

    static func header(_ p: UnsafeRawBufferPointer, context: LogContext) -> Header? {
        let end = p.count
        var i = 0
        var priority: Int64?
        if end > 0, p[0] == UInt8(ascii: "<") {
            guard let close = LogBytes.find(UInt8(ascii: ">"), p, 1, min(end, 5)),
                let pri = LogBytes.int(p, 1, close), pri <= 191
            else { return nil }
            priority = pri
            i = close + 1
            if i + 1 < end, p[i] == UInt8(ascii: "1"), p[i + 1] == LogBytes.space {
                return rfc5424(p, i + 2, priority: pri, context: context)
            }
        }
        let offset = Int64(context.utcOffsetSeconds)
        let time: Timestamp
        if let iso = LogTime.iso8601(p, i, end: end, defaultOffset: offset, allowSpace: false) {
            time = iso.time
            i = iso.end
        } else if let month = LogTime.month(p, at: i), i + 15 <= end, p[i + 3] == LogBytes.space {
            let dayHigh = p[i + 4] == LogBytes.space ? 0 : LogTime.digits(p, i + 4, 1)
            guard let dayHigh, let dayLow = LogTime.digits(p, i + 5, 1), p[i + 6] == LogBytes.space,
                let h = LogTime.digits(p, i + 7, 2), p[i + 9] == LogBytes.colon,
                let m = LogTime.digits(p, i + 10, 2), p[i + 12] == LogBytes.colon,
                let s = LogTime.digits(p, i + 13, 2)
            else { return nil }
            let year = LogTime.inferYear(month: month, reference: context.referenceTime, utcOffsetSeconds: offset)
            guard
                let t = LogTime.timestamp(
                    year: year, month: month, day: dayHigh * 10 + dayLow, hour: h, minute: m, second: s,
                    utcOffsetSeconds: offset)
            else { return nil }
            time = t
            i += 15
        } else {
            return nil
        }
        guard i < end, p[i] == LogBytes.space else { return nil }
        i += 1
        let hostEnd = LogBytes.tokenEnd(p, i, end)
        guard hostEnd > i else { return nil }
        var header = Header(
            time: time, priority: priority, host: LogBytes.string(p, i, hostEnd), messageStart: min(hostEnd + 1, end))
        tag(p, &header)
        return header
    }

    /// `program[pid]: ` or `program: ` at the message start; without one the whole rest is the message.
    static func tag(_ p: UnsafeRawBufferPointer, _ h: inout Header) {
        let end = p.count
        let start = h.messageStart
        var i = start
        while i < end, i - start < 64 {
            let c = p[i]
            if c == UInt8(ascii: "[") || c == LogBytes.colon || c == LogBytes.space { break }
            i += 1
        }
        guard i > start, i < end else { return }
        if p[i] == UInt8(ascii: "[") {
            guard let close = LogBytes.find(UInt8(ascii: "]"), p, i + 1, min(end, i + 24)), close + 1 < end,
                p[close + 1] == LogBytes.colon
            else { return }
            h.program = LogBytes.string(p, start, i)
            h.pid = LogBytes.int(p, i + 1, close)
            h.messageStart = close + 2
        } else if p[i] == LogBytes.colon {
            h.program = LogBytes.string(p, start, i)
            h.messageStart = i + 1
        } else {
            return
        }
        if h.messageStart < end, p[h.messageStart] == LogBytes.space { h.messageStart += 1 }
    }

    /// `TIMESTAMP HOST APP PROCID MSGID SD MSG` after `<PRI>1 `; `-` is nil.
    static func rfc5424(_ p: UnsafeRawBufferPointer, _ start: Int, priority: Int64, context: LogContext) -> Header? {
        let end = p.count
        var i = start
        func token() -> (Int, Int)? {
            guard i < end else { return nil }
            let a = i
            let b = LogBytes.tokenEnd(p, a, end)
            i = min(b + 1, end)
            return b > a ? (a, b) : nil
        }
        guard let ts = token() else { return nil }
        var time: Timestamp?
        if !(ts.1 - ts.0 == 1 && p[ts.0] == LogBytes.dash) {
            guard let t = LogTime.iso8601(p, ts.0, end: ts.1, defaultOffset: Int64(context.utcOffsetSeconds)),
                t.end == ts.1
            else { return nil }
            time = t.time
        }
        guard let host = token(), let app = token(), let procid = token(), token() != nil else { return nil }
        // Structured data: `-` or one or more `[id k="v"]` elements (`\]` escapes inside values).
        if i < end, p[i] == UInt8(ascii: "[") {
            while i < end, p[i] == UInt8(ascii: "[") {
                i += 1
                while i < end, p[i] != UInt8(ascii: "]") { i += p[i] == LogBytes.backslash ? 2 : 1 }
                i = min(i + 1, end)
            }
        } else if i < end, p[i] == LogBytes.dash {
            i += 1
        } else if i < end {
            return nil
        }
        // rsyslog's RSYSLOG_SyslogProtocol23Format keeps the leading space of a message received as
        // RFC 3164 (`- -  Failed password …`): skip every space, not just the separator.
        while i < end, p[i] == LogBytes.space { i += 1 }
        if LogBytes.matches(p, i, end, "\u{FEFF}") { i += 3 }
        return Header(
            time: time, priority: priority, host: LogBytes.value(p, host.0, host.1),
            program: LogBytes.value(p, app.0, app.1), pid: LogBytes.int(p, procid.0, procid.1), messageStart: i)
    }
}

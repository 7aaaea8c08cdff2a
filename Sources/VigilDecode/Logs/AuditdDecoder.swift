import VigilCore

/// Decodes the Linux audit log (`/var/log/audit/audit.log`, auditd `RAW` or `ENRICHED` format) into
/// `audit` records, joining the records of one event (same `msg=audit(time:serial)`) into one record.
///
/// An event is complete at its `EOE` record; a user-space record (`USER_*`, `CRED_*`, `SERVICE_*`,
/// `DAEMON_*`, `ANOM_*`, `SYSTEM_*`, ...), which the kernel never follows with `EOE`, is complete on its own. An open
/// event is also completed when a record arrives more than `maxHoldSeconds` later than it, when more
/// than `maxOpenEvents` are open (oldest first), and at `flush`. Records of different serials may
/// interleave.
///
/// `event.action`: `executed` for `execve`/`execveat`; otherwise the lowercased type of the event's
/// main record (`user_auth`, `user_login`, `cred_acq`, `config_change`, ...), or `syscall` for a
/// syscall event with nothing but auxiliary records. `event.outcome` from `success=yes|no` or
/// `res=success|failed|1|0`.
///
/// Strings auditd hex-encodes (untrusted `comm`, `exe`, `cwd`, `name`, `acct`, EXECVE arguments,
/// `proctitle`) are decoded; `proctitle`'s NUL separators become spaces. `process.command_line` is the
/// EXECVE arguments joined by spaces, else USER_CMD's `cmd`, else `proctitle`.
public struct AuditdDecoder: LogDecoder {
    public let maxOpenEvents: Int
    public let maxHoldSeconds: Int64
    var open: [Pending] = []

    /// The oldest syscall event still waiting for its EOE.
    public var heldOffset: UInt64? { open.map(\.offset).min() }

    public init(maxOpenEvents: Int = 32, maxHoldSeconds: Int = 2) {
        self.maxOpenEvents = max(1, maxOpenEvents)
        self.maxHoldSeconds = Int64(max(0, maxHoldSeconds))
    }

    static let format: StaticString = "auditd"

    public mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        guard let header = Self.recordHeader(line) else {
            records.append(.unparsed(line, offset: offset, format: Self.format, reason: "not an audit record"))
            return
        }
        // Events that cannot receive more records (too old) are done.
        let horizon = header.time.microseconds - maxHoldSeconds * 1_000_000
        var k = 0
        while k < open.count {
            if open[k].serial != header.serial, open[k].time.microseconds < horizon {
                records.append(open.remove(at: k).record())
            } else {
                k += 1
            }
        }
        let index: Int
        if let found = open.firstIndex(where: { $0.serial == header.serial && $0.time == header.time }) {
            index = found
        } else {
            open.append(Pending(serial: header.serial, time: header.time, offset: offset))
            index = open.count - 1
        }
        open[index].add(line, header)
        let type = header.type
        let standalone = open[index].types.count == 1 && Self.isStandalone(line, type)
        if standalone || LogBytes.matches(line, type.start, type.end, "EOE") && type.end - type.start == 3 {
            records.append(open.remove(at: index).record())
        }
        while open.count > maxOpenEvents { records.append(open.removeFirst().record()) }
    }

    public mutating func flush(into records: inout [LogRecord]) {
        for pending in open { records.append(pending.record()) }
        open.removeAll()
    }

    /// User-space record types: written by one process in one line, never followed by `EOE`.
    static func isStandalone(_ p: UnsafeRawBufferPointer, _ type: (start: Int, end: Int)) -> Bool {
        for prefix: StaticString in [
            "USER_", "CRED_", "SERVICE_", "DAEMON_", "ANOM_", "ACCT_", "GRP_", "ADD_", "DEL_", "CHUSER_", "CHGRP_",
            "SYSTEM_", "ROLE_", "USYS_", "SOFTWARE_UPDATE", "TRUSTED_APP",
        ]
        where LogBytes.matches(p, type.start, type.end, prefix) { return true }
        return false
    }
}

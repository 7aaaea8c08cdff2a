import VigilCore

extension PostgresLogDecoder {
    /// One server message with the lines attached to it (continuations, `STATEMENT:`), until complete.
    struct Entry: Sendable {
        var offset: UInt64
        var time: Timestamp?
        var pid: Int64?
        var user: String?
        var database: String?
        var application: String?
        var host: String?
        var port: Int64?
        var session: String?
        var level: String
        var sqlState: String?
        var message: [UInt8] = []
        var statement: [UInt8]?
        /// Where a continuation line goes: 0 message, 1 statement, 2 a line Vigil does not keep.
        var continuation = 0
        var truncated = false

        /// Statement and message text kept per record.
        static let maxText = 65_536

        static func append(_ bytes: UnsafeRawBufferPointer, to text: inout [UInt8], truncated: inout Bool) {
            let room = maxText - text.count
            guard room > 0 else {
                truncated = true
                return
            }
            text.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<min(room, bytes.count)]))
            if bytes.count > room { truncated = true }
        }

        mutating func appendContinuation(_ bytes: UnsafeRawBufferPointer) {
            switch continuation {
            case 0:
                if message.count < Self.maxText { message.append(0x0A) }
                Self.append(bytes, to: &message, truncated: &truncated)
            case 1:
                var s = statement ?? []
                if s.count < Self.maxText { s.append(0x0A) }
                Self.append(bytes, to: &s, truncated: &truncated)
                statement = s
            default: break
            }
        }
    }
}

extension PostgresLogDecoder.Entry {
    static let categoryDatabase = FieldValue.list([.string("database")])
    static let typeAccess = FieldValue.list([.string("access")])

    /// The `db.statement` record. `event.action` is one of `statement`, `execute`, `parse`, `bind`,
    /// `duration`, `connection_received`, `connection_authorized`, `disconnection`, `auth_failure`,
    /// `error`, `log`.
    func record() -> LogRecord {
        var r = LogRecord(timestamp: time, dataset: .dbStatement, offset: offset)
        r.fields.reserveCapacity(20)
        message.withUnsafeBytes { m in fill(m, into: &r) }
        return r
    }

    private func fill(_ m: UnsafeRawBufferPointer, into r: inout LogRecord) {
        let end = m.count
        var i = 0
        var durationNanos: Int64?
        var action = "log"
        var statementText: ByteRange?
        var failure = level == "ERROR" || level == "FATAL" || level == "PANIC"
        var isStatement = false
        var sessionUser: String?
        var sessionDB: String?
        var sessionHost: String?
        var sessionPort: Int64?
        if LogBytes.matches(m, 0, end, "duration: ") {
            var k = 10
            while k < end, LogBytes.isDigit(m[k]) || m[k] == UInt8(ascii: ".") { k += 1 }
            if let ms = LogBytes.decimal(m, 10, k), LogBytes.matches(m, k, end, " ms") {
                durationNanos = Int64((ms * 1_000_000).rounded())
                action = "duration"
                i = LogBytes.skipSpaces(m, k + 3, end)
            }
        }
        for (verb, name): (StaticString, String) in [
            ("statement: ", "statement"), ("execute ", "execute"), ("parse ", "parse"), ("bind ", "bind"),
        ] where LogBytes.matches(m, i, end, verb) {
            let textStart: Int
            if name == "statement" {
                textStart = i + 11
            } else if let colon = LogBytes.find(": ", m, i, min(end, i + 128)) {
                textStart = colon + 2
            } else {
                break
            }
            action = name
            statementText = (textStart, end)
            isStatement = true
            break
        }
        if !isStatement {
            if LogBytes.matches(m, 0, end, "connection received: ") {
                action = "connection_received"
                (sessionHost, sessionPort) = (
                    Self.keyValue(m, "host=", 21), Self.keyValue(m, "port=", 21).flatMap { Int64($0) }
                )
            } else if LogBytes.matches(m, 0, end, "connection authorized: ") {
                action = "connection_authorized"
                (sessionUser, sessionDB) = (Self.keyValue(m, "user=", 23), Self.keyValue(m, "database=", 23))
            } else if LogBytes.matches(m, 0, end, "disconnection: ") {
                action = "disconnection"
                (sessionUser, sessionDB) = (Self.keyValue(m, "user=", 15), Self.keyValue(m, "database=", 15))
                (sessionHost, sessionPort) = (
                    Self.keyValue(m, "host=", 15), Self.keyValue(m, "port=", 15).flatMap { Int64($0) }
                )
            } else if level == "FATAL",
                LogBytes.find(" authentication failed for user ", m, 0, end) != nil
                    || LogBytes.matches(m, 0, end, "no pg_hba.conf entry for ")
                    || (LogBytes.matches(m, 0, end, "role \"") && LogBytes.find("\" does not exist", m, 0, end) != nil)
            {
                action = "auth_failure"
                failure = true
            } else if failure {
                action = "error"
            }
        }
        r.set(Fields.eventAction, action)
        if failure {
            r.set(Fields.eventOutcome, "failure")
        } else if isStatement {
            r.set(Fields.eventOutcome, "success")
        }
        r.set(Fields.eventCategory, Self.categoryDatabase)
        if isStatement || statement != nil { r.set(Fields.eventType, Self.typeAccess) }
        r.set(Fields.userName, user ?? sessionUser)
        r.set(Fields.dbName, database ?? sessionDB)
        // `[local]` is a Unix-socket connection: no client address at all.
        if let host = host ?? sessionHost, host != "[local]" {
            if let ip = IPAddress(host) { r.set(Fields.sourceIP, .ip(ip)) } else { r.set(Fields.sourceAddress, host) }
        }
        r.set(Fields.sourcePort, (port ?? sessionPort).map(FieldValue.int))
        r.set(Fields.processPID, pid.map(FieldValue.int))
        r.set(Fields.dbSession, session)
        r.set(Fields.dbApplication, application)
        r.set(Fields.logLevel, level)
        r.set(Fields.eventDuration, durationNanos.map(FieldValue.int))
        var text: String?
        if let statementText {
            text = LogBytes.string(m, statementText.start, statementText.end)
        } else if let statement {
            text = String(decoding: statement, as: UTF8.self)
        }
        if let text {
            r.set(Fields.dbStatement, text)
            r.set(Fields.dbStatementClass, StatementClass(text).rawValue)
        }
        if let sqlState, sqlState != "00000" { r.set(Fields.errorCode, sqlState) }
        if failure {
            r.set(Fields.errorMessage, LogBytes.string(m, 0, end))
        } else if !isStatement, action != "duration" || i < end {
            r.set(Fields.message, LogBytes.string(m, 0, end))
        }
    }

    /// The value after `key` (up to the next space) in the message, searching from `from`.
    static func keyValue(_ m: UnsafeRawBufferPointer, _ key: StaticString, _ from: Int) -> String? {
        var i = from
        while let k = LogBytes.find(key, m, i, m.count) {
            if k == 0 || m[k - 1] == LogBytes.space {
                let a = k + key.utf8CodeUnitCount
                return LogBytes.value(m, a, LogBytes.tokenEnd(m, a, m.count))
            }
            i = k + 1
        }
        return nil
    }
}

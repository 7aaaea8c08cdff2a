import VigilCore

extension MySQLGeneralLogDecoder {
    static let categoryDatabase = FieldValue.list([.string("database")])
    static let typeAccess = FieldValue.list([.string("access")])

    /// Emits the pending entry, updating the thread's session state first.
    mutating func complete(into records: inout [LogRecord]) {
        guard let e = pending else { return }
        pending = nil
        // A trailing newline-less TAB or CR is formatting, not part of the argument.
        var arg = e.argument
        while let last = arg.last, last == LogBytes.tab || last == 0x0D || last == LogBytes.space { arg.removeLast() }
        var session = sessions[e.thread] ?? Session()
        var failure = false
        var isStatement = false
        switch e.command {
        case "Connect", "Change user":
            let parsed = arg.withUnsafeBytes { Self.connect($0) }
            failure = parsed.denied
            session = Session(user: parsed.user, host: parsed.host, database: parsed.database)
        case "Init DB":
            session.database = arg.isEmpty ? nil : String(decoding: arg, as: UTF8.self)
        case "Query", "Execute", "Prepare":
            isStatement = true
            if let db = arg.withUnsafeBytes({ Self.useDatabase($0) }) { session.database = db }
        default: break
        }
        var r = LogRecord(timestamp: e.time, dataset: .dbStatement, offset: e.offset)
        r.fields.reserveCapacity(14)
        r.set(Fields.eventAction, Self.action(e.command))
        if e.command == "Connect" || e.command == "Change user" {
            r.set(Fields.eventOutcome, failure ? "failure" : "success")
        }
        r.set(Fields.eventCategory, Self.categoryDatabase)
        if isStatement { r.set(Fields.eventType, Self.typeAccess) }
        r.set(Fields.userName, session.user)
        r.set(Fields.dbName, session.database)
        if let host = session.host {
            if let ip = IPAddress(host) { r.set(Fields.sourceIP, .ip(ip)) } else { r.set(Fields.sourceAddress, host) }
        }
        r.set(Fields.dbSession, String(e.thread))
        if isStatement, !arg.isEmpty {
            let text = String(decoding: arg, as: UTF8.self)
            r.set(Fields.dbStatement, text)
            r.set(Fields.dbStatementClass, StatementClass(text).rawValue)
        } else if !arg.isEmpty, !failure {
            r.set(Fields.message, String(decoding: arg, as: UTF8.self))
        }
        if failure { r.set(Fields.errorMessage, String(decoding: arg, as: UTF8.self)) }
        records.append(r)
        if e.command == "Quit" || failure {
            sessions[e.thread] = nil
        } else if session.user != nil || session.host != nil || session.database != nil {
            if sessions[e.thread] == nil, sessions.count >= maxSessions { sessions.remove(at: sessions.startIndex) }
            sessions[e.thread] = session
        }
    }

    /// `Init DB` → `init_db`.
    static func action(_ command: String) -> String {
        switch command {
        case "Query": "query"
        case "Connect": "connect"
        case "Quit": "quit"
        case "Execute": "execute"
        case "Prepare": "prepare"
        default: String(command.lowercased().map { $0 == " " ? "_" : $0 })
        }
    }

    /// `alice@10.0.0.5 on appdb using TCP/IP`, MariaDB `alice@localhost as anonymous on appdb`, or
    /// `Access denied for user 'alice'@'10.0.0.5' (using password: YES)`.
    static func connect(_ p: UnsafeRawBufferPointer) -> (user: String?, host: String?, database: String?, denied: Bool)
    {
        let end = p.count
        if LogBytes.matches(p, 0, end, "Access denied for user '") {
            let u = 24
            guard let close = LogBytes.find("'@'", p, u, end) else { return (nil, nil, nil, true) }
            let h = close + 3
            let hostEnd = LogBytes.find(UInt8(ascii: "'"), p, h, end) ?? end
            return (LogBytes.value(p, u, close), LogBytes.value(p, h, hostEnd), nil, true)
        }
        let tokenEnd = LogBytes.tokenEnd(p, 0, end)
        guard let at = LogBytes.find(UInt8(ascii: "@"), p, 0, tokenEnd) else { return (nil, nil, nil, false) }
        var database: String?
        if let on = LogBytes.find(" on ", p, tokenEnd, end) {
            let d = on + 4
            database = LogBytes.value(p, d, LogBytes.tokenEnd(p, d, end))
        }
        return (LogBytes.value(p, 0, at), LogBytes.value(p, at + 1, tokenEnd), database, false)
    }

    /// The database of a `USE db` statement (backquotes removed).
    static func useDatabase(_ p: UnsafeRawBufferPointer) -> String? {
        let end = p.count
        let i = LogBytes.skipSpaces(p, 0, end)
        guard LogBytes.matchesUppercased(p, i, end, "USE"), i + 3 < end, LogBytes.isSpace(p[i + 3]) else { return nil }
        var a = LogBytes.skipSpaces(p, i + 4, end)
        var b = end
        while b > a, p[b - 1] == UInt8(ascii: ";") || LogBytes.isSpace(p[b - 1]) { b -= 1 }
        if b - a >= 2, p[a] == UInt8(ascii: "`"), p[b - 1] == UInt8(ascii: "`") {
            a += 1
            b -= 1
        }
        return LogBytes.value(p, a, b)
    }
}

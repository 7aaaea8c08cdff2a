import VigilCore

extension SyslogAuthDecoder {
    // MARK: - PAM (any program)

    /// `pam_unix(sshd:auth): authentication failure; logname= uid=0 ... rhost=IP  user=root`,
    /// `PAM 2 more authentication failures; ...`, and `pam_unix(SERVICE:session): session opened|closed`.
    static func pam(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, into r: inout LogRecord) -> Bool {
        var text = a
        if LogBytes.matches(p, a, b, "PAM ") {
            guard let semi = LogBytes.find("; ", p, a, b),
                LogBytes.find(" more authentication failure", p, a, semi) != nil
            else { return false }
            pamFailure(p, semi + 2, b, into: &r)
            return true
        }
        guard let close = LogBytes.find("): ", p, a, min(b, a + 64)) else { return false }
        text = close + 3
        if LogBytes.matches(p, text, b, "authentication failure; ") {
            pamFailure(p, text + 24, b, into: &r)
            return true
        }
        if LogBytes.matches(p, text, b, "session opened for user ") {
            let u = text + 24
            let (name, uid, after) = userWithUID(p, u, b)
            event("session_opened", "success", categorySession, typeStart, into: &r)
            r.set(Fields.userName, name.flatMap { LogBytes.value(p, $0.start, $0.end) })
            r.set(Fields.userID, uid.flatMap { LogBytes.value(p, $0.start, $0.end) })
            if LogBytes.matches(p, after, b, " by ") {
                let by = userWithUID(p, after + 4, b)
                r.set(Fields.authByUser, by.name.flatMap { LogBytes.value(p, $0.start, $0.end) })
            }
            return true
        }
        if LogBytes.matches(p, text, b, "session closed for user ") {
            let u = text + 24
            event("session_closed", "success", categorySession, typeEnd, into: &r)
            r.set(Fields.userName, LogBytes.value(p, u, LogBytes.tokenEnd(p, u, b)))
            return true
        }
        return false
    }

    /// `NAME(uid=N)`: the name span (nil when empty), the uid span, and the index after `)`.
    static func userWithUID(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> (
        name: ByteRange?, uid: ByteRange?, after: Int
    ) {
        let end = LogBytes.tokenEnd(p, a, b)
        guard let open = LogBytes.find("(uid=", p, a, end), let close = LogBytes.find(UInt8(ascii: ")"), p, open, end)
        else { return (end > a ? (a, end) : nil, nil, end) }
        return (open > a ? (a, open) : nil, (open + 5, close), close + 1)
    }

    /// The `key=value` list after `authentication failure; `: `user=` (to the end, it may be empty) is
    /// the account, `rhost=` the client, `tty=` the terminal.
    static func pamFailure(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, into r: inout LogRecord) {
        event("pam_auth_failure", "failure", categoryAuthentication, typeInfo, into: &r)
        var user: ByteRange?
        var rhost: ByteRange?
        var tty: ByteRange?
        var i = a
        while i < b {
            i = LogBytes.skipSpaces(p, i, b)
            guard let eq = LogBytes.find(UInt8(ascii: "="), p, i, LogBytes.tokenEnd(p, i, b)) else {
                i = LogBytes.tokenEnd(p, i, b)
                continue
            }
            let valueEnd = LogBytes.tokenEnd(p, eq + 1, b)
            switch eq - i {
            case 4 where LogBytes.matches(p, i, eq, "user"): user = (eq + 1, valueEnd)
            case 5 where LogBytes.matches(p, i, eq, "rhost"): rhost = (eq + 1, valueEnd)
            case 3 where LogBytes.matches(p, i, eq, "tty"): tty = (eq + 1, valueEnd)
            default: break
            }
            i = valueEnd
        }
        if let user { r.set(Fields.userName, LogBytes.value(p, user.start, user.end)) }
        if let rhost { setSource(p, rhost, into: &r) }
        if let tty { r.set(Fields.authTTY, LogBytes.value(p, tty.start, tty.end)) }
    }

    // MARK: - sudo

    /// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id`, optionally with a
    /// failure reason before the first `;` (`3 incorrect password attempts`, `command not allowed`).
    static func sudo(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, into r: inout LogRecord) -> Bool {
        let userStart = LogBytes.skipSpaces(p, a, b)
        guard let sep = LogBytes.find(" : ", p, userStart, b), sep > userStart else { return false }
        var i = sep + 3
        var reason: ByteRange?
        if !isSudoKey(p, i, b) {
            guard let semi = LogBytes.find(" ; ", p, i, b) else { return false }
            reason = (i, semi)
            i = semi + 3
        }
        var tty: ByteRange?
        var pwd: ByteRange?
        var target: ByteRange?
        var command: ByteRange?
        while i < b {
            if LogBytes.matches(p, i, b, "COMMAND=") {
                command = (i + 8, b)
                break
            }
            let next = LogBytes.find(" ; ", p, i, b) ?? b
            if LogBytes.matches(p, i, next, "TTY=") {
                tty = (i + 4, next)
            } else if LogBytes.matches(p, i, next, "PWD=") {
                pwd = (i + 4, next)
            } else if LogBytes.matches(p, i, next, "USER=") {
                target = (i + 5, next)
            }
            i = next + 3
        }
        guard command != nil || reason != nil else { return false }
        event("sudo_command", reason == nil ? "success" : "failure", categoryProcess, typeStart, into: &r)
        r.set(Fields.userName, LogBytes.string(p, userStart, sep))
        if let target { r.set(Fields.userEffectiveName, LogBytes.value(p, target.start, target.end)) }
        if let command { r.set(Fields.processCommandLine, LogBytes.value(p, command.start, command.end)) }
        if let tty, !LogBytes.matches(p, tty.start, tty.end, "unknown") {
            r.set(Fields.authTTY, LogBytes.value(p, tty.start, tty.end))
        }
        if let pwd { r.set(Fields.sudoPWD, LogBytes.value(p, pwd.start, pwd.end)) }
        if let reason { r.set(Fields.eventReason, LogBytes.value(p, reason.start, reason.end)) }
        return true
    }

    static func isSudoKey(_ p: UnsafeRawBufferPointer, _ i: Int, _ b: Int) -> Bool {
        for key: StaticString in ["TTY=", "HOST=", "PWD=", "USER=", "GROUP=", "ENV=", "TSID=", "COMMAND="]
        where LogBytes.matches(p, i, b, key) { return true }
        return false
    }

    // MARK: - su

    /// util-linux su: `(to root) alice on pts/0`, `FAILED SU (to root) alice on pts/0`.
    static func su(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, into r: inout LogRecord) -> Bool {
        let failed = LogBytes.matches(p, a, b, "FAILED SU ")
        let open = failed ? a + 10 : a
        guard LogBytes.matches(p, open, b, "(to "), let close = LogBytes.find(") ", p, open + 4, b) else {
            return false
        }
        let userStart = close + 2
        let on = LogBytes.find(" on ", p, userStart, b)
        event("su", failed ? "failure" : "success", categoryAuthentication, typeInfo, into: &r)
        r.set(Fields.userName, LogBytes.value(p, userStart, on ?? b))
        r.set(Fields.userEffectiveName, LogBytes.value(p, open + 4, close))
        if let on { r.set(Fields.authTTY, LogBytes.value(p, on + 4, b)) }
        return true
    }
}

import VigilCore

extension SyslogAuthDecoder {
    static let categoryAuthentication = FieldValue.list([.string("authentication")])
    static let categorySession = FieldValue.list([.string("session")])
    static let categoryProcess = FieldValue.list([.string("process")])
    static let categoryNetwork = FieldValue.list([.string("network")])
    static let typeInfo = FieldValue.list([.string("info")])
    static let typeStart = FieldValue.list([.string("start")])
    static let typeEnd = FieldValue.list([.string("end")])
    static let typeConnection = FieldValue.list([.string("connection")])
    static let typeConnectionEnd = FieldValue.list([.string("connection"), .string("end")])

    /// Fills the message fields; anything unrecognised is `event.action: other`. Every record keeps
    /// the message text in `message` too: Sigma's sshd rules are keyword lists over the message.
    static func message(_ p: UnsafeRawBufferPointer, _ h: Header, into r: inout LogRecord) {
        var a = h.messageStart
        var b = p.count
        // rsyslog's duplicate suppression: `message repeated 3 times: [ Failed password for ...]`.
        if LogBytes.matches(p, a, b, "message repeated "), let open = LogBytes.find("[ ", p, a, b), b > open + 2,
            p[b - 1] == UInt8(ascii: "]")
        {
            a = open + 2
            b -= 1
        }
        var handled = false
        if LogBytes.matches(p, a, b, "pam_") || LogBytes.matches(p, a, b, "PAM ") {
            handled = pam(p, a, b, into: &r)
        } else if let program = h.program {
            switch program {
            case "sshd", "sshd-session", "sshd-auth": handled = sshd(p, a, b, into: &r)
            case "sudo": handled = sudo(p, a, b, into: &r)
            case "su": handled = su(p, a, b, into: &r)
            default: break
            }
        }
        if !handled { r.set(Fields.eventAction, "other") }
        r.set(Fields.message, LogBytes.string(p, a, b))
    }

    static func event(
        _ action: String, _ outcome: String?, _ category: FieldValue, _ type: FieldValue, into r: inout LogRecord
    ) {
        r.set(Fields.eventAction, action)
        r.set(Fields.eventOutcome, outcome)
        r.set(Fields.eventCategory, category)
        r.set(Fields.eventType, type)
    }

    /// ` from IP port N` searched from the right (user names are attacker-chosen and may contain
    /// ` from `): the index of ` from `, the IP span, the port, and the index after the port digits.
    static func fromIPPort(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> (
        from: Int, ip: ByteRange, port: Int64?, after: Int
    )? {
        guard let port = lastFind(" port ", p, a, b), let from = lastFind(" from ", p, a, port) else { return nil }
        let digitsStart = port + 6
        var digitsEnd = digitsStart
        while digitsEnd < b, LogBytes.isDigit(p[digitsEnd]) { digitsEnd += 1 }
        return (from, (from + 6, port), LogBytes.int(p, digitsStart, digitsEnd), digitsEnd)
    }

    /// Last index where `literal` starts inside `[a, b)`.
    static func lastFind(_ literal: StaticString, _ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> Int? {
        var i = b - literal.utf8CodeUnitCount
        while i >= a {
            if LogBytes.matches(p, i, b, literal) { return i }
            i -= 1
        }
        return nil
    }

    static func setSource(_ p: UnsafeRawBufferPointer, _ ip: ByteRange, into r: inout LogRecord) {
        guard ip.end > ip.start else { return }
        if let addr = LogBytes.ip(p, ip.start, ip.end) {
            r.set(Fields.sourceIP, .ip(addr))
        } else if let name = LogBytes.value(p, ip.start, ip.end) {
            r.set(Fields.sourceAddress, name)
        }
    }

    // MARK: - sshd

    static func sshd(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, into r: inout LogRecord) -> Bool {
        let preauth = LogBytes.matches(p, b - 10, b, " [preauth]")
        let body = preauth ? b - 10 : b
        if LogBytes.matches(p, a, b, "Accepted ") || LogBytes.matches(p, a, b, "Failed ") {
            let success = p[a] == UInt8(ascii: "A")
            let methodStart = a + (success ? 9 : 7)
            let methodEnd = LogBytes.tokenEnd(p, methodStart, body)
            guard LogBytes.matches(p, methodEnd, body, " for ") else { return false }
            return login(
                p, methodEnd + 5, body, action: "ssh_login", outcome: success ? "success" : "failure",
                method: (methodStart, methodEnd), into: &r)
        }
        if LogBytes.matches(p, a, b, "error: maximum authentication attempts exceeded for ") {
            return login(p, a + 52, body, action: "ssh_max_auth_tries", outcome: "failure", method: nil, into: &r)
        }
        if LogBytes.matches(p, a, b, "Invalid user ") {
            guard let f = fromIPPort(p, a + 13, body) else { return false }
            event("ssh_invalid_user", "failure", categoryAuthentication, typeInfo, into: &r)
            r.set(Fields.userName, LogBytes.value(p, a + 13, f.from))
            setSource(p, f.ip, into: &r)
            r.set(Fields.sourcePort, f.port.map(FieldValue.int))
            return true
        }
        for phrase: StaticString in ["Connection closed by ", "Connection reset by ", "Disconnected from "]
        where LogBytes.matches(p, a, b, phrase) {
            return closed(p, a + phrase.utf8CodeUnitCount, body, preauth: preauth, into: &r)
        }
        if LogBytes.matches(p, a, b, "Received disconnect from ") {
            let ipStart = a + 25
            guard let port = LogBytes.find(" port ", p, ipStart, body) else { return false }
            var digitsEnd = port + 6
            while digitsEnd < body, LogBytes.isDigit(p[digitsEnd]) { digitsEnd += 1 }
            event(
                preauth ? "ssh_disconnect_preauth" : "ssh_disconnect", "unknown", categoryNetwork,
                typeConnectionEnd, into: &r)
            setSource(p, (ipStart, port), into: &r)
            r.set(Fields.sourcePort, LogBytes.int(p, port + 6, digitsEnd).map(FieldValue.int))
            // `:11: disconnected by user`: the reason code, then the client's text.
            if digitsEnd < body, p[digitsEnd] == LogBytes.colon,
                let colon = LogBytes.find(LogBytes.colon, p, digitsEnd + 1, body)
            {
                let reason = LogBytes.skipSpaces(p, colon + 1, body)
                r.set(Fields.eventReason, LogBytes.value(p, reason, body))
            }
            return true
        }
        if LogBytes.matches(p, a, b, "Did not receive identification string from ") {
            let ipStart = a + 43
            let port = LogBytes.find(" port ", p, ipStart, body)
            event("ssh_no_identification", "unknown", categoryNetwork, typeConnection, into: &r)
            setSource(p, (ipStart, port ?? LogBytes.tokenEnd(p, ipStart, body)), into: &r)
            if let port { r.set(Fields.sourcePort, LogBytes.int(p, port + 6, body).map(FieldValue.int)) }
            return true
        }
        return false
    }

    /// `[invalid user ]USER from IP port N ssh2[: KEYTYPE FINGERPRINT]` at `u`.
    static func login(
        _ p: UnsafeRawBufferPointer, _ u: Int, _ b: Int, action: String, outcome: String, method: ByteRange?,
        into r: inout LogRecord
    ) -> Bool {
        var userStart = u
        let invalid = LogBytes.matches(p, u, b, "invalid user ")
        if invalid { userStart += 13 }
        guard let f = fromIPPort(p, userStart, b) else { return false }
        event(action, outcome, categoryAuthentication, typeInfo, into: &r)
        r.set(Fields.userName, LogBytes.value(p, userStart, f.from))
        setSource(p, f.ip, into: &r)
        r.set(Fields.sourcePort, f.port.map(FieldValue.int))
        if let method { r.set(Fields.authMethod, LogBytes.string(p, method.start, method.end)) }
        if invalid { r.set(Fields.eventReason, "invalid user") }
        // ` ssh2: ED25519 SHA256:...` after a public-key login.
        if let colon = LogBytes.find(": ", p, f.after, b) {
            let typeStart = colon + 2
            let typeEnd = LogBytes.tokenEnd(p, typeStart, b)
            if typeEnd > typeStart, typeEnd < b {
                r.set(Fields.authKeyType, LogBytes.string(p, typeStart, typeEnd))
                let fp = typeEnd + 1
                r.set(Fields.authKeyFingerprint, LogBytes.value(p, fp, LogBytes.tokenEnd(p, fp, b)))
            }
        }
        return true
    }

    /// `[invalid |authenticating ]user USER IP port N` or `IP port N` at `a`.
    static func closed(
        _ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, preauth: Bool, into r: inout LogRecord
    ) -> Bool {
        guard let port = lastFind(" port ", p, a, b) else { return false }
        var ipStart = port
        while ipStart > a, p[ipStart - 1] != LogBytes.space { ipStart -= 1 }
        var user: ByteRange?
        for prefix: StaticString in ["invalid user ", "authenticating user ", "user "]
        where LogBytes.matches(p, a, b, prefix) {
            let u = a + prefix.utf8CodeUnitCount
            user = (u, max(u, ipStart - 1))
            break
        }
        guard user != nil || ipStart == a else { return false }
        var digitsEnd = port + 6
        while digitsEnd < b, LogBytes.isDigit(p[digitsEnd]) { digitsEnd += 1 }
        event(
            preauth ? "ssh_disconnect_preauth" : "ssh_disconnect", "unknown", categoryNetwork, typeConnectionEnd,
            into: &r)
        if let user { r.set(Fields.userName, LogBytes.value(p, user.start, user.end)) }
        setSource(p, (ipStart, port), into: &r)
        r.set(Fields.sourcePort, LogBytes.int(p, port + 6, digitsEnd).map(FieldValue.int))
        return true
    }
}

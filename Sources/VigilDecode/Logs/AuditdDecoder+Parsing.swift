import VigilCore

extension AuditdDecoder {
    struct RecordHeader {
        var type: (start: Int, end: Int)
        var time: Timestamp
        var serial: Int64
        var bodyStart: Int
    }

    /// `[node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): `.
    static func recordHeader(_ p: UnsafeRawBufferPointer) -> RecordHeader? {
        let end = p.count
        var i = 0
        if LogBytes.matches(p, 0, end, "node=") { i = LogBytes.tokenEnd(p, 0, end) + 1 }
        guard LogBytes.matches(p, i, end, "type=") else { return nil }
        let typeStart = i + 5
        let typeEnd = LogBytes.tokenEnd(p, typeStart, end)
        guard typeEnd > typeStart, typeEnd - typeStart <= 32, LogBytes.matches(p, typeEnd, end, " msg=audit(") else {
            return nil
        }
        let secStart = typeEnd + 11
        guard let dot = LogBytes.find(UInt8(ascii: "."), p, secStart, min(end, secStart + 20)),
            let colon = LogBytes.find(LogBytes.colon, p, dot, min(end, dot + 12)),
            let close = LogBytes.find(UInt8(ascii: ")"), p, colon, min(end, colon + 22)),
            let seconds = LogBytes.int(p, secStart, dot), seconds < 100_000_000_000,
            let millis = LogBytes.int(p, dot + 1, colon), colon - dot == 4,
            let serial = LogBytes.int(p, colon + 1, close), close + 1 < end, p[close + 1] == LogBytes.colon
        else { return nil }
        let body = close + 2 < end && p[close + 2] == LogBytes.space ? close + 3 : close + 2
        return RecordHeader(
            type: (typeStart, typeEnd), time: Timestamp(seconds: seconds, microseconds: millis * 1000), serial: serial,
            bodyStart: body)
    }

    /// Calls `body` with each `key=value` in `[a, b)`: the key span, the value span without its
    /// quotes, and the quote byte (`"`, `'`, or 0 for a bare value).
    static func forEachPair(
        _ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, _ body: (ByteRange, ByteRange, UInt8) -> Void
    ) {
        var i = a
        while i < b {
            i = LogBytes.skipSpaces(p, i, b)
            let keyStart = i
            while i < b, p[i] != UInt8(ascii: "="), !LogBytes.isSpace(p[i]) { i += 1 }
            guard i < b, p[i] == UInt8(ascii: "=") else { continue }
            let key = (keyStart, i)
            i += 1
            if i < b, p[i] == LogBytes.quote || p[i] == UInt8(ascii: "'") {
                let q = p[i]
                let close = LogBytes.find(q, p, i + 1, b) ?? b
                body(key, (i + 1, close), q)
                i = close + 1
            } else {
                let valueEnd = LogBytes.tokenEnd(p, i, b)
                body(key, (i, valueEnd), 0)
                i = valueEnd
            }
        }
    }

    /// An untrusted string value: quoted text as written, bare text hex-decoded when it is hex
    /// (auditd's encoding for strings with spaces, quotes or control bytes), nil for `(null)` and `?`.
    static func untrusted(_ p: UnsafeRawBufferPointer, _ v: ByteRange, _ quote: UInt8, nulAsSpace: Bool = false)
        -> String?
    {
        if quote != 0 {
            // `acct="?"`: auditd's "no value", quoted or not.
            if v.end - v.start == 1, p[v.start] == UInt8(ascii: "?") { return nil }
            return LogBytes.string(p, v.start, v.end)
        }
        guard v.end > v.start else { return nil }
        if LogBytes.matches(p, v.start, v.end, "(null)") || LogBytes.matches(p, v.start, v.end, "?") {
            return nil
        }
        guard var bytes = LogBytes.hexDecoded(p, v.start, v.end) else { return LogBytes.string(p, v.start, v.end) }
        if nulAsSpace {
            for k in bytes.indices where bytes[k] == 0 { bytes[k] = LogBytes.space }
            while bytes.last == LogBytes.space { bytes.removeLast() }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `success=yes|no`, `res=success|failed|1|0`; nil for anything else.
    static func outcome(_ p: UnsafeRawBufferPointer, _ v: ByteRange) -> Bool? {
        func equals(_ s: StaticString) -> Bool {
            v.end - v.start == s.utf8CodeUnitCount && LogBytes.matches(p, v.start, v.end, s)
        }
        if equals("yes") || equals("success") || equals("1") { return true }
        if equals("no") || equals("failed") || equals("0") { return false }
        return nil
    }

    /// A common syscall's name for x86_64 (`c000003e`) and aarch64 (`c00000b7`).
    static func syscallName(arch: String?, number: Int64) -> String? {
        switch arch {
        case "c000003e":
            switch number {
            case 2: "open"
            case 41: "socket"
            case 42: "connect"
            case 43: "accept"
            case 49: "bind"
            case 50: "listen"
            case 56: "clone"
            case 57: "fork"
            case 58: "vfork"
            case 59: "execve"
            case 62: "kill"
            case 82: "rename"
            case 84: "rmdir"
            case 87: "unlink"
            case 90: "chmod"
            case 91: "fchmod"
            case 92: "chown"
            case 101: "ptrace"
            case 105: "setuid"
            case 106: "setgid"
            case 165: "mount"
            case 175: "init_module"
            case 176: "delete_module"
            case 257: "openat"
            case 260: "fchownat"
            case 263: "unlinkat"
            case 264: "renameat"
            case 268: "fchmodat"
            case 288: "accept4"
            case 313: "finit_module"
            case 316: "renameat2"
            case 322: "execveat"
            default: nil
            }
        case "c00000b7":
            switch number {
            case 35: "unlinkat"
            case 38: "renameat"
            case 40: "mount"
            case 53: "fchmodat"
            case 54: "fchownat"
            case 56: "openat"
            case 105: "init_module"
            case 106: "delete_module"
            case 117: "ptrace"
            case 129: "kill"
            case 146: "setuid"
            case 198: "socket"
            case 200: "bind"
            case 201: "listen"
            case 202: "accept"
            case 203: "connect"
            case 220: "clone"
            case 221: "execve"
            case 273: "finit_module"
            case 281: "execveat"
            default: nil
            }
        default: nil
        }
    }
}

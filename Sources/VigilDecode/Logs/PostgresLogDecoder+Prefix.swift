import VigilCore

extension PostgresLogDecoder {
    /// A `log_line_prefix` escape.
    enum Escape: Sendable, Equatable {
        case timeMillis  // %m
        case time  // %t, %s
        case epoch  // %n
        case pid, user, database, application, host, hostPort, lineNumber, session, other
        /// %q: non-session processes stop the prefix here.
        case stop
    }

    enum PrefixToken: Sendable, Equatable {
        case literal([UInt8])
        case escape(Escape)
    }

    /// A compiled `log_line_prefix`.
    struct Prefix: Sendable {
        var tokens: [PrefixToken]

        init(_ format: String) throws(LogFormatError) {
            let what = "PostgreSQL log_line_prefix"
            let bytes = Array(format.utf8)
            guard !bytes.isEmpty else { throw .empty(what) }
            var tokens: [PrefixToken] = []
            func literal(_ b: UInt8) {
                if case .literal(var l)? = tokens.last {
                    l.append(b)
                    tokens[tokens.count - 1] = .literal(l)
                } else {
                    tokens.append(.literal([b]))
                }
            }
            var i = 0
            while i < bytes.count {
                guard bytes[i] == UInt8(ascii: "%"), i + 1 < bytes.count else {
                    literal(bytes[i])
                    i += 1
                    continue
                }
                i += 1
                // Padding (`%-10u`, `%5p`) changes widths only; values are trimmed.
                if bytes[i] == UInt8(ascii: "-") { i += 1 }
                while i < bytes.count, LogBytes.isDigit(bytes[i]) { i += 1 }
                guard i < bytes.count else { throw .unknownVariable("%", in: what) }
                let c = bytes[i]
                i += 1
                let escape: Escape
                switch UnicodeScalar(c) {
                case "%":
                    literal(c)
                    continue
                case "m": escape = .timeMillis
                case "t", "s": escape = .time
                case "n": escape = .epoch
                case "p": escape = .pid
                case "u": escape = .user
                case "d": escape = .database
                case "a": escape = .application
                case "h": escape = .host
                case "r": escape = .hostPort
                case "l": escape = .lineNumber
                case "c": escape = .session
                case "x", "e", "v", "i", "b", "Q", "L", "P": escape = .other
                case "q": escape = .stop
                default: throw .unknownVariable("%" + String(decoding: [c], as: UTF8.self), in: what)
                }
                if case .escape(let previous)? = tokens.last, previous != .stop, escape != .stop,
                    !Self.selfDelimiting(previous)
                {
                    throw .adjacentVariables("a % escape", "%" + String(decoding: [c], as: UTF8.self), in: what)
                }
                tokens.append(.escape(escape))
            }
            self.tokens = tokens
        }

        /// Escapes whose value has a known shape, so no literal is needed after them.
        static func selfDelimiting(_ e: Escape) -> Bool {
            switch e {
            case .timeMillis, .time, .epoch, .pid, .lineNumber: true
            default: false
            }
        }
    }

    /// What a line's prefix said.
    struct PrefixValues {
        var time: Timestamp?
        var pid: Int64?
        var user: String?
        var database: String?
        var application: String?
        var host: String?
        var port: Int64?
        var session: String?
        var end: Int
    }

    /// Matches the prefix at the start of `p` and requires a `LEVEL:  ` after it; nil when either fails.
    static func matchPrefix(
        _ prefix: Prefix, _ p: UnsafeRawBufferPointer, context: LogContext
    ) -> (PrefixValues, level: ByteRange)? {
        var values = PrefixValues(end: 0)
        var stopValues: PrefixValues?
        var i = 0
        var ok = true
        let tokens = prefix.tokens
        var t = 0
        while t < tokens.count, ok {
            switch tokens[t] {
            case .literal(let lit):
                if lit.count <= p.count - i, (0..<lit.count).allSatisfy({ p[i + $0] == lit[$0] }) {
                    i += lit.count
                } else {
                    ok = false
                }
            case .escape(.stop):
                values.end = i
                stopValues = values
            case .escape(let e):
                var next: UInt8?
                if t + 1 < tokens.count, case .literal(let lit) = tokens[t + 1] { next = lit.first }
                if let e2 = value(e, p, i, next: next, context: context, into: &values) { i = e2 } else { ok = false }
            }
            t += 1
        }
        if ok {
            values.end = i
            if let level = level(p, i) { return (values, level) }
        }
        if let stop = stopValues, let level = level(p, stop.end) { return (stop, level) }
        return nil
    }

    /// Reads one escape's value at `i`; the index after it, or nil when it is malformed.
    static func value(
        _ e: Escape, _ p: UnsafeRawBufferPointer, _ i: Int, next: UInt8?, context: LogContext,
        into v: inout PrefixValues
    ) -> Int? {
        let end = p.count
        switch e {
        case .timeMillis, .time:
            guard let t = timeWithZone(p, i, end: p.count, context: context) else { return nil }
            if v.time == nil { v.time = t.time }
            return t.end
        case .epoch:
            var k = i
            while k < end, LogBytes.isDigit(p[k]) || p[k] == UInt8(ascii: ".") { k += 1 }
            if let s = LogBytes.decimal(p, i, k), s < 1e11 {
                v.time = Timestamp(microseconds: Int64((s * 1_000_000).rounded()))
            }
            return k
        case .pid, .lineNumber:
            var k = LogBytes.skipSpaces(p, i, end)
            let start = k
            while k < end, LogBytes.isDigit(p[k]) { k += 1 }
            guard k > start else { return nil }
            if e == .pid { v.pid = LogBytes.int(p, start, k) }
            return k
        default:
            var k = i
            if let next {
                while k < end, p[k] != next { k += 1 }
            } else {
                k = LogBytes.tokenEnd(p, i, end)
            }
            var a = LogBytes.skipSpaces(p, i, k)
            var b = k
            while b > a, p[b - 1] == LogBytes.space { b -= 1 }
            if LogBytes.matches(p, a, b, "[unknown]") || (b - a == 1 && p[a] == UInt8(ascii: "?")) { a = b }
            let text = a < b ? LogBytes.string(p, a, b) : nil
            switch e {
            case .user: v.user = text
            case .database: v.database = text
            case .application: v.application = text
            case .session: v.session = text
            case .host: v.host = text
            case .hostPort:
                // `10.0.0.5(54321)` or `[local]`.
                if b > a, p[b - 1] == UInt8(ascii: ")"), let open = LogBytes.find(UInt8(ascii: "("), p, a, b) {
                    v.host = LogBytes.string(p, a, open)
                    v.port = LogBytes.int(p, open + 1, b - 1)
                } else {
                    v.host = text
                }
            default: break
            }
            return k
        }
    }

    /// `YYYY-MM-DD HH:MM:SS[.mmm] ZONE`: `UTC`/`GMT`/`Z` and numeric zones (`+08`, `-03:30`) are
    /// honoured; other abbreviations (`CET`, `EST`) are ambiguous and use the context's offset.
    static func timeWithZone(
        _ p: UnsafeRawBufferPointer, _ i: Int, end: Int, context: LogContext
    ) -> (time: Timestamp, end: Int)? {
        let fallback = Int64(context.utcOffsetSeconds)
        guard let t = LogTime.iso8601(p, i, end: end, defaultOffset: fallback) else { return nil }
        if t.zoned { return (t.time, t.end) }
        guard t.end < end, p[t.end] == LogBytes.space else { return (t.time, t.end) }
        let zoneStart = t.end + 1
        let zoneEnd = LogBytes.tokenEnd(p, zoneStart, end)
        guard zoneEnd > zoneStart, zoneEnd - zoneStart <= 6 else { return (t.time, t.end) }
        if let z = LogTime.numericZone(p, zoneStart, end: zoneEnd), z.end == zoneEnd {
            return (Timestamp(microseconds: t.time.microseconds + (fallback - z.offset) * 1_000_000), zoneEnd)
        }
        let isUTC =
            LogBytes.matches(p, zoneStart, zoneEnd, "UTC") || LogBytes.matches(p, zoneStart, zoneEnd, "GMT")
            || (zoneEnd - zoneStart == 1 && p[zoneStart] == UInt8(ascii: "Z"))
        if isUTC { return (Timestamp(microseconds: t.time.microseconds + fallback * 1_000_000), zoneEnd) }
        // A zone abbreviation is letters only; anything else means the value had no zone.
        for k in zoneStart..<zoneEnd where (p[k] | 0x20) &- 0x61 >= 26 { return (t.time, t.end) }
        return (t.time, zoneEnd)
    }

    /// The severity word at `i` followed by `:  `; its span.
    static func level(_ p: UnsafeRawBufferPointer, _ i: Int) -> ByteRange? {
        var k = i
        let end = p.count
        while k < end, k - i < 10, p[k] &- 0x41 < 26 || LogBytes.isDigit(p[k]) { k += 1 }
        guard k > i, LogBytes.matches(p, k, end, ":  ") || (k + 1 == end && p[k] == LogBytes.colon),
            Severity(p, (i, k)) != nil
        else { return nil }
        return (i, k)
    }

    enum Severity {
        case primary, secondary, statement

        init?(_ p: UnsafeRawBufferPointer, _ s: ByteRange) {
            switch s.end - s.start {
            case 3 where LogBytes.matches(p, s.start, s.end, "LOG"): self = .primary
            case 4 where LogBytes.matches(p, s.start, s.end, "INFO"): self = .primary
            case 4 where LogBytes.matches(p, s.start, s.end, "HINT"): self = .secondary
            case 5 where LogBytes.matches(p, s.start, s.end, "ERROR"): self = .primary
            case 5 where LogBytes.matches(p, s.start, s.end, "FATAL"): self = .primary
            case 5 where LogBytes.matches(p, s.start, s.end, "PANIC"): self = .primary
            case 5 where LogBytes.matches(p, s.start, s.end, "QUERY"): self = .secondary
            case 6 where LogBytes.matches(p, s.start, s.end, "NOTICE"): self = .primary
            case 6 where LogBytes.matches(p, s.start, s.end, "DETAIL"): self = .secondary
            case 6 where LogBytes.matches(p, s.start, s.end, "DEBUG"): self = .primary  // DEBUG1...DEBUG5
            case 7 where LogBytes.matches(p, s.start, s.end, "WARNING"): self = .primary
            case 7 where LogBytes.matches(p, s.start, s.end, "CONTEXT"): self = .secondary
            case 8 where LogBytes.matches(p, s.start, s.end, "LOCATION"): self = .secondary
            case 9 where LogBytes.matches(p, s.start, s.end, "STATEMENT"): self = .statement
            default: return nil
            }
        }
    }
}

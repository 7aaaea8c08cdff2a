import VigilCore

/// A parsed JSON value, for the JSON-lines decoder. Objects keep their members in order (duplicate
/// keys: the first wins on lookup).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// The member `key` of an object, or element `key` (a decimal index) of an array.
    subscript(component: String) -> JSONValue? {
        switch self {
        case .object(let members): return members.first { $0.key == component }?.value
        case .array(let elements):
            guard let i = Int(component), elements.indices.contains(i) else { return nil }
            return elements[i]
        default: return nil
        }
    }
}

/// A strict RFC 8259 parser over bytes: no Foundation, bounded nesting depth, never traps. Invalid
/// UTF-8 inside strings is replaced by U+FFFD; unpaired `\u` surrogates become U+FFFD.
struct JSONParser {
    let p: UnsafeRawBufferPointer
    var i = 0
    let maxDepth: Int

    init(_ p: UnsafeRawBufferPointer, maxDepth: Int = 32) {
        self.p = p
        self.maxDepth = maxDepth
    }

    /// The single value filling `p` (surrounding whitespace allowed), or nil when it is not valid JSON.
    static func parse(_ p: UnsafeRawBufferPointer, maxDepth: Int = 32) -> JSONValue? {
        var parser = JSONParser(p, maxDepth: maxDepth)
        parser.skipWhitespace()
        guard let v = parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.i == p.count ? v : nil
    }

    mutating func skipWhitespace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0A || p[i] == 0x0D { i += 1 }
    }

    mutating func literal(_ s: StaticString) -> Bool {
        guard LogBytes.matches(p, i, p.count, s) else { return false }
        i += s.utf8CodeUnitCount
        return true
    }

    mutating func value(depth: Int) -> JSONValue? {
        guard i < p.count else { return nil }
        switch p[i] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { return nil }
            i += 1
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if i < p.count, p[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard i < p.count, p[i] == LogBytes.quote, let key = string() else { return nil }
                skipWhitespace()
                guard i < p.count, p[i] == LogBytes.colon else { return nil }
                i += 1
                skipWhitespace()
                guard let v = value(depth: depth + 1) else { return nil }
                members.append((key, v))
                skipWhitespace()
                guard i < p.count else { return nil }
                if p[i] == UInt8(ascii: ",") {
                    i += 1
                } else if p[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(members)
                } else {
                    return nil
                }
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { return nil }
            i += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if i < p.count, p[i] == UInt8(ascii: "]") {
                i += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                guard let v = value(depth: depth + 1) else { return nil }
                elements.append(v)
                skipWhitespace()
                guard i < p.count else { return nil }
                if p[i] == UInt8(ascii: ",") {
                    i += 1
                } else if p[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(elements)
                } else {
                    return nil
                }
            }
        case LogBytes.quote:
            return string().map(JSONValue.string)
        case UInt8(ascii: "t"):
            return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return literal("null") ? .null : nil
        default:
            return number()
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an int when it has no fraction or exponent
    /// and fits in Int64, else a double.
    mutating func number() -> JSONValue? {
        let start = i
        let end = p.count
        if i < end, p[i] == LogBytes.dash { i += 1 }
        guard i < end, LogBytes.isDigit(p[i]) else { return nil }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < end, LogBytes.isDigit(p[i]) { i += 1 }
        }
        var integral = true
        if i < end, p[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            let digits = i
            while i < end, LogBytes.isDigit(p[i]) { i += 1 }
            guard i > digits else { return nil }
        }
        if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
            integral = false
            i += 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == LogBytes.dash { i += 1 }
            let digits = i
            while i < end, LogBytes.isDigit(p[i]) { i += 1 }
            guard i > digits else { return nil }
        }
        if integral, let v = Self.int64(p, start, i) { return .int(v) }
        guard let d = Double(LogBytes.string(p, start, i)) else { return nil }
        return .double(d)
    }

    /// An optionally negative decimal integer, or nil when it does not fit in Int64.
    static func int64(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> Int64? {
        let negative = p[a] == LogBytes.dash
        var v: Int64 = 0
        for k in (negative ? a + 1 : a)..<b {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) =
                negative
                ? m.subtractingReportingOverflow(Int64(p[k] &- 0x30)) : m.addingReportingOverflow(Int64(p[k] &- 0x30))
            guard !o1, !o2 else { return nil }
            v = s
        }
        return v
    }

    /// A string at `i` (which is `"`), escapes decoded.
    mutating func string() -> String? {
        i += 1
        let start = i
        let end = p.count
        // Fast path: no escapes.
        while i < end, p[i] != LogBytes.quote, p[i] != LogBytes.backslash {
            guard p[i] >= 0x20 else { return nil }
            i += 1
        }
        guard i < end else { return nil }
        if p[i] == LogBytes.quote {
            i += 1
            return LogBytes.string(p, start, i - 1)
        }
        var out = Array(UnsafeRawBufferPointer(rebasing: p[start..<i]))
        while i < end {
            let c = p[i]
            if c == LogBytes.quote {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard c >= 0x20 else { return nil }
            guard c == LogBytes.backslash else {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < end else { return nil }
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate: a low one must follow to make one scalar.
                    var low: UInt32?
                    if LogBytes.matches(p, i, end, "\\u") {
                        let save = i
                        i += 2
                        if let l = hex4(), (0xDC00..<0xE000).contains(l) { low = l } else { i = save }
                    }
                    if let low {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, to: &out)
            default: return nil
            }
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= p.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let h = Hex.value(p[i + k]) else { return nil }
            v = v << 4 | UInt32(h)
        }
        i += 4
        return v
    }

    func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80:
            out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | s >> 6))
            out.append(UInt8(0x80 | s & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | s >> 12))
            out.append(UInt8(0x80 | s >> 6 & 0x3F))
            out.append(UInt8(0x80 | s & 0x3F))
        default:
            out.append(UInt8(0xF0 | s >> 18))
            out.append(UInt8(0x80 | s >> 12 & 0x3F))
            out.append(UInt8(0x80 | s >> 6 & 0x3F))
            out.append(UInt8(0x80 | s & 0x3F))
        }
    }
}

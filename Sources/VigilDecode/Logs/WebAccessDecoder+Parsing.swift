import VigilCore

extension WebAccessDecoder {
    /// A field value: nil for `-` or empty; escapes decoded when the value is quoted and has any.
    @inline(__always)
    static func text(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, quoted: Bool) -> String? {
        guard a < b, b - a != 1 || p[a] != LogBytes.dash else { return nil }
        if quoted, LogBytes.find(LogBytes.backslash, p, a, b) != nil { return unescaped(p, a, b) }
        return LogBytes.string(p, a, b)
    }

    /// Decodes `\"`, `\\` and `\xHH` (nginx and Apache escaping). When the decoded bytes are not
    /// printable UTF-8 (binary junk, control bytes) the text is returned as written instead.
    static func unescaped(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(b - a)
        var i = a
        var printable = true
        while i < b {
            var c = p[i]
            if c == LogBytes.backslash, i + 1 < b {
                let n = p[i + 1]
                if n == UInt8(ascii: "x"), i + 3 < b, let hi = Hex.value(p[i + 2]),
                    let lo = Hex.value(p[i + 3])
                {
                    c = hi << 4 | lo
                    i += 4
                } else if n == LogBytes.quote || n == LogBytes.backslash {
                    c = n
                    i += 2
                } else {
                    i += 1
                }
            } else {
                i += 1
            }
            if (c < 0x20 && c != LogBytes.tab) || c == 0x7F { printable = false }
            out.append(c)
        }
        if printable, let s = String(validating: out, as: UTF8.self) { return s }
        return LogBytes.string(p, a, b)
    }

    /// Splits `METHOD target HTTP/x.y` into its fields. Anything else keeps the raw text in
    /// `url.original` and sets no method.
    static func request(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, quoted: Bool, into r: inout LogRecord) {
        guard a < b, b - a != 1 || p[a] != LogBytes.dash else { return }
        var i = a
        while i < b, i - a < 24 {
            let c = p[i]
            guard c &- 0x41 < 26 || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") else { break }
            i += 1
        }
        let methodEnd = i
        guard methodEnd > a, methodEnd < b, p[methodEnd] == LogBytes.space else {
            r.set(Fields.urlOriginal, text(p, a, b, quoted: quoted))
            return
        }
        let targetStart = methodEnd + 1
        var targetEnd = targetStart
        while targetEnd < b, p[targetEnd] != LogBytes.space { targetEnd += 1 }
        var version: String?
        if targetEnd < b {
            let v = targetEnd + 1
            guard b - v > 5, LogBytes.matches(p, v, b, "HTTP/"), LogBytes.tokenEnd(p, v, b) == b else {
                r.set(Fields.urlOriginal, text(p, a, b, quoted: quoted))
                return
            }
            version = LogBytes.string(p, v + 5, b)
        }
        guard targetEnd > targetStart else {
            r.set(Fields.urlOriginal, text(p, a, b, quoted: quoted))
            return
        }
        r.set(Fields.httpRequestMethod, method(p, a, methodEnd))
        target(p, targetStart, targetEnd, into: &r)
        r.set(Fields.httpVersion, version)
    }

    /// Common methods as constants (no allocation; a `String` of ≤ 15 ASCII bytes is inline anyway).
    @inline(__always)
    static func method(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> String {
        switch b - a {
        case 3 where LogBytes.matches(p, a, b, "GET"): "GET"
        case 4 where LogBytes.matches(p, a, b, "POST"): "POST"
        case 4 where LogBytes.matches(p, a, b, "HEAD"): "HEAD"
        default: LogBytes.string(p, a, b)
        }
    }

    /// `url.original`, and `url.path` / `url.query` for origin-form (`/p?q`) and absolute-form
    /// (`http://h/p?q`) targets.
    static func target(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, into r: inout LogRecord) {
        guard a < b, b - a != 1 || p[a] != LogBytes.dash else { return }
        let hasEscape = LogBytes.find(LogBytes.backslash, p, a, b) != nil
        r.set(Fields.urlOriginal, hasEscape ? unescaped(p, a, b) : LogBytes.string(p, a, b))
        var pathStart = a
        if p[a] != UInt8(ascii: "/") {
            guard let scheme = LogBytes.find("://", p, a, b),
                let slash = LogBytes.find(UInt8(ascii: "/"), p, scheme + 3, b)
            else { return }
            pathStart = slash
        }
        var pathEnd = pathStart
        while pathEnd < b, p[pathEnd] != UInt8(ascii: "?"), p[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
        r.set(Fields.urlPath, hasEscape ? unescaped(p, pathStart, pathEnd) : LogBytes.string(p, pathStart, pathEnd))
        if pathEnd < b, p[pathEnd] == UInt8(ascii: "?") {
            var queryEnd = pathEnd + 1
            while queryEnd < b, p[queryEnd] != UInt8(ascii: "#") { queryEnd += 1 }
            if queryEnd > pathEnd + 1 {
                let q = pathEnd + 1
                r.set(Fields.urlQuery, hasEscape ? unescaped(p, q, queryEnd) : LogBytes.string(p, q, queryEnd))
            }
        }
    }

    /// The sum of the numbers in an `$upstream_response_time` list (`0.010, 0.002 : -`), or nil when
    /// it has none.
    static func upstreamTime(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> Double? {
        var total = 0.0
        var any = false
        var i = a
        while i < b {
            while i < b, p[i] == LogBytes.space || p[i] == UInt8(ascii: ",") || p[i] == LogBytes.colon { i += 1 }
            var j = i
            while j < b, p[j] != LogBytes.space, p[j] != UInt8(ascii: ","), p[j] != LogBytes.colon { j += 1 }
            if j > i, let v = LogBytes.decimal(p, i, j) {
                total += v
                any = true
            }
            i = j
        }
        // Rounded to microseconds (nginx writes milliseconds) so sums do not show binary noise.
        return any ? (total * 1_000_000).rounded() / 1_000_000 : nil
    }
}

/// A strict pull parser over one JSON text in UTF-8 (RFC 8259), without Foundation: the correlator
/// reads every event line a sensor sends through it.
///
/// The caller drives it token by token (`skipWhitespace`, `peek`, `readString`, `readNumber`, ...), so
/// values go straight into the caller's types with no intermediate tree. It keeps what
/// `JSONSerialization` loses: an integer (`1`) and a number with a fraction or exponent (`1.0`, `1e0`)
/// are different `Number` cases, and `true` is not `1`. Strict: invalid UTF-8, unescaped control
/// characters, bad escapes and lone surrogates (`\ud800` alone) are errors; `\u` escapes, surrogate
/// pairs included, decode to UTF-8. Nesting, duplicate keys and limits are the caller's business.
///
/// Invariant: `position` never passes `bytes.count`; every read checks bounds first. The buffer must
/// outlive the reader (it is used inside a `withUnsafe...` closure).
struct JSONReader {
    /// Why a text is not JSON, and where (byte offset from the start of the text).
    struct Error: Swift.Error, Sendable, Equatable {
        enum Problem: Sendable, Equatable {
            case unexpectedEnd
            /// A byte that cannot start or continue what was expected (`what` names the expectation).
            case unexpected(what: StaticString)
            case invalidUTF8
            case controlCharacter
            case badEscape
            case loneSurrogate
            case badNumber
            /// A valid JSON number that does not fit: an integer outside Int64, or a number whose
            /// magnitude overflows Double.
            case numberOutOfRange

            static func == (a: Problem, b: Problem) -> Bool { a.text == b.text }

            var text: String {
                switch self {
                case .unexpectedEnd: "unexpected end of line"
                case .unexpected(let what): "expected \(what)"
                case .invalidUTF8: "invalid UTF-8"
                case .controlCharacter: "unescaped control character in a string"
                case .badEscape: "invalid escape in a string"
                case .loneSurrogate: "lone UTF-16 surrogate in a \\u escape"
                case .badNumber: "malformed number"
                case .numberOutOfRange: "number out of range (integers must fit in 64 bits, others in a double)"
                }
            }
        }

        var problem: Problem
        var offset: Int
    }

    /// A number as written: without fraction and exponent an integer, else a double.
    enum Number: Equatable {
        case int(Int64)
        case double(Double)
    }

    /// Where a string's content is: its raw bytes in the input when it has no escapes (`escaped` false),
    /// else the decoded bytes the reader wrote to the caller's scratch buffer.
    struct StringSpan {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    // MARK: - Structure

    @inline(__always) mutating func skipWhitespace() {
        while position < bytes.count {
            let b = bytes[position]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            position += 1
        }
    }

    /// The byte at the current position, or nil at the end.
    @inline(__always) func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    /// Consumes `byte` if it is next (no whitespace skipped).
    @inline(__always) mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// Consumes `byte`, or fails with `what` as the expectation.
    @inline(__always) mutating func expect(_ byte: UInt8, _ what: StaticString) throws(Error) {
        guard position < bytes.count else { throw Error(problem: .unexpectedEnd, offset: position) }
        guard bytes[position] == byte else { throw Error(problem: .unexpected(what: what), offset: position) }
        position += 1
    }

    /// Reads `true`, `false` or `null` at the current position: the Bool, or nil for `null`.
    mutating func readLiteral() throws(Error) -> Bool? {
        let result: Bool?
        let word: StaticString
        switch peek() {
        case UInt8(ascii: "t"): (result, word) = (true, "true")
        case UInt8(ascii: "f"): (result, word) = (false, "false")
        case UInt8(ascii: "n"): (result, word) = (nil, "null")
        default: throw Error(problem: .unexpected(what: "a value"), offset: position)
        }
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { throw Error(problem: .unexpectedEnd, offset: position) }
        let start = word.utf8Start
        for i in 0..<n where bytes[position + i] != start[i] {
            throw Error(problem: .unexpected(what: "a value"), offset: position)
        }
        position += n
        return result
    }

    // MARK: - Strings

    /// Reads the string that starts at the current position (at its opening quote). Without escapes
    /// the span points into the input and `scratch` is untouched; with escapes the decoded content is
    /// written to `scratch` (replacing what it held) and the span covers `scratch`. Either way the
    /// content is valid UTF-8.
    mutating func readString(scratch: inout [UInt8]) throws(Error) -> StringSpan {
        try expect(UInt8(ascii: "\""), "a string")
        let start = position
        var p = position
        while true {
            p = Self.firstSpecial(bytes, from: p)
            guard p < bytes.count else { throw Error(problem: .unexpectedEnd, offset: p) }
            let b = bytes[p]
            if b == UInt8(ascii: "\"") {
                position = p + 1
                return StringSpan(start: start, end: p, escaped: false)
            } else if b == UInt8(ascii: "\\") {
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<p]))
                position = p
                try readEscapedRest(into: &scratch)
                return StringSpan(start: 0, end: scratch.count, escaped: true)
            } else if b < 0x20 {
                throw Error(problem: .controlCharacter, offset: p)
            } else {
                p = try validateUTF8(at: p)
            }
        }
    }

    /// Continues a string from its first backslash, copying content to `scratch` up to the closing quote.
    private mutating func readEscapedRest(into scratch: inout [UInt8]) throws(Error) {
        var p = position
        var runStart = p
        while true {
            p = Self.firstSpecial(bytes, from: p)
            guard p < bytes.count else { throw Error(problem: .unexpectedEnd, offset: p) }
            let b = bytes[p]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                if runStart < p { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<p])) }
                if b == UInt8(ascii: "\"") {
                    position = p + 1
                    return
                }
                p = try unescape(at: p, into: &scratch)
                runStart = p
            } else if b < 0x20 {
                throw Error(problem: .controlCharacter, offset: p)
            } else {
                p = try validateUTF8(at: p)
            }
        }
    }

    /// Decodes the escape at `p` (a backslash) into `scratch`; returns the offset after it.
    private func unescape(at p: Int, into scratch: inout [UInt8]) throws(Error) -> Int {
        guard p + 1 < bytes.count else { throw Error(problem: .unexpectedEnd, offset: p + 1) }
        let decoded: UInt8
        switch bytes[p + 1] {
        case UInt8(ascii: "\""): decoded = 0x22
        case UInt8(ascii: "\\"): decoded = 0x5C
        case UInt8(ascii: "/"): decoded = 0x2F
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            var scalar = try hex4(at: p + 2)
            var next = p + 6
            if scalar & 0xFC00 == 0xD800 {
                // A high surrogate must be followed by an escaped low one; together they are one scalar.
                guard next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u")
                else { throw Error(problem: .loneSurrogate, offset: p) }
                let low = try hex4(at: next + 2)
                guard low & 0xFC00 == 0xDC00 else { throw Error(problem: .loneSurrogate, offset: p) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                next += 6
            } else if scalar & 0xFC00 == 0xDC00 {
                throw Error(problem: .loneSurrogate, offset: p)
            }
            Self.appendUTF8(scalar, to: &scratch)
            return next
        default: throw Error(problem: .badEscape, offset: p)
        }
        scratch.append(decoded)
        return p + 2
    }

    private func hex4(at p: Int) throws(Error) -> UInt32 {
        guard p + 4 <= bytes.count else { throw Error(problem: .unexpectedEnd, offset: bytes.count) }
        var v: UInt32 = 0
        for i in p..<(p + 4) {
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw Error(problem: .badEscape, offset: i)
            }
            v = v << 4 | UInt32(digit)
        }
        return v
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(0xC0 | UInt8(scalar >> 6))
            out.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | UInt8(scalar >> 12))
            out.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            out.append(0x80 | UInt8(scalar & 0x3F))
        default:
            out.append(0xF0 | UInt8(scalar >> 18))
            out.append(0x80 | UInt8((scalar >> 12) & 0x3F))
            out.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            out.append(0x80 | UInt8(scalar & 0x3F))
        }
    }

    /// Checks the multi-byte UTF-8 sequence at `p` (its lead byte is >= 0x80) per Unicode table 3-7:
    /// no overlong forms, no surrogates, nothing above U+10FFFF. Returns the offset after it.
    private func validateUTF8(at p: Int) throws(Error) -> Int {
        let lead = bytes[p]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: (length, low) = (3, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: (length, high) = (3, 0x9F)
        case 0xF0: (length, low) = (4, 0x90)
        case 0xF1...0xF3: length = 4
        case 0xF4: (length, high) = (4, 0x8F)
        default: throw Error(problem: .invalidUTF8, offset: p)
        }
        guard p + length <= bytes.count else { throw Error(problem: .invalidUTF8, offset: p) }
        let second = bytes[p + 1]
        guard second >= low, second <= high else { throw Error(problem: .invalidUTF8, offset: p) }
        for i in (p + 2)..<(p + length) where bytes[i] & 0xC0 != 0x80 {
            throw Error(problem: .invalidUTF8, offset: p)
        }
        return p + length
    }

    /// The first offset at or after `from` holding a quote, a backslash, a control character or a
    /// non-ASCII byte (or `bytes.count`). Eight bytes at a time: this loop is most of the parse.
    @inline(__always)
    static func firstSpecial(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        let n = bytes.count
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while i + 8 <= n {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let quote = w ^ (0x22 &* ones)
                let backslash = w ^ (0x5C &* ones)
                // Per byte, the high bit of each term marks: < 0x20, == '"', == '\', >= 0x80. A borrow
                // can only flag bytes above a true hit, so the lowest flagged byte is exact.
                let hits =
                    (((w &- 0x20 &* ones) & ~w) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | w)
                    & highs
                if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
                i += 8
            }
        }
        while i < n {
            let b = bytes[i]
            if b == 0x22 || b == 0x5C || b < 0x20 || b >= 0x80 { return i }
            i += 1
        }
        return i
    }

    // MARK: - Numbers

    /// Powers of ten a Double holds exactly (10^0 ... 10^22): the range of the exact fast path.
    private static let exactPowersOfTen: [Double] = (0...22).map { (e: Int) -> Double in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }

    /// Reads the number at the current position (RFC 8259 grammar: no leading zeros, `+`, `.5`, `NaN`).
    mutating func readNumber() throws(Error) -> Number {
        let start = position
        var p = position
        let n = bytes.count
        let negative = p < n && bytes[p] == UInt8(ascii: "-")
        if negative { p += 1 }
        guard p < n else { throw Error(problem: .unexpectedEnd, offset: p) }
        var mantissa: UInt64 = 0
        var dropped = false  // a significant digit did not fit in `mantissa`
        var exponent = 0  // decimal exponent applied to `mantissa`
        @inline(__always) func digit(_ d: UInt8, fraction: Bool) {
            if mantissa <= (UInt64.max - 9) / 10 {
                mantissa = mantissa * 10 + UInt64(d)
                if fraction { exponent -= 1 }
            } else {
                dropped = true
                if !fraction { exponent += 1 }
            }
        }
        let first = bytes[p]
        if first == UInt8(ascii: "0") {
            p += 1
            if p < n, Self.isDigit(bytes[p]) { throw Error(problem: .badNumber, offset: p) }
        } else if Self.isDigit(first) {
            while p < n, Self.isDigit(bytes[p]) {
                digit(bytes[p] - 0x30, fraction: false)
                p += 1
            }
        } else {
            throw Error(problem: .badNumber, offset: p)
        }
        var isInteger = true
        if p < n, bytes[p] == UInt8(ascii: ".") {
            isInteger = false
            p += 1
            guard p < n, Self.isDigit(bytes[p]) else { throw Error(problem: .badNumber, offset: p) }
            while p < n, Self.isDigit(bytes[p]) {
                digit(bytes[p] - 0x30, fraction: true)
                p += 1
            }
        }
        if p < n, bytes[p] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            p += 1
            var expNegative = false
            if p < n, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") {
                expNegative = bytes[p] == UInt8(ascii: "-")
                p += 1
            }
            guard p < n, Self.isDigit(bytes[p]) else { throw Error(problem: .badNumber, offset: p) }
            var e = 0
            while p < n, Self.isDigit(bytes[p]) {
                // Clamped: anything this large is zero or infinity anyway.
                if e < 1_000_000 { e = e * 10 + Int(bytes[p] - 0x30) }
                p += 1
            }
            exponent += expNegative ? -e : e
        }
        position = p
        if isInteger {
            guard !dropped else { throw Error(problem: .numberOutOfRange, offset: start) }
            if negative {
                guard mantissa <= UInt64(Int64.max) + 1 else { throw Error(problem: .numberOutOfRange, offset: start) }
                return .int(Int64(bitPattern: 0 &- mantissa))
            }
            guard mantissa <= UInt64(Int64.max) else { throw Error(problem: .numberOutOfRange, offset: start) }
            return .int(Int64(mantissa))
        }
        var value: Double
        if !dropped, mantissa <= 1 << 53, (-22...22).contains(exponent) {
            // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
            value = Double(mantissa)
            if exponent < 0 {
                value /= Self.exactPowersOfTen[-exponent]
            } else {
                value *= Self.exactPowersOfTen[exponent]
            }
            if negative { value = -value }
        } else {
            // Rare (over 19 digits, or a large exponent): the standard library's correctly rounded
            // strtod on the validated text.
            guard let parsed = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<p]), as: UTF8.self))
            else { throw Error(problem: .badNumber, offset: start) }
            value = parsed
        }
        guard value.isFinite else { throw Error(problem: .numberOutOfRange, offset: start) }
        return .double(value)
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
}

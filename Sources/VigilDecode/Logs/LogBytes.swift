import VigilCore

/// A half-open byte range `[start, end)` of a line.
typealias ByteRange = (start: Int, end: Int)

/// Byte-level helpers the log decoders (and HTTP's line search) share: every function takes the line and a half-open range
/// `[from, to)` and never reads outside it, so malformed input cannot trap.
enum LogBytes {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let dash = UInt8(ascii: "-")
    static let colon = UInt8(ascii: ":")

    /// The bytes as a String, invalid UTF-8 replaced by U+FFFD.
    @inline(__always)
    static func string(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> String {
        guard from < to else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: p[from..<to]), as: UTF8.self)
    }

    /// Like `string`, but nil for an empty range or a lone `-` (the log formats' "absent").
    @inline(__always)
    static func value(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> String? {
        if from >= to || (to - from == 1 && p[from] == dash) { return nil }
        return string(p, from, to)
    }

    /// First index of `byte` in `[from, to)`. Compares eight bytes at a time (SWAR): the lowest byte
    /// flagged by the has-zero-byte trick is exactly the first match, so no false positive escapes.
    @inline(__always)
    static func find(_ byte: UInt8, _ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int? {
        var i = max(from, 0)
        let to = min(to, p.count)
        #if _endian(little)
            if let base = p.baseAddress {
                let ones: UInt64 = 0x0101_0101_0101_0101
                let pattern = UInt64(byte) &* ones
                while i + 8 <= to {
                    let w = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ pattern
                    let hits = (w &- ones) & ~w & 0x8080_8080_8080_8080
                    if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
                    i += 8
                }
            }
        #endif
        while i < to {
            if p[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// First index where `literal` occurs in `[from, to)`.
    static func find(_ literal: StaticString, _ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int? {
        let n = literal.utf8CodeUnitCount
        guard n > 0 else { return from }
        let first = literal.utf8Start.pointee
        var i = from
        while i + n <= to {
            if p[i] == first, matches(p, i, to, literal) { return i }
            i += 1
        }
        return nil
    }

    /// Whether `literal` is at `i` (within `[i, to)`).
    @inline(__always)
    static func matches(_ p: UnsafeRawBufferPointer, _ i: Int, _ to: Int, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard i >= 0, i + n <= to else { return false }
        let s = literal.utf8Start
        for k in 0..<n where p[i + k] != s[k] { return false }
        return true
    }

    /// Whether the ASCII-case-insensitive word `literal` (uppercase) is at `i`.
    static func matchesUppercased(_ p: UnsafeRawBufferPointer, _ i: Int, _ to: Int, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard i >= 0, i + n <= to else { return false }
        let s = literal.utf8Start
        for k in 0..<n where upper(p[i + k]) != s[k] { return false }
        return true
    }

    @inline(__always)
    static func upper(_ b: UInt8) -> UInt8 { b &- 0x61 < 26 ? b &- 0x20 : b }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == space || b == tab }

    static func skipSpaces(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int {
        var i = from
        while i < to, isSpace(p[i]) { i += 1 }
        return i
    }

    /// End of the token starting at `from` (the first space or tab, or `to`).
    static func tokenEnd(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int {
        var i = from
        while i < to, !isSpace(p[i]) { i += 1 }
        return i
    }

    /// A non-negative decimal integer filling `[from, to)` exactly; nil when empty, not all digits,
    /// or more than 18 digits (so it never overflows).
    @inline(__always)
    static func int(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int64? {
        guard from < to, to - from <= 18 else { return nil }
        var v: Int64 = 0
        for i in from..<to {
            let d = p[i] &- 0x30
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int64(d)
        }
        return v
    }

    /// Like `int` but accepts a leading `-`.
    static func signedInt(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int64? {
        if from < to, p[from] == dash { return int(p, from + 1, to).map { -$0 } }
        return int(p, from, to)
    }

    /// A decimal `digits[.digits]` filling `[from, to)` exactly (nginx `$request_time`), or nil.
    static func decimal(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Double? {
        guard from < to, to - from <= 30 else { return nil }
        var whole: Int64 = 0
        var frac: Int64 = 0
        var scale: Int64 = 1
        var i = from
        var sawDigit = false
        while i < to, p[i] &- 0x30 < 10 {
            if whole < 100_000_000_000_000 { whole = whole * 10 + Int64(p[i] &- 0x30) }
            sawDigit = true
            i += 1
        }
        if i < to, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < to, p[i] &- 0x30 < 10 {
                if scale < 1_000_000_000_000 {
                    frac = frac * 10 + Int64(p[i] &- 0x30)
                    scale *= 10
                }
                sawDigit = true
                i += 1
            }
        }
        guard i == to, sawDigit else { return nil }
        return Double(whole) + Double(frac) / Double(scale)
    }

    /// An IPv4 or IPv6 address filling `[from, to)` exactly. IPv4 is parsed from bytes; IPv6 (rare in
    /// logs) goes through `IPAddress(String)`. A zone suffix (`%eth0`) is not accepted.
    static func ip(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> IPAddress? {
        guard from < to, to - from <= 45 else { return nil }
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digitsInPart = 0
        var dots = 0
        var i = from
        while i < to {
            let c = p[i]
            if c &- 0x30 < 10, digitsInPart < 3 {
                part = part * 10 + UInt32(c &- 0x30)
                digitsInPart += 1
            } else if c == UInt8(ascii: "."), digitsInPart > 0, dots < 3, part <= 255 {
                value = value << 8 | part
                part = 0
                digitsInPart = 0
                dots += 1
            } else {
                return find(colon, p, from, to) != nil ? IPAddress(string(p, from, to)) : nil
            }
            i += 1
        }
        guard dots == 3, digitsInPart > 0, part <= 255 else { return nil }
        return IPAddress(v4: value << 8 | part)
    }

    /// Decodes hex text (`2D75`) filling `[from, to)` exactly; nil on odd length or a non-hex byte.
    static func hexDecoded(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> [UInt8]? {
        guard from < to, (to - from) % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity((to - from) / 2)
        var i = from
        while i < to {
            guard let hi = Hex.value(p[i]), let lo = Hex.value(p[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// Whether `bytes` are valid UTF-8 (used to decide whether un-escaping made text or binary).
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }
}

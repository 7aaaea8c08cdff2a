/// The byte classes the scanner's main loop dispatches on: one table lookup per byte.
enum ByteClass {
    static let digit: UInt8 = 1
    static let alpha: UInt8 = 2
    static let alnum: UInt8 = 3
    /// `@` (email) and `\` (a JSON escape such as `\n` or `\uff1a` must not glue letters to a number).
    static let special: UInt8 = 4
    /// Characters of an email local part besides letters and digits: `.`, `_`, `+`, `-`.
    static let localPunct: UInt8 = 8

    /// The 256-entry table, allocated once and never freed.
    static let table = Table()

    /// `@unchecked Sendable` (a raw pointer is not Sendable): the only instance is the `static let`
    /// above, so `init` runs once under the runtime's one-time initialisation, which orders its writes
    /// before any reader's first access; afterwards the buffer is only read (`base` is an
    /// `UnsafePointer`, nothing writes through it) and never freed, so concurrent reads cannot race.
    struct Table: @unchecked Sendable {
        let base: UnsafePointer<UInt8>

        init() {
            let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
            t.initialize(repeating: 0, count: 256)
            for b in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(b)] = digit }
            for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(b)] = alpha }
            for b in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(b)] = alpha }
            t[Int(UInt8(ascii: "@"))] = special
            t[Int(UInt8(ascii: "\\"))] = special
            for c in "._+-".utf8 { t[Int(c)] = localPunct }
            base = UnsafePointer(t)
        }
    }
}

extension UInt8 {
    @inline(__always) var isDigit: Bool { self &- 48 < 10 }
    @inline(__always) var isAlpha: Bool { (self | 0x20) &- 97 < 26 }
    @inline(__always) var isAlnum: Bool { isDigit || isAlpha }
    @inline(__always) var isHexDigit: Bool { isDigit || (self | 0x20) &- 97 < 6 }
    @inline(__always) var asciiLowercased: UInt8 { self &- 65 < 26 ? self | 0x20 : self }
    @inline(__always) var asciiUppercased: UInt8 { self &- 97 < 26 ? self & ~0x20 : self }
    @inline(__always) var digitValue: Int { Int(self &- 48) }
    @inline(__always) var hexValue: UInt8 { isDigit ? self &- 48 : (self | 0x20) &- 87 }
}

/// Tests over bytes on the hot paths that look for rare bytes in long texts (control bytes in HTTP
/// bodies, line ends), eight bytes per step with word tests (SWAR); JSON escaping and Inspect's
/// scan use the sixteen-byte steps of `CByteScan`. Each word test is exact as a yes/no for the eight bytes; callers
/// look at the bytes one by one only when it says yes.
public enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether some byte of `word` is below `limit` (1…128). No byte below `limit` means no borrow
    /// crosses a byte, so a byte ≥ 0x80 (UTF-8 beyond ASCII) is never reported.
    @inline(__always)
    public static func hasByte(below limit: UInt8, in word: UInt64) -> Bool {
        (word &- ones &* UInt64(limit)) & ~word & highs != 0
    }

    /// Whether some byte of `word` equals `byte`.
    @inline(__always)
    public static func hasByte(_ byte: UInt8, in word: UInt64) -> Bool {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs != 0
    }

    /// Whether the bytes are text: no control byte but tab, LF and CR, and with `asciiOnly` none
    /// from 0x80 on either. Eight bytes per step; a word with such a byte is looked at bytewise.
    public static func isText(_ text: UnsafeBufferPointer<UInt8>, asciiOnly: Bool) -> Bool {
        guard let base = text.baseAddress else { return true }
        let stopMask: UInt64 = asciiOnly ? highs : 0
        var i = 0
        while i < text.count {
            while i + 8 <= text.count {
                let w = word(base, i)
                if w & stopMask != 0 || hasByte(below: 0x20, in: w) { break }
                i += 8
            }
            let stop = min(i + 8, text.count)
            while i < stop {
                let b = base[i]
                if (asciiOnly && b >= 0x80) || (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) { return false }
                i += 1
            }
        }
        return true
    }

    /// A multiply-xorshift hash of `bytes` eight at a time, from `seed`: for in-process tables only
    /// (its values are not stable across versions). Callers finish it as their table needs.
    @inline(__always)
    public static func hashWords(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = seed
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    /// The eight bytes at `offset` as one word (any alignment).
    @inline(__always)
    public static func word(_ base: UnsafePointer<UInt8>, _ offset: Int) -> UInt64 {
        UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
    }
}

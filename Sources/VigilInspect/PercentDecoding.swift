#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Percent-decoding for scanning only: `%2B86%20138…` must not hide a number behind `2B86`. The scanner
/// runs over the decoded bytes; `map` takes each decoded byte back to its offset in the original, so
/// masking rewrites the original bytes (an escaped character becomes `%2A`, an escaped `*`).
enum PercentDecoding {
    /// Whether `raw` holds any `%XX` escape (memchr, so text without `%` costs almost nothing).
    static func hasEscape(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard let base = raw.baseAddress else { return false }
        var offset = 0
        while offset < raw.count {
            guard let hit = memchr(base + offset, 0x25, raw.count - offset) else { return false }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if at + 2 < raw.count, raw[at + 1].isHexDigit, raw[at + 2].isHexDigit { return true }
            offset = at + 1
        }
        return false
    }

    /// Whether the original byte at `offset` starts an escape (three bytes) rather than being itself.
    @inline(__always)
    static func isEscape(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        raw[offset] == 0x25 && offset + 2 < raw.count && raw[offset + 1].isHexDigit && raw[offset + 2].isHexDigit
    }

    /// Decodes every `%XX` of `raw` into `out` (at least `raw.count` bytes), recording in `map` the
    /// original offset of each decoded byte. `+` stays `+` (it is a mobile prefix as often as a space).
    /// Returns the decoded length.
    static func decode(
        _ raw: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>, map: UnsafeMutablePointer<Int32>
    ) -> Int {
        var i = 0, o = 0
        while i < raw.count {
            map[o] = Int32(truncatingIfNeeded: i)
            if isEscape(raw, at: i) {
                out[o] = raw[i + 1].hexValue << 4 | raw[i + 2].hexValue
                i += 3
            } else {
                out[o] = raw[i]
                i += 1
            }
            o += 1
        }
        return o
    }
}

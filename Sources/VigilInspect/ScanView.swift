/// The bytes a scan ran over and the way back to the original text: identity for plain text, the
/// decoded-to-original offset map for percent-encoded text.
struct ScanView {
    /// The scanned bytes (percent-decoded when `map` is set).
    let bytes: UnsafeRawBufferPointer
    /// Original offset of each scanned byte; nil when the text was scanned as is.
    let map: UnsafePointer<Int32>?
    let raw: UnsafeRawBufferPointer

    /// The original offset of scanned byte `k` (`bytes.count` maps to `raw.count`).
    @inline(__always)
    func rawOffset(_ k: Int) -> Int {
        guard let map else { return k }
        return k < bytes.count ? Int(map[k]) : raw.count
    }

    func rawRange(_ m: Match) -> Range<Int> { rawOffset(m.start)..<rawOffset(m.end) }

    @inline(__always)
    private func isSignificant(_ m: Match, _ k: Int) -> Bool { m.maskAll || bytes[k].isAlnum }

    /// Calls `body` with the scanned offset of every character `m` masks: the significant characters of
    /// its core except the first `keepHead` and the last `keepTail`.
    func forEachMasked(_ m: Match, _ body: (Int) -> Void) {
        var total = 0
        for k in m.coreStart..<m.coreEnd where isSignificant(m, k) { total += 1 }
        var index = 0
        for k in m.coreStart..<m.coreEnd where isSignificant(m, k) {
            if index >= m.keepHead, index < total - m.keepTail { body(k) }
            index += 1
        }
    }

    /// Masks `m` in `text`, the masked copy of `raw`: a character becomes `*`, an escaped one `%2A`, so
    /// the text keeps its length and no form of the value survives.
    func mask(_ m: Match, in text: inout MaskedText) {
        if map == nil, !m.maskAll {
            // Plain text: hand over runs of masked characters, not one character at a time.
            var total = 0
            for k in m.coreStart..<m.coreEnd where bytes[k].isAlnum { total += 1 }
            if total == m.coreEnd - m.coreStart {
                // No separators inside (the usual ID or number): one run.
                let count = total - m.keepHead - m.keepTail
                if count > 0 { text.mask(m.coreStart + m.keepHead, count: count) }
                return
            }
            var index = 0, runStart = 0, runCount = 0
            for k in m.coreStart..<m.coreEnd where bytes[k].isAlnum {
                if index >= m.keepHead, index < total - m.keepTail {
                    if runCount > 0, runStart + runCount == k {
                        runCount += 1
                    } else {
                        if runCount > 0 { text.mask(runStart, count: runCount) }
                        runStart = k
                        runCount = 1
                    }
                }
                index += 1
            }
            if runCount > 0 { text.mask(runStart, count: runCount) }
            return
        }
        forEachMasked(m) { k in
            let o = rawOffset(k)
            text.mask(o, escaped: map != nil && PercentDecoding.isEscape(raw, at: o))
        }
    }

    /// The match as it reads after masking, decoded: `110105********002X`, `+86 138****5678`.
    func masked(_ m: Match) -> String {
        String(unsafeUninitializedCapacity: m.end - m.start) { out in
            for k in m.start..<m.end { out[k - m.start] = bytes[k] }
            forEachMasked(m) { out[$0 - m.start] = UInt8(ascii: "*") }
            return m.end - m.start
        }
    }

    /// Writes the normalised value of `m` to `out` (capacity `normalisedCapacity`) and returns its length:
    /// the core's letters and digits upper-cased (ID `X`, USCC, passport), a phone number without
    /// country code or separators (a landline with its trunk 0), an email lower-cased whole.
    func normalise(_ m: Match, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var o = 0
        if m.kind == .email {
            for k in m.start..<min(m.end, m.start + Self.normalisedCapacity) {
                out[o] = bytes[k].asciiLowercased
                o += 1
            }
            return o
        }
        if m.addTrunkZero {
            out[0] = UInt8(ascii: "0")
            o = 1
        }
        for k in m.coreStart..<m.coreEnd where bytes[k].isAlnum && o < Self.normalisedCapacity {
            out[o] = bytes[k].asciiUppercased
            o += 1
        }
        return o
    }

    /// An email is at most 64 + 1 + 253 bytes; every other value is shorter.
    static let normalisedCapacity = 320
}

extension Inspector {
    /// Scans the UTF-8 bytes `raw`, calling `body` for every match (of any confidence) with the view to
    /// mask and describe it; `body` returns whether a keyword may still raise a medium match to high
    /// (`Scanner.contextRaisesMedium`). Allocates nothing itself for text without `%XX` escapes;
    /// percent-encoded text is decoded into a temporary buffer (on the stack when it fits).
    func scan(_ raw: UnsafeRawBufferPointer, raiseMedium: Bool = true, _ body: (Match, ScanView) -> Bool) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Scanner.scratchCapacity) { scratch in
            let scratch = scratch.baseAddress!
            guard raw.count < Int(Int32.max), PercentDecoding.hasEscape(raw) else {
                let view = ScanView(bytes: raw, map: nil, raw: raw)
                var scanner = Scanner(raw, scratch: scratch, latestBirthYear: options.latestBirthYear)
                scanner.contextRaisesMedium = raiseMedium
                while let m = scanner.next() { scanner.contextRaisesMedium = body(m, view) }
                return
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { decoded in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: raw.count) { map in
                    let count = PercentDecoding.decode(raw, into: decoded.baseAddress!, map: map.baseAddress!)
                    let bytes = UnsafeRawBufferPointer(start: decoded.baseAddress!, count: count)
                    let view = ScanView(bytes: bytes, map: map.baseAddress!, raw: raw)
                    var scanner = Scanner(bytes, scratch: scratch, latestBirthYear: options.latestBirthYear)
                    scanner.contextRaisesMedium = raiseMedium
                    while let m = scanner.next() { scanner.contextRaisesMedium = body(m, view) }
                }
            }
        }
    }
}

import VigilCore

extension Inspector {
    /// What one event's fields held, accumulated across fields and written as `dlp.*` at the end. Empty
    /// (and allocation-free) until the first detection.
    struct Findings {
        var counts: [Int] = []
        var total = 0
        var highest = Confidence.low
        var samples: [String] = []
        /// Distinct truncated MACs, as big-endian words so their order is the order of their hex.
        var digests: [Digest] = []
        /// A cheap fingerprint of each normalised value seen, so a value that appears in several
        /// fields (`url.original` and `url.query`) or twice in a body is counted once.
        var seen = FingerprintSet()

        /// The `dlp.*` summary fields, in the order events carry them.
        func summary(hashBytes: Int) -> [Event.Field] {
            let kinds = DLPKind.allCases.filter { counts[$0.index] > 0 }.sorted()
            return [
                .init(id: Fields.dlpTypes, value: .list(kinds.map { .string($0.rawValue) })),
                .init(id: Fields.dlpCount, value: .integer(total)),
                .init(
                    id: Fields.dlpCounts, value: .object(kinds.map { .init($0.rawValue, .integer(counts[$0.index])) })),
                .init(id: Fields.dlpConfidence, value: .string(highest.description)),
                .init(id: Fields.dlpSamples, value: .list(samples.map(FieldValue.string))),
                .init(id: Fields.dlpHashes, value: .list(digests.sorted().map { .string($0.hex(bytes: hashBytes)) })),
            ]
        }
    }

    /// The value with its string content masked, or nil when nothing was found in it.
    func masked(_ value: FieldValue, _ findings: inout Findings) -> FieldValue? {
        switch value {
        case .string(let s):
            return masked(s, &findings).map(FieldValue.string)
        case .list(let items):
            var out: [FieldValue]? = nil
            for (index, item) in items.enumerated() {
                guard let new = masked(item, &findings) else { continue }
                if out == nil { out = items }
                out![index] = new
            }
            return out.map(FieldValue.list)
        case .object(let members):
            var out: [FieldValue.Member]? = nil
            for (index, member) in members.enumerated() {
                guard let new = masked(member.value, &findings) else { continue }
                if out == nil { out = members }
                out![index].value = new
            }
            return out.map(FieldValue.object)
        case .int, .double, .bool, .ip, .time:
            return nil
        }
    }

    /// The string with its detections masked, or nil when it holds none.
    func masked(_ s: String, _ findings: inout Findings) -> String? {
        // The text is remade from its bytes in the rare case something is masked: capturing `s`
        // retained it for every field.
        if let result = s.utf8.withContiguousStorageIfAvailable({ masked(utf8: $0, &findings) }) {
            return result
        }
        var copy = s
        return copy.withUTF8 { masked(UnsafeRawBufferPointer($0), &findings) { s } }
    }

    /// The text of valid UTF-8 bytes with its detections masked, or nil when it holds none.
    func masked(utf8 text: UnsafeBufferPointer<UInt8>, _ findings: inout Findings) -> String? {
        masked(UnsafeRawBufferPointer(text), &findings) { String(decoding: text, as: UTF8.self) }
    }

    /// `raw` is the UTF-8 of the text `string()` makes (only once something is to be masked).
    private func masked(
        _ raw: UnsafeRawBufferPointer, _ findings: inout Findings, string: () -> String
    ) -> String? {
        // Every detection holds an ASCII digit or an `@`, also percent- or JSON-escaped (`%40`, `\u0031`
        // carry digits): a short text without one (`tcp`, a host name, a cipher suite's name) is done
        // without setting a scan up. A long one is scanned at once; the scan skips to the first such byte.
        if raw.count < 64, !raw.contains(where: { $0 &- 0x30 < 10 || $0 == UInt8(ascii: "@") }) { return nil }
        var out: MaskedText? = nil
        // Once the event holds a high-confidence value, a keyword raising another medium match to
        // high changes nothing it reports, so that search is skipped; raising low to medium (which
        // decides whether a match counts) always happens.
        scan(raw, raiseMedium: findings.highest < .high) { m, view in
            if m.confidence >= .medium {
                if out == nil { out = MaskedText(string()) }
                view.mask(m, in: &out!)
                record(m, view, &findings)
            }
            return findings.highest < .high
        }
        return out?.finish()
    }

    /// Counts distinct values: `dlp.count` says how many citizens' (or companies') identifiers an
    /// event carried, which is what bulk-export rules threshold on, not how often one was repeated.
    private func record(_ m: Match, _ view: ScanView, _ findings: inout Findings) {
        if findings.counts.isEmpty { findings.counts = [Int](repeating: 0, count: DLPKind.allCases.count) }
        findings.highest = max(findings.highest, m.confidence)
        // The value is normalised once, for the fingerprint and (for the first `maxHashes`) the MAC.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ScanView.normalisedCapacity) { buffer in
            let count = view.normalise(m, into: buffer.baseAddress!)
            let h = FingerprintSet.fingerprint(
                kind: m.kind.index, UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count))
            guard findings.seen.insert(h, expecting: view.bytes.count / 32) else { return }
            findings.counts[m.kind.index] += 1
            findings.total += 1
            if findings.samples.count < options.maxSamples {
                let sample = view.masked(m)
                if !findings.samples.contains(sample) { findings.samples.append(sample) }
            }
            if findings.digests.count < options.maxHashes {
                // The MAC leaves the kind out, so one value found as two kinds gives one digest.
                let digest = digest(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count))
                if !findings.digests.contains(digest) { findings.digests.append(digest) }
            }
        }
    }
}

/// Inspect for an event whose fields are written as they are built (never held in an `Event`): each
/// field passes through `masked` in order, then `summary` gives the `dlp.*` fields to write last —
/// the same masking and summary `Inspector.inspect(_:)` gives the whole event.
public struct FieldInspection {
    let inspector: Inspector
    var findings = Inspector.Findings()

    public init(_ inspector: Inspector) { self.inspector = inspector }

    /// The value with its detections masked, or nil when it is unchanged (nothing found, or a field
    /// Inspect skips).
    public mutating func masked(_ id: FieldID, _ value: FieldValue) -> FieldValue? {
        inspector.isSkipped(id) ? nil : inspector.masked(value, &findings)
    }

    /// `masked` for a string value.
    public mutating func masked(_ id: FieldID, _ value: String) -> String? {
        inspector.isSkipped(id) ? nil : inspector.masked(value, &findings)
    }

    /// `masked` for a text given as valid UTF-8 bytes.
    public mutating func masked(_ id: FieldID, utf8 text: UnsafeBufferPointer<UInt8>) -> String? {
        inspector.isSkipped(id) ? nil : inspector.masked(utf8: text, &findings)
    }

    /// The `dlp.*` fields, empty when nothing was found.
    public var summary: [Event.Field] {
        findings.total > 0 ? findings.summary(hashBytes: inspector.options.hashBytes) : []
    }
}

/// The first 128 bits of a MAC (truncated further to `hashBytes` when written), compared as two words.
struct Digest: Comparable {
    var high: UInt64
    var low: UInt64

    static func < (a: Digest, b: Digest) -> Bool { (a.high, a.low) < (b.high, b.low) }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex of the first `bytes` bytes (at most 16).
    func hex(bytes: Int) -> String {
        let count = min(bytes, 16)
        return String(unsafeUninitializedCapacity: 2 * count) { out in
            for k in 0..<count {
                let byte = UInt8(truncatingIfNeeded: (k < 8 ? high >> (56 - 8 * k) : low >> (56 - 8 * (k - 8))))
                out[2 * k] = Digest.hexDigits[Int(byte >> 4)]
                out[2 * k + 1] = Digest.hexDigits[Int(byte & 15)]
            }
            return 2 * count
        }
    }
}

/// A set of 64-bit fingerprints that are already well mixed (`fingerprint`), so they index an
/// open-addressing table directly: no per-insert hashing, one allocation until it doubles.
struct FingerprintSet {
    private var slots: [UInt64] = []
    private var count = 0

    /// A 64-bit fingerprint of a normalised value of one kind, for in-process deduplication only
    /// (never written out): `ByteScan.hashWords`, eight bytes per multiply (FNV-1a was one dependent
    /// multiply per byte). The kind and the length seed it, so one value of two kinds differs, and a
    /// final avalanche spreads every input bit over the bits the table indexes with.
    static func fingerprint(kind: Int, _ value: UnsafeRawBufferPointer) -> UInt64 {
        let seed = ((UInt64(truncatingIfNeeded: kind) &+ 1) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(value.count)
        var h = ByteScan.hashWords(value, seed: seed)
        // fmix64 of MurmurHash3.
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// Inserts `value`; returns false when it was already present. `expecting` sizes the table at
    /// the first insert (how many values the text may hold), so a dense body does not regrow it
    /// several times.
    mutating func insert(_ value: UInt64, expecting: Int = 0) -> Bool {
        let v = value == 0 ? 1 : value  // 0 marks an empty slot
        if slots.isEmpty {
            var size = 128
            while size < 4096 && size < 2 * expecting { size *= 2 }
            slots = [UInt64](repeating: 0, count: size)
        }
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: v >> 7) & mask
        while slots[i] != 0 {
            if slots[i] == v { return false }
            i = (i + 1) & mask
        }
        slots[i] = v
        count += 1
        return true
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        count = 0
        for v in old where v != 0 { _ = insert(v) }
    }
}

/// An IPv4 or IPv6 address in 17 bytes, comparable and hashable without allocation.
/// IPv4 addresses live in the low 32 bits of `low`; `high` is then zero.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public var isV6: Bool

    public init(v4: UInt32) {
        high = 0
        low = UInt64(v4)
        isV6 = false
    }

    public init(v6High: UInt64, low: UInt64) {
        high = v6High
        self.low = low
        isV6 = true
    }

    /// Reads 4 or 16 network-order bytes.
    public init(bytes: UnsafeRawBufferPointer, offset: Int, v6: Bool) {
        if v6 {
            self.init(v6High: bytes.loadBigEndianUInt64(at: offset), low: bytes.loadBigEndianUInt64(at: offset + 8))
        } else {
            self.init(v4: bytes.loadBigEndianUInt32(at: offset))
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isV6 != b.isV6 { return !a.isV6 }
        return (a.high, a.low) < (b.high, b.low)
    }

    /// The address in network byte order (4 or 16 bytes), as hashed by Community ID.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        if isV6 {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
            }
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
            }
        } else {
            for shift in stride(from: 24, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
            }
        }
        return out
    }

    /// Writes an IPv4 address's dotted quad (up to 15 bytes) into `out`; returns its length. Event
    /// output writes it straight into its buffer; `description` makes a string of it.
    public func writeDottedQuad(into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let v = UInt32(truncatingIfNeeded: low)
        var n = 0
        for k in 0..<4 {
            if k > 0 {
                out[n] = UInt8(ascii: ".")
                n += 1
            }
            let octet = UInt8(truncatingIfNeeded: v >> UInt32(24 - 8 * k))
            if octet >= 100 {
                out[n] = 0x30 + octet / 100
                n += 1
            }
            if octet >= 10 {
                out[n] = 0x30 + octet / 10 % 10
                n += 1
            }
            out[n] = 0x30 + octet % 10
            n += 1
        }
        return n
    }

    /// The longest text `writeText` writes (eight groups of four hex digits and seven colons).
    public static let maxTextLength = 39

    /// Writes the address's text (`description`) into `out`, which has room for `maxTextLength`
    /// bytes; returns its length. Event output writes it straight into its buffer: a DNS answer's
    /// IPv6 address built as a string of group strings cost a twentieth of the thread that writes
    /// events (session 19).
    public func writeText(into out: UnsafeMutablePointer<UInt8>) -> Int {
        if !isV6 { return writeDottedQuad(into: UnsafeMutableBufferPointer(start: out, count: 15)) }
        if high == 0, low >> 32 == 0xFFFF {
            let prefix: StaticString = "::ffff:"
            out.update(from: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            let n = prefix.utf8CodeUnitCount
            let v4 = IPAddress(v4: UInt32(truncatingIfNeeded: low))
            return n + v4.writeDottedQuad(into: UnsafeMutableBufferPointer(start: out + n, count: 15))
        }
        @inline(__always) func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i & 3)))
        }
        // RFC 5952: the first longest run of two or more zero groups becomes `::`.
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8, group(j) == 0 { j += 1 }
                if j - i > bestLen, j - i >= 2 {
                    bestStart = i
                    bestLen = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        var n = 0
        i = 0
        while i < 8 {
            if i == bestStart {
                if i == 0 {
                    out[n] = UInt8(ascii: ":")
                    n += 1
                }
                out[n] = UInt8(ascii: ":")
                n += 1
                i += bestLen
                continue
            }
            let g = group(i)
            var shift = 12
            while shift > 0, g >> UInt16(shift) == 0 { shift -= 4 }
            while shift >= 0 {
                let d = UInt8(truncatingIfNeeded: g >> UInt16(shift)) & 0xF
                out[n] = d < 10 ? 0x30 + d : 0x57 + d
                n += 1
                shift -= 4
            }
            if i < 7 {
                out[n] = UInt8(ascii: ":")
                n += 1
            }
            i += 1
        }
        return n
    }

    /// Dotted quad, or RFC 5952 text (longest run of two or more zero groups compressed, lowercase).
    public var description: String {
        // Written byte by byte (interpolating four integers cost 0.2 µs, per address shown).
        String(unsafeUninitializedCapacity: Self.maxTextLength) { writeText(into: $0.baseAddress!) }
    }

    /// Parses dotted-quad IPv4 or IPv6 text (with `::` compression and an embedded IPv4 tail).
    public init?(_ text: some StringProtocol) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var v: UInt32 = 0
            for p in parts {
                guard !p.isEmpty, p.count <= 3, let n = UInt32(p), n <= 255 else { return nil }
                v = v << 8 | n
            }
            self.init(v4: v)
            return
        }
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = Self.splitDoubleColon(String(text))
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1, p.contains("."), let v4 = IPAddress(p), !v4.isV6 {
                    out.append(UInt16(truncatingIfNeeded: v4.low >> 16))
                    out.append(UInt16(truncatingIfNeeded: v4.low))
                } else {
                    guard (1...4).contains(p.count), let g = UInt16(p, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        guard let h = groups(halves[0]) else { return nil }
        head = h
        if halves.count == 2 {
            guard let t = groups(halves[1]) else { return nil }
            tail = t
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard head.count == 8 else { return nil }
        }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        self.init(v6High: hi, low: lo)
    }
}

extension IPAddress {
    static func splitDoubleColon(_ s: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var previousColon = false
        for c in s {
            if c == ":" && previousColon {
                current.removeLast()
                parts.append(current)
                current = ""
                previousColon = false
                continue
            }
            current.append(c)
            previousColon = c == ":"
        }
        parts.append(current)
        return parts
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) public func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always) public func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) public func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

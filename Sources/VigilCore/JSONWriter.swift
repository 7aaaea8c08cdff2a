/// Appends JSON text to a byte buffer without Foundation: the output path runs once per event.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) public mutating func byte(_ b: UInt8) { bytes.append(b) }
    @inline(__always) public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A quoted, escaped JSON string. Input is valid UTF-8 (Swift strings are).
    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// Which bytes need escaping in a JSON string: quote, backslash, control characters and DEL.
    private static let needsEscape: [Bool] = (0..<256).map { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }

    public mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        guard let base = utf8.baseAddress else {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        // Copy runs of plain bytes in one go: escaping is the hot loop of event output. Eight bytes
        // are tested at once (ByteScan); only a word holding a byte to escape is looked at bytewise.
        let count = utf8.count
        var runStart = 0
        var i = 0
        Self.needsEscape.withUnsafeBufferPointer { table in
            while i < count {
                while i + 8 <= count, !ByteScan.needsJSONEscape(ByteScan.word(base, i)) { i += 8 }
                let stop = min(i + 8, count)
                while i < stop {
                    let b = base[i]
                    i += 1
                    guard table[Int(b)] else { continue }
                    if runStart < i - 1 {
                        bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - 1 - runStart))
                    }
                    runStart = i
                    switch b {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
                    case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                    case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                    case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                    default:
                        bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
                        bytes.append(Self.hex[Int(b >> 4)])
                        bytes.append(Self.hex[Int(b & 0xF)])
                    }
                }
            }
        }
        if runStart < count {
            bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// JSON object keys by field id, copied from the registry once per writer, not locked per field.
    private var keyCache: [[UInt8]] = []

    /// Appends `"name":` for a field.
    public mutating func key(_ id: FieldID) {
        let index = Int(id.rawValue)
        if index >= keyCache.count { keyCache = FieldRegistry.shared.allJSONKeys() }
        bytes.append(contentsOf: keyCache[index])
    }

    public mutating func int(_ v: Int64) {
        if v == 0 { bytes.append(0x30); return }
        var magnitude = v < 0 ? UInt64(bitPattern: 0 &- v) : UInt64(v)
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits into a fixed stack buffer, most significant last, then copied in order.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 0
            while magnitude > 0 {
                digits[n] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
                n += 1
            }
            while n > 0 {
                n -= 1
                bytes.append(digits[n])
            }
        }
    }

    public mutating func double(_ v: Double) {
        if v.isFinite { bytes.append(contentsOf: v.description.utf8) } else { raw("null") }
    }
}

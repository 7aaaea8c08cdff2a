/// Appends JSON text to a byte buffer without Foundation: the output path runs once per event.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) public mutating func byte(_ b: UInt8) { bytes.append(b) }
    @inline(__always) public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// A quoted, escaped JSON string. Input is valid UTF-8 (Swift strings are).
    public mutating func string(_ s: String) {
        // Read in place: a mutable copy for `withUTF8` retained the string (and the writer thread's
        // strings were made on the capture thread).
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) != nil { return }
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// How each byte is written in a JSON string: 0 as is, 1 after a backslash (`"`, `\\`), or the
    /// letter of its two-byte escape (`n`, `r`, `t`); 2 for the other control bytes and DEL (`\\u00XX`).
    private static let escapeTable: [UInt8] = (0..<256).map { (b: Int) -> UInt8 in
        switch b {
        case 0x22, 0x5C: 1
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        case 0..<0x20, 0x7F: 2
        default: 0
        }
    }

    /// Input bytes escaped per step into a scratch buffer (six output bytes at most per input byte).
    private static let escapeChunk = 2048

    public mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        guard let base = utf8.baseAddress else {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        // Escaping is the hot loop of event output. Eight bytes are tested at once (ByteScan): a
        // text with nothing to escape (most fields) is copied in one go.
        let count = utf8.count
        let i = ByteScan.firstJSONEscape(base, from: 0, end: count)
        bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: i))
        if i < count { escapeRest(base, from: i, count: count) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `text` as a quoted JSON string if it is ASCII text: no byte from 0x80 on, no control
    /// byte but tab, LF and CR (DEL is escaped). Otherwise appends nothing and returns false. One
    /// pass both checks and escapes: a body prefix of several KiB is read once, not twice.
    public mutating func appendASCIIText(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let mark = bytes.count
        bytes.append(UInt8(ascii: "\""))
        guard let base = text.baseAddress else {
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        let count = text.count
        let i = ByteScan.firstJSONEscapeOrHigh(base, from: 0, end: count)
        bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: i))
        if i < count, !escapeRest(base, from: i, count: count, asciiTextOnly: true) {
            bytes.removeSubrange(mark...)
            return false
        }
        bytes.append(UInt8(ascii: "\""))
        return true
    }

    /// Escapes from `from` on (the first byte to escape) through a scratch buffer, so a text full of
    /// quotes (a JSON body) costs a store or two per byte instead of an array append per escape, and
    /// the runs between escapes (an HTML body's lines) are copied whole. With `asciiTextOnly`, stops
    /// at a byte from 0x80 on or a control byte but tab, LF and CR, and returns false.
    @inline(__always)
    @discardableResult
    private mutating func escapeRest(
        _ base: UnsafePointer<UInt8>, from: Int, count: Int, asciiTextOnly: Bool = false
    ) -> Bool {
        var i = from
        return Self.escapeTable.withUnsafeBufferPointer { table in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6 * Self.escapeChunk + 8) { scratch in
                let out = scratch.baseAddress!
                while i < count {
                    let end = min(i + Self.escapeChunk, count)
                    var o = 0
                    while i < end {
                        // The run up to the next byte to escape, copied whole; then that byte.
                        let next =
                            asciiTextOnly
                            ? ByteScan.firstJSONEscapeOrHigh(base, from: i, end: end)
                            : ByteScan.firstJSONEscape(base, from: i, end: end)
                        if next > i {
                            (out + o).update(from: base + i, count: next - i)
                            o += next - i
                            i = next
                            if i == end { break }
                        }
                        let b = base[i]
                        i += 1
                        if asciiTextOnly, b >= 0x80 || (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) {
                            return false
                        }
                        switch table[Int(b)] {
                        case 0:
                            out[o] = b
                            o += 1
                        case 1:
                            out[o] = UInt8(ascii: "\\")
                            out[o + 1] = b
                            o += 2
                        case 2:
                            out[o] = UInt8(ascii: "\\")
                            out[o + 1] = UInt8(ascii: "u")
                            out[o + 2] = 0x30
                            out[o + 3] = 0x30
                            out[o + 4] = Self.hexDigit(b >> 4)
                            out[o + 5] = Self.hexDigit(b & 0xF)
                            o += 6
                        case let letter:
                            out[o] = UInt8(ascii: "\\")
                            out[o + 1] = letter
                            o += 2
                        }
                    }
                    bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: o))
                }
                return true
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    /// JSON object keys by field id, copied from the registry once per writer, not locked per field:
    /// all of them in one buffer, each after a comma (`,"name":`), `keyEnds[id]` where each ends
    /// (one array, so appending a key retains nothing).
    private var keyBytes: [UInt8] = []
    private var keyEnds: [Int] = []

    /// Appends `"name":` for a field.
    public mutating func key(_ id: FieldID) { appendKey(id, comma: false) }

    /// Appends `,"name":`: a field after another, in one append.
    public mutating func commaKey(_ id: FieldID) { appendKey(id, comma: true) }

    private mutating func appendKey(_ id: FieldID, comma: Bool) {
        let index = Int(id.rawValue)
        if index >= keyEnds.count {
            let keys = FieldRegistry.shared.allJSONKeys()
            keyBytes = keys.flatMap { [UInt8(ascii: ",")] + $0 }
            keyEnds = keys.reduce(into: []) { ends, key in ends.append((ends.last ?? 0) + 1 + key.count) }
        }
        let start = (index == 0 ? 0 : keyEnds[index - 1]) + (comma ? 0 : 1)
        let end = keyEnds[index]
        keyBytes.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    public mutating func int(_ v: Int64) {
        if v == 0 { bytes.append(0x30); return }
        var magnitude = v < 0 ? UInt64(bitPattern: 0 &- v) : UInt64(v)
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits into a fixed stack buffer from its end, then appended in one go.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 20
            while magnitude > 0 {
                n -= 1
                digits[n] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[n..<20]))
        }
    }

    public mutating func double(_ v: Double) {
        if v.isFinite { bytes.append(contentsOf: v.description.utf8) } else { raw("null") }
    }
}

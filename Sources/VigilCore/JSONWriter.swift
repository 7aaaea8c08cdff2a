import CByteScan

/// Appends JSON text to a byte buffer without Foundation: the output path runs once per event.
///
/// The buffer is written through a pointer: an `Array` checked uniqueness and capacity and went
/// through its generic copy on every piece (a key, a quote, a number), about a tenth of the thread
/// that writes events; and text is escaped straight into it rather than through a scratch buffer.
/// Non-copyable, so its one block has one owner (a copy could not share it safely); `bytes` gives
/// the text as an array.
///
/// `@unchecked Sendable`, safely: the only non-Sendable stored properties are `base`, `keyBytes`
/// and `keyEnds`, pointers to blocks this value alone allocates, reallocates and frees. The type
/// cannot be copied, so sending a writer to another thread moves it: the sender can no longer reach
/// the blocks, and no two threads ever hold them. The text block is never handed out beyond a call
/// (`withBytes`, and `append(maxCount:)`'s closure, get it only for their duration); the key blocks
/// are never handed out.
public struct JSONWriter: ~Copyable, @unchecked Sendable {
    /// The block: `count` bytes written of `capacity`, owned (freed by `deinit`).
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count: Int
    @usableFromInline var capacity: Int

    public init(capacity: Int = 0) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        count = 0
    }

    deinit {
        base.deallocate()
        keyBytes?.deallocate()
        keyEnds?.deallocate()
    }

    /// The text written so far, copied into an array.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Bytes written so far.
    public var byteCount: Int { count }

    /// The text written so far, read in place (valid inside `body` only).
    public func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Drops what was written after the first `length` bytes (a mark taken from `byteCount`).
    public mutating func truncate(to length: Int) {
        precondition(length >= 0 && length <= count, "truncate beyond the text")
        count = length
    }

    /// Forgets everything written; keeps the block.
    public mutating func removeAll() { count = 0 }

    /// Room for `n` more bytes.
    @inline(__always) @usableFromInline
    mutating func reserve(_ n: Int) {
        if count &+ n > capacity { grow(to: count + n) }
    }

    @usableFromInline
    mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        moved.update(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = newCapacity
    }

    /// Writes at most `maxCount` bytes through the pointer `body` gets; `body` returns how many it wrote.
    @inline(__always)
    public mutating func append(maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maxCount)
        let n = body(base + count)
        precondition(n >= 0 && n <= maxCount, "wrote beyond what was reserved")
        count &+= n
    }

    @inline(__always) public mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count &+= 1
    }

    @inline(__always) public mutating func append(_ p: UnsafePointer<UInt8>, count n: Int) {
        reserve(n)
        (base + count).update(from: p, count: n)
        count &+= n
    }

    @inline(__always) public mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        guard let p = b.baseAddress else { return }
        append(p, count: b.count)
    }

    @inline(__always) public mutating func raw(_ s: StaticString) {
        append(s.utf8Start, count: s.utf8CodeUnitCount)
    }
    public mutating func raw(_ b: [UInt8]) { b.withUnsafeBufferPointer { append($0) } }

    /// A quoted, escaped JSON string. Input is valid UTF-8 (Swift strings are).
    public mutating func string(_ s: String) {
        // Read in place: a mutable copy for `withUTF8` retained the string (and the writer thread's
        // strings were made on the capture thread).
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) != nil { return }
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// Input bytes escaped per step: room for six output bytes per input byte is reserved per step.
    private static let escapeChunk = 4096

    public mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        let n = utf8.count
        if n <= Self.escapeChunk, let text = utf8.baseAddress {
            // Most strings: one reservation, the quotes written around the escaped text.
            reserve(6 * n + 2)
            base[count] = UInt8(ascii: "\"")
            let written = vigil_json_escape(text, n, base + count + 1, 0)
            base[count + 1 + written] = UInt8(ascii: "\"")
            count &+= written + 2
            return
        }
        byte(UInt8(ascii: "\""))
        if let text = utf8.baseAddress { escape(text, count: n, asciiTextOnly: false) }
        byte(UInt8(ascii: "\""))
    }

    /// Appends `text` as a quoted JSON string if it is ASCII text: no byte from 0x80 on, no control
    /// byte but tab, LF and CR (DEL is escaped). Otherwise appends nothing and returns false. One
    /// pass both checks and escapes: a body prefix of several KiB is read once, not twice.
    public mutating func appendASCIIText(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let mark = count
        byte(UInt8(ascii: "\""))
        if let base = text.baseAddress, !escape(base, count: text.count, asciiTextOnly: true) {
            count = mark
            return false
        }
        byte(UInt8(ascii: "\""))
        return true
    }

    /// Escaping is the hot loop of event output: done sixteen bytes at a time straight into the
    /// buffer (`vigil_json_escape`), which copies and checks in one pass. With `asciiTextOnly`,
    /// returns false at a byte from 0x80 on or a control byte but tab, LF and CR (what was written
    /// stays; the caller drops it).
    @inline(__always)
    @discardableResult
    private mutating func escape(_ text: UnsafePointer<UInt8>, count n: Int, asciiTextOnly: Bool) -> Bool {
        var i = 0
        while i < n {
            let step = min(Self.escapeChunk, n - i)
            reserve(6 * step)
            let written = vigil_json_escape(text + i, step, base + count, asciiTextOnly ? 1 : 0)
            if written < 0 { return false }
            count &+= written
            i += step
        }
        return true
    }

    /// JSON object keys by field id, copied from the registry once per writer, not locked per field:
    /// all of them in one block, each after a comma (`,"name":`), `keyEnds[id]` where each ends.
    /// Owned blocks, not arrays: reading an array property while appending to `self` retained and
    /// released it per key (2 % of the thread that writes events).
    private var keyBytes: UnsafeMutablePointer<UInt8>?
    private var keyEnds: UnsafeMutablePointer<Int>?
    private var keyCount = 0

    /// Appends `"name":` for a field.
    public mutating func key(_ id: FieldID) { appendKey(id, comma: false) }

    /// Appends `,"name":`: a field after another, in one append.
    public mutating func commaKey(_ id: FieldID) { appendKey(id, comma: true) }

    private mutating func appendKey(_ id: FieldID, comma: Bool) {
        let index = Int(id.rawValue)
        if index >= keyCount { loadKeys() }
        guard let keyBytes, let keyEnds else { return }
        let start = (index == 0 ? 0 : keyEnds[index - 1]) + (comma ? 0 : 1)
        append(keyBytes + start, count: keyEnds[index] - start)
    }

    /// Copies every registered key (a field registered after the last copy is why it is called again).
    private mutating func loadKeys() {
        let keys = FieldRegistry.shared.allJSONKeys()
        let total = keys.reduce(0) { $0 + 1 + $1.count }
        keyBytes?.deallocate()
        keyEnds?.deallocate()
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: max(keys.count, 1))
        var end = 0
        for (i, key) in keys.enumerated() {
            bytes[end] = UInt8(ascii: ",")
            key.withUnsafeBufferPointer { (bytes + end + 1).initialize(from: $0.baseAddress!, count: $0.count) }
            end += 1 + key.count
            ends[i] = end
        }
        keyBytes = bytes
        keyEnds = ends
        keyCount = keys.count
    }

    public mutating func int(_ v: Int64) {
        // Digits written backwards straight into their place (their count found first).
        append(maxCount: 20) { out in
            var magnitude = v < 0 ? UInt64(bitPattern: 0 &- v) : UInt64(v)
            var digits = 1
            var limit: UInt64 = 10
            while digits < 20, magnitude >= limit {
                digits += 1
                limit &*= 10
            }
            var n = digits
            if v < 0 {
                out[0] = UInt8(ascii: "-")
                n += 1
            }
            var i = n
            repeat {
                i -= 1
                out[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
            } while magnitude > 0
            return n
        }
    }

    public mutating func double(_ v: Double) {
        if v.isFinite {
            var text = v.description
            text.withUTF8 { append($0) }
        } else {
            raw("null")
        }
    }
}

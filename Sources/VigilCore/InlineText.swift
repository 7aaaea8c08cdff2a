/// A short text (at most 32 bytes of UTF-8) held inline, with no heap storage.
///
/// For values made on the capture thread and written out on the writer thread, once per event: a
/// `String` of more than 15 bytes is a heap object, and each retain or release on the writer is an
/// atomic on a cache line the capture thread last wrote (measured: a flow's uid and Community ID cost
/// the writer more in reference counting than in writing them out).
public struct InlineText: Sendable, Hashable, CustomStringConvertible {
    public static let capacity = 32

    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// The text's length in bytes.
    public var count: Int { _count }
    @usableFromInline var _count: Int = 0

    public init() {}

    /// The first `capacity` bytes of `text` (a caller passes texts it knows to be short).
    public init(_ text: String) {
        var text = text
        self = text.withUTF8 { InlineText(utf8: $0) }
    }

    /// The first `capacity` bytes of `utf8` (valid UTF-8, cut only where the caller knows it may be).
    public init(utf8: UnsafeBufferPointer<UInt8>) {
        let n = min(utf8.count, Self.capacity)
        withUnsafeMutableBytes(of: &storage) { raw in
            if n > 0 { raw.baseAddress!.copyMemory(from: utf8.baseAddress!, byteCount: n) }
        }
        _count = n
    }

    /// Writes up to `capacity` bytes with `body`, which returns how many it wrote.
    public init(unsafeUninitializedCapacity: Int, initializingWith body: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        let limit = min(unsafeUninitializedCapacity, Self.capacity)
        let n = withUnsafeMutableBytes(of: &storage) { raw in
            let n = body(
                UnsafeMutableBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: limit))
            precondition(n >= 0 && n <= limit, "InlineText: wrote \(n) bytes into \(limit)")
            // Bytes past the end stay zero: equality compares whole words.
            for i in n..<Self.capacity { raw[i] = 0 }
            return n
        }
        _count = n
    }

    /// Calls `body` with the text's bytes. Inlinable: a generic call across modules would not be
    /// specialised (it was 10 % of the writer thread).
    @inlinable
    public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: _count))
        }
    }

    public var string: String { withUTF8 { String(decoding: $0, as: UTF8.self) } }
    public var description: String { string }
    public var isEmpty: Bool { count == 0 }

    public static func == (a: InlineText, b: InlineText) -> Bool {
        a.count == b.count && a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1
            && a.storage.2 == b.storage.2 && a.storage.3 == b.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}

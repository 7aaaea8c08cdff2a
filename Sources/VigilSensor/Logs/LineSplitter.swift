/// Splits a byte stream read in chunks into lines, tracking each line's file offset.
///
/// Lines are handed out without their terminator (`\n`, or `\r\n`). A line that is complete inside
/// a chunk is handed out straight from the chunk (no copy); only a line cut by a chunk boundary is
/// buffered. A line longer than `maxLine` is cut to its first `maxLine` bytes, the rest is skipped up
/// to the newline, and the line is counted in `oversized`, so memory stays bounded whatever the input.
struct LineSplitter {
    let maxLine: Int
    /// The kept bytes (at most `maxLine`) of a line cut by a chunk boundary.
    private var pending: [UInt8] = []
    /// All bytes of that line seen so far, kept or not.
    private var pendingLength: UInt64 = 0
    /// Offset of the line being read; equals `consumed` between lines.
    private var lineStart: UInt64
    /// Lines cut to `maxLine`.
    private(set) var oversized = 0

    init(maxLine: Int, startingAt offset: UInt64 = 0) {
        self.maxLine = max(1, maxLine)
        lineStart = offset
    }

    /// Offset just past the last complete line handed out.
    var consumed: UInt64 { lineStart }
    /// Offset just past every byte fed.
    var fed: UInt64 { lineStart + pendingLength }

    /// Feeds the bytes that follow what was fed before; `body(line, offset)` runs for each complete line.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) {
        var start = 0
        while start < chunk.count {
            guard let nl = chunk[start...].firstIndex(of: 0x0A) else {
                keep(UnsafeRawBufferPointer(rebasing: chunk[start...]))
                return
            }
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<nl])
            if pendingLength == 0 {
                emit(piece, cut: piece.count > maxLine, body)
            } else {
                keep(piece)
                pending.withUnsafeBytes { emit($0, cut: pendingLength > UInt64(maxLine), body) }
            }
            lineStart += pendingLength + UInt64(pendingLength == 0 ? piece.count : 0) + 1
            pending.removeAll(keepingCapacity: true)
            pendingLength = 0
            start = nl + 1
        }
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) {
        pendingLength += UInt64(bytes.count)
        let room = maxLine - pending.count
        if room > 0 { pending.append(contentsOf: bytes.prefix(room)) }
    }

    private mutating func emit(
        _ raw: UnsafeRawBufferPointer, cut: Bool, _ body: (UnsafeRawBufferPointer, UInt64) -> Void
    ) {
        var line = UnsafeRawBufferPointer(rebasing: raw.prefix(maxLine))
        if cut {
            oversized += 1
        } else if line.last == 0x0D {
            line = UnsafeRawBufferPointer(rebasing: line.dropLast())
        }
        body(line, lineStart)
    }

    /// Hands out a last line that has no terminator (the file ended for good, or was rotated away
    /// and went quiet).
    mutating func finish(_ body: (UnsafeRawBufferPointer, UInt64) -> Void) {
        guard pendingLength > 0 else { return }
        pending.withUnsafeBytes { emit($0, cut: pendingLength > UInt64(maxLine), body) }
        lineStart += pendingLength
        pending.removeAll(keepingCapacity: true)
        pendingLength = 0
    }

    /// Forgets a partial line (the file was truncated under us).
    mutating func reset(to offset: UInt64) {
        pending.removeAll(keepingCapacity: true)
        pendingLength = 0
        lineStart = offset
    }
}

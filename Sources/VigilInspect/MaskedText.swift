/// Builds the masked copy of a string from slices of the original and runs of `*` (or `%2A` for a
/// percent-escaped character). Appending slices of a valid string needs no UTF-8 validation, which
/// building a `String` from a masked byte array would (a third of the cost of a 64 KiB body).
///
/// Masked offsets must arrive in increasing order; one that does not (two matches overlapping, which
/// the scanner does not produce) is ignored rather than moving backwards.
struct MaskedText {
    private let original: String
    private var result = ""
    /// Original bytes before `cursor` are in `result` or in the pending run.
    private var cursor = 0
    private var runEnd = 0
    private var runCount = 0
    private var runEscaped = false

    /// `*` and `%2A` repeated 0…64 times; the short ones are small strings, appended without a retain.
    private static let stars = (0...64).map { String(repeating: "*", count: $0) }
    private static let escapedStars = (0...64).map { String(repeating: "%2A", count: $0) }

    init(_ original: String) {
        self.original = original
        result.reserveCapacity(original.utf8.count)
    }

    /// Masks the original character at UTF-8 offset `offset`: one byte, or three when `escaped`.
    mutating func mask(_ offset: Int, escaped: Bool) {
        if runCount > 0, offset == runEnd, escaped == runEscaped {
            runCount += 1
            runEnd += escaped ? 3 : 1
            return
        }
        guard offset >= max(cursor, runEnd) else { return }
        flushRun()
        appendOriginal(cursor, offset)
        runEnd = offset + (escaped ? 3 : 1)
        runCount = 1
        runEscaped = escaped
    }

    /// Masks `count` one-byte characters from `offset` on.
    mutating func mask(_ offset: Int, count: Int) {
        if runCount > 0, offset == runEnd, !runEscaped {
            runCount += count
            runEnd += count
            return
        }
        guard offset >= max(cursor, runEnd) else { return }
        flushRun()
        appendOriginal(cursor, offset)
        runEnd = offset + count
        runCount = count
        runEscaped = false
    }

    mutating func finish() -> String {
        flushRun()
        appendOriginal(cursor, original.utf8.count)
        return result
    }

    private mutating func flushRun() {
        guard runCount > 0 else { return }
        var left = runCount
        while left > 0 {
            let n = min(left, 64)
            result.append(runEscaped ? Self.escapedStars[n] : Self.stars[n])
            left -= n
        }
        cursor = runEnd
        runCount = 0
    }

    private mutating func appendOriginal(_ from: Int, _ to: Int) {
        guard to > from else { return }
        let utf8 = original.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: from)
        result.append(contentsOf: Substring(utf8[start..<utf8.index(start, offsetBy: to - from)]))
        cursor = to
    }
}

import VigilCore

/// A Sigma string value compiled for matching the UTF-8 bytes of event text.
///
/// The value is split at its `*` wildcards into segments; each segment is a fixed sequence of
/// literal bytes, single characters (`?`) and alternatives, so a match of a segment at a given
/// position is unique and its end grows with its start. That makes leftmost-first placement of
/// the inner segments exact, with no backtracking. Case-insensitive needles are lower-cased once
/// here; haystack bytes are lowered on the fly for ASCII, and the haystack is lower-cased as a
/// whole only when the needle has non-ASCII letters.
struct StringPattern: Sendable {
    enum Token: Sendable, Equatable {
        case literal([UInt8])
        case anyCharacter
        case oneOf([[UInt8]])
    }

    /// Read by the rule prefilter (`Detection+Literals.swift`) for the literals a match needs.
    let segments: [[Token]]
    private let anchoredStart: Bool
    private let anchoredEnd: Bool
    let caseSensitive: Bool
    /// The needle has non-ASCII text and matching is case-insensitive: lower-case whole haystacks.
    let foldsUnicode: Bool
    /// Byte length of the last segment when it is all literal (an `endswith` needle).
    private let lastSegmentLength: Int?
    /// The address when the whole value is one IP address, so `.ip` fields compare without text.
    let exactAddress: IPAddress?

    init(_ value: SigmaString, caseSensitive: Bool) {
        var foldsUnicode = false
        var parts = value.parts
        if !caseSensitive {
            let hasNonASCII = parts.contains {
                switch $0 {
                case .bytes(let bytes): bytes.contains { $0 >= 0x80 }
                case .oneOf(let options): options.contains { $0.contains { $0 >= 0x80 } }
                default: false
                }
            }
            // Raw UTF-16 bytes are not text: only ASCII letters fold there.
            foldsUnicode =
                hasNonASCII
                && parts.allSatisfy {
                    if case .bytes(let bytes) = $0 { return String(validating: bytes, as: UTF8.self) != nil }
                    return true
                }
            parts = parts.map { part in
                switch part {
                case .bytes(let bytes): .bytes(Self.lowered(bytes, unicode: foldsUnicode))
                case .oneOf(let options): .oneOf(options.map { Self.lowered($0, unicode: foldsUnicode) })
                default: part
                }
            }
        }
        var segments: [[Token]] = []
        var current: [Token] = []
        for part in parts {
            switch part {
            case .bytes(let bytes): current.append(.literal(bytes))
            case .anyCharacter: current.append(.anyCharacter)
            case .oneOf(let options): current.append(.oneOf(options))
            case .anyString:
                if !current.isEmpty { segments.append(current) }
                current = []
            }
        }
        if !current.isEmpty { segments.append(current) }
        self.segments = segments
        self.anchoredStart = parts.first != .anyString
        self.anchoredEnd = parts.last != .anyString
        self.caseSensitive = caseSensitive
        self.foldsUnicode = foldsUnicode
        if let last = segments.last, last.count == 1, case .literal(let bytes) = last[0] {
            lastSegmentLength = bytes.count
        } else {
            lastSegmentLength = nil
        }
        if let plain = value.plainBytes, let text = String(validating: plain, as: UTF8.self) {
            exactAddress = IPAddress(text)
        } else {
            exactAddress = nil
        }
    }

    private static func lowered(_ bytes: [UInt8], unicode: Bool) -> [UInt8] {
        if unicode { return Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8) }
        return bytes.map(asciiLower)
    }

    @inline(__always) static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    func matches(_ text: String) -> Bool {
        if foldsUnicode { return matchesLowered(text.lowercased()) }
        if let found = text.utf8.withContiguousStorageIfAvailable({ matches(bytes: $0) }) { return found }
        var copy = text
        return copy.withUTF8 { matches(bytes: $0) }
    }

    private func matchesLowered(_ text: String) -> Bool {
        if let found = text.utf8.withContiguousStorageIfAvailable({ match($0, fold: false) }) { return found }
        var copy = text
        return copy.withUTF8 { match($0, fold: false) }
    }

    /// Matches raw bytes (rendered numbers); bytes that are not UTF-8 text never fold beyond ASCII.
    func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Field values reach here as bytes too: lower-case them like `matches(_:)` does.
        if foldsUnicode { return matchesLowered(String(decoding: bytes, as: UTF8.self).lowercased()) }
        return match(bytes, fold: !caseSensitive)
    }

    private func match(_ haystack: UnsafeBufferPointer<UInt8>, fold: Bool) -> Bool {
        let count = haystack.count
        if segments.isEmpty { return !(anchoredStart && anchoredEnd) || count == 0 }
        if segments.count == 1, anchoredStart, anchoredEnd {
            return matchSegment(segments[0], haystack, at: 0, fold: fold) == count
        }
        var position = 0
        var first = 0
        var last = segments.count - 1
        if anchoredStart {
            guard let end = matchSegment(segments[0], haystack, at: 0, fold: fold) else { return false }
            position = end
            first = 1
        }
        if anchoredEnd { last -= 1 }
        if first <= last {
            for index in first...last {
                guard let end = find(segments[index], haystack, from: position, fold: fold) else { return false }
                position = end
            }
        }
        guard anchoredEnd else { return true }
        let tail = segments[segments.count - 1]
        if let length = lastSegmentLength {
            let start = count - length
            return start >= position && matchSegment(tail, haystack, at: start, fold: fold) == count
        }
        var start = position
        while start < count {
            if haystack[start] & 0xC0 != 0x80, matchSegment(tail, haystack, at: start, fold: fold) == count {
                return true
            }
            start += 1
        }
        return false
    }

    /// The end of the leftmost match of `segment` at or after `from`.
    private func find(_ segment: [Token], _ haystack: UnsafeBufferPointer<UInt8>, from: Int, fold: Bool) -> Int? {
        let count = haystack.count
        var start = from
        if case .literal(let needle) = segment[0], let head = needle.first {
            while start < count {
                let byte = fold ? Self.asciiLower(haystack[start]) : haystack[start]
                if byte == head, let end = matchSegment(segment, haystack, at: start, fold: fold) { return end }
                start += 1
            }
            return nil
        }
        while start < count {
            if haystack[start] & 0xC0 != 0x80, let end = matchSegment(segment, haystack, at: start, fold: fold) {
                return end
            }
            start += 1
        }
        return nil
    }

    /// The end of `segment` matched exactly at `start`, or nil.
    @inline(__always)
    private func matchSegment(_ segment: [Token], _ haystack: UnsafeBufferPointer<UInt8>, at start: Int, fold: Bool)
        -> Int?
    {
        var position = start
        for token in segment {
            switch token {
            case .literal(let needle):
                guard Self.equal(needle, haystack, at: position, fold: fold) else { return nil }
                position += needle.count
            case .anyCharacter:
                guard position < haystack.count else { return nil }
                position += Self.scalarLength(haystack[position])
                if position > haystack.count { return nil }
            case .oneOf(let options):
                guard let option = options.first(where: { Self.equal($0, haystack, at: position, fold: fold) }) else {
                    return nil
                }
                position += option.count
            }
        }
        return position
    }

    @inline(__always)
    private static func equal(_ needle: [UInt8], _ haystack: UnsafeBufferPointer<UInt8>, at start: Int, fold: Bool)
        -> Bool
    {
        guard haystack.count - start >= needle.count else { return false }
        var index = 0
        for byte in needle {
            let other = haystack[start + index]
            if (fold ? asciiLower(other) : other) != byte { return false }
            index += 1
        }
        return true
    }

    @inline(__always) private static func scalarLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}

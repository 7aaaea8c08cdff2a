/// A Sigma string value while its modifiers are applied: literal bytes and the special parts
/// wildcards and `windash` introduce. Literal bytes are UTF-8 text until an encoding modifier
/// (`wide`, `utf16*`) turns them into raw bytes.
struct SigmaString: Equatable, Sendable {
    enum Part: Equatable, Sendable {
        case bytes([UInt8])
        /// `?`: exactly one character.
        case anyCharacter
        /// `*`: any run of characters, possibly empty.
        case anyString
        /// One of a few alternatives at this position (the `windash` dash characters).
        case oneOf([[UInt8]])
    }

    var parts: [Part]

    init(parts: [Part]) {
        var merged: [Part] = []
        for part in parts {
            if case .bytes(let next) = part, case .bytes(let previous)? = merged.last {
                merged[merged.count - 1] = .bytes(previous + next)
            } else if case .bytes(let next) = part, next.isEmpty {
                continue
            } else if part == .anyString, merged.last == .anyString {
                continue
            } else {
                merged.append(part)
            }
        }
        self.parts = merged
    }

    /// Reads Sigma's wildcard syntax: `*` and `?` are wildcards; a backslash makes a following
    /// `*`, `?` or backslash literal and is itself literal before any other character.
    init(sigma text: String) {
        var parts: [Part] = []
        var literal: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        var pending = iterator.next()
        while let byte = pending {
            pending = iterator.next()
            switch byte {
            case UInt8(ascii: "\\"):
                if let next = pending, next == UInt8(ascii: "*") || next == UInt8(ascii: "?") || next == byte {
                    literal.append(next)
                    pending = iterator.next()
                } else {
                    literal.append(byte)
                }
            case UInt8(ascii: "*"), UInt8(ascii: "?"):
                parts.append(.bytes(literal))
                literal = []
                parts.append(byte == UInt8(ascii: "*") ? .anyString : .anyCharacter)
            default:
                literal.append(byte)
            }
        }
        parts.append(.bytes(literal))
        self.init(parts: parts)
    }

    init(literal text: String) { self.init(parts: [.bytes(Array(text.utf8))]) }

    /// The literal bytes when the value is plain.
    var plainBytes: [UInt8]? {
        if parts.isEmpty { return [] }
        if parts.count == 1, case .bytes(let bytes) = parts[0] { return bytes }
        return nil
    }

    func wrapped(leading: Bool, trailing: Bool) -> SigmaString {
        var out = parts
        if leading, out.first != .anyString { out.insert(.anyString, at: 0) }
        if trailing, out.last != .anyString { out.append(.anyString) }
        return SigmaString(parts: out)
    }

    /// Applies `transform` to every literal run, keeping wildcards in place.
    func mapLiterals(_ transform: ([UInt8]) -> [UInt8]) -> SigmaString {
        SigmaString(
            parts: parts.map {
                if case .bytes(let bytes) = $0 { return .bytes(transform(bytes)) }
                return $0
            })
    }
}

/// The encodings Sigma's modifiers apply to values (pure functions over bytes).
enum SigmaEncoding {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var index = 0
        while index < data.count {
            let b0 = data[index]
            let b1 = index + 1 < data.count ? data[index + 1] : 0
            let b2 = index + 2 < data.count ? data[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < data.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < data.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return out
    }

    /// The three encodings of `data` at the three byte offsets it can have in a longer base64 text,
    /// cut to the characters that do not depend on the neighbouring bytes (pySigma's choice).
    static func base64Offsets(_ data: [UInt8]) -> [[UInt8]] {
        let starts = [0, 2, 3]
        let endTrims = [0, 3, 2]
        return (0..<3).map { shift in
            let encoded = base64([UInt8](repeating: UInt8(ascii: " "), count: shift) + data)
            let end = encoded.count - endTrims[(data.count + shift) % 3]
            let start = starts[shift]
            return start < end ? Array(encoded[start..<end]) : []
        }
    }

    enum UTF16Form { case littleEndian, bigEndian }

    /// Re-encodes UTF-8 `text` as UTF-16 bytes (invalid UTF-8 is repaired, never trapped on).
    static func utf16(_ text: [UInt8], _ form: UTF16Form) -> [UInt8] {
        var out: [UInt8] = []
        for unit in String(decoding: text, as: UTF8.self).utf16 {
            let high = UInt8(truncatingIfNeeded: unit >> 8), low = UInt8(truncatingIfNeeded: unit)
            if form == .bigEndian {
                out += [high, low]
            } else {
                out += [low, high]
            }
        }
        return out
    }

    /// The dash variants `windash` accepts for a command-line flag character.
    static let dashes: [[UInt8]] = [
        Array("-".utf8), Array("/".utf8), Array("\u{2013}".utf8), Array("\u{2014}".utf8), Array("\u{2015}".utf8),
    ]

    /// Replaces each `-` or `/` that starts a word (not preceded by a word character, followed by
    /// one: pySigma's `\B[-/]\b`) with the set of dash variants.
    static func windash(_ value: SigmaString) -> SigmaString {
        var out: [SigmaString.Part] = []
        for part in value.parts {
            guard case .bytes(let bytes) = part else {
                out.append(part)
                continue
            }
            // Like pySigma, each literal run is looked at on its own: a run's edges count as non-word.
            var run: [UInt8] = []
            var position = 0
            while position < bytes.count {
                let byte = bytes[position]
                let isDash = byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/")
                let previousIsWord = position > 0 && isWordByte(bytes[position - 1])
                let nextIsWord = position + 1 < bytes.count && isWordByte(bytes[position + 1])
                if isDash, !previousIsWord, nextIsWord {
                    out.append(.bytes(run))
                    run = []
                    out.append(.oneOf(dashes))
                } else {
                    run.append(byte)
                }
                position += 1
            }
            out.append(.bytes(run))
        }
        return SigmaString(parts: out)
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            return true
        default:
            return byte >= 0x80
        }
    }
}

import VigilCore

/// Normalisation against evasion (issue 5): attackers encode what rules look for, so beside the
/// original URL fields enrichment adds decoded forms that Vigil's own rules match:
/// `url.path_decoded` and `url.query_decoded`. An unchanged SigmaHQ rule still sees the original
/// fields it was written for.
///
/// Decoding, in order: percent-decoding repeated until nothing changes (at most 3 rounds, so
/// `..%252f` becomes `../`), IIS `%uXXXX`, `+` as a space in queries; overlong UTF-8 for ASCII
/// (`%c0%ae` → `.`, `%e0%80%af` → `/`); backslashes as slashes; path parameters dropped from each
/// segment (`..;/` → `../`, as Tomcat reads it); repeated slashes and `.` segments collapsed. `..`
/// segments are kept: resolving them would erase what traversal rules look for.
public enum Normalization {
    public static let pathDecoded = FieldID("url.path_decoded")
    public static let queryDecoded = FieldID("url.query_decoded")

    /// Adds the decoded forms to an event that has `url.path` or `url.query`.
    public static func enrich(_ event: inout Event) {
        if event[pathDecoded] == nil, let path = event[Fields.urlPath]?.stringValue {
            event.set(pathDecoded, decodePath(path))
        }
        if event[queryDecoded] == nil, let query = event[Fields.urlQuery]?.stringValue {
            event.set(queryDecoded, decodeQuery(query))
        }
    }

    public static func decodePath(_ path: String) -> String {
        var bytes = percentDecodedRepeatedly(Array(path.utf8), plusIsSpace: false)
        bytes = overlongASCII(bytes)
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\\") { bytes[i] = UInt8(ascii: "/") }
        return String(decoding: collapse(stripParameters(bytes)), as: UTF8.self)
    }

    public static func decodeQuery(_ query: String) -> String {
        let bytes = overlongASCII(percentDecodedRepeatedly(Array(query.utf8), plusIsSpace: true))
        return String(decoding: bytes, as: UTF8.self)
    }

    static func percentDecodedRepeatedly(_ input: [UInt8], plusIsSpace: Bool) -> [UInt8] {
        var current = input
        for round in 0..<3 {
            let next = percentDecoded(current, plusIsSpace: plusIsSpace && round == 0)
            if next == current { break }
            current = next
        }
        return current
    }

    static func percentDecoded(_ s: [UInt8], plusIsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            let b = s[i]
            if b == UInt8(ascii: "%") {
                if i + 2 < s.count, let h = Hex.value(s[i + 1]), let l = Hex.value(s[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
                // IIS %uXXXX: only ASCII results matter for evasion.
                if i + 5 < s.count, s[i + 1] | 0x20 == UInt8(ascii: "u"), let a = Hex.value(s[i + 2]),
                    let b2 = Hex.value(s[i + 3]),
                    let c = Hex.value(s[i + 4]), let d = Hex.value(s[i + 5]), a == 0, b2 == 0, c < 8
                {
                    out.append(c << 4 | d)
                    i += 6
                    continue
                }
            }
            out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            i += 1
        }
        return out
    }

    /// Overlong encodings of ASCII (`C0 AE`, `E0 80 AF`, `F0 80 80 AE`) become the ASCII byte.
    static func overlongASCII(_ s: [UInt8]) -> [UInt8] {
        guard s.contains(where: { $0 >= 0xC0 }) else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            let b = s[i]
            if (b == 0xC0 || b == 0xC1), i + 1 < s.count, s[i + 1] & 0xC0 == 0x80 {
                out.append((b & 0x1F) << 6 | (s[i + 1] & 0x3F))
                i += 2
            } else if b == 0xE0, i + 2 < s.count, s[i + 1] & 0xE0 == 0x80, s[i + 2] & 0xC0 == 0x80, s[i + 1] & 0x1F < 2
            {
                out.append((s[i + 1] & 0x01) << 6 | (s[i + 2] & 0x3F))
                i += 3
            } else if b == 0xF0, i + 3 < s.count, s[i + 1] == 0x80, s[i + 2] & 0xFE == 0x80, s[i + 3] & 0xC0 == 0x80 {
                out.append((s[i + 2] & 0x01) << 6 | (s[i + 3] & 0x3F))
                i += 4
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }

    /// Drops `;params` from each path segment (`/a;jsessionid=1/b`, `..;/`).
    static func stripParameters(_ s: [UInt8]) -> [UInt8] {
        guard s.contains(UInt8(ascii: ";")) else { return s }
        var out: [UInt8] = []
        var skipping = false
        for b in s {
            if b == UInt8(ascii: "/") { skipping = false }
            if b == UInt8(ascii: ";") { skipping = true }
            if !skipping { out.append(b) }
        }
        return out
    }

    /// `//` → `/`, `/./` → `/`; `..` kept.
    static func collapse(_ s: [UInt8]) -> [UInt8] {
        var segments: [ArraySlice<UInt8>] = []
        let parts = s.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        for part in parts where !(part.count == 1 && part.first == UInt8(ascii: ".")) { segments.append(part) }
        var out: [UInt8] = s.first == UInt8(ascii: "/") ? [UInt8(ascii: "/")] : []
        for (i, segment) in segments.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "/")) }
            out.append(contentsOf: segment)
        }
        if s.count > 1, s.last == UInt8(ascii: "/"), !segments.isEmpty { out.append(UInt8(ascii: "/")) }
        return out
    }
}

/// One piece of personal data found in a text. It never holds the raw value: `masked` is the value as
/// it reads after masking, `hash` the keyed hash of its normalised form, so a `Detection` can be
/// logged, printed or compared in tests without leaking what it found.
public struct Detection: Sendable, Equatable, CustomStringConvertible {
    public var kind: DLPKind
    public var confidence: Confidence
    /// UTF-8 offsets of the match in the original text (for percent-encoded text, of the encoded bytes).
    public var range: Range<Int>
    /// The matched value, percent-decoded, with the masked characters replaced by `*`.
    public var masked: String
    /// Hex HMAC-SHA256 of the normalised value with the inspector's secret, truncated to 128 bits.
    public var hash: String

    public var description: String { "\(kind)(\(confidence)) \(masked) @\(range.lowerBound)..<\(range.upperBound)" }
}

/// The result of inspecting one text: the masked text and what was found in it.
public struct TextInspection: Sendable, Equatable, CustomStringConvertible {
    /// The text with every medium- and high-confidence detection masked; the same UTF-8 length as the
    /// input (see `Inspector` for the masking rules).
    public var masked: String
    public var detections: [Detection]

    public var description: String { "\(detections.count) detection(s): \(detections)" }
}

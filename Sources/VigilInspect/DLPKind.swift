/// A kind of mainland-China personal data Inspect finds; the raw value is the name used in `dlp.types`
/// and `dlp.counts` (DESIGN §4).
public enum DLPKind: String, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    /// 居民身份证号码, GB 11643 (18 characters, or the legacy 15-digit form).
    case residentID = "cn_resident_id"
    /// 统一社会信用代码, GB 32100 (18 characters).
    case uscc = "cn_uscc"
    /// Mainland mobile number, `1[3-9]` + 9 digits, with an optional `+86`/`86`/`0086`/`0` prefix.
    case mobile = "cn_mobile"
    /// Fixed-line number: area code (`010`, `02x`, `0xxx`) and a 7–8 digit local number.
    case landline = "cn_landline"
    /// Payment card number, 16–19 digits with a valid Luhn check digit.
    case bankCard = "bank_card"
    /// Passport (E…, EA…, DE/SE/PE…, G…) and travel permit (C…, H…/M…) numbers.
    case passport = "passport"
    case email = "email"

    public var description: String { rawValue }
    public static func < (lhs: DLPKind, rhs: DLPKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Position in `allCases`, for per-kind counters.
    var index: Int {
        switch self {
        case .residentID: 0
        case .uscc: 1
        case .mobile: 2
        case .landline: 3
        case .bankCard: 4
        case .passport: 5
        case .email: 6
        }
    }

    /// This kind's bit in a context-keyword mask (`ContextKeywords`).
    var bit: UInt8 { 1 << UInt8(index) }
}

/// How sure a detector is that a match is personal data (see `Inspector` for the table). Only
/// `medium` and `high` detections are counted, masked and reported.
public enum Confidence: Int, Sendable, Comparable, CustomStringConvertible {
    case low = 0
    case medium = 1
    case high = 2

    public var description: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        }
    }

    public static func < (lhs: Confidence, rhs: Confidence) -> Bool { lhs.rawValue < rhs.rawValue }

    /// One level up, for a context keyword near the match.
    var raised: Confidence { self == .low ? .medium : .high }
}

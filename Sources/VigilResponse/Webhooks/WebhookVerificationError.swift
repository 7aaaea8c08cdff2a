/// Why a Standard Webhooks request was refused by `StandardWebhooks.verify`.
public enum WebhookVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A required header (`webhook-id`, `webhook-timestamp`, `webhook-signature`) is absent or empty.
    case missingHeader(String)
    /// `webhook-timestamp` is not a whole number of seconds.
    case badTimestamp
    /// `webhook-timestamp` is further from now than the tolerance: a replay, or a skewed clock.
    case timestampOutOfTolerance
    /// No `v1` signature in `webhook-signature` matches the body under any of the secrets.
    case noMatchingSignature

    public var description: String {
        switch self {
        case .missingHeader(let name): "missing header \(name)"
        case .badTimestamp: "webhook-timestamp is not integer seconds since 1970"
        case .timestampOutOfTolerance: "webhook-timestamp is outside the allowed clock difference"
        case .noMatchingSignature: "no webhook-signature matches the body"
        }
    }
}

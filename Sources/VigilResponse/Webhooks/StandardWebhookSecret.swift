import VigilCore

/// A Standard Webhooks signing key, read from its `whsec_<base64>` form.
///
/// Spec (github.com/standard-webhooks/standard-webhooks, `spec/standard-webhooks.md`, "Signature
/// scheme"): symmetric secrets are random, at least 24 bytes and at most 512 bits, serialised as
/// base64 behind a `whsec_` prefix; the HMAC key is the decoded bytes, not the text.
public struct StandardWebhookSecret: Sendable, Equatable {
    /// The HMAC-SHA256 key.
    public let key: [UInt8]

    static let prefix = "whsec_"
    static let keyBytes = 24...64

    /// Reads `whsec_<base64>`; throws a `.config` error naming what is wrong (never the secret).
    public init(_ text: String) throws {
        guard text.hasPrefix(Self.prefix) else {
            throw VigilError(.config, "webhook secret must start with \"\(Self.prefix)\" (Standard Webhooks)")
        }
        guard let key = Base64.decode(String(text.dropFirst(Self.prefix.count))) else {
            throw VigilError(.config, "webhook secret is not \"\(Self.prefix)\" followed by padded standard base64")
        }
        guard Self.keyBytes.contains(key.count) else {
            throw VigilError(
                .config,
                "webhook secret decodes to \(key.count) bytes; Standard Webhooks keys are "
                    + "\(Self.keyBytes.lowerBound)-\(Self.keyBytes.upperBound) random bytes")
        }
        self.key = key
    }

    /// The `whsec_` text of this key.
    public var text: String { Self.prefix + Base64.encode(key) }
}

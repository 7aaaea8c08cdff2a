import VigilCore

/// One HTTP POST ready to send: where, which headers, which bytes. Pure data; the sender adds
/// nothing but `content-length`.
public struct WebhookRequest: Sendable {
    /// The URL to POST to (for signed DingTalk, with `timestamp` and `sign` in the query).
    public var url: String
    /// Lower-case names: `content-type`, and for Standard Webhooks `webhook-id`,
    /// `webhook-timestamp` and `webhook-signature`.
    public var headers: [(name: String, value: String)]
    /// UTF-8 JSON.
    public var body: [UInt8]

    public init(url: String, headers: [(name: String, value: String)], body: [UInt8]) {
        (self.url, self.headers, self.body) = (url, headers, body)
    }

    /// The request for one attempt, in one call: checks the endpoint (`WebhookEndpoint.init`) and
    /// renders and signs `notification` at `attemptTimestamp`. A sender that retries should keep
    /// the `WebhookEndpoint` and call `request(for:attempt:)` per attempt instead.
    public static func make(
        format: WebhookFormat, url: String, secrets: [String], notification: WebhookNotification,
        attemptTimestamp: Timestamp
    ) throws -> WebhookRequest {
        try WebhookEndpoint(format: format, url: url, secrets: secrets)
            .request(for: notification, attempt: attemptTimestamp)
    }

    /// The value of the first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.first { $0.name.lowercased() == name }?.value
    }
}

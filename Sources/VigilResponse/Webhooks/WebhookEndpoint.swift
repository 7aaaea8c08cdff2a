import VigilCore

/// A webhook destination checked once, when configuration is read: the format, the URL and the
/// secrets in the form that format takes. Building a request from it does no I/O and, apart from
/// a Standard Webhooks id containing `.`, cannot fail, so `--check-config` finds every mistake.
public struct WebhookEndpoint: Sendable {
    public let format: WebhookFormat
    /// As configured; for DingTalk the signature is added to a copy of it per attempt.
    public let url: String
    private let signing: Signing

    private enum Signing: Sendable {
        case none
        case standardWebhooks([StandardWebhookSecret])
        case dingTalk(String)
        case feishu(String)
    }

    /// Throws a `.config` error when the URL is not an absolute http(s) URL in plain ASCII, has a
    /// `#fragment`, or when the secrets do not suit the format: Standard Webhooks needs one or more
    /// `whsec_` secrets, DingTalk and Feishu take at most one, WeCom and Slack none. Messages never
    /// quote the URL or a secret (both are credentials).
    public init(format: WebhookFormat, url: String, secrets: [String] = []) throws {
        try Self.validate(url: url, format: format)
        guard format.secretCount.contains(secrets.count) else {
            let expected =
                switch format {
                case .generic: "at least one whsec_ secret"
                case .dingtalk, .feishu: "at most one secret"
                case .wecom, .slack: "no secret (the URL is the credential)"
                }
            throw VigilError(.config, "\(format.rawValue) webhook takes \(expected), not \(secrets.count)")
        }
        switch format {
        case .generic: signing = .standardWebhooks(try secrets.map(StandardWebhookSecret.init))
        case .dingtalk: signing = try secrets.first.map { .dingTalk(try Self.plainSecret($0, format)) } ?? .none
        case .feishu: signing = try secrets.first.map { .feishu(try Self.plainSecret($0, format)) } ?? .none
        case .wecom, .slack: signing = .none
        }
        self.format = format
        self.url = url
    }

    /// The request for one delivery attempt of `notification`. `attempt` is when this attempt is
    /// made: the Standard Webhooks timestamp and the DingTalk and Feishu signatures are computed
    /// from it, so every retry carries a fresh one; the body and the `webhook-id` stay the same.
    public func request(for notification: WebhookNotification, attempt: Timestamp) throws -> WebhookRequest {
        let seconds = attempt.microseconds / 1_000_000
        var headers = [(name: "content-type", value: "application/json; charset=utf-8")]
        switch signing {
        case .standardWebhooks(let secrets):
            try StandardWebhooks.validate(id: notification.id)
            let body = StandardWebhooks.body(for: notification)
            headers.append((StandardWebhooks.idHeader, notification.id))
            headers.append((StandardWebhooks.timestampHeader, String(seconds)))
            headers.append(
                (
                    StandardWebhooks.signatureHeader,
                    StandardWebhooks.signatures(secrets: secrets, id: notification.id, timestamp: seconds, body: body)
                ))
            return WebhookRequest(url: url, headers: headers, body: body)
        case .dingTalk(let secret):
            let signed = DingTalkMessage.signedURL(
                url, secret: secret, timestampMilliseconds: attempt.microseconds / 1000)
            return WebhookRequest(url: signed, headers: headers, body: DingTalkMessage.body(for: notification))
        case .feishu(let secret):
            let body = FeishuMessage.body(for: notification, secret: secret, timestampSeconds: seconds)
            return WebhookRequest(url: url, headers: headers, body: body)
        case .none:
            let body =
                switch format {
                case .dingtalk: DingTalkMessage.body(for: notification)
                case .feishu: FeishuMessage.body(for: notification, secret: nil, timestampSeconds: seconds)
                case .wecom: WeComMessage.body(for: notification)
                case .slack: SlackMessage.body(for: notification)
                // A generic endpoint always has secrets (checked in init).
                case .generic: StandardWebhooks.body(for: notification)
                }
            return WebhookRequest(url: url, headers: headers, body: body)
        }
    }

    private static func validate(url: String, format: WebhookFormat) throws {
        let name = "\(format.rawValue) webhook url"
        let lower = url.lowercased()
        let scheme = lower.hasPrefix("https://") ? 8 : lower.hasPrefix("http://") ? 7 : 0
        guard scheme > 0 else { throw VigilError(.config, "\(name) must start with https:// (or http://)") }
        let rest = url.utf8.dropFirst(scheme)
        guard let first = rest.first, first != UInt8(ascii: "/"), first != UInt8(ascii: "?") else {
            throw VigilError(.config, "\(name) has no host")
        }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw VigilError(.config, "\(name) contains a space, control or non-ASCII character; percent-encode it")
        }
        guard !url.contains("#") else {
            throw VigilError(.config, "\(name) must not have a #fragment (signatures are appended to the query)")
        }
    }

    /// DingTalk (`SEC…`) and Feishu secrets are used as text: printable ASCII, no spaces.
    private static func plainSecret(_ secret: String, _ format: WebhookFormat) throws -> String {
        guard !secret.isEmpty, secret.utf8.count <= 256, secret.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw VigilError(
                .config, "\(format.rawValue) webhook secret must be 1-256 printable ASCII characters without spaces")
        }
        return secret
    }
}

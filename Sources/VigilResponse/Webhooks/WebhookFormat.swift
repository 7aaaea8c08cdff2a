/// Which receiver a webhook URL belongs to: it decides the body's shape, how the request is signed
/// and how long a message may be. The raw value is the name used in configuration.
public enum WebhookFormat: String, Sendable, CaseIterable, Codable {
    /// Standard Webhooks (https://www.standardwebhooks.com/): a JSON event signed with HMAC-SHA256
    /// in the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers. Needs at least one
    /// `whsec_` secret; several sign side by side during a key rotation.
    case generic
    /// DingTalk (钉钉) custom robot: markdown, optionally signed (加签) with one `SEC…` secret.
    case dingtalk
    /// WeCom (企业微信) group robot: markdown, no signature (the URL's `key` is the credential).
    case wecom
    /// Feishu/Lark (飞书) custom bot: an interactive card, optionally signed with one secret.
    case feishu
    /// Slack incoming webhook: Block Kit, no signature (the URL is the credential).
    case slack

    /// How many secrets the format takes: Standard Webhooks needs one or more, DingTalk and Feishu
    /// take none or one, WeCom and Slack none.
    public var secretCount: ClosedRange<Int> {
        switch self {
        case .generic: 1...Int.max
        case .dingtalk, .feishu: 0...1
        case .wecom, .slack: 0...0
        }
    }
}

import VigilCore

/// Feishu/Lark (飞书) custom bot: an interactive card, and the optional signature in the body.
///
/// Source: Feishu open platform, 自定义机器人使用指南 (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot),
/// "签名校验": `timestamp + "\n" + secret` is the HMAC-SHA256 *key* and the message is empty — the
/// reverse of DingTalk — the MAC is base64-encoded, and `timestamp` (seconds, as a string) and
/// `sign` go in the JSON body; Feishu refuses a timestamp more than an hour from its clock. Cards
/// are `{"msg_type":"interactive","card":{"header":{"title","template"},"elements":[…]}}`, the
/// header `template` one of Feishu's named colours (red, orange, yellow, blue, …).
package enum FeishuMessage {
    /// Bytes of card markdown we send at most, well inside the request size Feishu accepts for a
    /// custom bot (20 KB, as we read its docs).
    package static let contentLimit = 8000
    static let titleLimit = 300

    /// `base64(HMAC-SHA256(key: "{timestamp_s}\n{secret}", message: empty))`.
    package static func sign(secret: String, timestampSeconds: Int64) -> String {
        Base64.encode(HMACSHA256(key: Array("\(timestampSeconds)\n\(secret)".utf8)).mac([UInt8]()))
    }

    static func body(for n: WebhookNotification, secret: String?, timestampSeconds: Int64) -> [UInt8] {
        let colour = WebhookColour(n)
        let title = WebhookText.fitted(
            colour.emoji + " " + WebhookText.oneLine(WebhookText.headline(n)), limit: titleLimit,
            escape: WebhookText.neutralised)
        let content = WebhookMarkdown().render(n, limit: contentLimit)
        let card: WebhookJSON = .object([
            ("config", .object([("wide_screen_mode", .bool(true))])),
            (
                "header",
                .object([
                    ("template", .string(colour.rawValue)),
                    ("title", .object([("tag", "plain_text"), ("content", .string(title))])),
                ])
            ),
            (
                "elements",
                .array([
                    .object([("tag", "div"), ("text", .object([("tag", "lark_md"), ("content", .string(content))]))])
                ])
            ),
        ])
        var message: [(String, WebhookJSON)] = []
        if let secret {
            message.append(("timestamp", .string(String(timestampSeconds))))
            message.append(("sign", .string(sign(secret: secret, timestampSeconds: timestampSeconds))))
        }
        message.append(("msg_type", "interactive"))
        message.append(("card", card))
        return WebhookJSON.object(message).bytes
    }
}

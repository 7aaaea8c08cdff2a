import VigilCore

/// DingTalk (钉钉) custom robot: a markdown message, and the optional 加签 signature in the URL.
///
/// Source: DingTalk open platform, 自定义机器人接入 (https://open.dingtalk.com/document/group/custom-robot-access,
/// security setting 加签) and 消息类型 (https://open.dingtalk.com/document/orgapp/message-type). The string to sign
/// is `{timestamp_ms}\n{secret}`, the HMAC-SHA256 key is the secret itself, and the base64 MAC is
/// URL-encoded and appended as `&timestamp=…&sign=…`; DingTalk refuses a timestamp more than an hour
/// from its clock, so it is computed per attempt. Body: `{"msgtype":"markdown","markdown":{"title",
/// "text"}}`; the title is what the conversation list shows.
package enum DingTalkMessage {
    /// Bytes of markdown text we send at most. DingTalk's own limit is larger (we could not find
    /// it stated for markdown in the current docs); a chat alert past this belongs behind the link.
    package static let textLimit = 8000
    static let titleLimit = 128

    /// `urlencode(base64(HMAC-SHA256(key: secret, "{timestamp_ms}\n{secret}")))`.
    package static func sign(secret: String, timestampMilliseconds: Int64) -> String {
        let mac = HMACSHA256(key: Array(secret.utf8)).mac("\(timestampMilliseconds)\n\(secret)")
        return percentEncoded(Base64.encode(mac))
    }

    /// `url` with `timestamp` and `sign` added to its query.
    static func signedURL(_ url: String, secret: String, timestampMilliseconds: Int64) -> String {
        let separator = url.contains("?") ? "&" : "?"
        let sign = sign(secret: secret, timestampMilliseconds: timestampMilliseconds)
        return url + separator + "timestamp=\(timestampMilliseconds)&sign=\(sign)"
    }

    static func body(for n: WebhookNotification) -> [UInt8] {
        let markdown = WebhookMarkdown(
            escape: { $0.isNewline ? "  \n" : WebhookText.neutralised($0) },
            // DingTalk joins single-newline lines into one paragraph.
            lineBreak: "\n\n", heading: { "### " + $0 })
        let title = WebhookText.fitted(
            WebhookText.oneLine(WebhookText.headline(n)), limit: titleLimit, escape: WebhookText.neutralised)
        let message: WebhookJSON = .object([
            ("msgtype", "markdown"),
            (
                "markdown",
                .object([("title", .string(title)), ("text", .string(markdown.render(n, limit: textLimit)))])
            ),
        ])
        return message.bytes
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (base64's `+`, `/` and `=`
    /// become `%2B`, `%2F`, `%3D`).
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + Hex.encode([b]).uppercased()
            }
        }
        return out
    }
}

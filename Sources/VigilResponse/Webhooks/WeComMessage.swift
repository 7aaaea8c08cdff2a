/// WeCom (企业微信) group robot: a markdown message. No signature: the `key` in the webhook URL is
/// the credential.
///
/// Source: WeCom developer docs, 群机器人配置说明 (https://developer.work.weixin.qq.com/document/path/99398):
/// `{"msgtype":"markdown","markdown":{"content":…}}`, content at most 4096 bytes of UTF-8 (longer is
/// refused with errcode 40058), and colour only through `<font color="info|comment|warning">`
/// (green, grey, orange-red).
package enum WeComMessage {
    /// WeCom's limit on `markdown.content`, in UTF-8 bytes.
    package static let contentLimit = 4096

    static func body(for n: WebhookNotification) -> [UInt8] {
        let markdown = WebhookMarkdown(
            colourise: { text, colour in "<font color=\"\(fontColour(colour))\">\(text)</font>" },
            heading: { "### " + $0 })
        let message: WebhookJSON = .object([
            ("msgtype", "markdown"),
            ("markdown", .object([("content", .string(markdown.render(n, limit: contentLimit)))])),
        ])
        return message.bytes
    }

    /// WeCom has three colours: red and orange warnings are `warning`, yellow `comment`, blue `info`.
    static func fontColour(_ colour: WebhookColour) -> String {
        switch colour {
        case .red, .orange: "warning"
        case .yellow: "comment"
        case .blue: "info"
        }
    }
}

import VigilCore

/// One markdown dialect and the message text rendered in it. DingTalk, WeCom, Feishu and Slack
/// each support a different subset, so a vendor picks how bold, links and line breaks are written
/// and how untrusted text is escaped; the content and its order are the same everywhere.
struct WebhookMarkdown {
    var bold: (String) -> String = { "**\($0)**" }
    var link: (_ url: String, _ text: String) -> String = { "[\($1)](\($0))" }
    /// Applied to every character taken from the notification (not to our own markup).
    var escape: (Character) -> String = WebhookText.neutralised
    var lineBreak = "\n"
    var bullet = "- "
    /// Wraps the response level in the vendor's colour markup, where it has one.
    var colourise: (String, WebhookColour) -> String = { text, _ in text }
    /// How to write the headline as the first line; nil when the vendor shows a title of its own.
    var heading: ((String) -> String)? = nil

    /// Most items a digest lists before "and N more".
    static let maxItems = 50

    /// The message in at most `limit` UTF-8 bytes. The fixed part (headline, fields, link) is
    /// bounded field by field; the summary and digest items take what is left and are cut with a
    /// marker, so a long summary cannot push out the level or the link.
    func render(_ n: WebhookNotification, limit: Int) -> String {
        func text(_ s: String, _ max: Int) -> String {
            WebhookText.fitted(WebhookText.oneLine(s), limit: max, escape: escape)
        }
        let colour = WebhookColour(n)
        var lines: [String] = []
        if let heading { lines.append(heading(colour.emoji + " " + text(WebhookText.headline(n), 300))) }
        func field(_ label: String, _ value: String) { lines.append(bold(label) + ": " + value) }

        field("类型 Kind", text(WebhookText.kindName(n.kind), 128))
        field("告警级别 Level", WebhookText.levelName(n.level) + " " + n.level.rawValue)
        if let r = n.responseLevel {
            field("响应级别 Response level", colourise("\(r.roman) 级 · \(r.chinese) · \(r.colourChinese)色预警", colour))
        }
        if let c = n.category {
            var name = c.code
            let names = [c.zh, c.en].compactMap { $0 }.filter { !$0.isEmpty }
            if !names.isEmpty { name += " " + names.joined(separator: " / ") }
            field("类别 Category", text(name, 256))
        }
        field("时间 Time", Timestamp(microseconds: n.time).description)
        if let link = n.link, !link.isEmpty {
            if let url = WebhookText.linkURL(link) {
                field("详情 Details", self.link(url, "查看 View"))
            } else {
                field("参考 Reference", text(link, 256))
            }
        }
        let fixed = lines.joined(separator: lineBreak)

        var variable = n.summary
        if !n.items.isEmpty {
            var itemLines = n.items.prefix(Self.maxItems).map { bullet + WebhookText.oneLine($0) }
            if n.items.count > Self.maxItems {
                let rest = n.items.count - Self.maxItems
                itemLines.append("…另有 \(rest) 条 and \(rest) more")
            }
            variable += (variable.isEmpty ? "" : "\n\n") + itemLines.joined(separator: "\n")
        }
        guard !variable.isEmpty else { return WebhookText.fitted(fixed, limit: limit) }
        let separator = lineBreak + lineBreak
        let room = limit - fixed.utf8.count - separator.utf8.count
        return fixed + separator + WebhookText.fitted(variable, limit: max(room, 0), escape: escape)
    }
}

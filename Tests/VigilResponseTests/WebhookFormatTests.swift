import Foundation
import Testing
import VigilCore
import VigilResponse

@Suite("Webhook message formats")
struct WebhookFormatTests {
    /// 2023-11-14T22:13:20Z.
    static let eventTime: Int64 = 1_700_000_000_000_000
    static let notification = WebhookNotification(
        id: "tkt_01HZX3Q9", kind: .ticketOpened, title: "公民个人信息批量导出 Bulk export of citizen records",
        level: .high, responseLevel: .ii, category: .init(code: "DLP-01", zh: "数据泄露", en: "Data leak"),
        summary: "API 客户端 10.0.0.8 在 5 分钟内读取了 12000 条身份证号。", link: "https://vigil.example/tickets/T-42",
        time: eventTime)
    static let attempt = Timestamp(microseconds: 1_700_000_100_000_000)

    static func request(_ format: WebhookFormat, _ n: WebhookNotification = notification, secrets: [String] = [])
        throws -> WebhookRequest
    {
        let url =
            switch format {
            case .generic: "https://receiver.example/hook"
            case .dingtalk: "https://oapi.dingtalk.com/robot/send?access_token=t"
            case .wecom: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
            case .feishu: "https://open.feishu.cn/open-apis/bot/v2/hook/h"
            case .slack: "https://hooks.slack.com/services/T/B/X"
            }
        let secrets = format == .generic && secrets.isEmpty ? ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] : secrets
        return try WebhookRequest.make(
            format: format, url: url, secrets: secrets, notification: n, attemptTimestamp: attempt)
    }

    /// The body parsed as a JSON object; fails the test when it is not one.
    static func object(_ body: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    static func value(_ root: [String: Any], _ path: String...) -> Any? {
        var current: Any? = root
        for key in path {
            if let index = Int(key), let array = current as? [Any] {
                current = index < array.count ? array[index] : nil
            } else {
                current = (current as? [String: Any])?[key]
            }
        }
        return current
    }

    /// The human-readable text of a format's message.
    static func text(_ format: WebhookFormat, _ body: [String: Any]) -> String? {
        switch format {
        case .dingtalk: value(body, "markdown", "text") as? String
        case .wecom: value(body, "markdown", "content") as? String
        case .feishu: value(body, "card", "elements", "0", "text", "content") as? String
        case .slack: value(body, "blocks", "1", "text", "text") as? String
        case .generic: value(body, "data", "summary") as? String
        }
    }

    @Test("every format's body is JSON in UTF-8 with Chinese written as characters, not escapes")
    func utf8JSON() throws {
        for format in WebhookFormat.allCases {
            let request = try Self.request(format)
            let text = try #require(String(validating: request.body, as: UTF8.self), "\(format)")
            #expect(text.contains("数据泄露"), "\(format)")
            #expect(!text.contains("\\u"), "\(format)")
            _ = try Self.object(request.body)
        }
    }

    @Test("the generic event has the Standard Webhooks type, timestamp and data")
    func genericBody() throws {
        let body = try Self.object(try Self.request(.generic).body)
        #expect(body["type"] as? String == "ticket.opened")
        #expect(body["timestamp"] as? String == "2023-11-14T22:13:20.000000Z")
        #expect(Self.value(body, "data", "id") as? String == "tkt_01HZX3Q9")
        #expect(Self.value(body, "data", "level") as? String == "high")
        #expect(Self.value(body, "data", "response_level", "level") as? String == "II")
        #expect(Self.value(body, "data", "response_level", "name") as? String == "重大")
        #expect(Self.value(body, "data", "response_level", "colour") as? String == "orange")
        #expect(Self.value(body, "data", "category", "zh") as? String == "数据泄露")
        #expect(Self.value(body, "data", "category", "en") as? String == "Data leak")
        #expect(Self.value(body, "data", "link") as? String == "https://vigil.example/tickets/T-42")
    }

    @Test("DingTalk sends markdown with a title and the level, response level, category and time in the text")
    func dingTalkBody() throws {
        let body = try Self.object(try Self.request(.dingtalk).body)
        #expect(body["msgtype"] as? String == "markdown")
        let title = try #require(Self.value(body, "markdown", "title") as? String)
        #expect(title.hasPrefix("【II 级 · 重大】公民个人信息批量导出"))
        let text = try #require(Self.value(body, "markdown", "text") as? String)
        #expect(text.hasPrefix("### 🟠 【II 级 · 重大】"))
        for part in [
            "II 级 · 重大 · 橙色预警", "高 high", "DLP-01 数据泄露 / Data leak", "2023-11-14T22:13:20.000000Z",
            "[查看 View](https://vigil.example/tickets/T-42)", "12000 条身份证号",
        ] {
            #expect(text.contains(part), "missing \(part)")
        }
    }

    @Test("WeCom sends markdown content with the response level in WeCom's warning colour")
    func weComBody() throws {
        let body = try Self.object(try Self.request(.wecom).body)
        #expect(body["msgtype"] as? String == "markdown")
        let content = try #require(Self.value(body, "markdown", "content") as? String)
        #expect(content.contains("<font color=\"warning\">II 级 · 重大 · 橙色预警</font>"))
        #expect(content.contains("DLP-01 数据泄露 / Data leak"))
        var blue = Self.notification
        blue.responseLevel = .iv
        let blueContent = Self.text(.wecom, try Self.object(try Self.request(.wecom, blue).body))
        #expect(blueContent?.contains("<font color=\"info\">IV 级 · 一般 · 蓝色预警</font>") == true)
    }

    @Test("Feishu sends an interactive card whose header colour follows the response level, else the rule level")
    func feishuCard() throws {
        let body = try Self.object(try Self.request(.feishu).body)
        #expect(body["msg_type"] as? String == "interactive")
        #expect(body["sign"] == nil && body["timestamp"] == nil)
        #expect(Self.value(body, "card", "header", "title", "tag") as? String == "plain_text")
        let title = try #require(Self.value(body, "card", "header", "title", "content") as? String)
        #expect(title.contains("【II 级 · 重大】公民个人信息批量导出"))
        #expect(Self.value(body, "card", "elements", "0", "tag") as? String == "div")
        #expect(Self.value(body, "card", "elements", "0", "text", "tag") as? String == "lark_md")
        #expect(Self.text(.feishu, body)?.contains("II 级 · 重大 · 橙色预警") == true)

        let expected: [(ResponseLevel?, RuleLevel, String)] = [
            (.i, .low, "red"), (.ii, .low, "orange"), (.iii, .critical, "yellow"), (.iv, .critical, "blue"),
            (nil, .critical, "red"), (nil, .high, "orange"), (nil, .medium, "yellow"), (nil, .low, "blue"),
            (nil, .informational, "blue"),
        ]
        for (response, rule, colour) in expected {
            var n = Self.notification
            (n.responseLevel, n.level) = (response, rule)
            let card = try Self.object(try Self.request(.feishu, n).body)
            #expect(
                Self.value(card, "card", "header", "template") as? String == colour,
                "\(String(describing: response)) \(rule)")
        }
    }

    @Test("Slack sends a fallback text, a header block and a mrkdwn section")
    func slackBody() throws {
        let body = try Self.object(try Self.request(.slack).body)
        let fallback = try #require(body["text"] as? String)
        #expect(fallback.contains("公民个人信息批量导出"))
        #expect(Self.value(body, "blocks", "0", "type") as? String == "header")
        #expect(Self.value(body, "blocks", "0", "text", "type") as? String == "plain_text")
        #expect(Self.value(body, "blocks", "1", "type") as? String == "section")
        #expect(Self.value(body, "blocks", "1", "text", "type") as? String == "mrkdwn")
        let section = try #require(Self.text(.slack, body))
        #expect(section.contains("*响应级别 Response level*: II 级 · 重大 · 橙色预警"))
        #expect(section.contains("<https://vigil.example/tickets/T-42|查看 View>"))
    }

    @Test("event text cannot mention everyone or open a tag in any chat format")
    func untrustedTextIsEscaped() throws {
        var n = Self.notification
        n.summary = "user=<at id=all></at> <@all> <!channel> & <font color=\"info\">ok</font>"
        n.title = "<!here> 标题"
        for format in [WebhookFormat.dingtalk, .wecom, .feishu] {
            let text = try #require(Self.text(format, try Self.object(try Self.request(format, n).body)))
            #expect(!text.contains("<at"), "\(format)")
            #expect(!text.contains("<@all>"), "\(format)")
            #expect(!text.contains("<font color=\"info\">ok"), "\(format)")
            #expect(text.contains("＜at id=all＞"), "\(format)")
        }
        let slack = try Self.object(try Self.request(.slack, n).body)
        let section = try #require(Self.text(.slack, slack))
        #expect(!section.contains("<!channel>"))
        #expect(section.contains("&lt;!channel&gt; &amp;"))
        #expect((slack["text"] as? String)?.contains("<!here>") == false)
    }

    @Test("a link that is not a plain http(s) URL is shown as a reference, not a link")
    func referenceLink() throws {
        var n = Self.notification
        n.link = "T-42 (工单)"
        let text = try #require(Self.text(.dingtalk, try Self.object(try Self.request(.dingtalk, n).body)))
        #expect(text.contains("**参考 Reference**: T-42 (工单)"))
        #expect(!text.contains("]("))
    }

    @Test("a digest lists its items, at most fifty, then how many more")
    func digestItems() throws {
        var n = Self.notification
        n.kind = .digest
        n.summary = "过去一小时 60 条告警"
        n.items = (1...60).map { "告警 #\($0)" }
        let text = try #require(Self.text(.wecom, try Self.object(try Self.request(.wecom, n).body)))
        #expect(text.contains("汇总 Digest"))
        #expect(text.contains("- 告警 #1\n"))
        #expect(text.contains("- 告警 #50\n"))
        #expect(!text.contains("告警 #51"))
        #expect(text.contains("另有 10 条 and 10 more"))
        let generic = try Self.object(try Self.request(.generic, n).body)
        #expect((Self.value(generic, "data", "items") as? [String])?.count == 60)
    }

    @Test("a long Chinese summary is cut to each vendor's limit on a character boundary, with a marker")
    func truncation() throws {
        var n = Self.notification
        // 3-byte characters plus a 4-byte emoji with a skin-tone modifier (one Character, 8 bytes).
        n.summary = String(repeating: "数据泄露告警👍🏽", count: 2000)
        let limits: [(WebhookFormat, Int)] = [
            (.wecom, WeComMessage.contentLimit), (.dingtalk, DingTalkMessage.textLimit),
            (.feishu, FeishuMessage.contentLimit), (.slack, SlackMessage.sectionLimit),
        ]
        for (format, limit) in limits {
            let request = try Self.request(format, n)
            #expect(String(validating: request.body, as: UTF8.self) != nil, "\(format)")
            let text = try #require(Self.text(format, try Self.object(request.body)), "\(format)")
            #expect(text.utf8.count <= limit, "\(format): \(text.utf8.count) > \(limit)")
            #expect(text.utf8.count > limit - 16, "\(format) wastes its budget: \(text.utf8.count)")
            #expect(text.hasSuffix(WebhookText.truncationMarker), "\(format)")
            #expect(!text.contains("\u{FFFD}"), "\(format)")
            // What is left of the summary is a whole-character prefix of it.
            let kept = try #require(
                text.components(separatedBy: "\n\n").last?.dropLast(WebhookText.truncationMarker.count))
            #expect(!kept.isEmpty && n.summary.hasPrefix(kept), "\(format)")
        }
        // A short summary is not cut.
        let text = Self.text(.wecom, try Self.object(try Self.request(.wecom).body))
        #expect(text?.hasSuffix("12000 条身份证号。") == true)
    }

    @Test("fitting text never exceeds the limit and never splits a character")
    func fittedText() {
        let text = String(repeating: "数", count: 10)  // 30 bytes
        let marker = "…"  // 3 bytes
        #expect(WebhookText.fitted(text, limit: 30, marker: marker) == text)
        for limit in 3..<30 {
            let cut = WebhookText.fitted(text, limit: limit, marker: marker)
            #expect(cut.utf8.count <= limit)
            #expect(cut == String(repeating: "数", count: (limit - 3) / 3) + marker, "limit \(limit)")
        }
        #expect(WebhookText.fitted(text, limit: 2, marker: marker) == "")
    }
}

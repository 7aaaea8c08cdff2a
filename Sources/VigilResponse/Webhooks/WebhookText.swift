import VigilCore

/// The human-readable parts every chat format shares: labels in Chinese with English alongside,
/// the warning colour, escaping of untrusted text, and truncation that never splits a character.
package enum WebhookText {
    /// Appended where text was cut, so a reader knows there is more behind the link.
    package static let truncationMarker = "…（已截断 truncated）"

    /// `text` cut to at most `limit` UTF-8 bytes after escaping, at a `Character` boundary (never
    /// inside a multi-byte sequence, an escape, or a grapheme such as an emoji with a modifier),
    /// ending with `marker` when anything was dropped. Unchanged when it already fits.
    package static func fitted(
        _ text: String, limit: Int, marker: String = truncationMarker, escape: (Character) -> String = { String($0) }
    ) -> String {
        let pieces = text.map(escape)
        if pieces.reduce(0, { $0 + $1.utf8.count }) <= limit { return pieces.joined() }
        let budget = limit - marker.utf8.count
        guard budget >= 0 else { return "" }
        var out = ""
        var used = 0
        for piece in pieces {
            let size = piece.utf8.count
            if used + size > budget { break }
            out += piece
            used += size
        }
        return out + marker
    }

    /// Newlines and tabs as spaces: for titles and one-line fields.
    package static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    /// For DingTalk, WeCom and Feishu markdown: angle brackets become their full-width forms, so
    /// text taken from events cannot open a tag — `<at id=all>` (Feishu), `<@userid>` (WeCom) or a
    /// `<font>` — and ping a whole group or restyle the message.
    package static func neutralised(_ c: Character) -> String {
        switch c {
        case "<": "＜"
        case ">": "＞"
        default: String(c)
        }
    }

    /// Slack's three control characters as entities (https://api.slack.com/reference/surfaces/formatting#escaping),
    /// so `<!channel>` in event text is shown, not obeyed.
    package static func slackEscaped(_ c: Character) -> String {
        switch c {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        default: String(c)
        }
    }

    /// The first line of every message: the response level (or rule level) and the title.
    static func headline(_ n: WebhookNotification) -> String {
        let grade =
            if let r = n.responseLevel { "\(r.roman) 级 · \(r.chinese)" } else {
                "\(levelName(n.level)) \(n.level.rawValue)"
            }
        return "【\(grade)】\(oneLine(n.title))"
    }

    static func levelName(_ level: RuleLevel) -> String {
        switch level {
        case .informational: "信息"
        case .low: "低"
        case .medium: "中"
        case .high: "高"
        case .critical: "严重"
        }
    }

    static func kindName(_ kind: WebhookNotification.Kind) -> String {
        switch kind {
        case .incidentOpened: "新事件 Incident opened"
        case .ticketOpened: "新工单 Ticket opened"
        case .ticketEscalated: "工单升级 Ticket escalated"
        case .deadlineApproaching: "时限将至 Deadline approaching"
        case .deadlineMissed: "已超时限 Deadline missed"
        case .test: "测试消息 Test"
        case .digest: "汇总 Digest"
        default: kind.rawValue
        }
    }

    /// A link that is safe to put inside markdown link syntax: http(s), no spaces, brackets,
    /// parentheses, pipes or quotes that would end the link early. Anything else is shown as text.
    static func linkURL(_ link: String) -> String? {
        let lower = link.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), link.utf8.count <= 2048 else { return nil }
        let unsafe: Set<UInt8> = Set("()[]<>|\"' `".utf8)
        guard link.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !unsafe.contains($0) }) else { return nil }
        return link
    }
}

/// The warning colour of a notification: its response level's (I red, II orange, III yellow,
/// IV blue), else one read from the rule level (critical red, high orange, medium yellow, lower blue).
enum WebhookColour: String {
    case red, orange, yellow, blue

    init(_ n: WebhookNotification) {
        if let r = n.responseLevel {
            self =
                switch r {
                case .i: .red
                case .ii: .orange
                case .iii: .yellow
                case .iv: .blue
                }
        } else {
            self =
                switch n.level {
                case .critical: .red
                case .high: .orange
                case .medium: .yellow
                case .low, .informational: .blue
                }
        }
    }

    /// A coloured circle: every chat client shows it, whatever markup it supports.
    var emoji: String {
        switch self {
        case .red: "🔴"
        case .orange: "🟠"
        case .yellow: "🟡"
        case .blue: "🔵"
        }
    }
}

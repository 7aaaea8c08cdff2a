import Foundation
import VigilConfig
import VigilCore
import VigilStore

/// One configured webhook (`webhooks:` in correlator.yaml): where, in which format, which
/// notifications, how fast.
public struct WebhookSettings: Sendable {
    public var name: String
    public var endpoint: WebhookEndpoint
    /// Only tickets at this response level or more severe (nil: all).
    public var minResponseLevel: ResponseLevel?
    /// Only these GB/T 20986 codes (a category matches its subcategories); empty: all.
    public var categories: [String] = []
    /// Only these kinds of notification (`ticket.opened`, `deadline.missed` …); empty: all. A
    /// test message always goes.
    public var kinds: Set<WebhookNotification.Kind> = []
    /// Only notifications about one of these departments (`labels.department`); empty: all.
    public var departments: [String] = []
    /// Messages per minute (DingTalk and WeCom robots allow 20); a burst over it is folded into one
    /// digest message.
    public var perMinute: Int
    /// PEM file of the CA that signed the receiver's certificate (nil: the system's roots).
    public var caFile: String?

    public init(name: String, endpoint: WebhookEndpoint, perMinute: Int? = nil) {
        (self.name, self.endpoint) = (name, endpoint)
        self.perMinute = perMinute ?? ([.dingtalk, .wecom].contains(endpoint.format) ? 20 : 600)
    }

    /// Whether this endpoint wants `notification`.
    public func accepts(_ n: WebhookNotification) -> Bool {
        if n.kind == .test { return true }
        if !kinds.isEmpty, !kinds.contains(n.kind) { return false }
        if !departments.isEmpty, !n.departments.contains(where: departments.contains) { return false }
        if let min = minResponseLevel {
            guard let level = n.responseLevel, level >= min else { return false }
        }
        if !categories.isEmpty {
            guard let code = n.category?.code,
                categories.contains(where: { code == $0 || code.hasPrefix($0 + "-") })
            else { return false }
        }
        return true
    }

    /// Parses the `webhooks:` list. Secrets are read from files (`secret_files`), never written in
    /// the config itself, so the config can be shown and versioned; a DingTalk or WeCom URL carries
    /// its access token, so it too can come from a file (`url_file`).
    public static func parse(_ list: ConfigNode) -> [WebhookSettings] {
        var out: [WebhookSettings] = []
        var names: Set<String> = []
        for node in list.sequence() {
            node.allowOnly([
                "name", "format", "url", "url_file", "secret_files", "min_response_level", "categories", "kinds",
                "departments",
                "per_minute", "ca_file",
            ])
            guard let name = node.child("name")?.string(), !name.isEmpty else {
                node.error("a webhook needs a name")
                continue
            }
            guard names.insert(name).inserted else {
                node.error("webhook '\(name)' appears twice")
                continue
            }
            guard
                let format = node.child("format")?.oneOf(WebhookFormat.allCases.map(\.rawValue)).flatMap(
                    WebhookFormat.init(rawValue:))
            else {
                if node.child("format") == nil { node.error("webhook '\(name)' needs a format") }
                continue
            }
            var url = node.child("url")?.string()
            if let fileNode = node.child("url_file"), let path = fileNode.string() {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    fileNode.error("\(path): cannot read the file")
                    continue
                }
                url = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let url else {
                node.error("webhook '\(name)' needs url or url_file")
                continue
            }
            var secrets: [String] = []
            var unreadable = false
            for fileNode in node.child("secret_files")?.sequence() ?? [] {
                guard let path = fileNode.string() else { continue }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    fileNode.error("\(path): cannot read the file")
                    unreadable = true
                    continue
                }
                secrets.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            if unreadable { continue }
            let endpoint: WebhookEndpoint
            do {
                endpoint = try WebhookEndpoint(format: format, url: url, secrets: secrets)
            } catch {
                node.error("webhook '\(name)': \((error as? VigilError)?.message ?? "\(error)")")
                continue
            }
            var settings = WebhookSettings(
                name: name, endpoint: endpoint, perMinute: node.child("per_minute")?.int(in: 1...6000))
            if let levelNode = node.child("min_response_level"), let text = levelNode.string() {
                guard let level = ResponseLevel(roman: text) else {
                    levelNode.error("'\(text)' is not a response level", hint: "I, II, III or IV")
                    continue
                }
                settings.minResponseLevel = level
            }
            settings.categories = node.child("categories")?.sequence().compactMap { $0.string() } ?? []
            settings.departments = node.child("departments")?.sequence().compactMap { $0.string() } ?? []
            let kindNames = WebhookNotification.Kind.sent.map(\.rawValue)
            for kindNode in node.child("kinds")?.sequence() ?? [] {
                if let text = kindNode.oneOf(kindNames) { settings.kinds.insert(.init(rawValue: text)) }
            }
            if let caNode = node.child("ca_file"), let path = caNode.string() {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    caNode.error("\(path): cannot read the file")
                    continue
                }
                settings.caFile = path
            }
            out.append(settings)
        }
        return out
    }
}

/// A notification as the outbox keeps it (JSON), rendered per endpoint at each attempt.
public enum NotificationPayload {
    private struct Stored: Codable {
        var id, kind, title, level, summary: String
        var responseLevel: String?
        var categoryCode, categoryZH, categoryEN, link: String?
        var time: Int64
        var items: [String]
        var departments: [String]?
    }

    public static func encode(_ n: WebhookNotification) -> String {
        let stored = Stored(
            id: n.id, kind: n.kind.rawValue, title: n.title, level: n.level.rawValue, summary: n.summary,
            responseLevel: n.responseLevel?.roman, categoryCode: n.category?.code, categoryZH: n.category?.zh,
            categoryEN: n.category?.en, link: n.link, time: n.time, items: n.items,
            departments: n.departments.isEmpty ? nil : n.departments)
        return String(decoding: (try? JSONEncoder().encode(stored)) ?? Data(), as: UTF8.self)
    }

    public static func decode(_ text: String) -> WebhookNotification? {
        guard let s = try? JSONDecoder().decode(Stored.self, from: Data(text.utf8)) else { return nil }
        return WebhookNotification(
            id: s.id, kind: .init(rawValue: s.kind), title: s.title, level: RuleLevel(rawValue: s.level) ?? .medium,
            responseLevel: s.responseLevel.flatMap(ResponseLevel.init(roman:)),
            category: s.categoryCode.map { .init(code: $0, zh: s.categoryZH, en: s.categoryEN) }, summary: s.summary,
            link: s.link, time: s.time, items: s.items, departments: s.departments ?? [])
    }

    /// The outbox rows of `notification` for every endpoint that wants it.
    public static func rows(_ n: WebhookNotification, endpoints: [WebhookSettings], now: Int64) -> [OutboxRow] {
        let payload = encode(n)
        return endpoints.filter { $0.accepts(n) }.map {
            OutboxRow(id: n.id, endpoint: $0.name, created: now, kind: n.kind.rawValue, payload: payload)
        }
    }
}

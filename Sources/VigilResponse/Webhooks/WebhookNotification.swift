import VigilCore

/// What a webhook tells a chat group or a receiver, before it is shaped for a vendor: every
/// `WebhookFormat` renders its message from this one value, so a notification reads the same in
/// DingTalk, WeCom, Feishu, Slack and a Standard Webhooks receiver.
///
/// Named `WebhookNotification` rather than `Notification`: Foundation has a `Notification` too, and
/// a file importing both modules could not name either without qualifying it.
///
/// Invariant: `id` is the same on every retry of one notification (it is the Standard Webhooks
/// `webhook-id`, the receiver's idempotency key), and contains no `.` (it is part of the signed
/// `{id}.{timestamp}.{body}` text).
public struct WebhookNotification: Sendable, Equatable {
    /// What happened, as a dotted name (the Standard Webhooks payload `type`). An open set: the
    /// constants below are what the correlator sends; another name is shown as written.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let incidentOpened = Kind(rawValue: "incident.opened")
        public static let ticketOpened = Kind(rawValue: "ticket.opened")
        public static let ticketEscalated = Kind(rawValue: "ticket.escalated")
        public static let deadlineApproaching = Kind(rawValue: "deadline.approaching")
        public static let deadlineMissed = Kind(rawValue: "deadline.missed")
        /// A message sent on request to check that a webhook is set up.
        public static let test = Kind(rawValue: "test")
        /// Several notifications folded into one message (`items` lists them).
        public static let digest = Kind(rawValue: "digest")
        /// The kinds an endpoint can choose among (`kinds:` in the correlator's config).
        public static let sent: [Kind] = [
            .ticketOpened, .ticketEscalated, .deadlineApproaching, .deadlineMissed,
        ]
    }

    /// A category of incident (事件分类), shown as `code 中文名 / English name`.
    public struct Category: Sendable, Equatable {
        public var code: String
        public var zh: String?
        public var en: String?

        public init(code: String, zh: String? = nil, en: String? = nil) {
            (self.code, self.zh, self.en) = (code, zh, en)
        }
    }

    /// Stable across retries; no `.`.
    public var id: String
    public var kind: Kind
    /// One line: the incident's or ticket's title.
    public var title: String
    /// The rule level (the incident's severity).
    public var level: RuleLevel
    /// The national response level (I–IV) once a ticket has one.
    public var responseLevel: ResponseLevel?
    public var category: Category?
    /// Free text, possibly long and possibly carrying attacker-chosen strings (a URL, a user
    /// name): every format escapes it for its markup and truncates it to the vendor's limit.
    public var summary: String
    /// Where to look: a URL (rendered as a link) or another reference such as a ticket number.
    public var link: String?
    /// When the event happened, µs since 1970 UTC (not when the message is sent).
    public var time: Int64
    /// For a digest, the titles of the notifications it folds together; empty otherwise.
    public var items: [String]
    /// Departments the incident or ticket concerns (endpoints can filter on them).
    public var departments: [String]

    public init(
        id: String, kind: Kind, title: String, level: RuleLevel, responseLevel: ResponseLevel? = nil,
        category: Category? = nil, summary: String, link: String? = nil, time: Int64, items: [String] = [],
        departments: [String] = []
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.level = level
        self.responseLevel = responseLevel
        self.category = category
        self.summary = summary
        self.link = link
        self.time = time
        self.items = items
        self.departments = departments
    }
}

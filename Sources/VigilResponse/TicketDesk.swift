import Foundation
import VigilConfig
import VigilCore
import VigilStore

#if canImport(Glibc)
    import Glibc
#endif

/// How tickets are made: which incidents get one, how their level, category, playbook and
/// deadlines are found. Loaded from the rule pack (`response/levels.yaml`,
/// `response/categories.yaml`, `playbooks/`).
public struct ResponsePolicy: Sendable {
    /// Incidents at this level or above get a ticket (after escalation too).
    public var openFrom: RuleLevel = .high
    public var levels: ResponseLevelTable
    public var categories: CategoryTable?
    public var playbooks: PlaybookLibrary
    public var deadlines = DeadlinePolicy()

    public init(levels: ResponseLevelTable, categories: CategoryTable?, playbooks: PlaybookLibrary) {
        (self.levels, self.categories, self.playbooks) = (levels, categories, playbooks)
    }

    /// The policy of the rule pack in `rules`, and every problem with its files.
    public static func load(rules: String) -> (ResponsePolicy?, [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        func text(_ relative: String) -> (String, String)? {
            let path = (rules as NSString).appendingPathComponent(relative)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                diagnostics.append(ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file"))
                return nil
            }
            return (text, path)
        }
        let levels = text("response/levels.yaml").flatMap {
            ResponseLevelTable.parse($0.0, file: $0.1, diagnostics: &diagnostics)
        }
        let categories = text("response/categories.yaml").flatMap {
            CategoryTable.parse($0.0, file: $0.1, diagnostics: &diagnostics)
        }
        let playbooks = PlaybookLibrary.load(
            directory: (rules as NSString).appendingPathComponent("playbooks"), diagnostics: &diagnostics)
        guard let levels else { return (nil, diagnostics) }
        return (ResponsePolicy(levels: levels, categories: categories, playbooks: playbooks), diagnostics)
    }
}

/// What an analyst does to a ticket.
public enum TicketAction: Sendable, Equatable {
    case acknowledge(note: String)
    case assign(to: String, note: String)
    case contain(note: String)
    case resolve(note: String)
    case close(note: String)
    case reopen(note: String)
    /// false_positive or duplicate.
    case reject(as: TicketStatus, note: String)
    /// A playbook step done.
    case step(id: String, note: String)
    case note(String)
    /// Another incident joins the ticket (one ticket can hold several).
    case link(incident: String)

    /// The timeline action name.
    var name: String {
        switch self {
        case .acknowledge: "ticket.acknowledge"
        case .assign: "ticket.assign"
        case .contain: "ticket.contain"
        case .resolve: "ticket.resolve"
        case .close: "ticket.close"
        case .reopen: "ticket.reopen"
        case .reject: "ticket.reject"
        case .step: "ticket.step"
        case .note: "ticket.note"
        case .link: "ticket.link"
        }
    }
}

/// Opens tickets for incidents and applies analysts' actions, through the store (every change and
/// its timeline entry in one transaction). After each change the chain head goes to `headFile`
/// too (one `seq hash` line appended) and to the journal (`VIGIL_TIMELINE_SEQ`,
/// `VIGIL_TIMELINE_HASH`), so deleting the newest timeline rows shows against either.
public struct TicketDesk: Sendable {
    public let store: any TicketStore
    public let policy: ResponsePolicy
    public let headFile: String?
    /// Where notifications of opened and escalated tickets go (outbox rows written with the change).
    public let endpoints: [WebhookSettings]
    /// The journal the chain head also goes to (nil: none; outside systemd sends do nothing).
    public var journal: JournalWriter?
    /// The store's path, sent with each head as `VIGIL_STORE` so that `vigil audit verify --journal`
    /// finds this store's heads among others'.
    public var journalStore: String?

    public init(store: any TicketStore, policy: ResponsePolicy, headFile: String?, endpoints: [WebhookSettings] = []) {
        (self.store, self.policy, self.headFile, self.endpoints) = (store, policy, headFile, endpoints)
    }

    /// The notification of a ticket opened or raised.
    public func notification(_ t: TicketRecord, kind: WebhookNotification.Kind, ruleLevel: RuleLevel, now: Int64)
        -> WebhookNotification
    {
        let level = ResponseLevel(roman: t.level)
        let category = t.category.map { code in
            let c = policy.categories?.category(code)
            return WebhookNotification.Category(code: code, zh: c?.zh, en: c?.en)
        }
        var lines = ["工单 Ticket \(t.id): \(t.levelWhy)"]
        for d in t.deadlines {
            let what = d.kind == "report" ? "报告时限 report to the authority by" : "确认时限 acknowledge by"
            lines.append("\(what) \(Timestamp(microseconds: d.due))")
        }
        if let departments = t.departments, !departments.isEmpty {
            lines.append("部门 Departments: \(departments.joined(separator: ", "))")
        }
        if let first = t.steps.first { lines.append("第一步 First step: \(first.zh) / \(first.en)") }
        let suffix = kind == .ticketEscalated ? "-" + t.level : ""
        return WebhookNotification(
            id: "\(t.id)-\(kind == .ticketOpened ? "opened" : "raised")\(suffix)", kind: kind, title: t.title,
            level: ruleLevel, responseLevel: level, category: category, summary: lines.joined(separator: "\n"),
            link: "vigil tickets show \(t.id)", time: now, departments: t.departments ?? [])
    }

    /// The ticket id of an incident's ticket: derived from the incident, so opening is idempotent
    /// (a replay after a restart finds the ticket it opened before).
    public static func ticketID(incident: String) -> String { "T-" + Digest.sha256.hex(incident).prefix(12) }

    /// The ticket a new incident gets.
    public func draft(for incident: IncidentRecord, now: Int64) -> TicketRecord {
        let (level, why) = policy.levels.level(for: Self.levelInputs(incident))
        let opened = Timestamp(microseconds: now)
        let steps = (policy.playbooks.playbook(for: incident.category)?.steps(for: level) ?? []).map {
            TicketRecord.Step(id: $0.id, zh: $0.zh, en: $0.en, role: $0.role, due: now + $0.dueSeconds * 1_000_000)
        }
        let deadlines = policy.deadlines.deadlines(opened: opened, level: level).map {
            TicketRecord.Deadline(kind: $0.kind.rawValue, due: $0.due.microseconds)
        }
        var ticket = TicketRecord(
            id: Self.ticketID(incident: incident.id), title: incident.title, level: level.roman, levelWhy: why,
            category: incident.category, status: TicketStatus.new.rawValue, opened: now, incidents: [incident.id],
            steps: steps, deadlines: deadlines)
        ticket.departments = incident.departments.isEmpty ? nil : incident.departments.sorted()
        return ticket
    }

    /// What the response level of an incident's ticket depends on.
    static func levelInputs(_ incident: IncidentRecord) -> LevelInputs {
        LevelInputs(
            ruleLevel: RuleLevel(rawValue: incident.level) ?? .medium,
            classification: incident.classification.flatMap(DataClassification.init(rawValue:)),
            people: incident.dlpCount, events: incident.hits)
    }

    /// What happened to a ticket because an incident changed.
    public enum Outcome: Sendable, Equatable {
        case opened(TicketRecord)
        case escalated(TicketRecord, from: String)
    }

    /// Opens a ticket for an incident at or above `policy.openFrom` that has none, or raises the
    /// level of its ticket when the incident's escalation calls for a more severe one. Nil when
    /// nothing changed.
    public func incidentChanged(_ incident: IncidentRecord, now: Int64) throws(VigilError) -> Outcome? {
        guard let (outcome, entry) = try change(for: incident, now: now) else { return nil }
        recordHead(entry)
        return outcome
    }

    /// `incidentChanged` for each incident, in one store transaction that first runs `first` (the
    /// caller's own writes, such as storing the incidents): everything commits together, with one
    /// fsync, or nothing does. The new timeline heads are recorded only after the commit, so the
    /// head file never names an entry that was rolled back. Not for use inside another
    /// `store.transaction` (it would join that one, and the heads would precede its commit).
    public func incidentsChanged(
        _ incidents: [IncidentRecord], now: Int64, first: () throws(VigilError) -> Void
    ) throws(VigilError) -> [Outcome] {
        var entries: [TimelineEntry] = []
        let outcomes = try store.transaction("cannot store \(incidents.count) incidents and their tickets") {
            () throws(VigilError) -> [Outcome] in
            try first()
            var outcomes: [Outcome] = []
            for incident in incidents {
                guard let (outcome, entry) = try change(for: incident, now: now) else { continue }
                outcomes.append(outcome)
                entries.append(entry)
            }
            return outcomes
        }
        for entry in entries { recordHead(entry) }
        return outcomes
    }

    /// What `incidentChanged` stores, and the timeline entry it appended; the head is not recorded.
    private func change(for incident: IncidentRecord, now: Int64) throws(VigilError) -> (Outcome, TimelineEntry)? {
        guard let level = RuleLevel(rawValue: incident.level), level >= policy.openFrom else { return nil }
        guard let existing = try store.ticketState(forIncident: incident.id) else {
            let ticket = draft(for: incident, now: now)
            let detail = Self.json([
                "incident": incident.id, "level": ticket.level, "why": ticket.levelWhy,
                "category": ticket.category ?? "",
            ])
            let note = notification(ticket, kind: .ticketOpened, ruleLevel: level, now: now)
            let rows = NotificationPayload.rows(note, endpoints: endpoints, now: now)
            guard let entry = try store.openTicket(ticket, actor: "system", detail: detail, at: now, outbox: rows)
            else { return nil }
            return (.opened(ticket), entry)
        }
        // Most changes of an incident with a ticket leave its level alone: decided from the
        // ticket's level and status columns, without reading (and decoding) the ticket.
        guard let current = ResponseLevel(roman: existing.level),
            TicketStatus(rawValue: existing.status)?.isFinal == false,
            policy.levels.level(for: Self.levelInputs(incident)).level > current
        else { return nil }
        let wanted = draft(for: incident, now: now)
        guard let next = ResponseLevel(roman: wanted.level) else { return nil }
        let result = try store.updateTicket(id: existing.id, actor: "system", action: "ticket.escalate", at: now) {
            (ticket: inout TicketRecord) throws(VigilError) -> (detail: String, outbox: [OutboxRow]) in
            ticket.level = next.roman
            ticket.levelWhy = wanted.levelWhy
            let departments = Set(ticket.departments ?? []).union(wanted.departments ?? [])
            ticket.departments = departments.isEmpty ? nil : departments.sorted()
            for deadline in wanted.deadlines where !ticket.deadlines.contains(where: { $0.kind == deadline.kind }) {
                ticket.deadlines.append(deadline)
            }
            for step in wanted.steps where !ticket.steps.contains(where: { $0.id == step.id }) {
                ticket.steps.append(step)
            }
            let note = notification(ticket, kind: .ticketEscalated, ruleLevel: level, now: now)
            return (
                Self.json(["from": current.roman, "to": next.roman, "why": wanted.levelWhy]),
                NotificationPayload.rows(note, endpoints: endpoints, now: now)
            )
        }
        guard let (ticket, entry) = result else { return nil }
        return (.escalated(ticket, from: current.roman), entry)
    }

    /// `deadlineAlerts` over every open ticket, read a page of 1 000 at a time (bounded: at most
    /// 10 million tickets).
    public func deadlineAlerts(now: Int64) throws(VigilError) -> [OutboxRow] {
        var rows: [OutboxRow] = []
        var after: String? = nil
        for _ in 0..<10_000 {
            let page = try store.openTickets(after: after, limit: 1000)
            rows += deadlineAlerts(page, now: now)
            guard page.count == 1000, let last = page.last else { break }
            after = last.id
        }
        return rows
    }

    /// Notifications for the deadlines of open tickets that are approaching (75 % of the time used)
    /// or missed at `now`, one per ticket, deadline and state: their ids are fixed, so the outbox
    /// (which ignores a row it already has) sends each once however often this runs.
    public func deadlineAlerts(_ tickets: [TicketRecord], now: Int64) -> [OutboxRow] {
        var rows: [OutboxRow] = []
        for t in tickets where TicketStatus(rawValue: t.status)?.isOpen == true {
            for d in t.deadlines where d.met == nil {
                let state = Deadline(
                    kind: .acknowledge, opened: Timestamp(microseconds: t.opened), due: Timestamp(microseconds: d.due)
                ).state(at: Timestamp(microseconds: now), warnAt: policy.deadlines.warnAtFraction)
                guard state == .approaching || state == .missed else { continue }
                let kind: WebhookNotification.Kind = state == .missed ? .deadlineMissed : .deadlineApproaching
                var note = notification(t, kind: kind, ruleLevel: .high, now: now)
                note.id = "\(t.id)-\(d.kind)-\(state.rawValue)"
                let what = d.kind == "report" ? "报告 report to the authority" : "确认 acknowledge"
                let when = state == .missed ? "已超时 missed" : "即将到期 due soon"
                note.title = "\(when): \(what) — \(t.title)"
                note.summary =
                    "\(what) by \(Timestamp(microseconds: d.due)); ticket \(t.id) is \(t.status)"
                    + (t.assignee.map { ", assigned to \($0)" } ?? ", unassigned")
                rows += NotificationPayload.rows(note, endpoints: endpoints, now: now)
            }
        }
        return rows
    }

    /// Opens a ticket by hand (an analyst saw something the rules did not), with the playbook of
    /// its category and the deadlines of its level; `incidents` join it.
    public func open(
        title: String, level: ResponseLevel, category: String?, incidents: [String], note: String, actor: String,
        now: Int64
    ) throws(VigilError) -> TicketRecord {
        guard !title.isEmpty, title.count <= 200 else {
            throw VigilError(.usage, "a ticket needs a title (200 characters at most)")
        }
        for incident in incidents {
            if let other = try store.ticket(forIncident: incident) {
                throw VigilError(.usage, "incident \(incident) is already in ticket \(other.id)")
            }
        }
        let opened = Timestamp(microseconds: now)
        let steps = (policy.playbooks.playbook(for: category)?.steps(for: level) ?? []).map {
            TicketRecord.Step(id: $0.id, zh: $0.zh, en: $0.en, role: $0.role, due: now + $0.dueSeconds * 1_000_000)
        }
        let deadlines = policy.deadlines.deadlines(opened: opened, level: level).map {
            TicketRecord.Deadline(kind: $0.kind.rawValue, due: $0.due.microseconds)
        }
        let id = "T-" + Digest.sha256.hex("manual\u{0}\(actor)\u{0}\(title)\u{0}\(now)").prefix(12)
        let ticket = TicketRecord(
            id: String(id), title: title, level: level.roman,
            levelWhy: "set by \(actor)" + (note.isEmpty ? "" : ": \(note)"),
            category: category, status: TicketStatus.new.rawValue, opened: now, incidents: incidents, steps: steps,
            deadlines: deadlines)
        let rows = NotificationPayload.rows(
            notification(ticket, kind: .ticketOpened, ruleLevel: .high, now: now), endpoints: endpoints, now: now)
        let detail = Self.json(["level": level.roman, "note": note, "by": "hand"])
        guard let entry = try store.openTicket(ticket, actor: actor, detail: detail, at: now, outbox: rows) else {
            throw VigilError(.usage, "ticket \(ticket.id) exists already")
        }
        recordHead(entry)
        return ticket
    }

    /// Applies an analyst's action; a refused one throws a `.usage` error with the reason.
    @discardableResult
    public func act(_ action: TicketAction, ticket id: String, actor: String, now: Int64) throws(VigilError)
        -> TicketRecord
    {
        if case .link(let incident) = action, let other = try store.ticket(forIncident: incident), other.id != id {
            throw VigilError(.usage, "incident \(incident) is already in ticket \(other.id)")
        }
        let result = try store.updateTicket(id: id, actor: actor, action: action.name, at: now) {
            (ticket: inout TicketRecord) throws(VigilError) -> (detail: String, outbox: [OutboxRow]) in
            (try Self.apply(action, to: &ticket, actor: actor, now: now), [])
        }
        guard let (ticket, entry) = result else { throw VigilError(.usage, "no ticket '\(id.prefix(64))'") }
        recordHead(entry)
        return ticket
    }

    /// The pure part of `act`: the new ticket and the timeline detail, or the refusal.
    static func apply(_ action: TicketAction, to ticket: inout TicketRecord, actor: String, now: Int64)
        throws(VigilError) -> String
    {
        guard let status = TicketStatus(rawValue: ticket.status) else {
            throw VigilError(.store, "ticket \(ticket.id) has an unknown status '\(ticket.status)'")
        }
        func move(_ target: TicketStatus, _ note: String) throws(VigilError) -> String {
            switch status.transition(to: target) {
            case .failure(let error): throw VigilError(.usage, error.message)
            case .success:
                ticket.status = target.rawValue
                if target == .acknowledged, let i = ticket.deadlines.firstIndex(where: { $0.kind == "acknowledge" }),
                    ticket.deadlines[i].met == nil
                {
                    ticket.deadlines[i].met = now
                }
                return json(["from": status.rawValue, "to": target.rawValue, "note": note])
            }
        }
        switch action {
        case .acknowledge(let note): return try move(.acknowledged, note)
        case .contain(let note): return try move(.contained, note)
        case .resolve(let note): return try move(.resolved, note)
        case .close(let note): return try move(.closed, note)
        case .reopen(let note): return try move(.acknowledged, note)
        case .reject(let target, let note):
            guard target == .falsePositive || target == .duplicate else {
                throw VigilError(.usage, "a ticket is rejected as false_positive or duplicate, not \(target.rawValue)")
            }
            return try move(target, note)
        case .assign(let assignee, let note):
            guard !status.isFinal else { throw VigilError(.usage, "the ticket is \(status.rawValue), which is final") }
            let before = ticket.assignee
            ticket.assignee = assignee
            return json(["from": before ?? "", "to": assignee, "note": note])
        case .step(let id, let note):
            guard !status.isFinal else { throw VigilError(.usage, "the ticket is \(status.rawValue), which is final") }
            guard let i = ticket.steps.firstIndex(where: { $0.id == id }) else {
                let ids = ticket.steps.map(\.id).joined(separator: ", ")
                throw VigilError(.usage, "the ticket's playbook has no step '\(id.prefix(64))'; its steps: \(ids)")
            }
            guard ticket.steps[i].done == nil else { throw VigilError(.usage, "step '\(id)' is already done") }
            (ticket.steps[i].done, ticket.steps[i].doneBy, ticket.steps[i].note) = (now, actor, note)
            if id == "report-authority", let d = ticket.deadlines.firstIndex(where: { $0.kind == "report" }) {
                ticket.deadlines[d].met = now
            }
            let late = now > ticket.steps[i].due
            return json(["step": id, "note": note, "late": late ? "yes" : "no"])
        case .note(let text):
            guard !text.isEmpty else { throw VigilError(.usage, "a note needs text") }
            return json(["note": text])
        case .link(let incident):
            guard !status.isFinal else { throw VigilError(.usage, "the ticket is \(status.rawValue), which is final") }
            guard !ticket.incidents.contains(incident) else {
                throw VigilError(.usage, "incident \(incident) is already in this ticket")
            }
            ticket.incidents.append(incident)
            return json(["incident": incident])
        }
    }

    /// Appends the chain head to `headFile` (O_APPEND: each line lands whole at the end).
    func recordHead(_ entry: TimelineEntry) {
        journal?.send(
            message: "ticket timeline head \(entry.seq) \(entry.hash)",
            fields: [("VIGIL_TIMELINE_SEQ", String(entry.seq)), ("VIGIL_TIMELINE_HASH", entry.hash)]
                + (journalStore.map { [("VIGIL_STORE", $0)] } ?? []))
        guard let headFile else { return }
        let line = Array("\(entry.seq) \(entry.hash)\n".utf8)
        let fd = Glibc.open(headFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// The last `seq hash` line of a head file.
    public static func readHead(_ path: String) -> (seq: Int64, hash: String)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let last = text.split(separator: "\n").last
        else { return nil }
        let parts = last.split(separator: " ")
        guard parts.count == 2, let seq = Int64(parts[0]) else { return nil }
        return (seq, String(parts[1]))
    }

    /// The newest chain head the correlator of the store at `store` (its path as the correlator
    /// opened it) sent to the journal: `journalctl VIGIL_STORE=<store>`, newest first.
    /// `directory` reads a copy of journal files (`journalctl --directory`) instead of the system's.
    /// nil when the journal holds no head (never written, or rotated away); an error when
    /// `journalctl` is missing or refuses (not root and not in group systemd-journal).
    public static func readJournalHead(
        store: String, directory: String? = nil, journalctl: String = "/usr/bin/journalctl"
    ) throws(VigilError) -> (seq: Int64, hash: String)? {
        guard FileManager.default.isExecutableFile(atPath: journalctl) else {
            throw VigilError(.io, "\(journalctl) not found: install systemd, or check against the head file only")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: journalctl)
        process.arguments =
            [
                "--no-pager", "--quiet", "--output=json", "--reverse", "--lines=1",
                "--output-fields=VIGIL_TIMELINE_SEQ,VIGIL_TIMELINE_HASH", "VIGIL_STORE=\(store)",
            ] + (directory.map { ["--directory", $0] } ?? [])
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw VigilError(.io, "cannot run \(journalctl): \(error.localizedDescription)")
        }
        // One entry at most (--lines=1), so the whole output is small.
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let found = output.split(separator: UInt8(ascii: "\n")).lazy.compactMap { journalHead(Data($0)) }.first
        if found == nil, process.terminationStatus != 0 {
            let reason = problem.trimmingCharacters(in: .whitespacesAndNewlines)
            throw VigilError(
                .io,
                "journalctl failed (exit \(process.terminationStatus)): \(reason.isEmpty ? "no reason given" : reason)")
        }
        return found
    }

    /// A store file's name in the journal: its absolute path with symbolic links resolved.
    public static func storeName(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// `VIGIL_TIMELINE_SEQ` and `VIGIL_TIMELINE_HASH` of one `journalctl --output=json` line.
    static func journalHead(_ line: Data) -> (seq: Int64, hash: String)? {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
            let seqText = object["VIGIL_TIMELINE_SEQ"] as? String, let seq = Int64(seqText),
            let hash = object["VIGIL_TIMELINE_HASH"] as? String, !hash.isEmpty
        else { return nil }
        return (seq, hash)
    }

    static func json(_ object: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation
import VigilCore
import VigilResponse
import VigilStore

/// A query string's parameters, checked: an unknown name is an error (a typo such as `source_ip`
/// must not silently widen a search), and every error names the parameter and says what it takes.
struct QueryParameters {
    let values: [String: String]

    /// Fails with a message when a name is not in `allowed` or is given twice.
    init(_ pairs: [(String, String)], allowed: [String]) throws(QueryError) {
        var values: [String: String] = [:]
        for (name, value) in pairs {
            guard allowed.contains(name) else {
                throw QueryError("unknown parameter '\(name)'; this call takes \(allowed.joined(separator: ", "))")
            }
            guard values[name] == nil else { throw QueryError("parameter '\(name)' is given twice") }
            values[name] = value
        }
        self.values = values
    }

    func string(_ name: String) throws(QueryError) -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty else { throw QueryError("parameter '\(name)' is empty") }
        guard value.utf8.count <= 1024 else { throw QueryError("parameter '\(name)' is longer than 1024 bytes") }
        return value
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(QueryError) -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw QueryError("parameter '\(name)' takes a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// An RFC 3339 time (`2026-12-04T07:00:00Z`, `2026-12-04T15:00:00+08:00`) or a duration back from
    /// `now` (`90s`, `15m`, `24h`, `7d`), as µs since 1970.
    func time(_ name: String, now: Timestamp) throws(QueryError) -> Int64? {
        guard let text = try string(name) else { return nil }
        if let t = Timestamp(rfc3339: text) { return t.microseconds }
        if let seconds = Self.durationSeconds(text) { return now.microseconds - seconds * 1_000_000 }
        throw QueryError(
            "parameter '\(name)': '\(text)' is neither an RFC 3339 time (2026-12-04T07:00:00Z) nor a duration back from now (15m, 24h, 7d)"
        )
    }

    /// A duration back from now, up to ten years; nil otherwise.
    static func durationSeconds(_ text: String) -> Int64? {
        DurationText.seconds(text).flatMap { $0 <= 3650 * 86_400 ? $0 : nil }
    }

    func ip(_ name: String) throws(QueryError) -> String? {
        guard let text = try string(name) else { return nil }
        guard let ip = IPAddress(text) else { throw QueryError("parameter '\(name)': '\(text)' is not an IP address") }
        return ip.description
    }

    func oneOf(_ name: String, _ choices: [String]) throws(QueryError) -> String? {
        guard let text = try string(name) else { return nil }
        guard choices.contains(text) else {
            throw QueryError("parameter '\(name)': '\(text)' is not one of \(choices.joined(separator: ", "))")
        }
        return text
    }

    // MARK: The searches

    static let eventNames = [
        "from", "since", "to", "dataset", "source.ip", "destination.ip", "host", "user", "observer", "rule", "q",
        "limit",
        "cursor",
    ]

    /// `GET /v1/events`.
    func eventQuery(now: Timestamp) throws(QueryError) -> EventQuery {
        var q = EventQuery()
        q.from = try time("from", now: now)
        if let since = try time("since", now: now) {
            guard q.from == nil else { throw QueryError("give 'from' or 'since', not both") }
            q.from = since
        }
        q.to = try time("to", now: now)
        if let from = q.from, let to = q.to, from >= to {
            throw QueryError("'from' must be earlier than 'to'")
        }
        q.dataset = try string("dataset")
        q.sourceIP = try ip("source.ip")
        q.destinationIP = try ip("destination.ip")
        q.host = try string("host")
        q.user = try string("user")
        q.observer = try string("observer")
        q.ruleID = try string("rule")
        q.text = try string("q")
        q.limit = try int("limit", in: 1...10_000) ?? 100
        q.cursor = try string("cursor")
        return q
    }

    static let incidentNames = ["level", "stage", "category", "status", "since", "limit", "cursor"]

    /// `GET /v1/incidents`.
    func incidentQuery(now: Timestamp) throws(QueryError) -> IncidentQuery {
        var q = IncidentQuery()
        q.minLevel = try oneOf("level", RuleLevel.allCases.map(\.rawValue)).flatMap(RuleLevel.init(rawValue:))
        q.stage = try oneOf("stage", LifecycleStage.allCases.map(\.rawValue))
        q.category = try string("category")
        q.status = try oneOf("status", IncidentStatus.allCases.map(\.rawValue))
        q.since = try time("since", now: now)
        q.limit = try int("limit", in: 1...1000) ?? 100
        q.cursor = try string("cursor")
        return q
    }
}

struct QueryError: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

/// What an analyst may set an incident to. Tickets (the response workflow) have their own,
/// stricter state machine; an incident only records whether someone has looked at it and what
/// they concluded.
enum IncidentStatus: String, CaseIterable {
    case open, acknowledged, resolved
    case falsePositive = "false_positive"
}

/// The body of `POST /v1/tickets/{id}/actions`: `action` and its fields.
enum TicketActionRequest {
    static let actions = [
        "acknowledge", "assign", "contain", "resolve", "close", "reopen", "reject", "step", "note", "link",
    ]

    static func parse(_ o: [String: Any]) -> Result<TicketAction, QueryError> {
        guard let name = o["action"] as? String else {
            return .failure(QueryError("'action' is missing; one of \(actions.joined(separator: ", "))"))
        }
        let note = String((o["note"] as? String ?? "").prefix(2000))
        switch name {
        case "acknowledge": return .success(.acknowledge(note: note))
        case "contain": return .success(.contain(note: note))
        case "resolve": return .success(.resolve(note: note))
        case "close": return .success(.close(note: note))
        case "reopen": return .success(.reopen(note: note))
        case "note": return .success(.note(note))
        case "assign":
            guard let to = o["to"] as? String, !to.isEmpty, to.count <= 100 else {
                return .failure(QueryError("'assign' needs 'to': who takes the ticket"))
            }
            return .success(.assign(to: to, note: note))
        case "reject":
            guard let text = o["as"] as? String, let status = TicketStatus(rawValue: text),
                status == .falsePositive || status == .duplicate
            else { return .failure(QueryError("'reject' needs 'as': false_positive or duplicate")) }
            return .success(.reject(as: status, note: note))
        case "link":
            guard let incident = o["incident"] as? String, !incident.isEmpty, incident.count <= 128 else {
                return .failure(QueryError("'link' needs 'incident': the id of the incident that joins"))
            }
            return .success(.link(incident: incident))
        case "step":
            guard let step = o["step"] as? String, !step.isEmpty else {
                return .failure(QueryError("'step' needs 'step': the playbook step's id"))
            }
            return .success(.step(id: step, note: note))
        default:
            return .failure(
                QueryError("'\(name.prefix(32))' is not an action; one of \(actions.joined(separator: ", "))"))
        }
    }
}

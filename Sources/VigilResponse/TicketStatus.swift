/// Where an emergency-response ticket stands. The workflow is a pure state machine
/// (CONVENTIONS 5): `TicketStatus.transition(to:)` says whether a change is allowed and, when not,
/// why, in words an analyst can act on.
///
///     new → acknowledged → contained → resolved → closed
///       ↘          ↘             ↗         ↘ (reopen) acknowledged
///        false_positive / duplicate (from new or acknowledged)
///
/// `closed`, `false_positive` and `duplicate` are final: a reappearing attack opens a new ticket.
public enum TicketStatus: String, Sendable, CaseIterable, Codable {
    case new
    case acknowledged
    case contained
    case resolved
    case closed
    case falsePositive = "false_positive"
    case duplicate

    /// No further change (or work on steps and notes) is possible.
    public var isFinal: Bool { self == .closed || self == .falsePositive || self == .duplicate }

    /// Still needs someone: deadlines run and notifications fire only for open tickets.
    public var isOpen: Bool { !isFinal && self != .resolved }

    /// The statuses reachable from this one.
    public var next: [TicketStatus] {
        switch self {
        case .new: [.acknowledged, .falsePositive, .duplicate]
        case .acknowledged: [.contained, .resolved, .falsePositive, .duplicate]
        case .contained: [.resolved]
        case .resolved: [.closed, .acknowledged]
        case .closed, .falsePositive, .duplicate: []
        }
    }

    /// Whether the ticket may move to `target`, and if not, why.
    public func transition(to target: TicketStatus) -> Result<TicketStatus, TicketError> {
        if target == self { return .failure(TicketError("the ticket is already \(rawValue)")) }
        if next.contains(target) { return .success(target) }
        if isFinal {
            return .failure(
                TicketError("the ticket is \(rawValue), which is final; open a new ticket if the incident recurs"))
        }
        let way = Self.path(from: self, to: target).map { $0.map(\.rawValue).joined(separator: " → ") }
        let hint = way.map { "; go \($0)" } ?? ""
        return .failure(TicketError("a ticket cannot go from \(rawValue) to \(target.rawValue)\(hint)"))
    }

    /// The shortest way through allowed transitions (for the refusal's hint), or nil.
    static func path(from start: TicketStatus, to target: TicketStatus) -> [TicketStatus]? {
        var queue: [[TicketStatus]] = [[start]]
        var seen: Set<TicketStatus> = [start]
        while !queue.isEmpty {
            let way = queue.removeFirst()
            for step in way.last!.next where !seen.contains(step) {
                if step == target { return way + [step] }
                seen.insert(step)
                queue.append(way + [step])
            }
        }
        return nil
    }
}

/// A refused ticket change, with the reason.
public struct TicketError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

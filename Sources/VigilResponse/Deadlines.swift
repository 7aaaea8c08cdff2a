import VigilCore

/// Who the platform operator is, for the reporting deadline of the 2025 national rules on
/// network-security incident reporting (《国家网络安全事件报告管理办法》, in force 2025-11-01):
/// incidents of level III (较大) and above go to the authority within 1 h for operators of critical
/// information infrastructure, 2 h for state organs, 4 h for other operators.
public enum OperatorKind: String, Sendable, CaseIterable, Codable {
    case criticalInfrastructure = "critical_infrastructure"
    case stateOrgan = "state_organ"
    case other
}

/// When a ticket must be acknowledged and reported (config: `response.deadlines`).
public struct DeadlinePolicy: Sendable, Equatable {
    /// Seconds from opening to acknowledgement, per response level.
    public var acknowledge: [ResponseLevel: Int64] = [.i: 900, .ii: 1800, .iii: 3600, .iv: 4 * 3600]
    /// Seconds from opening to the report to the authority, per operator kind.
    public var report: [OperatorKind: Int64] = [.criticalInfrastructure: 3600, .stateOrgan: 7200, .other: 4 * 3600]
    /// Levels at or above this one must be reported (III by the 2025 rules).
    public var reportFrom: ResponseLevel = .iii
    public var operatorKind: OperatorKind = .stateOrgan
    /// "Approaching" once this fraction of the time is used (a reminder goes out).
    public var warnAtFraction = 0.75

    public init() {}

    /// The deadlines of a ticket opened at `opened` with `level`.
    public func deadlines(opened: Timestamp, level: ResponseLevel) -> [Deadline] {
        var out = [
            Deadline(kind: .acknowledge, opened: opened, due: opened + acknowledge[level, default: 3600])
        ]
        if level >= reportFrom {
            out.append(Deadline(kind: .report, opened: opened, due: opened + report[operatorKind, default: 4 * 3600]))
        }
        return out
    }
}

/// One deadline of a ticket.
public struct Deadline: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Someone on duty has taken the ticket.
        case acknowledge
        /// The incident is reported to the competent authority.
        case report
    }

    public enum State: String, Sendable, Equatable {
        case pending, approaching, missed, met
    }

    public var kind: Kind
    public var opened: Timestamp
    public var due: Timestamp
    /// When it was met, if it was.
    public var met: Timestamp?

    public init(kind: Kind, opened: Timestamp, due: Timestamp, met: Timestamp? = nil) {
        (self.kind, self.opened, self.due, self.met) = (kind, opened, due, met)
    }

    /// The state at `now`: met (at any time, even late: `met > due` shows lateness), missed,
    /// approaching (past `warnAt` of the span), or pending.
    public func state(at now: Timestamp, warnAt fraction: Double = 0.75) -> State {
        if met != nil { return .met }
        if now > due { return .missed }
        let span = Double(due.microseconds - opened.microseconds)
        let used = Double(now.microseconds - opened.microseconds)
        return used >= span * fraction ? .approaching : .pending
    }
}

extension Timestamp {
    /// `seconds` later.
    static func + (t: Timestamp, seconds: Int64) -> Timestamp {
        Timestamp(microseconds: t.microseconds + seconds * 1_000_000)
    }
}

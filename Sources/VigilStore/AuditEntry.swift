/// One row of the audit log (DESIGN §8: every analyst action is audited). Append-only.
public struct AuditEntry: Sendable, Equatable {
    /// Increasing in append order (never reused); `auditLog(before:)` pages on it.
    public var id: Int64
    /// µs since 1970.
    public var time: Int64
    /// Who: a token id or name, or `system`.
    public var actor: String
    /// What, e.g. `incident.status`, `token.revoke`.
    public var action: String
    /// On what: an incident, token or rule id.
    public var subject: String
    /// Free text or JSON; never a secret.
    public var detail: String

    public init(id: Int64, time: Int64, actor: String, action: String, subject: String, detail: String) {
        (self.id, self.time, self.actor, self.action, self.subject, self.detail) =
            (id, time, actor, action, subject, detail)
    }
}

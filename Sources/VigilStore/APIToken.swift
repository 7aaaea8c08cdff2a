/// What an API token may do (DESIGN §8), ordered: each role may do what the ones below it may.
public enum TokenRole: String, Sendable, CaseIterable, Comparable {
    /// Reads events, incidents, sensors.
    case viewer
    /// Also works incidents and tickets.
    case analyst
    /// Also manages tokens and configuration.
    case admin

    public static func < (a: TokenRole, b: TokenRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// An analyst's API token as stored: never its secret, which exists only in the response to
/// `createToken` and, hashed with SHA-256, in the store.
public struct APIToken: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: TokenRole
    /// µs since 1970.
    public var created: Int64
    /// When it was revoked, µs since 1970; a revoked token no longer authenticates.
    public var revoked: Int64?

    public init(id: String, name: String, role: TokenRole, created: Int64, revoked: Int64? = nil) {
        (self.id, self.name, self.role, self.created, self.revoked) = (id, name, role, created, revoked)
    }
}

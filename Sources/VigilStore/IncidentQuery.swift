import VigilCore

/// A listing of incidents, most recently seen first (then by id). Filters are optional and combine
/// with AND.
public struct IncidentQuery: Sendable {
    /// Only incidents at this level or above.
    public var minLevel: RuleLevel?
    public var stage: String?
    public var category: String?
    public var status: String?
    /// Only incidents last seen at or after this event time, µs since 1970.
    public var since: Int64?
    /// Page size, clamped to 1...1 000.
    public var limit = 100
    /// From a previous page's `next`; opaque.
    public var cursor: String?

    public init() {}
}

/// One page of incidents.
public struct IncidentPage: Sendable {
    public var incidents: [IncidentRecord]
    /// Continues after the last row, or nil on the last page. An incident updated while the pages
    /// are read moves to the front: it is not returned twice, and a fresh first page shows it.
    public var next: String?

    public init(incidents: [IncidentRecord], next: String?) { (self.incidents, self.next) = (incidents, next) }
}

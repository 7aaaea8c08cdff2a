/// A search over stored events, answered newest first (event time, then arrival).
///
/// Every filter is optional and they combine with AND. `dataset`, the IP, host, user and observer
/// filters are exact matches on indexed columns; `ruleID` goes through the rule-hit table; `text` is
/// a substring of the event's JSON (SQL `LIKE`, ASCII case-insensitive, no index: it scans what the
/// other filters and the time range leave, so bound the range on a large store).
public struct EventQuery: Sendable {
    /// Inclusive lower bound on `@timestamp`, µs since 1970.
    public var from: Int64?
    /// Exclusive upper bound on `@timestamp`, µs since 1970.
    public var to: Int64?
    public var dataset: String?
    public var sourceIP: String?
    public var destinationIP: String?
    /// `host.name`, or `host.hostname` when the event has no `host.name`.
    public var host: String?
    public var user: String?
    /// `observer.id`: the sensor.
    public var observer: String?
    public var ruleID: String?
    /// Substring of the event's JSON (`%` and `_` are literal).
    public var text: String?
    /// Page size, clamped to 1...10 000.
    public var limit = 100
    /// From a previous page's `next`; opaque.
    public var cursor: String?

    public init() {}
}

/// One page of events.
public struct EventPage: Sendable {
    /// The events' JSON lines, newest first.
    public var events: [String]
    /// Continues after the last row, or nil on the last page. Stable under concurrent inserts: a
    /// row is never returned twice, and every row stored before the first page is returned once;
    /// rows stored meanwhile appear only if they sort after the cursor (late events).
    public var next: String?

    public init(events: [String], next: String?) { (self.events, self.next) = (events, next) }
}

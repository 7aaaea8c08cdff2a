import VigilCore

/// Everything added to an event before the rules see it: decoded URL forms (against evasion),
/// registered domains of DNS names (Public Suffix List) and the deployment calendar's
/// `vigil.time.*` fields. One entry point, so `vigil analyze`, `vigil rules test` and the
/// correlator enrich alike.
public struct Enrichment: Sendable {
    public var publicSuffixes: PublicSuffixList?
    public var calendar: DeploymentCalendar?

    public init(publicSuffixes: PublicSuffixList? = nil, calendar: DeploymentCalendar? = nil) {
        self.publicSuffixes = publicSuffixes
        self.calendar = calendar
    }

    public func apply(_ event: inout Event) {
        Normalization.enrich(&event)
        publicSuffixes?.enrich(&event)
        calendar?.enrich(&event)
    }
}

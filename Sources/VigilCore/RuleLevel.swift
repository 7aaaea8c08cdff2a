/// A Sigma rule's `level`, ordered: an incident's severity, and what escalation compares.
public enum RuleLevel: String, Sendable, CaseIterable, Comparable, Codable {
    case informational, low, medium, high, critical

    public static func < (a: RuleLevel, b: RuleLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

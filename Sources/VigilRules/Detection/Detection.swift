import VigilConfig
import VigilCore

/// A compiled Sigma `detection:` block: named selections and the condition over them.
///
/// Invariants: every selection has at least one item, every item at least one value, and the
/// condition only names existing selections; string values are compiled to byte matchers and
/// regular expressions to PCRE2 code once, here, so matching neither parses nor allocates in the
/// common case. A `Detection` is immutable and may be shared by any number of threads.
public struct Detection: Sendable {
    /// One named selection: OR over its groups, AND over the items of a group.
    struct Selection: Sendable {
        var name: String
        var groups: [[Item]]

        func matches(_ event: Event) -> Bool {
            groups.contains { group in group.allSatisfy { $0.matches(event) } }
        }
    }

    /// One `field|modifiers: values` line (or a keyword list, whose fields are the keyword fields).
    struct Item: Sendable {
        enum Kind: Sendable {
            /// OR of the values, or AND with `|all`.
            case values([ValueTest], all: Bool)
            case exists(Bool)
        }

        var fields: [FieldID]
        var kind: Kind
        /// `|neq`: the item holds when its values do not.
        var negated = false

        var cost: Int {
            switch kind {
            case .exists: 0
            case .values(let tests, _): tests.reduce(0) { $0 + $1.cost } * max(fields.count, 1)
            }
        }

        func matches(_ event: Event) -> Bool {
            let result: Bool
            switch kind {
            case .exists(let expected):
                result = fields.contains { event.ruleValue($0) != nil } == expected
            case .values(let tests, let all):
                result =
                    all
                    ? tests.allSatisfy { $0.holds(fields: fields, in: event) }
                    : tests.contains { $0.holds(fields: fields, in: event) }
            }
            return result != negated
        }
    }

    let selections: [Selection]
    let condition: SigmaCondition
    public let fields: Set<FieldID>

    public func matches(_ event: Event) -> Bool { evaluate(condition, event) }

    /// Names of the selections that hold for this event (filters included), in file order; empty
    /// when none does. It does not evaluate the condition: callers explain hits with it.
    public func matchingSelections(_ event: Event) -> [String] {
        selections.filter { $0.matches(event) }.map(\.name)
    }

    private func evaluate(_ condition: SigmaCondition, _ event: Event) -> Bool {
        switch condition {
        case .selection(let index): selections[index].matches(event)
        case .not(let inner): !evaluate(inner, event)
        case .and(let terms): terms.allSatisfy { evaluate($0, event) }
        case .or(let terms): terms.contains { evaluate($0, event) }
        case .atLeast(let count, let members): atLeast(count, members, event)
        }
    }

    private func atLeast(_ count: Int, _ members: [Int], _ event: Event) -> Bool {
        var found = 0
        for member in members where selections[member].matches(event) {
            found += 1
            if found >= count { return true }
        }
        return false
    }
}

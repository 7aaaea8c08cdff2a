import VigilCore

/// A literal a field's text must contain: `bytes` (ASCII lower-cased) occurs in the field's text
/// with ASCII letters lower-cased.
///
/// `unicodeFolded` needles come from case-insensitive patterns with non-ASCII letters, which match
/// the haystack lower-cased by Unicode rules; those agree with ASCII lower-casing only on ASCII
/// text, so a prefilter counts such a needle as found whenever the field's text has a non-ASCII byte.
struct LiteralNeedle: Hashable, Sendable {
    var field: FieldID
    var bytes: [UInt8]
    var unicodeFolded = false
}

/// A necessary condition of a detection in terms of literals: if the detection matches an event,
/// the requirement holds. The tree keeps every choice an AND offers, so the prefilter can pick the
/// literals that are rarest among all rules of a dataset.
indirect enum LiteralRequirement: Sendable, Equatable {
    /// At least one of the needles occurs (never empty).
    case needles(Set<LiteralNeedle>)
    /// Every term holds, so any one of them alone is a necessary condition.
    case all([LiteralRequirement])
    /// At least one term holds: the union of the terms' needles is necessary.
    case any([LiteralRequirement])

    /// The needle set to test: the cheapest term of each AND, the union of each OR.
    func resolved(weight: (LiteralNeedle) -> Double = LiteralRequirement.defaultWeight) -> Set<LiteralNeedle> {
        switch self {
        case .needles(let needles):
            return needles
        case .any(let terms):
            return terms.reduce(into: Set()) { $0.formUnion($1.resolved(weight: weight)) }
        case .all(let terms):
            var best: Set<LiteralNeedle> = []
            var bestCost = Double.infinity
            for term in terms {
                let needles = term.resolved(weight: weight)
                let cost = needles.reduce(0) { $0 + weight($1) }
                if cost < bestCost {
                    best = needles
                    bestCost = cost
                }
            }
            return best
        }
    }

    /// Several necessary needle sets, all of which must have a needle found (a conjunction of
    /// clauses), cheapest first: every term of an AND contributes its clauses; an OR is one clause,
    /// the union of each term's cheapest set. Never empty.
    func clauses(weight: (LiteralNeedle) -> Double = LiteralRequirement.defaultWeight) -> [Set<LiteralNeedle>] {
        var out: [Set<LiteralNeedle>] = []
        func collect(_ requirement: LiteralRequirement) {
            if case .all(let terms) = requirement {
                terms.forEach(collect)
            } else {
                let clause = requirement.resolved(weight: weight)
                if !out.contains(clause) { out.append(clause) }
            }
        }
        collect(self)
        let costs = out.map { $0.reduce(0) { $0 + weight($1) } }
        return out.indices.sorted { (costs[$0], $0) < (costs[$1], $1) }.map { out[$0] }
    }

    /// Fewer needles first; among as many, longer ones (they occur less often by chance); needles
    /// shorter than three bytes count as several.
    static func defaultWeight(_ needle: LiteralNeedle) -> Double {
        (needle.bytes.count < 3 ? 4 : 1) + 0.1 / Double(max(needle.bytes.count, 1))
    }

    /// Every needle the tree mentions, whichever choice is made.
    var mentioned: Set<LiteralNeedle> {
        switch self {
        case .needles(let needles): needles
        case .all(let terms), .any(let terms): terms.reduce(into: Set()) { $0.formUnion($1.mentioned) }
        }
    }

    static func conjunction(_ terms: [LiteralRequirement?]) -> LiteralRequirement? {
        let known = terms.compactMap { $0 }
        return known.count <= 1 ? known.first : .all(known)
    }

    static func disjunction(_ terms: [LiteralRequirement?]) -> LiteralRequirement? {
        guard !terms.isEmpty, terms.allSatisfy({ $0 != nil }) else { return nil }
        let known = terms.compactMap { $0 }
        return known.count == 1 ? known[0] : .any(known)
    }
}

/// Shortest needle worth indexing: single bytes occur in most text by chance. Two-byte needles
/// (`$(`, `%7c`'s neighbours) are still far better than evaluating a rule on every event; the
/// weights make any longer choice win over them.
let minimumNeedleLength = 2

extension Detection {
    /// A necessary literal condition of `matches`, or nil when the detection can match an event
    /// without any literal of it occurring (such a rule must always be evaluated).
    var literalRequirement: LiteralRequirement? { requirement(of: condition) }

    /// The needle set a prefilter tests with the default choice (fewest needles), or nil.
    var requiredLiterals: Set<LiteralNeedle>? { literalRequirement?.resolved() }

    private func requirement(of condition: SigmaCondition) -> LiteralRequirement? {
        switch condition {
        case .selection(let index): return selections[index].literalRequirement
        case .not: return nil
        case .and(let terms): return .conjunction(terms.map(requirement(of:)))
        case .or(let terms): return .disjunction(terms.map(requirement(of:)))
        case .atLeast(let count, let members):
            let terms = members.map { selections[$0].literalRequirement }
            let known = terms.compactMap { $0 }
            // At least `count` members hold; when fewer members than that lack literals, one with
            // literals holds.
            guard !known.isEmpty, count > terms.count - known.count else { return nil }
            return known.count == 1 ? known[0] : .any(known)
        }
    }
}

extension Detection.Selection {
    var literalRequirement: LiteralRequirement? {
        .disjunction(groups.map { group in .conjunction(group.map(\.literalRequirement)) })
    }
}

extension Detection.Item {
    var literalRequirement: LiteralRequirement? {
        guard !negated, !fields.isEmpty, case .values(let tests, let all) = kind, !tests.isEmpty else { return nil }
        let perTest: [LiteralRequirement?] = tests.map { test in
            guard let literals = test.requiredLiterals else { return nil }
            var needles: Set<LiteralNeedle> = []
            for field in fields {
                for literal in literals {
                    needles.insert(LiteralNeedle(field: field, bytes: literal.bytes, unicodeFolded: literal.unicode))
                }
            }
            return .needles(needles)
        }
        return all ? .conjunction(perTest) : .disjunction(perTest)
    }
}

extension ValueTest {
    /// Literals one of which the value's text contains whenever the test holds, or nil.
    var requiredLiterals: [(bytes: [UInt8], unicode: Bool)]? {
        switch self {
        case .text(let patterns):
            var out: [(bytes: [UInt8], unicode: Bool)] = []
            for pattern in patterns {
                guard let fragment = pattern.longestLiteral else { return nil }
                out.append((fragment, pattern.foldsUnicode))
                // An `.ip` value is compared as an address, and its text is the canonical form.
                if let address = pattern.exactAddress {
                    out.append((Array(address.description.utf8).map(StringPattern.asciiLower), false))
                }
            }
            return out.isEmpty ? nil : out
        case .regex(let regex):
            return regex.requiredLiteral.map { [($0, false)] }
        case .number, .bool, .null, .compare, .cidr, .fieldReference:
            return nil
        }
    }
}

extension StringPattern {
    /// The longest wildcard-free run every match contains (ASCII lower-cased), if long enough.
    var longestLiteral: [UInt8]? {
        var best: [UInt8] = []
        for segment in segments {
            for case .literal(let bytes) in segment where bytes.count > best.count { best = bytes }
        }
        return best.count >= minimumNeedleLength ? best.map(StringPattern.asciiLower) : nil
    }
}

extension SigmaRegex {
    var requiredLiteral: [UInt8]? {
        Self.requiredLiteral(source, caseless: flags.contains(.caseless))
    }

    /// The longest literal run at the top level of a regex every match must contain, or nil.
    ///
    /// Deliberately conservative: a top-level alternation, inline option, verb or escape it does
    /// not know gives nil; groups and classes only end a run. Case-insensitive patterns keep only ASCII
    /// other than i, k and s, whose case partners include non-ASCII characters (İ, ı, K, ſ).
    static func requiredLiteral(_ pattern: String, caseless: Bool) -> [UInt8]? {
        let scalars = Array(pattern.unicodeScalars)
        var runs: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var depth = 0
        var index = 0
        func endRun() {
            if !current.isEmpty { runs.append(current) }
            current = []
        }
        let simpleEscapes = Set("dDwWsShHvVRbBAzZGKX".unicodeScalars)
        let caselessHazards = Set("iIkKsS".unicodeScalars)
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "|":
                // Inside a group the alternation ends with the group, whose contents end a run anyway.
                guard depth > 0 else { return nil }
            case "\\":
                guard index < scalars.count else { return nil }
                let next = scalars[index]
                index += 1
                if next.properties.isAlphabetic || ("0"..."9").contains(next) {
                    guard simpleEscapes.contains(next) else { return nil }
                    endRun()
                } else if depth == 0, next.isASCII, !(caseless && caselessHazards.contains(next)) {
                    current.append(next)
                } else {
                    endRun()
                }
            case "(":
                if index < scalars.count, scalars[index] == "*" { return nil }
                if index < scalars.count, scalars[index] == "?" {
                    let rest = scalars[(index + 1)...].prefix(2).map(Character.init)
                    let opener = String(rest)
                    guard
                        opener.hasPrefix(":") || opener.hasPrefix("=") || opener.hasPrefix("!")
                            || opener == "<=" || opener == "<!"
                    else { return nil }
                }
                endRun()
                depth += 1
            case ")":
                guard depth > 0 else { return nil }
                depth -= 1
                endRun()
            case "[":
                endRun()
                guard let end = classEnd(scalars, from: index) else { return nil }
                index = end
            case "?", "*":
                if !current.isEmpty { current.removeLast() }
                endRun()
            case "+":
                endRun()
            case "{":
                if !current.isEmpty { current.removeLast() }
                endRun()
                guard let close = scalars[index...].firstIndex(of: "}"),
                    scalars[index..<close].allSatisfy({ ("0"..."9").contains($0) || $0 == "," || $0 == " " })
                else { return nil }
                index = close + 1
            case ".", "^", "$":
                endRun()
            default:
                if depth == 0, !caseless || (scalar.isASCII && !caselessHazards.contains(scalar)) {
                    current.append(scalar)
                } else {
                    endRun()
                }
            }
        }
        guard depth == 0 else { return nil }
        endRun()
        let best = runs.map { run in Array(String(String.UnicodeScalarView(run)).utf8) }.max { $0.count < $1.count }
        guard let best, best.count >= minimumNeedleLength else { return nil }
        return best.map(StringPattern.asciiLower)
    }

    /// The index after the `]` closing a class whose `[` was just read, or nil when unsure.
    private static func classEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start
        if index < scalars.count, scalars[index] == "^" { index += 1 }
        if index < scalars.count, scalars[index] == "]" { index += 1 }
        while index < scalars.count {
            switch scalars[index] {
            case "]":
                return index + 1
            case "\\":
                guard index + 1 < scalars.count else { return nil }
                if scalars[index + 1] == "Q" || scalars[index + 1] == "E" { return nil }
                index += 2
            case "[":
                if index + 1 < scalars.count, [":", ".", "="].contains(scalars[index + 1]) {
                    let marker = scalars[index + 1]
                    var probe = index + 2
                    while probe + 1 < scalars.count, !(scalars[probe] == marker && scalars[probe + 1] == "]") {
                        probe += 1
                    }
                    guard probe + 1 < scalars.count else { return nil }
                    index = probe + 2
                } else {
                    index += 1
                }
            default:
                index += 1
            }
        }
        return nil
    }
}

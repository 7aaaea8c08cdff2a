import VigilCore

/// The rules of one dataset behind a literal prefilter: each rule with a necessary literal
/// condition (`Detection.literalRequirement`) is evaluated only when its needles occur in the
/// event; the others are always evaluated.
///
/// A rule's requirement is a conjunction of clauses (`LiteralRequirement.clauses`): needles of the
/// cheapest clause mark the rule itself, needles of up to `maxSecondaryClauses` more mark a bit of
/// their own, and a marked rule is a candidate only when its other clauses are marked as well.
///
/// Invariant: a rule that matches an event is always a candidate (every clause is necessary, and
/// scanning sees the same text `ValueTest` matches: `Event.ruleValue`, list elements, scalars
/// rendered by `ValueTest.withText`). Immutable after `init`; matching allocates nothing but its
/// result, so one prefilter serves any number of threads. Classes, not structs, for the same
/// reason as `PrefilterAutomaton`.
final class Prefilter: Sendable {
    static let maxSecondaryClauses = 3

    /// Global rule indices, ascending (load order); mark i < rules.count is `rules[i]`.
    let rules: [Int]
    /// Marks of the always-evaluated rules, as initial bit words (clause marks follow rule marks).
    let always: [UInt64]
    /// `secondary[secondaryStart[i] ..< secondaryStart[i + 1]]`: the clause marks rule i also needs.
    let secondaryStart: [Int32]
    let secondary: [Int32]
    let scanners: [FieldScanner]

    /// One field's automaton.
    final class FieldScanner: Sendable {
        let field: FieldID
        let automaton: PrefilterAutomaton
        /// Marks of Unicode-folded needles on this field: set whenever its text is not ASCII.
        let unicodeMarks: [Int32]

        init(field: FieldID, automaton: PrefilterAutomaton, unicodeMarks: [Int32]) {
            (self.field, self.automaton, self.unicodeMarks) = (field, automaton, unicodeMarks)
        }
    }

    /// `detections[i]` belongs to global rule `rules[i]`.
    init(rules: [Int], detections: [Detection]) {
        self.rules = rules
        let requirements = detections.map(\.literalRequirement)
        // Needles many rules of the dataset share are likely common words: prefer rarer ones.
        var uses: [LiteralNeedle: Int] = [:]
        for requirement in requirements {
            for needle in requirement?.mentioned ?? [] { uses[needle, default: 0] += 1 }
        }
        func weight(_ needle: LiteralNeedle) -> Double {
            LiteralRequirement.defaultWeight(needle) + 0.25 * Double(uses[needle, default: 1] - 1)
        }
        var byField: [FieldID: [[UInt8]: Set<Int32>]] = [:]
        var unicode: [FieldID: Set<Int32>] = [:]
        var alwaysMarks: [Int] = []
        var secondaryStart: [Int32] = [0]
        var secondary: [Int32] = []
        var nextMark = rules.count
        func add(_ clause: Set<LiteralNeedle>, mark: Int) {
            for needle in clause {
                byField[needle.field, default: [:]][needle.bytes.map(StringPattern.asciiLower), default: []]
                    .insert(Int32(mark))
                if needle.unicodeFolded { unicode[needle.field, default: []].insert(Int32(mark)) }
            }
        }
        for (local, requirement) in requirements.enumerated() {
            if let requirement {
                let clauses = requirement.clauses(weight: weight)
                add(clauses[0], mark: local)
                for clause in clauses.dropFirst().prefix(Self.maxSecondaryClauses) {
                    add(clause, mark: nextMark)
                    secondary.append(Int32(nextMark))
                    nextMark += 1
                }
            } else {
                alwaysMarks.append(local)
            }
            secondaryStart.append(Int32(secondary.count))
        }
        var always = [UInt64](repeating: 0, count: (nextMark + 63) / 64)
        for mark in alwaysMarks { always[mark >> 6] |= 1 << UInt64(mark & 63) }
        self.always = always
        self.secondaryStart = secondaryStart
        self.secondary = secondary
        scanners = byField.keys.sorted().map { field in
            FieldScanner(
                field: field, automaton: PrefilterAutomaton(needles: byField[field]!),
                unicodeMarks: unicode[field, default: []].sorted())
        }
    }

    /// Calls `body` with the global index of every candidate rule for `event`, in load order.
    func forEachCandidate(_ event: Event, _ body: (Int) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: always.count) { bits in
            for word in always.indices { bits[word] = always[word] }
            for scanner in scanners {
                guard let value = event.ruleValue(scanner.field) else { continue }
                let needsASCIICheck = !scanner.unicodeMarks.isEmpty
                if scan(value, scanner.automaton, bits, checkASCII: needsASCIICheck), needsASCIICheck {
                    for mark in scanner.unicodeMarks { bits[Int(mark) >> 6] |= 1 << UInt64(mark & 63) }
                }
            }
            let ruleWords = (rules.count + 63) / 64
            for word in 0..<ruleWords {
                var remaining = bits[word]
                if word == ruleWords - 1, rules.count & 63 != 0 { remaining &= (1 << UInt64(rules.count & 63)) - 1 }
                while remaining != 0 {
                    let local = word << 6 | remaining.trailingZeroBitCount
                    remaining &= remaining &- 1
                    var complete = true
                    for index in Int(secondaryStart[local])..<Int(secondaryStart[local + 1]) {
                        let mark = Int(secondary[index])
                        if bits[mark >> 6] & (1 << UInt64(mark & 63)) == 0 {
                            complete = false
                            break
                        }
                    }
                    if complete { body(rules[local]) }
                }
            }
        }
    }
    /// Scans the text(s) of `value` as `ValueTest` sees them; with `checkASCII`, returns whether any
    /// byte was non-ASCII.
    private func scan(
        _ value: FieldValue, _ automaton: PrefilterAutomaton, _ bits: UnsafeMutableBufferPointer<UInt64>,
        checkASCII: Bool
    ) -> Bool {
        switch value {
        case .list(let items):
            var nonASCII = false
            for item in items where scan(item, automaton, bits, checkASCII: checkASCII) { nonASCII = true }
            return nonASCII
        case .object:
            return false
        default:
            return ValueTest.withText(of: value) { text in
                automaton.scan(text, into: bits)
                return checkASCII && text.contains { $0 >= 0x80 }
            }
        }
    }
}

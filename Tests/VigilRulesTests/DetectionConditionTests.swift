import Testing
import VigilConfig
import VigilCore
import VigilRules

/// The condition grammar: and/or/not with precedence, parentheses, `N of`/`all of` and `them`.
struct DetectionConditionTests {
    static let selections = """
        sel_a:
          a: 1
        sel_b:
          b: 1
        filter:
          c: 1
        _helper:
          d: 1
        """

    func rule(_ condition: String) -> CompiledDetection {
        CompiledDetection(Self.selections + "\ncondition: \(condition)")
    }

    func event(_ names: String...) -> Event {
        var event = Event(timestamp: Timestamp(microseconds: 0), id: "test", dataset: .http)
        for name in names { event.set(FieldID(name), .int(1)) }
        return event
    }

    @Test("not binds tighter than and, and tighter than or")
    func precedence() {
        let rule = rule("sel_a or sel_b and not filter")
        #expect(rule.detection != nil)
        #expect(rule.matches(event("a", "c")))
        #expect(rule.matches(event("b")))
        #expect(!rule.matches(event("b", "c")))
        #expect(!rule.matches(event("c")))
    }

    @Test("parentheses group")
    func parentheses() {
        let rule = rule("(sel_a or sel_b) and not filter")
        #expect(rule.matches(event("b")))
        #expect(!rule.matches(event("a", "c")))
        let nested = self.rule("not (sel_a and (sel_b or filter))")
        #expect(nested.matches(event("a")))
        #expect(!nested.matches(event("a", "c")))
    }

    @Test("1 of and all of a name pattern")
    func quantifiers() {
        let one = rule("1 of sel_*")
        #expect(one.matches(event("b")))
        #expect(!one.matches(event("c")))
        let all = rule("all of sel_*")
        #expect(all.matches(event("a", "b")))
        #expect(!all.matches(event("a")))
        let two = rule("2 of sel_* or filter")
        #expect(two.matches(event("a", "b")))
        #expect(!two.matches(event("a", "d")))
    }

    @Test("them covers every selection except those starting with an underscore")
    func them() {
        let one = rule("1 of them")
        #expect(one.matches(event("c")))
        #expect(!one.matches(event("d")))
        let all = rule("all of them")
        #expect(all.matches(event("a", "b", "c")))
        #expect(!all.matches(event("a", "b")))
        let helper = rule("all of them and _helper")
        #expect(helper.matches(event("a", "b", "c", "d")))
        #expect(!helper.matches(event("a", "b", "c")))
    }

    @Test("a list of conditions holds when any of them does")
    func conditionList() {
        let rule = CompiledDetection(Self.selections + "\ncondition:\n  - sel_a and sel_b\n  - filter")
        #expect(rule.matches(event("c")))
        #expect(rule.matches(event("a", "b")))
        #expect(!rule.matches(event("a")))
    }

    @Test("selection names may hold digits, dots and dashes")
    func names() {
        let rule = CompiledDetection("sel-1.x:\n  a: 1\ncondition: not sel-1.x")
        #expect(rule.matches(event("b")))
        #expect(!rule.matches(event("a")))
    }

    @Test("matchingSelections names the selections that hold, and fields lists what is read")
    func explanation() {
        let rule = rule("sel_a and not filter")
        #expect(rule.detection?.matchingSelections(event("a", "d")) == ["sel_a", "_helper"])
        #expect(rule.detection?.matchingSelections(event("x")) == [])
        #expect(rule.detection?.fields == Set(["a", "b", "c", "d"].map { FieldID($0) }))
    }
}

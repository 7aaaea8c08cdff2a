import Testing
import VigilConfig
import VigilCore
import VigilRules

/// Problems in a detection become located diagnostics, never crashes.
struct DetectionDiagnosticTests {
    func problems(_ body: String) -> (compiled: Bool, diagnostics: [ConfigDiagnostic]) {
        let rule = CompiledDetection(body)
        return (rule.detection != nil, rule.diagnostics)
    }

    @Test("an unknown modifier is named, with its line and a suggestion")
    func unknownModifier() {
        let result = problems("sel:\n  f|contians: x\ncondition: sel")
        #expect(!result.compiled)
        let diagnostic = result.diagnostics.first
        #expect(diagnostic?.problem == "unknown modifier 'contians'")
        #expect(diagnostic?.hint == "did you mean 'contains'?")
        #expect(diagnostic?.line == 4)
        #expect(diagnostic?.key == "detection.sel.f|contians")
    }

    @Test("a condition naming an undefined selection is reported")
    func undefinedSelection() {
        let result = problems("selection:\n  f: x\ncondition: selecton and not filter")
        #expect(!result.compiled)
        #expect(result.diagnostics.first?.problem.contains("'selecton'") == true)
        #expect(result.diagnostics.first?.hint == "did you mean 'selection'?")
        #expect(result.diagnostics.first?.line == 5)
        let pattern = problems("selection:\n  f: x\ncondition: 1 of filter*")
        #expect(pattern.diagnostics.first?.problem.contains("matches no selection") == true)
    }

    @Test("a regular expression that does not compile reports PCRE2's message, offset and line")
    func badRegex() {
        let result = problems("sel:\n  f: ok\n  g|re: 'a(b'\ncondition: sel")
        #expect(!result.compiled)
        let diagnostic = result.diagnostics.first
        #expect(diagnostic?.line == 5)
        #expect(diagnostic?.problem.contains("missing closing parenthesis") == true)
        #expect(diagnostic?.problem.contains("offset 3") == true)
    }

    @Test("odd YAML shapes are diagnosed, not crashed on")
    func oddShapes() {
        #expect(problems("sel: 5\ncondition: sel").compiled)  // a number is a keyword
        #expect(!problems("sel:\ncondition: sel").compiled)
        #expect(!problems("sel: []\ncondition: sel").compiled)
        #expect(!problems("sel: {}\ncondition: sel").compiled)
        #expect(!problems("sel:\n  f:\n    g: h\ncondition: sel").compiled)
        #expect(!problems("sel:\n  f: []\ncondition: sel").compiled)
        #expect(!problems("sel:\n  - [a, b]\ncondition: sel").compiled)
        #expect(!problems("sel:\n  f: x").compiled)
        #expect(!problems("sel:\n  f: x\ncondition: [sel, {a: b}]").compiled)
        #expect(!problems("sel:\n  f: x\ncondition: sel and").compiled)
        #expect(!problems("sel:\n  f: x\ncondition: (sel").compiled)
        #expect(!problems("sel:\n  f: x\ncondition: sel sel").compiled)
        #expect(!problems("sel:\n  f: x\ncondition: ''").compiled)
        #expect(!problems("sel:\n  f: x\ncondition: 0 of them").compiled)
        #expect(!problems("- a\n- b").compiled)
        #expect(!problems("sel:\n  f||contains: x\ncondition: sel").compiled)
    }

    @Test("modifier misuse is reported")
    func modifierMisuse() {
        let cases = [
            ("f|all: x", "'|all' needs a list"),
            ("f|cidr: 10.0.0.0/33", "is not an IPv4 or IPv6 network"),
            ("f|i: x", "only applies after '|re'"),
            ("f|base64: 'a*'", "cannot encode wildcards"),
            ("f|contains|re: x", "only applies to a plain text value"),
            ("f|gt: abc", "needs a number"),
            ("f|exists: maybe", "takes true or false"),
            ("f|contains: null", "cannot apply to null"),
            ("f|expand: '%x%'", "not supported"),
            ("f|fieldref: 'a*'", "needs a plain field name"),
            ("f|cidr|cased: 10.0.0.0/8", "does not apply to a cidr network"),
        ]
        for (line, expected) in cases {
            let result = problems("sel:\n  \(line)\ncondition: sel")
            #expect(!result.compiled, "\(line)")
            #expect(result.diagnostics.contains { $0.problem.contains(expected) }, "\(line): \(result.diagnostics)")
        }
    }

    @Test("a Sigma v1 aggregation in the condition points to correlation rules")
    func aggregation() {
        let result = problems("sel:\n  f: x\ncondition: sel | count() by src > 5")
        #expect(!result.compiled)
        #expect(result.diagnostics.first?.hint?.contains("correlation rule") == true)
        // A v1 timeframe next to the selections does not change single-event matching.
        #expect(problems("sel:\n  f: x\ntimeframe: 5m\ncondition: sel").compiled)
    }

    @Test("every broken selection is reported, not only the first")
    func allProblems() {
        let result = problems("a:\n  f|bad: x\nb:\n  g|re: '('\ncondition: a or b or c")
        #expect(result.diagnostics.count == 3)
    }
}

import Testing
import VigilCore

@testable import VigilRules

/// The literal prefilter of `RuleSet`: derivation of each detection's necessary literals, and
/// equivalence of prefiltered matching with evaluating every rule.
struct PrefilterTests {
    static let keywordField = Fields.message

    static func compile(_ body: String) -> Detection? {
        CompiledDetection(body, fields: FieldResolver(keywordFields: [keywordField])).detection
    }

    static func rule(_ detection: Detection, _ number: Int, datasets: Set<String> = ["http"]) -> CompiledRule {
        CompiledRule(
            meta: .init(
                id: "r\(number)", title: "rule \(number)", description: nil, status: nil, level: .low, tags: [],
                stage: nil, category: nil, attack: [], falsePositives: [], groupBy: [], file: "r\(number).yml",
                line: nil),
            logsource: [:], datasets: datasets, detection: detection)
    }

    /// The needles of the default choice, as "field:needle" text, or nil for "always evaluated".
    static func literals(_ body: String) -> Set<String>? {
        guard let detection = compile(body) else {
            Issue.record("does not compile: \(body)")
            return nil
        }
        return detection.requiredLiterals.map { needles in
            Set(needles.map { "\($0.field.name):" + String(decoding: $0.bytes, as: UTF8.self) })
        }
    }

    // MARK: Derivation

    @Test("a value's longest wildcard-free fragment is its needle, lower-cased")
    func fragments() {
        #expect(Self.literals("sel:\n  f|contains: 'AbCdE'\ncondition: sel") == ["f:abcde"])
        #expect(Self.literals("sel:\n  f: 'ab*cdef?gh'\ncondition: sel") == ["f:cdef"])
        #expect(Self.literals("sel:\n  f|endswith: '.Bad.example'\ncondition: sel") == ["f:.bad.example"])
        #expect(Self.literals("sel:\n  f|startswith: 'a'\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f: ['abcd', 'x']\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f: ['abcd', '$(']\ncondition: sel") == ["f:abcd", "f:$("])
        #expect(Self.literals("sel:\n  f: ['abcd', 'wxyz']\ncondition: sel") == ["f:abcd", "f:wxyz"])
        #expect(Self.literals("sel:\n  f|cased: 'ABCD'\ncondition: sel") == ["f:abcd"])
    }

    @Test("not, numbers, exists, cidr and fieldref give no literal requirement")
    func noRequirement() {
        #expect(Self.literals("sel:\n  f: 'abcd'\ncondition: not sel") == nil)
        #expect(Self.literals("sel:\n  f: 12345\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f|exists: true\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f|cidr: 10.0.0.0/8\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f|fieldref: g\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f|neq: 'abcd'\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f|gt: 5\ncondition: sel") == nil)
    }

    @Test("and takes the cheaper side, or the union, or nothing when a side has none")
    func conditions() {
        let two = "a:\n  f: ['abcd', 'efgh']\nb:\n  g: 'ijklm'\nc:\n  g|exists: true\n"
        #expect(Self.literals(two + "condition: a and b") == ["g:ijklm"])
        #expect(Self.literals(two + "condition: a and not b") == ["f:abcd", "f:efgh"])
        #expect(Self.literals(two + "condition: a or b") == ["f:abcd", "f:efgh", "g:ijklm"])
        #expect(Self.literals(two + "condition: a or c") == nil)
        #expect(Self.literals(two + "condition: (a or c) and b") == ["g:ijklm"])
        #expect(Self.literals(two + "condition: c and not a") == nil)
    }

    @Test("every term of an AND is a clause of its own, cheapest first")
    func clauses() throws {
        let body = "a:\n  f: ['abcd', 'efgh']\nb:\n  g: 'ijklm'\nc:\n  g|exists: true\ncondition: a and b and c"
        let requirement = try #require(Self.compile(body)?.literalRequirement)
        let clauses = requirement.clauses().map { Set($0.map { String(decoding: $0.bytes, as: UTF8.self) }) }
        #expect(clauses == [["ijklm"], ["abcd", "efgh"]])
    }

    @Test("a selection's AND picks one item, its OR of groups takes the union")
    func selections() {
        #expect(Self.literals("sel:\n  f: ['abcd', 'efgh']\n  g: 'ijkl'\ncondition: sel") == ["g:ijkl"])
        #expect(Self.literals("sel:\n  f: 'ab'\n  g: 'ijkl'\ncondition: sel") == ["g:ijkl"])
        #expect(Self.literals("sel:\n  - f: 'abcd'\n  - g: 'ijkl'\ncondition: sel") == ["f:abcd", "g:ijkl"])
        #expect(Self.literals("sel:\n  - f: 'abcd'\n  - g: 'i'\ncondition: sel") == nil)
        #expect(Self.literals("sel:\n  f|contains|all: ['abcd', 'efghij']\ncondition: sel") == ["f:efghij"])
        #expect(
            Self.literals("sel:\n  - 'Payload'\n  - 'exploit'\ncondition: sel") == [
                "message:payload", "message:exploit",
            ])
    }

    @Test("1 of is a union, all of the cheapest, N of a union once enough members have literals")
    func quantifiers() {
        let body = "sel1:\n  f: 'abcd'\nsel2:\n  g: 'efgh'\nsel3:\n  g|exists: true\n"
        #expect(Self.literals(body + "condition: 1 of sel1 or 1 of sel2") == ["f:abcd", "g:efgh"])
        #expect(Self.literals(body + "condition: 1 of sel*") == nil)
        #expect(Self.literals(body + "condition: all of sel*") != nil)
        #expect(Self.literals(body + "condition: 2 of them") == ["f:abcd", "g:efgh"])
        #expect(Self.literals(body + "condition: 1 of them") == nil)
    }

    @Test("regex literals: a top-level run only, nothing past alternation or inline options")
    func regexLiterals() {
        func literal(_ pattern: String, caseless: Bool = false) -> String? {
            SigmaRegex.requiredLiteral(pattern, caseless: caseless).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(literal("^/api/v[0-9]+/item12/[a-z]+$") == "/item12/")
        #expect(literal("abcd?") == "abc")
        #expect(literal("ab?") == nil)
        #expect(literal("abc?") == "ab")
        #expect(literal("a+b+c") == nil)
        #expect(literal("abc+de") == "abc")
        #expect(literal("foo|barbaz") == nil)
        #expect(literal("(x|y)foobar") == "foobar")
        #expect(literal("(x|y)?foo|bar") == nil)
        #expect(literal("(?|x)foobar") == nil)
        #expect(literal("(?:xy)foobar") == "foobar")
        #expect(literal("(?i)foobar") == nil)
        #expect(literal("(?x)foo bar") == nil)
        #expect(literal("a{2,3}bcde{2}") == "bcd")
        #expect(literal("\\x41BCDE") == nil)
        #expect(literal("\\.exe\\d") == ".exe")
        #expect(literal("[abc]]xyz") == "]xyz")
        #expect(literal("[[:alpha:]]xyzw") == "xyzw")
        #expect(literal("Kelvin", caseless: true) == "elv")
        #expect(literal("caféine", caseless: true) == "caf")
        #expect(literal("CAFÉine") == "cafÉine")
    }

    // MARK: Matching

    @Test("Unicode-folded, IP, number and list values still reach their rules")
    func valueShapes() throws {
        let bodies = [
            "sel:\n  f|contains: 'éclair'\ncondition: sel",
            "sel:\n  f|contains: 'kéy'\ncondition: sel",
            "sel:\n  f: '10.0.0.1'\ncondition: sel",
            "sel:\n  f|contains: '123'\ncondition: sel",
            "sel:\n  f|endswith: 'tail'\ncondition: sel",
        ]
        let rules = try bodies.enumerated().map { try Self.rule(#require(Self.compile($1)), $0) }
        let set = RuleSet(rules: rules)
        func hits(_ value: FieldValue) -> [String] { set.matches(testEvent(["f": value])).map(\.meta.id) }
        func direct(_ value: FieldValue) -> [String] {
            rules.filter { $0.detection.matches(testEvent(["f": value])) }.map(\.meta.id)
        }
        #expect(hits(.string("un éclair")) == ["r0"])
        // Whether upper-case non-ASCII text folds is the matcher's business; the prefilter agrees.
        for text in ["UN ÉCLAIR", "\u{212A}ÉY", "\u{212A}éy", "KÉY"] {
            #expect(hits(.string(text)) == direct(.string(text)))
        }
        #expect(hits(.ip(IPAddress("10.0.0.1")!)) == ["r2"])
        #expect(hits(.int(412_345)) == ["r3"])
        #expect(hits(.list([.string("head"), .string("the TAIL")])) == ["r4"])
        #expect(hits(.string("nothing")) == [])
    }

    @Test("rules keep load order and a rule of several datasets meets both")
    func order() throws {
        let detections = try (0..<130).map { index in
            try #require(Self.compile("sel:\n  f|contains: 'tok\(index % 3)x'\ncondition: sel"))
        }
        let rules = detections.enumerated().map { Self.rule($1, $0, datasets: ["http", "dns"]) }
        let set = RuleSet(rules: rules)
        let event = testEvent(["f": .string("a TOK2X and tok0x")])
        let expected = rules.filter { $0.detection.matches(event) }.map(\.meta.id)
        #expect(expected.count == 87)
        #expect(set.matches(event).map(\.meta.id) == expected)
        var dns = event
        dns.dataset = .dns
        #expect(set.matches(dns).map(\.meta.id) == expected)
    }

    /// Random rules and events over a small alphabet, so needles often occur in differing case.
    struct Generator {
        var random: DetectionPropertyTests.Generator
        static let letters = ["a", "b", "c", "A", "B", "-", "x", "é", "É", "ß", "\u{212A}", "k", "K", "İ", "i", " "]
        static let fields = ["f", "g", "message"]

        mutating func pick<T>(_ options: [T]) -> T { options.randomElement(using: &random)! }
        mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

        mutating func word(_ lengths: ClosedRange<Int> = 1...6) -> String {
            (0..<Int.random(in: lengths, using: &random)).map { _ in pick(Self.letters) }.joined()
        }

        mutating func sigmaValue() -> String {
            var out = word()
            if chance(20) { out.insert(contentsOf: pick(["*", "?"]), at: out.index(out.startIndex, offsetBy: 1)) }
            if chance(30) { out += word(0...3) }
            return out
        }

        mutating func regex(_ pool: inout [String]) -> String {
            var parts: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let literal = word(2...5)
                pool.append(literal)
                parts.append(literal)
                if chance(40) { parts.append(pick(["[a-c]+", ".?", "(ab|cd)?", "\\d*", "x{0,2}", "é?", "(?:b)"])) }
            }
            return (chance(30) ? "^" : "") + parts.joined() + (chance(20) ? "$" : "")
        }

        mutating func item(_ pool: inout [String]) -> String {
            let field = pick(Self.fields)
            switch Int.random(in: 0..<12, using: &random) {
            case 0: return "\(field)|re: '\(regex(&pool))'"
            case 1: return "\(field)|re|i: '\(regex(&pool))'"
            case 2: return "\(field)|exists: \(chance(50))"
            case 3: return "\(field): \(Int.random(in: 0...200, using: &random))"
            default:
                let modifier = pick(["", "|contains", "|startswith", "|endswith", "|contains|cased", "|contains|neq"])
                let values = (0..<Int.random(in: 1...3, using: &random)).map { _ in sigmaValue() }
                pool += values.map { String($0.filter { $0 != "*" && $0 != "?" }) }
                if values.count > 1, chance(30), modifier.hasPrefix("|contains") {
                    return "\(field)\(modifier)|all: [" + values.map { "'\($0)'" }.joined(separator: ", ") + "]"
                }
                if values.count == 1 { return "\(field)\(modifier): '\(values[0])'" }
                return "\(field)\(modifier): [" + values.map { "'\($0)'" }.joined(separator: ", ") + "]"
            }
        }

        mutating func selection(_ pool: inout [String]) -> String {
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                let words = (0..<Int.random(in: 1...2, using: &random)).map { _ in sigmaValue() }
                pool += words
                return words.map { "  - '\($0)'" }.joined(separator: "\n")
            case 1:
                return (0..<2).map { _ in "  - " + item(&pool) }.joined(separator: "\n")
            default:
                return (0..<Int.random(in: 1...3, using: &random)).map { _ in "  " + item(&pool) }
                    .joined(separator: "\n")
            }
        }

        /// A detection body; field names repeat, so it may not compile (the caller skips those).
        mutating func detection(_ pool: inout [String]) -> String {
            let count = Int.random(in: 1...3, using: &random)
            var body = (1...count).map { "sel\($0):\n" + selection(&pool) }.joined(separator: "\n")
            let names = (1...count).map { "sel\($0)" }
            let conditions = [
                names[0], "not \(names[0])", names.joined(separator: " and "), names.joined(separator: " or "),
                "1 of sel*", "all of sel*", "\(names[0]) and not \(names.last!)", "2 of them",
                "(\(names.last!) or \(names[0])) and \(pick(names))", "not (\(names.joined(separator: " or ")))",
            ]
            body += "\ncondition: \(pick(conditions))"
            return body
        }

        mutating func text(_ pool: [String]) -> String {
            var out = ""
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                var piece = chance(70) && !pool.isEmpty ? pick(pool) : word()
                if chance(40) { piece = chance(50) ? piece.uppercased() : piece.lowercased() }
                out += piece + (chance(50) ? "" : word(0...2))
            }
            return out
        }

        mutating func event(_ pool: [String]) -> Event {
            var event = Event(timestamp: Timestamp(microseconds: 0), id: "e", dataset: .http)
            for field in Self.fields where chance(80) {
                switch Int.random(in: 0..<10, using: &random) {
                case 0: event.set(FieldID(field), .int(Int64.random(in: 0...200, using: &random)))
                case 1: event.set(FieldID(field), .list([.string(text(pool)), .string(text(pool))]))
                default: event.set(FieldID(field), .string(text(pool)))
                }
            }
            return event
        }
    }

    @Test("prefiltered matching equals evaluating every rule, on generated rules and events")
    func equivalence() {
        var totalHits = 0
        var prefiltered = 0
        for seed in UInt64(1)...6 {
            var generator = Generator(random: .init(state: seed &* 0x1234_5678))
            var pool: [String] = []
            var rules: [CompiledRule] = []
            while rules.count < 120 {
                let body = generator.detection(&pool)
                guard let detection = Self.compile(body) else { continue }
                if detection.literalRequirement != nil { prefiltered += 1 }
                rules.append(Self.rule(detection, rules.count))
            }
            let set = RuleSet(rules: rules)
            for _ in 0..<300 {
                let event = generator.event(pool)
                let expected = rules.filter { $0.detection.matches(event) }.map(\.meta.id)
                let actual = set.matches(event).map(\.meta.id)
                totalHits += expected.count
                #expect(actual == expected, "seed \(seed), event \(event.fields)")
            }
        }
        // The property is only worth something when rules both match and are prefiltered.
        #expect(totalHits > 2_000)
        #expect(prefiltered > 200)
    }
}

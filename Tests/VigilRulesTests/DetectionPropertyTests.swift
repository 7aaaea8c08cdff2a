import Testing
import VigilConfig
import VigilCore
import VigilRules

/// Randomised checks of the byte matcher against the standard library.
struct DetectionPropertyTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = Array("abAB-/ .xX")

    func randomText(_ length: Int, _ generator: inout Generator) -> String {
        String((0..<length).map { _ in Self.alphabet.randomElement(using: &generator)! })
    }

    @Test("contains agrees with lower-cased standard-library contains on ASCII")
    func containsProperty() {
        var generator = Generator(state: 20_240_611)
        for _ in 0..<300 {
            let needle = randomText(Int.random(in: 1...4, using: &generator), &generator)
            let rule = CompiledDetection("sel:\n  f|contains: '\(needle)'\ncondition: sel")
            #expect(rule.detection != nil)
            for _ in 0..<20 {
                let haystack = randomText(Int.random(in: 0...16, using: &generator), &generator)
                let expected = haystack.lowercased().contains(needle.lowercased())
                #expect(rule.matches(["f": .string(haystack)]) == expected, "'\(needle)' in '\(haystack)'")
            }
        }
    }

    @Test("startswith and endswith agree with hasPrefix and hasSuffix on ASCII")
    func positionProperty() {
        var generator = Generator(state: 7)
        for _ in 0..<200 {
            let needle = randomText(Int.random(in: 1...3, using: &generator), &generator)
            let prefix = CompiledDetection("sel:\n  f|startswith: '\(needle)'\ncondition: sel")
            let suffix = CompiledDetection("sel:\n  f|endswith: '\(needle)'\ncondition: sel")
            for _ in 0..<20 {
                let haystack = randomText(Int.random(in: 0...8, using: &generator), &generator)
                #expect(
                    prefix.matches(["f": .string(haystack)]) == haystack.lowercased().hasPrefix(needle.lowercased()))
                #expect(
                    suffix.matches(["f": .string(haystack)]) == haystack.lowercased().hasSuffix(needle.lowercased()))
            }
        }
    }
}

/// One compiled detection shared by many threads (regex match data is per thread).
struct DetectionConcurrencyTests {
    @Test("a shared detection with a regex gives the same answers on many threads at once")
    func sharedAcrossThreads() async {
        let rule = CompiledDetection("sel:\n  f|re|i: 'union\\s+select'\ncondition: sel")
        guard let detection = rule.detection else {
            Issue.record("did not compile: \(rule.diagnostics)")
            return
        }
        let hit = testEvent(["f": .string("1 UNION  select 2")])
        let miss = testEvent(["f": .string("1 union 2")])
        let wrong = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for _ in 0..<2000 where !detection.matches(hit) || detection.matches(miss) { wrong += 1 }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }
}

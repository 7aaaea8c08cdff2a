import Testing

@testable import VigilInspect

@Suite("Unified social credit code (GB 32100)")
struct USCCTests {
    @Test("the standard's sample code is found, high, masked keeping the first 8 and last 2")
    func sample() {
        let result = inspector.inspect(text: "统一社会信用代码 91350100M000100Y43")
        #expect(result.detections.map(\.kind) == [.uscc])
        #expect(result.detections.map(\.confidence) == [.high])
        #expect(result.masked == "统一社会信用代码 91350100********43")
        #expect(kinds("91350100M000100Y43") == [.uscc])
    }

    @Test("generated codes with a letter are found without a keyword; one changed character is not")
    func generated() {
        var rng = SeededRNG(seed: 3)
        for _ in 0..<2_000 {
            let code = Gen.uscc(&rng)
            #expect(kinds("\"company\":\"\(code)\"") == [.uscc], "\(code)")
            var chars = Array(code)
            let index = Int.random(in: 8..<18, using: &rng)
            let alphabet = Gen.usccAlphabet
            let old = alphabet.firstIndex(of: chars[index])!
            chars[index] = alphabet[(old + Int.random(in: 1...30, using: &rng)) % 31]
            #expect(!kinds(String(chars)).contains(.uscc), "\(String(chars))")
        }
    }

    @Test("an all-digit code counts only after a keyword (random 18-digit numbers pass 1 in 250)")
    func allDigits() {
        var rng = SeededRNG(seed: 4)
        var checked = 0
        while checked < 200 {
            let code = Gen.uscc(&rng, withLetter: false)
            guard code.allSatisfy(\.isNumber), only(code)?.kind == .uscc else { continue }
            #expect(only(code)?.confidence == .low)
            #expect(kinds("uscc=\(code)") == [.uscc])
            #expect(kinds("信用代码:\(code)") == [.uscc])
            checked += 1
        }
    }

    @Test("letters outside the GB 32100 alphabet (I, O, S, V, Z) never match")
    func alphabet() {
        #expect(kinds("91350100M000100I43") == [])
        #expect(kinds("91350100S000100Y43") == [])
    }
}

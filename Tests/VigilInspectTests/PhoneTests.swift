import Testing

@testable import VigilInspect

@Suite("Mobile and landline numbers")
struct PhoneTests {
    @Test("a mobile is medium alone, high after a keyword, masked to first 3 and last 4")
    func mobile() {
        #expect(only("13812345678")?.confidence == .medium)
        #expect(only("手机:13812345678")?.confidence == .high)
        #expect(only("{\"userMobile\":\"13812345678\"}")?.confidence == .high)
        #expect(masked("call 13812345678 now") == "call 138****5678 now")
    }

    /// The scan looks for digits, `@` and `\\` sixteen bytes at a time: a value is found and masked
    /// wherever it starts relative to those steps, after letters or spaces.
    @Test("a mobile and an email are found at every offset around the scan's sixteen-byte steps")
    func everyOffset() {
        for pad in 0..<40 {
            for filler in ["x", " "] {
                let lead = String(repeating: filler, count: pad)
                #expect(masked(lead + " 13812345678 end") == lead + " 138****5678 end", "\(pad)")
                let email = inspector.inspect(text: lead + " zhang.san@example.cn end")
                #expect(email.detections.map(\.kind) == [.email], "\(pad)")
            }
        }
    }

    @Test("country-code and trunk prefixes are part of the match and left in clear")
    func prefixes() {
        let cases = [
            ("+8613812345678", "+86138****5678"), ("8613812345678", "86138****5678"),
            ("008613812345678", "0086138****5678"), ("013812345678", "0138****5678"),
            ("+86 13812345678", "+86 138****5678"), ("+86-138-1234-5678", "+86-138-****-5678"),
            ("138 1234 5678", "138 **** 5678"), ("0086 138 1234 5678", "0086 138 **** 5678"),
        ]
        for (text, expected) in cases {
            let result = inspector.inspect(text: text)
            #expect(result.detections.map(\.kind) == [.mobile], "\(text)")
            #expect(result.masked == expected)
        }
    }

    @Test("all prefixed forms of one number hash the same (normalised to 11 digits)")
    func normalised() {
        let hashes = Set(
            ["13812345678", "+86 138 1234 5678", "008613812345678", "013812345678", "tel:+8613812345678"].map {
                inspector.inspect(text: $0).detections.first?.hash
            })
        #expect(hashes.count == 1 && hashes.first! != nil)
    }

    @Test("generated mobiles are found; 1[0-2] numbers and wrong lengths are not")
    func generated() {
        var rng = SeededRNG(seed: 5)
        for _ in 0..<2_000 {
            let number = Gen.mobile(&rng)
            #expect(kinds("联系电话:\(number)") == [.mobile])
            let bad = "1" + String(Int.random(in: 0...2, using: &rng)) + Gen.digits(9, &rng)
            #expect(kinds(bad) == [])
            #expect(kinds(number + Gen.digits(1, &rng)) == [])
            #expect(kinds(String(number.dropLast())) == [])
        }
    }

    @Test("landlines with a separator are medium, high after a keyword; masked keeping the area code")
    func landline() {
        let cases = [
            ("010-12345678", "010-****5678"), ("0755-1234567", "0755-***4567"), ("021 6234 5678", "021 **** 5678"),
            ("(010)12345678", "(010)****5678"), ("(0755) 1234567", "(0755) ***4567"),
            ("+86 10 12345678", "+86 10 ****5678"), ("+86-755-12345678", "+86-755-****5678"),
        ]
        for (text, expected) in cases {
            let result = inspector.inspect(text: text)
            #expect(result.detections.map(\.kind) == [.landline], "\(text)")
            #expect(result.detections.map(\.confidence) == [.medium], "\(text)")
            #expect(result.masked == expected)
        }
        #expect(only("电话:010-12345678")?.confidence == .high)
    }

    @Test("international and domestic forms of a landline hash the same")
    func landlineHash() {
        let a = inspector.inspect(text: "+86 10 12345678").detections.first?.hash
        let b = inspector.inspect(text: "010-12345678").detections.first?.hash
        #expect(a != nil && a == b)
    }

    @Test("a landline without separator counts only after a keyword")
    func unseparated() {
        #expect(only("01012345678")?.confidence == .low)
        #expect(only("075512345678")?.confidence == .low)
        #expect(kinds("tel=01012345678") == [.landline])
    }

    @Test("invalid area codes and local numbers starting with 0 or 1 are not landlines")
    func invalidLandlines() {
        #expect(kinds("011-12345678") == [])
        #expect(kinds("010-02345678") == [])
        #expect(kinds("010-12") == [])
        #expect(kinds("2024-11-23") == [])
    }
}

import Testing

@testable import VigilInspect

@Suite("Detection rates over random input")
struct PropertyTests {
    @Test("every generated valid resident ID, USCC, card and mobile is found among random text")
    func allValidFound() {
        var rng = SeededRNG(seed: 20)
        let words = ["name", "张三", "address", "北京市朝阳区", "status", "ok", "amount", "12.50", "|", ","]
        for _ in 0..<10_000 {
            let values: [(String, DLPKind)] = [
                (Gen.residentID(&rng), .residentID), (Gen.uscc(&rng), .uscc),
                (Gen.card(prefix: "62", length: 16, &rng), .bankCard), (Gen.mobile(&rng), .mobile),
            ]
            let (value, kind) = values.randomElement(using: &rng)!
            let text = words.randomElement(using: &rng)! + " " + value + " " + words.randomElement(using: &rng)!
            let result = inspector.inspect(text: text)
            #expect(result.detections.map(\.kind) == [kind], "\(kind)")
            #expect(!result.masked.contains(value))
        }
    }

    /// P(an 18-digit string of valid province and birth date, random sequence and check digit, passes)
    /// is exactly P(check digit right) = 1/11 when the computed check is a digit (10/11) times 1/10.
    @Test("random sequence and check digits pass at the MOD 11-2 rate of 1 in 11, no more")
    func checkDigitRate() {
        var rng = SeededRNG(seed: 21)
        let trials = 10_000
        var found = 0
        for _ in 0..<trials {
            let id =
                String(Gen.provinces.randomElement(using: &rng)!) + "0101" + Gen.birthDate(&rng) + Gen.digits(4, &rng)
            if kinds(id) == [.residentID] { found += 1 }
        }
        let expected = Double(trials) / 11, sigma = (Double(trials) * (1.0 / 11) * (10.0 / 11)).squareRoot()
        #expect(abs(Double(found) - expected) < 5 * sigma, "found \(found), expected \(expected)")
    }

    /// The false-accept rate of fully random 18-digit strings: province codes 35/100 (first digit 1–8),
    /// years 1900…2030 131/10 000, real month-day ~365.25/10 000, check digit 1/11: about 1.5 in 100 000.
    @Test("random 18-digit strings are resident IDs no more often than the checksum and date rules allow")
    func randomDigitsRate() {
        var rng = SeededRNG(seed: 22)
        let trials = 10_000
        var found = 0
        for _ in 0..<trials where only(Gen.digits(18, &rng))?.kind == .residentID { found += 1 }
        let rate = 35.0 / 100 * 131.0 / 10_000 * 365.25 / 10_000 / 11
        // Poisson with mean trials × rate ≈ 0.15: 4 or more happens with probability < 1e-4.
        #expect(Double(trials) * rate < 0.2)
        #expect(found <= 3, "found \(found)")
    }

    @Test("random printable ASCII and UTF-8 never crash and keep their length when masked")
    func garbage() {
        var rng = SeededRNG(seed: 23)
        let alphabet = Array("0123456789 -+()@.%2B86Xx身份证手机\\u\n,:\"abcE")
        for _ in 0..<10_000 {
            let text = String(
                (0..<Int.random(in: 0...80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let result = inspector.inspect(text: text, reporting: .low)
            #expect(result.masked.utf8.count == text.utf8.count)
            for d in result.detections {
                #expect(d.range.lowerBound >= 0 && d.range.upperBound <= text.utf8.count)
            }
        }
    }
}

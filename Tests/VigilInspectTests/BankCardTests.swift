import Testing

@testable import VigilInspect

@Suite("Bank cards")
struct BankCardTests {
    @Test("a Luhn-valid UnionPay card is medium alone, high after a keyword, masked to 6 and 4")
    func unionPay() {
        var rng = SeededRNG(seed: 6)
        for length in 16...19 {
            let card = Gen.card(prefix: "62", length: length, &rng)
            #expect(only(card)?.confidence == .medium)
            #expect(only("银行卡号：\(card)")?.confidence == .high)
            let stars = String(repeating: "*", count: length - 10)
            #expect(masked(card) == card.prefix(6) + stars + card.suffix(4))
        }
    }

    @Test("generated cards with issuer prefixes are found; one changed digit is not")
    func generated() {
        var rng = SeededRNG(seed: 7)
        for _ in 0..<2_000 {
            let (prefix, lengths) = [
                ("62", [16, 17, 18, 19]), ("60", [16, 19]), ("81", [17]), ("4", [16]), ("51", [16]), ("55", [16]),
                ("2221", [16]), ("6011", [16]), ("3530", [16]), ("65", [16]),
            ].randomElement(using: &rng)!
            let card = Gen.card(prefix: prefix, length: lengths.randomElement(using: &rng)!, &rng)
            #expect(kinds("\"cardNo\":\"\(card)\"") == [.bankCard], "\(card)")
            let miss = Gen.nearMiss(card, &rng)
            #expect(!kinds("\"cardNo\":\"\(miss)\"").contains(.bankCard), "\(miss)")
        }
    }

    @Test("cards in groups of four are found and masked keeping the separators")
    func grouped() {
        #expect(masked("卡号 6222 0212 3456 7894") == "卡号 6222 02** **** 7894")
        #expect(masked("6222-0212-3456-7894") == "6222-02**-****-7894")
        var rng = SeededRNG(seed: 8)
        let card = Gen.card(prefix: "62", length: 19, &rng)
        let groups = stride(from: 0, to: 19, by: 4).map { String(Array(card)[$0..<min($0 + 4, 19)]) }
        #expect(kinds(groups.joined(separator: " ")) == [.bankCard])
        #expect(kinds("6222 0212-3456 7894") == [])
    }

    @Test("17–19 digits count alone only with a UnionPay or domestic prefix; others need a keyword")
    func issuerLengths() {
        var rng = SeededRNG(seed: 11)
        #expect(only(Gen.card(prefix: "4", length: 19, &rng))?.confidence == .low)
        #expect(only(Gen.card(prefix: "52", length: 19, &rng))?.confidence == .low)
        #expect(only(Gen.card(prefix: "65", length: 18, &rng))?.confidence == .low)
        #expect(only("卡号 " + Gen.card(prefix: "4", length: 19, &rng))?.confidence == .medium)
    }

    @Test("random Luhn-valid 16-digit numbers without issuer prefix or keyword are never counted")
    func noPrefixNoContext() {
        var rng = SeededRNG(seed: 9)
        var counted = 0, lows = 0
        for _ in 0..<10_000 {
            let prefix = ["0", "1", "7", "9", "80", "82", "84", "86", "88", "30", "56", "61"].randomElement(
                using: &rng)!
            let card = Gen.card(prefix: prefix, length: 16, &rng)
            let result = inspector.inspect(text: "order \(card) shipped", reporting: .low)
            counted += result.detections.filter { $0.confidence >= .medium }.count
            lows += result.detections.filter { $0.kind == .bankCard && $0.confidence == .low }.count
        }
        #expect(counted == 0)
        #expect(lows == 10_000)
        var rng2 = SeededRNG(seed: 10)
        let card = Gen.card(prefix: "9", length: 16, &rng2)
        #expect(only("bankcard: \(card)")?.confidence == .medium)
    }
}

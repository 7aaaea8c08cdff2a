import Testing

@testable import VigilInspect

@Suite("Resident ID (GB 11643)")
struct ResidentIDTests {
    @Test("the standard's sample ID is found, high, masked to first 6 and last 4")
    func sample() throws {
        let result = inspector.inspect(text: "11010519491231002X")
        let d = try #require(result.detections.first)
        #expect(result.detections.count == 1)
        #expect(d.kind == .residentID && d.confidence == .high)
        #expect(d.masked == "110105********002X")
        #expect(result.masked == "110105********002X")
        #expect(d.range == 0..<18)
    }

    @Test("a lower-case check x is accepted and hashes like the upper-case one")
    func lowercaseX() throws {
        let upper = try #require(inspector.inspect(text: "11010519491231002X").detections.first)
        let lower = try #require(inspector.inspect(text: "11010519491231002x").detections.first)
        #expect(lower.kind == .residentID && lower.hash == upper.hash)
    }

    @Test("every generated valid ID is found, in Chinese, JSON and URL context")
    func generated() {
        var rng = SeededRNG(seed: 1)
        for _ in 0..<2_000 {
            let id = Gen.residentID(&rng)
            for text in ["身份证号：\(id)", "{\"id_card\":\"\(id)\"}", "?sfzh=\(id)&x=1", "\(id),张三,北京"] {
                let result = inspector.inspect(text: text)
                #expect(result.detections.map(\.kind) == [.residentID], "\(text)")
                #expect(!result.masked.contains(id))
            }
        }
    }

    @Test("one changed digit makes a valid ID invalid (the check digit catches it)")
    func nearMisses() {
        var rng = SeededRNG(seed: 2)
        for _ in 0..<2_000 {
            let miss = Gen.nearMiss(Gen.residentID(&rng), &rng)
            #expect(!inspector.inspect(text: "身份证 \(miss)").detections.contains { $0.kind == .residentID })
        }
    }

    @Test("an impossible birth date or province fails even with a correct check digit")
    func invalidDatesAndRegions() {
        for body in [
            "44052418800101001", "11010520230229123", "11010519991301123", "99010519491231002", "01010519491231002",
        ] {
            let id = body + Gen.residentCheck(body)
            #expect(only(id)?.kind != .residentID, "\(id)")
        }
        let leap = "11010520240229123"
        #expect(kinds(leap + Gen.residentCheck(leap)) == [.residentID])
    }

    @Test("an ID inside a longer digit or letter run is not found")
    func embedded() {
        #expect(kinds("911010519491231002X") == [])
        #expect(kinds("11010519491231002X5") == [])
        #expect(kinds("0011010519491231002X") == [])
        #expect(kinds("a11010519491231002X") == [])
        #expect(kinds("11010519491231002Xy") == [])
    }

    @Test("an ID written in groups 6-8-4 is found and masked keeping the separators")
    func grouped() {
        #expect(masked("证件号 110105 19491231 002X 已核验") == "证件号 110105 ******** 002X 已核验")
        #expect(masked("110105-19491231-002X") == "110105-********-002X")
    }

    @Test("a legacy 15-digit ID counts only after a keyword, medium, masked to 6 and 3")
    func legacy() {
        #expect(only("110105491231002")?.confidence == .low)
        #expect(kinds("110105491231002") == [])
        let result = inspector.inspect(text: "身份证号码:110105491231002")
        #expect(result.detections.map(\.confidence) == [.medium])
        #expect(result.masked == "身份证号码:110105******002")
    }

    @Test("a birth year after latestBirthYear is rejected")
    func latestBirthYear() {
        let body = "11010520290101123"
        let id = body + Gen.residentCheck(body)
        #expect(kinds(id) == [.residentID])
        let strict = Inspector(secret: testSecret, options: .init(latestBirthYear: 2025))
        #expect(strict.inspect(text: id).detections.isEmpty)
    }
}

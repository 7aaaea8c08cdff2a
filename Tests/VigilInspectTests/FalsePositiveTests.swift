import Testing

@testable import VigilInspect

@Suite("Things that are not personal data")
struct FalsePositiveTests {
    @Test("IPv4 addresses, versions and decimals are not flagged")
    func addressesAndVersions() {
        var rng = SeededRNG(seed: 12)
        for _ in 0..<10_000 {
            let ip = (0..<4).map { _ in String(Int.random(in: 0...255, using: &rng)) }.joined(separator: ".")
            #expect(inspector.inspect(text: "client \(ip) port 443", reporting: .low).detections.isEmpty, "\(ip)")
        }
        for text in [
            "1.2.3.4", "v13.812.345.678", "3.13812345678", "13812345678.5", "0.110105194912310021",
            "lat 31.2304167, lng 121.4737010", "version 2.0.13812345678",
        ] {
            #expect(inspector.inspect(text: text, reporting: .low).detections.isEmpty, "\(text)")
        }
    }

    @Test("timestamps and dates are not flagged")
    func timestamps() {
        var rng = SeededRNG(seed: 13)
        for _ in 0..<10_000 {
            let t =
                Gen.birthDate(&rng, years: 1970...2099) + Gen.pad(Int.random(in: 0...23, using: &rng), 2)
                + Gen.pad(Int.random(in: 0...59, using: &rng), 2) + Gen.pad(Int.random(in: 0...59, using: &rng), 2)
            #expect(inspector.inspect(text: "\"ts\":\"\(t)\"", reporting: .low).detections.isEmpty, "\(t)")
        }
        for text in [
            "20261123173000", "1700000000", "1700000000000", "2026-11-23T17:30:00.123456Z",
            "2026-11-23 17:30:00 +0800", "Sun, 23 Nov 2025 16:00:00 GMT",
        ] {
            #expect(inspector.inspect(text: text, reporting: .low).detections.isEmpty, "\(text)")
        }
    }

    @Test("hex digests, UUIDs and long digit runs are not flagged")
    func identifiers() {
        for text in [
            "d41d8cd98f00b204e9800998ecf8427e", "550e8400-e29b-41d4-a716-446655440000",
            "12345678901234567890", "9110105194912310021X1", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ] {
            #expect(inspector.inspect(text: text, reporting: .low).detections.isEmpty, "\(text)")
        }
    }

    @Test("plain prose with numbers is not flagged")
    func prose() {
        let text = """
            The quick brown fox jumps over 13 lazy dogs. Order #2024 shipped 3 items on 2024-11-23 for 199.00 CNY.
            HTTP/1.1 200 OK, Content-Length: 12345, ETag: "33a64df551425fcc55e4d42a148795d9f25f89d4".
            """
        #expect(inspector.inspect(text: text, reporting: .low).detections.isEmpty)
    }
}

import Testing
import VigilCore

@Suite("Timestamp")
struct TimestampTests {
    @Test(
        "RFC 3339 text with six fraction digits, UTC",
        arguments: [
            (0, "1970-01-01T00:00:00.000000Z"),
            (1_795_449_639_123_456, "2026-11-23T16:00:39.123456Z"),
            (1_709_251_199_999_999, "2024-02-29T23:59:59.999999Z"),
            (951_782_400_000_001, "2000-02-29T00:00:00.000001Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (253_402_300_799_000_000, "9999-12-31T23:59:59.000000Z"),
        ] as [(Int64, String)])
    func text(_ micros: Int64, _ expected: String) {
        #expect(Timestamp(microseconds: micros).description == expected)
        #expect(Timestamp(rfc3339: expected) == Timestamp(microseconds: micros))
    }
}

import Testing
import VigilCore

@testable import VigilDecode

@Suite("Log time parsing")
struct LogTimeTests {
    func bytes<R>(_ s: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        Array(s.utf8).withUnsafeBytes(body)
    }

    @Test("days-from-civil and its inverse agree across eras, leap days and the epoch")
    func civilRoundTrip() {
        #expect(LogTime.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(LogTime.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(LogTime.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let c = LogTime.civil(fromDays: days)
            #expect(LogTime.daysFromCivil(year: c.year, month: c.month, day: c.day) == days)
        }
        #expect(LogTime.timestamp(year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 0) != nil)
        #expect(LogTime.timestamp(year: 2023, month: 2, day: 29, hour: 0, minute: 0, second: 0) == nil)
        #expect(LogTime.timestamp(year: 2026, month: 4, day: 31, hour: 0, minute: 0, second: 0) == nil)
        #expect(LogTime.timestamp(year: 2026, month: 1, day: 1, hour: 24, minute: 0, second: 0) == nil)
    }

    @Test("RFC 3339 times convert their zone to UTC; zone-less ones use the default offset")
    func iso8601() {
        func parse(_ s: String, offset: Int64 = 0) -> String? {
            bytes(s) { LogTime.iso8601($0, 0, end: $0.count, defaultOffset: offset)?.time.description }
        }
        #expect(parse("2026-11-23T17:03:01Z") == "2026-11-23T17:03:01.000000Z")
        #expect(parse("2026-11-23T17:03:01.123456789+05:30") == "2026-11-23T11:33:01.123456Z")
        #expect(parse("2026-11-23 17:03:01,5-0800") == "2026-11-24T01:03:01.500000Z")
        #expect(parse("2027-01-01T00:30:00", offset: 3600) == "2026-12-31T23:30:00.000000Z")
        #expect(parse("2026-13-01T00:00:00Z") == nil)
        #expect(parse("2026-11-23T17:03") == nil)
        #expect(parse("2026-11-23X17:03:01Z") == nil)
    }

    @Test("common log times and month names parse from bytes")
    func commonLog() {
        #expect(
            bytes("10/Oct/2000:13:55:36 -0700") { LogTime.commonLog($0, 0, end: $0.count)?.description }
                == "2000-10-10T20:55:36.000000Z")
        #expect(bytes("10/Foo/2000:13:55:36 -0700") { LogTime.commonLog($0, 0, end: $0.count) } == nil)
        let months = ["Jan", "feb", "MAR", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        #expect(months.map { m in bytes(m) { LogTime.month($0, at: 0) } } == (1...12).map { Int64($0) })
    }
}

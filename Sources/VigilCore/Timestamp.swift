#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point in time as microseconds since the Unix epoch (pcap's native resolution), UTC.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64, microseconds: Int64) { self.microseconds = seconds * 1_000_000 + microseconds }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// RFC 3339 with microseconds, e.g. `2026-11-23T16:00:39.123456Z`.
    public var description: String { String(decoding: iso8601Bytes(), as: UTF8.self) }

    public func iso8601Bytes() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.iso8601Length) { out, n in
            writeISO8601(to: out.baseAddress!)
            n = Self.iso8601Length
        }
    }

    /// Bytes in the RFC 3339 text `writeISO8601` writes.
    public static let iso8601Length = 27

    /// Appends the RFC 3339 text (every event has one or three of them).
    public func appendISO8601(to w: inout JSONWriter) {
        w.append(maxCount: Self.iso8601Length) { out in
            writeISO8601(to: out)
            return Self.iso8601Length
        }
    }

    /// The RFC 3339 text at `p` (`iso8601Length` bytes), with constant divisors. A year beyond 9999
    /// keeps its last four digits.
    @inline(__always)
    public func writeISO8601(to p: UnsafeMutablePointer<UInt8>) {
        let (secs, micros) = microseconds.floorDivMod(1_000_000)
        let (days, secOfDay) = secs.floorDivMod(86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        Self.writeDateTime(year: y, month: m, day: d, secondOfDay: secOfDay, to: p)
        p[19] = UInt8(ascii: ".")
        var fraction = micros
        for i in stride(from: 25, through: 20, by: -1) {
            p[i] = UInt8(truncatingIfNeeded: fraction % 10) &+ 0x30
            fraction /= 10
        }
        p[26] = UInt8(ascii: "Z")
    }

    /// `YYYY-MM-DDTHH:MM:SS`, the 19 bytes every RFC 3339 text starts with, at `out`. A year beyond
    /// 9999 keeps its last four digits.
    @inline(__always)
    public static func writeDateTime(
        year: Int64, month: Int64, day: Int64, secondOfDay: Int64, to out: UnsafeMutablePointer<UInt8>
    ) {
        @inline(__always) func two(_ v: Int64, at i: Int) {
            out[i] = UInt8(truncatingIfNeeded: v / 10 % 10) &+ 0x30
            out[i + 1] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
        }
        two(year / 100, at: 0)
        two(year, at: 2)
        out[4] = UInt8(ascii: "-")
        two(month, at: 5)
        out[7] = UInt8(ascii: "-")
        two(day, at: 8)
        out[10] = UInt8(ascii: "T")
        two(secondOfDay / 3600, at: 11)
        out[13] = UInt8(ascii: ":")
        two(secondOfDay / 60 % 60, at: 14)
        out[16] = UInt8(ascii: ":")
        two(secondOfDay % 60, at: 17)
    }

    /// Howard Hinnant's days-from-civil inverse: proleptic Gregorian date of a day number.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Int64 {
    func floorDivMod(_ d: Int64) -> (Int64, Int64) {
        var q = self / d
        var r = self % d
        if r < 0 { q -= 1; r += d }
        return (q, r)
    }
}

extension Timestamp {
    /// Parses an RFC 3339 date-time such as `2026-12-04T07:00:00Z` or `2026-12-04T15:00:00.5+08:00`;
    /// nil when `text` is not one (the same grammar event JSON uses).
    public init?(rfc3339 text: String) {
        var text = text
        guard let value = text.withUTF8({ Timestamp(rfc3339: $0) }) else { return nil }
        self = value
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), microseconds: Int64(ts.tv_nsec) / 1000)
    }
}

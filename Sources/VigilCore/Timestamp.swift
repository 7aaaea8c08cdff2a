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
        var out: [UInt8] = []
        out.reserveCapacity(27)
        appendISO8601(to: &out)
        return out
    }

    public func appendISO8601(to out: inout [UInt8]) {
        let (secs, micros) = microseconds.floorDivMod(1_000_000)
        let (days, secOfDay) = secs.floorDivMod(86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        // Every event has one or three of these: filled in a stack buffer with constant divisors,
        // then appended at once. A year beyond 9999 keeps its last four digits.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { b in
            @inline(__always) func digit(_ v: Int64) -> UInt8 { UInt8(truncatingIfNeeded: v % 10) &+ 0x30 }
            @inline(__always) func two(_ v: Int64, at i: Int) {
                b[i] = digit(v / 10)
                b[i + 1] = digit(v)
            }
            b[0] = digit(y / 1000)
            b[1] = digit(y / 100)
            two(y, at: 2)
            b[4] = UInt8(ascii: "-")
            two(m, at: 5)
            b[7] = UInt8(ascii: "-")
            two(d, at: 8)
            b[10] = UInt8(ascii: "T")
            two(secOfDay / 3600, at: 11)
            b[13] = UInt8(ascii: ":")
            two(secOfDay / 60 % 60, at: 14)
            b[16] = UInt8(ascii: ":")
            two(secOfDay % 60, at: 17)
            b[19] = UInt8(ascii: ".")
            b[20] = digit(micros / 100_000)
            b[21] = digit(micros / 10_000)
            two(micros / 100, at: 22)
            two(micros, at: 24)
            b[26] = UInt8(ascii: "Z")
            out.append(contentsOf: UnsafeBufferPointer(b))
        }
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

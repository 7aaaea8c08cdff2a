import VigilCore

/// Calendar arithmetic and timestamp parsing shared by every log decoder, on raw bytes.
///
/// Proleptic Gregorian calendar, Howard Hinnant's `days_from_civil` and its inverse (the same
/// algorithm `Timestamp` renders with). Explicitly zoned times are converted to UTC by subtracting
/// their offset; zone-less times use the caller's `utcOffsetSeconds` (`LogContext`).
enum LogTime {
    /// Days since 1970-01-01 of a proleptic Gregorian date (month 1...12).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number (inverse of `daysFromCivil`).
    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
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

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// A UTC timestamp from local calendar fields written at `utcOffsetSeconds` east of UTC, or nil
    /// when a field is out of range (month 13, 31 April, hour 24, a leap second is clamped to :59).
    static func timestamp(
        year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64,
        microsecond: Int64 = 0, utcOffsetSeconds: Int64 = 0
    ) -> Timestamp? {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (0..<1_000_000).contains(microsecond)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - utcOffsetSeconds
        return Timestamp(microseconds: secs * 1_000_000 + microsecond)
    }

    /// Year and month (1...12) of `time` seen at `utcOffsetSeconds` east of UTC.
    static func yearMonth(of time: Timestamp, utcOffsetSeconds: Int64) -> (year: Int64, month: Int64) {
        let (secs, _) = floorDivMod(time.microseconds, 1_000_000)
        let (days, _) = floorDivMod(secs + utcOffsetSeconds, 86_400)
        let c = civil(fromDays: days)
        return (c.year, c.month)
    }

    /// The year of a year-less syslog date: the reference year, or the year before when the line's
    /// month is more than one month ahead of the reference month (December lines read in January).
    static func inferYear(month: Int64, reference: Timestamp, utcOffsetSeconds: Int64) -> Int64 {
        let ref = yearMonth(of: reference, utcOffsetSeconds: utcOffsetSeconds)
        return month > ref.month + 1 ? ref.year - 1 : ref.year
    }

    static func floorDivMod(_ a: Int64, _ d: Int64) -> (Int64, Int64) {
        var q = a / d
        var r = a % d
        if r < 0 {
            q -= 1
            r += d
        }
        return (q, r)
    }

    /// Month number of an English three-letter abbreviation at `i` (`Jan` ... `Dec`, any case).
    static func month(_ p: UnsafeRawBufferPointer, at i: Int) -> Int64? {
        guard i >= 0, i + 3 <= p.count else { return nil }
        let key = (UInt32(p[i] | 0x20) << 16) | (UInt32(p[i + 1] | 0x20) << 8) | UInt32(p[i + 2] | 0x20)
        switch key {
        case 0x6A_616E: return 1  // jan
        case 0x66_6562: return 2  // feb
        case 0x6D_6172: return 3  // mar
        case 0x61_7072: return 4  // apr
        case 0x6D_6179: return 5  // may
        case 0x6A_756E: return 6  // jun
        case 0x6A_756C: return 7  // jul
        case 0x61_7567: return 8  // aug
        case 0x73_6570: return 9  // sep
        case 0x6F_6374: return 10  // oct
        case 0x6E_6F76: return 11  // nov
        case 0x64_6563: return 12  // dec
        default: return nil
        }
    }

    /// Value of `count` decimal digits at `i`, or nil when any is not a digit or out of bounds.
    @inline(__always)
    static func digits(_ p: UnsafeRawBufferPointer, _ i: Int, _ count: Int) -> Int64? {
        guard i >= 0, i + count <= p.count else { return nil }
        var v: Int64 = 0
        for k in i..<(i + count) {
            let d = p[k] &- 0x30
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
        }
        return v
    }

    /// Fraction digits at `i` (up to the first non-digit): microseconds (extra digits truncated) and
    /// the index after the digits.
    static func fraction(_ p: UnsafeRawBufferPointer, _ i: Int, end: Int) -> (micros: Int64, end: Int) {
        var k = i
        var micros: Int64 = 0
        var scale: Int64 = 100_000
        while k < end, p[k] &- 0x30 < 10 {
            micros += Int64(p[k] &- 0x30) * scale
            scale /= 10
            k += 1
        }
        return (micros, k)
    }

    /// A numeric zone at `i`: `Z`, `±HH`, `±HHMM` or `±HH:MM`; seconds east of UTC and the end index.
    static func numericZone(_ p: UnsafeRawBufferPointer, _ i: Int, end: Int) -> (offset: Int64, end: Int)? {
        guard i < end else { return nil }
        let c = p[i]
        if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") { return (0, i + 1) }
        guard c == UInt8(ascii: "+") || c == UInt8(ascii: "-"), i + 3 <= end, let hh = digits(p, i + 1, 2),
            hh <= 18
        else { return nil }
        let sign: Int64 = c == UInt8(ascii: "-") ? -1 : 1
        var k = i + 3
        var mm: Int64 = 0
        if k < end, p[k] == UInt8(ascii: ":") {
            guard k + 3 <= end, let m = digits(p, k + 1, 2) else { return nil }
            mm = m
            k += 3
        } else if k + 2 <= end, let m = digits(p, k, 2) {
            mm = m
            k += 2
        }
        guard mm < 60 else { return nil }
        return (sign * (hh * 3600 + mm * 60), k)
    }

    /// RFC 3339 / ISO 8601 at `i`: `YYYY-MM-DD[T ]HH:MM:SS[.frac][zone]`. Zone-less times are at
    /// `defaultOffset` seconds east of UTC. Returns the UTC time, whether a zone was written, and the
    /// index after the last byte read.
    static func iso8601(
        _ p: UnsafeRawBufferPointer, _ i: Int, end: Int, defaultOffset: Int64, allowSpace: Bool = true
    ) -> (time: Timestamp, zoned: Bool, end: Int)? {
        guard i + 19 <= end, let y = digits(p, i, 4), p[i + 4] == UInt8(ascii: "-"), let mo = digits(p, i + 5, 2),
            p[i + 7] == UInt8(ascii: "-"), let d = digits(p, i + 8, 2)
        else { return nil }
        let sep = p[i + 10]
        guard sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") || (allowSpace && sep == UInt8(ascii: " ")),
            let h = digits(p, i + 11, 2), p[i + 13] == UInt8(ascii: ":"), let mi = digits(p, i + 14, 2),
            p[i + 16] == UInt8(ascii: ":"), let s = digits(p, i + 17, 2)
        else { return nil }
        var k = i + 19
        var micros: Int64 = 0
        if k < end, p[k] == UInt8(ascii: ".") || p[k] == UInt8(ascii: ",") {
            (micros, k) = fraction(p, k + 1, end: end)
        }
        var offset = defaultOffset
        var zoned = false
        if let z = numericZone(p, k, end: end) {
            offset = z.offset
            zoned = true
            k = z.end
        }
        guard
            let t = timestamp(
                year: y, month: mo, day: d, hour: h, minute: mi, second: s, microsecond: micros,
                utcOffsetSeconds: offset)
        else { return nil }
        return (t, zoned, k)
    }

    /// nginx/Apache `$time_local` at `i`: `10/Oct/2000:13:55:36 -0700` (26 bytes).
    static func commonLog(_ p: UnsafeRawBufferPointer, _ i: Int, end: Int) -> Timestamp? {
        guard end - i >= 26, let d = digits(p, i, 2), p[i + 2] == UInt8(ascii: "/"), let mo = month(p, at: i + 3),
            p[i + 6] == UInt8(ascii: "/"), let y = digits(p, i + 7, 4), p[i + 11] == UInt8(ascii: ":"),
            let h = digits(p, i + 12, 2), p[i + 14] == UInt8(ascii: ":"), let mi = digits(p, i + 15, 2),
            p[i + 17] == UInt8(ascii: ":"), let s = digits(p, i + 18, 2), p[i + 20] == UInt8(ascii: " "),
            let z = numericZone(p, i + 21, end: end)
        else { return nil }
        return timestamp(year: y, month: mo, day: d, hour: h, minute: mi, second: s, utcOffsetSeconds: z.offset)
    }
}

import VigilCore

/// Proleptic Gregorian day arithmetic in integers (Howard Hinnant's algorithms): `enrich` runs on
/// every event, so it stays away from Foundation's Calendar and DateFormatter.
extension DeploymentCalendar {
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b < 0) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r < 0 ? r + b : r
    }

    /// Days since 1970-01-01 of a date (month 1…12, day 1…31; not validated here).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number: the inverse of `days(year:month:day:)`.
    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension DeploymentCalendar.Local {
    /// RFC 3339 local time with its UTC offset, to the second: `2026-12-04T09:15:00+08:00`.
    var rfc3339: String {
        let (year, month, dayOfMonth) = DeploymentCalendar.civil(fromDays: day)
        guard (0...9999).contains(year) else {
            // Only a corrupt timestamp gets here; keep it readable rather than fast.
            return "\(year)-\(month)-\(dayOfMonth)T\(second / 3600):\(second / 60 % 60):\(second % 60) \(offset)s"
        }
        let offsetMinutes = Int(abs(offset) / 60)
        let second = Int(second)
        return String(unsafeUninitializedCapacity: 25) { out in
            func two(_ value: Int, at position: Int) {
                out[position] = UInt8(truncatingIfNeeded: value / 10) &+ 0x30
                out[position + 1] = UInt8(truncatingIfNeeded: value % 10) &+ 0x30
            }
            Timestamp.writeDateTime(
                year: year, month: month, day: dayOfMonth, secondOfDay: Int64(second), to: out.baseAddress!)
            out[19] = offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            two(offsetMinutes / 60, at: 20)
            out[22] = UInt8(ascii: ":")
            two(offsetMinutes % 60, at: 23)
            return 25
        }
    }
}

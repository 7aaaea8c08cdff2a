import VigilCore

/// A deployment's working calendar (`rules/calendar.yaml`): its time zone, business hours, public
/// holidays and make-up working days (调休), and change windows. Sigma rules have no variables, so
/// `enrich` turns the calendar into event fields a plain Sigma rule can test
/// (`vigil.time.business_hours: false`), and the same rule pack serves every deployment (DESIGN §5).
///
/// Invariants: every time range is half-open and minute-aligned — `08:30-18:00` holds from 08:30:00
/// up to, not including, 18:00:00 — and lies within one local day; an overnight window is written
/// as two ranges. Holidays and make-up working days are sorted local day numbers; dated change
/// windows are sorted, disjoint UTC intervals. Nothing here reads files or the clock: `parse` takes
/// the file's text and every query takes the event's time.
public struct DeploymentCalendar: Sendable, Equatable {
    var zone: Zone
    var businessDays: Weekdays
    var businessHours: [MinuteRange]
    /// Local day numbers (days since 1970-01-01) with no business hours, sorted.
    var holidays: [Int64]
    /// Local day numbers of non-business weekdays worked in exchange for a holiday, sorted.
    var workdays: [Int64]
    var weeklyChangeWindows: [WeeklyWindow]
    /// Microseconds since the epoch, UTC; sorted and disjoint (overlapping windows are merged).
    var datedChangeWindows: [Range<Int64>]

    /// Whether `t` falls in business hours: a business day (a listed weekday that is not a holiday,
    /// or a make-up working day) at a listed hour.
    public func isBusinessHours(_ t: Timestamp) -> Bool { isBusinessHours(local(t)) }

    /// Whether `t` falls in a weekly or a dated change window. Holidays do not affect change windows.
    public func isChangeWindow(_ t: Timestamp) -> Bool { isChangeWindow(t, local(t)) }

    /// Adds `vigil.time.business_hours` (bool), `vigil.time.change_window` (bool), `vigil.time.local`
    /// (the event's local time, `2026-12-04T09:15:00+08:00`) and `vigil.time.weekday` (`mon`…`sun`)
    /// from `event.timestamp`, replacing values an earlier run set.
    public func enrich(_ event: inout Event) {
        let t = event.timestamp
        let local = local(t)
        let ids = (Fields.timeBusinessHours, Fields.timeChangeWindow, Fields.timeLocal, Fields.timeWeekday)
        // One scan decides between appending (the usual case) and replacing, not a search per field.
        let enriched = event.fields.contains { $0.id == ids.0 || $0.id == ids.1 || $0.id == ids.2 || $0.id == ids.3 }
        func put(_ id: FieldID, _ value: FieldValue) {
            if enriched { event[id] = value } else { event.set(id, value) }
        }
        put(ids.0, .bool(isBusinessHours(local)))
        put(ids.1, .bool(isChangeWindow(t, local)))
        put(ids.2, .string(local.rfc3339))
        put(ids.3, .string(Self.weekdayNames[local.weekday]))
    }

    func local(_ t: Timestamp) -> Local {
        let seconds = Self.floorDiv(t.microseconds, 1_000_000)
        let offset = zone.offset(atUTC: seconds)
        let localSeconds = seconds + Int64(offset)
        let day = Self.floorDiv(localSeconds, 86_400)
        return Local(day: day, second: Int32(localSeconds - day * 86_400), offset: offset)
    }

    func isBusinessHours(_ local: Local) -> Bool {
        let minute = local.minute
        guard businessHours.contains(where: { $0.contains(minute) }) else { return false }
        if Self.sortedContains(holidays, local.day) { return false }
        return businessDays.contains(weekday: local.weekday) || Self.sortedContains(workdays, local.day)
    }

    func isChangeWindow(_ t: Timestamp, _ local: Local) -> Bool {
        let minute = local.minute
        let weekday = local.weekday
        for window in weeklyChangeWindows where window.days.contains(weekday: weekday) {
            if window.hours.contains(where: { $0.contains(minute) }) { return true }
        }
        // The last window starting at or before t is the only one that can hold it (they are disjoint).
        var low = 0
        var high = datedChangeWindows.count
        while low < high {
            let mid = (low + high) / 2
            if datedChangeWindows[mid].lowerBound <= t.microseconds { low = mid + 1 } else { high = mid }
        }
        return low > 0 && t.microseconds < datedChangeWindows[low - 1].upperBound
    }

    static func sortedContains(_ days: [Int64], _ day: Int64) -> Bool {
        var low = 0
        var high = days.count
        while low < high {
            let mid = (low + high) / 2
            if days[mid] < day { low = mid + 1 } else { high = mid }
        }
        return low < days.count && days[low] == day
    }
}

extension DeploymentCalendar {
    /// Three-letter weekday names, Monday first: the values of `vigil.time.weekday` and of `days:`.
    static let weekdayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// A set of weekdays, bit 0 = Monday.
    struct Weekdays: OptionSet, Sendable, Equatable {
        var rawValue: UInt8

        init(rawValue: UInt8) { self.rawValue = rawValue }
        init(weekday: Int) { rawValue = 1 << UInt8(weekday) }

        func contains(weekday: Int) -> Bool { rawValue & (1 << UInt8(weekday)) != 0 }
    }

    /// Minutes of a local day, half-open: `start..<end`, with `end` at most 1440 (24:00).
    struct MinuteRange: Sendable, Equatable {
        var start: Int32
        var end: Int32

        func contains(_ minute: Int32) -> Bool { start <= minute && minute < end }
    }

    struct WeeklyWindow: Sendable, Equatable {
        var days: Weekdays
        var hours: [MinuteRange]
    }

    /// An instant as the calendar's wall clock shows it.
    struct Local {
        /// Days since 1970-01-01 in the calendar's time zone.
        var day: Int64
        var second: Int32
        /// Seconds east of UTC in force at that instant.
        var offset: Int32

        var minute: Int32 { second / 60 }
        /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
        var weekday: Int { Int(DeploymentCalendar.floorMod(day + 3, 7)) }
    }
}

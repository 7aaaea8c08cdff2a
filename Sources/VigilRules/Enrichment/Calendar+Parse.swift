import Foundation
import VigilConfig

/// Reading `calendar.yaml` (format in `rules/calendar.yaml`): every problem becomes a located
/// `ConfigDiagnostic`, and a calendar with an error is not built.
extension DeploymentCalendar {
    static let keys = ["time_zone", "business_hours", "holidays", "workdays", "change_windows"]
    static let weekdayFullNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    static let rangeHint = "write \"HH:MM-HH:MM\", e.g. \"08:30-18:00\""
    static let overnightHint =
        "a range lies within one day: write an overnight range as two, \"22:00-24:00\" on the first day "
        + "and \"00:00-02:00\" on the next"

    /// Parses a calendar file's text; problems are reported through the ConfigReader (file, line,
    /// key, problem, hint) and a calendar with errors returns nil. Warnings leave it usable.
    public static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic])
        -> DeploymentCalendar?
    {
        let reader = ConfigReader(file: file)
        defer { diagnostics += reader.diagnostics }
        guard let root = reader.root(text) else { return nil }
        guard root.isMapping else {
            root.error("expected a mapping with the keys \(keys.joined(separator: ", "))")
            return nil
        }
        root.allowOnly(keys)

        let zone = required(root, "time_zone", hint: "e.g. time_zone: Asia/Shanghai").flatMap(parseZone)
        var businessDays = Weekdays()
        var businessHours: [MinuteRange] = []
        if let node = required(root, "business_hours", hint: "e.g. business_hours: {days: [mon, tue], hours: …}") {
            node.allowOnly(["days", "hours"])
            businessDays = required(node, "days", hint: "e.g. days: [mon, tue, wed, thu, fri]").map(parseDays) ?? []
            businessHours = required(node, "hours", hint: "e.g. hours: [\"08:30-18:00\"]").map(parseHours) ?? []
        }
        let holidays = root.child("holidays").map(parseDates) ?? []
        let holidaySet = Set(holidays.map(\.day))
        let workdays = root.child("workdays").map(parseDates) ?? []
        for (day, node) in workdays {
            if holidaySet.contains(day) {
                node.error("\(dateText(day)) is listed both as a holiday and as a working day")
            } else if case let weekday = Local(day: day, second: 0, offset: 0).weekday,
                businessDays.contains(weekday: weekday)
            {
                node.warning(
                    "\(dateText(day)) is a \(weekdayFullNames[weekday].capitalized), already a business day",
                    hint: "workdays lists weekend days worked in exchange for a holiday, 调休")
            }
        }
        var weekly: [WeeklyWindow] = []
        var dated: [Range<Int64>] = []
        for item in root.child("change_windows")?.sequence() ?? [] {
            switch parseChangeWindow(item, zone: zone) {
            case .weekly(let window): weekly.append(window)
            case .dated(let window): dated.append(window)
            case nil: break
            }
        }

        guard let zone, reader.errors.isEmpty else { return nil }
        return DeploymentCalendar(
            zone: zone, businessDays: businessDays, businessHours: businessHours,
            holidays: Set(holidays.map(\.day)).sorted(), workdays: Set(workdays.map(\.day)).sorted(),
            weeklyChangeWindows: weekly, datedChangeWindows: merged(dated))
    }

    static func required(_ node: ConfigNode, _ key: String, hint: String) -> ConfigNode? {
        guard let child = node.child(key) else {
            node.error("missing key '\(key)'", hint: hint)
            return nil
        }
        return child
    }

    /// `UTC`, a fixed offset `±HH:MM`, or an IANA name Foundation knows (`Asia/Shanghai`).
    static func parseZone(_ node: ConfigNode) -> Zone? {
        guard let text = node.string()?.trimmingCharacters(in: .whitespaces) else { return nil }
        if text == "UTC" || text == "Z" { return .fixed(text, offset: 0) }
        if let sign = text.first, sign == "+" || sign == "-" {
            let parts = text.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && isDigits($0) }),
                let hours = Int32(parts[0]), let minutes = Int32(parts[1]), hours <= 14, minutes < 60
            else {
                node.error("'\(text)' is not a UTC offset", hint: "write ±HH:MM, e.g. \"+08:00\"")
                return nil
            }
            return .fixed(text, offset: (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60))
        }
        guard let timeZone = TimeZone(identifier: text) else {
            node.error(
                "unknown time zone '\(text)'",
                hint: closest(to: text, in: TimeZone.knownTimeZoneIdentifiers).map { "did you mean '\($0)'?" }
                    ?? "an IANA name such as Asia/Shanghai, or a fixed offset such as \"+08:00\"")
            return nil
        }
        return .named(text, timeZone)
    }

    static func parseDays(_ node: ConfigNode) -> Weekdays {
        var days = Weekdays()
        let items = node.sequence()
        for item in items {
            guard let name = item.string()?.lowercased() else { continue }
            if let index = weekdayNames.firstIndex(of: name) ?? weekdayFullNames.firstIndex(of: name) {
                days.insert(Weekdays(weekday: index))
            } else {
                item.error(
                    "unknown weekday '\(name)'",
                    hint: closest(to: name, in: weekdayNames + weekdayFullNames).map {
                        "did you mean '\($0.prefix(3))'?"
                    }
                        ?? "write mon, tue, wed, thu, fri, sat or sun")
            }
        }
        if items.isEmpty, case .sequence = node.node { node.error("no days listed") }
        return days
    }

    /// One range (`"00:00-06:00"`) or a list of them.
    static func parseHours(_ node: ConfigNode) -> [MinuteRange] {
        if case .scalar = node.node { return parseRange(node).map { [$0] } ?? [] }
        let items = node.sequence()
        if items.isEmpty, case .sequence = node.node { node.error("no hours listed", hint: rangeHint) }
        return items.compactMap(parseRange)
    }

    static func parseRange(_ node: ConfigNode) -> MinuteRange? {
        guard let text = node.string() else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]) else {
            node.error("'\(text)' is not a time range", hint: rangeHint)
            return nil
        }
        guard start < 1440 else {
            node.error("'\(text)' starts at 24:00", hint: "24:00 can only end a range")
            return nil
        }
        guard start < end else {
            node.error(start == end ? "'\(text)' is empty" : "'\(text)' ends before it starts", hint: overnightHint)
            return nil
        }
        return MinuteRange(start: start, end: end)
    }

    /// `H:MM` or `HH:MM` from 00:00 to 24:00, as minutes of the day.
    static func minutes(_ text: Substring) -> Int32? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ isDigits($0) }),
            let hours = Int32(parts[0]), let minutes = Int32(parts[1]), minutes < 60,
            hours < 24 || (hours == 24 && minutes == 0)
        else { return nil }
        return hours * 60 + minutes
    }

    /// A list of `YYYY-MM-DD` dates as day numbers, with the node of each for later diagnostics.
    static func parseDates(_ node: ConfigNode) -> [(day: Int64, node: ConfigNode)] {
        var out: [(day: Int64, node: ConfigNode)] = []
        var seen: Set<Int64> = []
        for item in node.sequence() {
            guard let text = item.string() else { continue }
            guard let day = date(text) else {
                item.error("'\(text)' is not a date", hint: "write YYYY-MM-DD, e.g. 2026-10-01")
                continue
            }
            if !seen.insert(day).inserted { item.warning("\(text) is listed twice") }
            out.append((day, item))
        }
        return out
    }

    /// Days since 1970-01-01 of a valid `YYYY-MM-DD` date.
    static func date(_ text: some StringProtocol) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ isDigits($0) }),
            let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        return days(year: year, month: month, day: day)
    }

    static func isDigits(_ text: some StringProtocol) -> Bool { text.utf8.allSatisfy { (0x30...0x39).contains($0) } }

    static func dateText(_ day: Int64) -> String {
        let (y, m, d) = civil(fromDays: day)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))"
    }

    /// Local seconds since the epoch of `YYYY-MM-DDTHH:MM` (or with a space for the `T`).
    static func localDateTime(_ text: String) -> Int64? {
        let chars = Array(text.trimmingCharacters(in: .whitespaces))
        guard chars.count == 16, chars[10] == "T" || chars[10] == " ",
            let day = date(String(chars[0..<10])), let minute = minutes(Substring(String(chars[11...]))),
            minute < 1440
        else { return nil }
        return day * 86_400 + Int64(minute) * 60
    }

    enum ChangeWindow {
        case weekly(WeeklyWindow)
        case dated(Range<Int64>)
    }

    static func parseChangeWindow(_ node: ConfigNode, zone: Zone?) -> ChangeWindow? {
        let hint = "write 'weekly: {days: [sat], hours: \"00:00-06:00\"}', or 'from:' and 'to:' local times"
        guard node.isMapping else {
            node.error("expected a change window", hint: hint)
            return nil
        }
        node.allowOnly(["weekly", "from", "to"])
        if let weekly = node.child("weekly") {
            if node.child("from") != nil || node.child("to") != nil {
                node.error("a change window is either weekly or from/to, not both")
                return nil
            }
            guard weekly.isMapping else {
                weekly.error("expected days and hours", hint: hint)
                return nil
            }
            weekly.allowOnly(["days", "hours"])
            let days = required(weekly, "days", hint: "e.g. days: [sat]").map(parseDays)
            let hours = required(weekly, "hours", hint: "e.g. hours: \"00:00-06:00\"").map(parseHours)
            guard let days, let hours, !days.isEmpty, !hours.isEmpty else { return nil }
            return .weekly(WeeklyWindow(days: days, hours: hours))
        }
        guard node.child("from") != nil || node.child("to") != nil else {
            node.error("expected 'weekly', or 'from' and 'to'", hint: hint)
            return nil
        }
        func instant(_ key: String) -> (local: Int64, node: ConfigNode)? {
            guard let child = required(node, key, hint: "e.g. \(key): 2026-12-05T22:00"), let text = child.string()
            else { return nil }
            guard let local = localDateTime(text) else {
                child.error(
                    "'\(text)' is not a local date and time",
                    hint: "write YYYY-MM-DDTHH:MM in the calendar's time zone, e.g. 2026-12-05T22:00")
                return nil
            }
            return (local, child)
        }
        let from = instant("from")
        let to = instant("to")
        guard let from, let to else { return nil }
        guard from.local < to.local else {
            to.node.error("the window ends before it starts", hint: "'to' must be later than 'from'")
            return nil
        }
        guard let zone else { return nil }
        return .dated(zone.utc(fromLocal: from.local) * 1_000_000..<zone.utc(fromLocal: to.local) * 1_000_000)
    }

    /// Sorted, disjoint intervals covering the same instants, so one binary search finds the window.
    static func merged(_ windows: [Range<Int64>]) -> [Range<Int64>] {
        var out: [Range<Int64>] = []
        for window in windows.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, window.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, window.upperBound)
            } else {
                out.append(window)
            }
        }
        return out
    }
}

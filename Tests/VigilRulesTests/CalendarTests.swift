import Foundation
import Testing
import VigilConfig
import VigilCore

@testable import VigilRules

/// A Beijing-time calendar with the lunch break split out, a weekly and a dated change window.
private let beijingCalendar = """
    time_zone: Asia/Shanghai
    business_hours:
      days: [mon, tue, wed, thu, fri]
      hours: ["08:30-12:00", "13:30-18:00"]
    holidays: [2026-10-01, 2026-10-02]
    workdays: [2026-02-14]
    change_windows:
      - weekly: {days: [sat], hours: "00:00-06:00"}
      - from: 2026-12-05T22:00
        to: 2026-12-06T02:00
    """

/// The instant an RFC 3339 time with an offset names (`2026-12-01T10:00:00+08:00`).
private func at(_ text: String) -> Timestamp {
    let formatter = ISO8601DateFormatter()
    let date = formatter.date(from: text)!
    return Timestamp(microseconds: Int64(date.timeIntervalSince1970) * 1_000_000)
}

private func calendar(_ text: String = beijingCalendar) throws -> DeploymentCalendar {
    var diagnostics: [ConfigDiagnostic] = []
    let parsed = DeploymentCalendar.parse(text, file: "calendar.yaml", diagnostics: &diagnostics)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    return try #require(parsed)
}

private func problems(_ text: String) -> (calendar: DeploymentCalendar?, diagnostics: [ConfigDiagnostic]) {
    var diagnostics: [ConfigDiagnostic] = []
    let parsed = DeploymentCalendar.parse(text, file: "calendar.yaml", diagnostics: &diagnostics)
    return (parsed, diagnostics)
}

@Suite("Deployment calendar")
struct CalendarTests {
    @Test("a Tuesday at 10:00 Beijing time is business hours; the lunch break, evening and Saturday are not")
    func businessHours() throws {
        let c = try calendar()
        #expect(c.isBusinessHours(at("2026-12-01T10:00:00+08:00")))
        #expect(!c.isBusinessHours(at("2026-12-01T12:30:00+08:00")), "lunch")
        #expect(!c.isBusinessHours(at("2026-12-01T21:00:00+08:00")))
        #expect(!c.isBusinessHours(at("2026-12-05T10:00:00+08:00")), "Saturday")
        #expect(!c.isBusinessHours(at("2026-12-06T10:00:00+08:00")), "Sunday")
    }

    @Test("ranges are half-open: 08:30 and 13:30 are in, 12:00 and 18:00 are out")
    func boundaries() throws {
        let c = try calendar()
        #expect(!c.isBusinessHours(at("2026-12-01T08:29:59+08:00")))
        #expect(c.isBusinessHours(at("2026-12-01T08:30:00+08:00")))
        #expect(c.isBusinessHours(at("2026-12-01T11:59:59+08:00")))
        #expect(!c.isBusinessHours(at("2026-12-01T12:00:00+08:00")))
        #expect(!c.isBusinessHours(at("2026-12-01T13:29:59+08:00")))
        #expect(c.isBusinessHours(at("2026-12-01T13:30:00+08:00")))
        #expect(c.isBusinessHours(at("2026-12-01T17:59:59+08:00")))
        #expect(!c.isBusinessHours(at("2026-12-01T18:00:00+08:00")))
    }

    @Test("a public holiday on a weekday has no business hours; a make-up working Saturday (调休) has")
    func holidaysAndWorkdays() throws {
        let c = try calendar()
        #expect(!c.isBusinessHours(at("2026-10-01T10:00:00+08:00")), "National Day, a Thursday")
        #expect(c.isBusinessHours(at("2026-10-08T10:00:00+08:00")), "the Thursday after")
        #expect(c.isBusinessHours(at("2026-02-14T10:00:00+08:00")), "Saturday worked for the Spring Festival")
        #expect(!c.isBusinessHours(at("2026-02-14T12:30:00+08:00")), "with the usual lunch break")
        #expect(!c.isBusinessHours(at("2026-02-21T10:00:00+08:00")), "an ordinary Saturday")
    }

    @Test("UTC timestamps are read on the +08:00 clock, including across local midnight")
    func utcConversion() throws {
        let c = try calendar()
        // Thursday 23:00 UTC is Friday 07:00 in Beijing: before hours, but already Friday.
        let friEarly = at("2026-12-03T23:00:00Z")
        #expect(!c.isBusinessHours(friEarly))
        #expect(c.local(friEarly).rfc3339 == "2026-12-04T07:00:00+08:00")
        #expect(DeploymentCalendar.weekdayNames[c.local(friEarly).weekday] == "fri")
        // Friday 01:15 UTC is Friday 09:15 in Beijing.
        #expect(c.isBusinessHours(at("2026-12-04T01:15:00Z")))
        // Friday 16:00 UTC is Saturday midnight in Beijing: in the weekly change window.
        let satMidnight = at("2026-12-04T16:00:00Z")
        #expect(c.local(satMidnight).rfc3339 == "2026-12-05T00:00:00+08:00")
        #expect(c.isChangeWindow(satMidnight))
        #expect(!c.isChangeWindow(at("2026-12-04T15:59:59Z")))
        // Monday 01:29:59 UTC is 09:29:59 local, but 00:29:59 UTC is still 08:29:59.
        #expect(c.isBusinessHours(at("2026-12-07T01:29:59Z")))
        #expect(!c.isBusinessHours(at("2026-12-07T00:29:59Z")))
    }

    @Test("the weekly change window holds Saturday 00:00 up to 06:00")
    func weeklyChangeWindow() throws {
        let c = try calendar()
        #expect(c.isChangeWindow(at("2026-12-12T00:00:00+08:00")))
        #expect(c.isChangeWindow(at("2026-12-12T05:59:59+08:00")))
        #expect(!c.isChangeWindow(at("2026-12-12T06:00:00+08:00")))
        #expect(!c.isChangeWindow(at("2026-12-11T23:59:59+08:00")), "Friday night")
        #expect(!c.isChangeWindow(at("2026-12-13T03:00:00+08:00")), "Sunday")
    }

    @Test("a dated change window spans midnight from its start up to its end")
    func datedChangeWindow() throws {
        let c = try calendar()
        #expect(!c.isChangeWindow(at("2026-12-05T21:59:59+08:00")))
        #expect(c.isChangeWindow(at("2026-12-05T22:00:00+08:00")))
        #expect(c.isChangeWindow(at("2026-12-06T01:59:59+08:00")), "Sunday, after midnight")
        #expect(!c.isChangeWindow(at("2026-12-06T02:00:00+08:00")))
        #expect(!c.isChangeWindow(at("2027-12-05T23:00:00+08:00")), "the same night a year later")
    }

    @Test("overlapping dated windows merge and each instant is still found")
    func mergedWindows() throws {
        let c = try calendar(
            """
            time_zone: "+08:00"
            business_hours: {days: [mon], hours: "09:00-17:00"}
            change_windows:
              - {from: "2026-03-01T10:00", to: "2026-03-01T12:00"}
              - {from: "2026-01-01T00:00", to: "2026-01-02T00:00"}
              - {from: "2026-03-01T11:00", to: "2026-03-01T14:00"}
            """)
        #expect(c.datedChangeWindows.count == 2)
        #expect(c.isChangeWindow(at("2026-01-01T12:00:00+08:00")))
        #expect(c.isChangeWindow(at("2026-03-01T10:00:00+08:00")))
        #expect(c.isChangeWindow(at("2026-03-01T13:59:59+08:00")))
        #expect(!c.isChangeWindow(at("2026-03-01T14:00:00+08:00")))
        #expect(!c.isChangeWindow(at("2025-12-31T23:59:59+08:00")))
    }

    @Test("enrich adds business hours, change window, local time and weekday to the event, once")
    func enrich() throws {
        let c = try calendar()
        var event = Event(timestamp: at("2026-12-05T14:15:00Z"), id: "e1", dataset: .webAccess)
        event.set(Fields.urlQuery, "id=1")
        c.enrich(&event)
        #expect(event[Fields.timeBusinessHours] == .bool(false))
        #expect(event[Fields.timeChangeWindow] == .bool(true))
        #expect(event[Fields.timeLocal] == .string("2026-12-05T22:15:00+08:00"))
        #expect(event[Fields.timeWeekday] == .string("sat"))
        #expect(event[Fields.urlQuery] == .string("id=1"))

        event.timestamp = at("2026-12-04T09:15:00+08:00")
        c.enrich(&event)
        #expect(event.fields.count == 5, "a second run replaces the fields")
        #expect(event[Fields.timeBusinessHours] == .bool(true))
        #expect(event[Fields.timeChangeWindow] == .bool(false))
        #expect(event[Fields.timeLocal] == .string("2026-12-04T09:15:00+08:00"))
        #expect(event[Fields.timeWeekday] == .string("fri"))
    }

    @Test("a rule can test vigil.time.business_hours after enrichment")
    func ruleSeesField() throws {
        let c = try calendar()
        var event = Event(timestamp: at("2026-12-06T03:00:00+08:00"), id: "e1", dataset: .dbStatement)
        c.enrich(&event)
        #expect(event.ruleValue(FieldID("vigil.time.business_hours")) == .bool(false))
    }

    @Test("a fixed +08:00 offset and Asia/Shanghai give the same answers")
    func fixedOffset() throws {
        let named = try calendar()
        let fixed = try calendar(beijingCalendar.replacingOccurrences(of: "Asia/Shanghai", with: "\"+08:00\""))
        var t = at("2026-01-01T00:00:00Z").microseconds
        while t < at("2027-01-01T00:00:00Z").microseconds {
            let ts = Timestamp(microseconds: t)
            #expect(named.isBusinessHours(ts) == fixed.isBusinessHours(ts))
            #expect(named.isChangeWindow(ts) == fixed.isChangeWindow(ts))
            #expect(named.local(ts).rfc3339 == fixed.local(ts).rfc3339)
            t += 3_599_000_000  // just under an hour, so minutes drift across the day
        }
    }

    @Test("local time and weekday agree with Foundation's calendar, across daylight saving time")
    func agreesWithFoundation() throws {
        for zone in ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Europe/Moscow"] {
            let c = try calendar(beijingCalendar.replacingOccurrences(of: "Asia/Shanghai", with: zone))
            let timeZone = try #require(TimeZone(identifier: zone))
            var gregorian = Calendar(identifier: .gregorian)
            gregorian.timeZone = timeZone
            // Every offset change ±1 s, and a spread of instants 1985…2040 (some moved before 1970 and
            // after 2100, outside the precomputed table).
            let transitions = c.zone.starts.dropFirst().flatMap { [$0 - 1, $0, $0 + 1] }
            let spread = stride(from: Int64(473_385_600), to: 2_208_988_800, by: 867_653).map { $0 }
            for seconds in transitions + spread {
                for s in [seconds, seconds - 1_000_000_000, seconds + 2_000_000_000] {
                    let local = c.local(Timestamp(microseconds: s * 1_000_000))
                    let date = Date(timeIntervalSince1970: Double(s))
                    let parts = gregorian.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
                    #expect(Int(local.offset) == timeZone.secondsFromGMT(for: date), "\(zone) \(s)")
                    let (y, m, d) = DeploymentCalendar.civil(fromDays: local.day)
                    #expect(
                        [y, m, d, Int64(local.second / 3600), Int64(local.minute % 60)]
                            == [parts.year, parts.month, parts.day, parts.hour, parts.minute].map { Int64($0!) },
                        "\(zone) \(s)")
                    #expect((local.weekday + 1) % 7 + 1 == parts.weekday!, "\(zone) \(s)")  // Foundation: 1 = Sunday
                }
            }
        }
    }

    @Test("in a zone with daylight saving time, 09:00 local is business hours in summer and in winter")
    func daylightSaving() throws {
        let c = try calendar(
            """
            time_zone: Europe/Berlin
            business_hours: {days: [mon, tue, wed, thu, fri], hours: "09:00-17:00"}
            change_windows:
              - {from: "2026-03-29T01:00", to: "2026-03-29T04:00"}
            """)
        #expect(c.isBusinessHours(at("2026-07-01T07:00:00Z")))
        #expect(c.local(at("2026-07-01T07:00:00Z")).rfc3339 == "2026-07-01T09:00:00+02:00")
        #expect(c.isBusinessHours(at("2026-12-01T08:00:00Z")))
        #expect(c.local(at("2026-12-01T08:00:00Z")).rfc3339 == "2026-12-01T09:00:00+01:00")
        #expect(!c.isBusinessHours(at("2026-12-01T07:59:59Z")))
        // The night clocks go forward: 01:00 CET is 00:00Z, 04:00 CEST is 02:00Z.
        #expect(!c.isChangeWindow(at("2026-03-28T23:59:59Z")))
        #expect(c.isChangeWindow(at("2026-03-29T00:00:00Z")))
        #expect(c.isChangeWindow(at("2026-03-29T01:59:59Z")))
        #expect(!c.isChangeWindow(at("2026-03-29T02:00:00Z")))
    }

    @Test("the shipped rules/calendar.yaml parses without diagnostics and knows the 2026 Spring Festival")
    func shippedCalendar() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("rules/calendar.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let c = try calendar(text)
        #expect(c.zone.name == "Asia/Shanghai")
        #expect(c.isBusinessHours(at("2026-02-13T10:00:00+08:00")), "the Friday before")
        #expect(c.isBusinessHours(at("2026-02-14T10:00:00+08:00")), "make-up Saturday")
        #expect(!c.isBusinessHours(at("2026-02-16T10:00:00+08:00")), "New Year's Eve, a Monday")
        #expect(!c.isBusinessHours(at("2026-02-23T10:00:00+08:00")), "the last day of the break, a Monday")
        #expect(c.isBusinessHours(at("2026-02-24T10:00:00+08:00")))
        #expect(c.isBusinessHours(at("2026-02-24T12:30:00+08:00")), "one span, lunch included")
        #expect(!c.isBusinessHours(at("2026-02-24T18:00:00+08:00")))
        #expect(c.isChangeWindow(at("2026-02-28T03:00:00+08:00")), "Saturday night, even on a working Saturday")
        #expect(c.isChangeWindow(at("2026-12-05T23:00:00+08:00")))
    }

    @Test("an unknown key is reported with its line and a suggestion")
    func unknownKey() {
        let result = problems(
            """
            time_zone: Asia/Shanghai
            business_hours:
              days: [mon]
              hour: ["08:30-18:00"]
            holiday: [2026-10-01]
            """)
        #expect(result.calendar == nil)
        let hour = result.diagnostics.first { $0.key == "business_hours.hour" }
        #expect(hour?.problem == "unknown key")
        #expect(hour?.hint == "did you mean 'hours'?")
        #expect(hour?.line == 4)
        let holiday = result.diagnostics.first { $0.key == "holiday" }
        #expect(holiday?.hint == "did you mean 'holidays'?")
        #expect(holiday?.line == 5)
        #expect(result.diagnostics.contains { $0.problem == "missing key 'hours'" })
    }

    @Test("a range that ends before it starts is an error that explains overnight ranges")
    func backwardsRange() {
        let result = problems(
            """
            time_zone: "+08:00"
            business_hours:
              days: [mon]
              hours:
                - "08:30-12:00"
                - "18:00-08:30"
                - "8-17"
            """)
        #expect(result.calendar == nil)
        let backwards = result.diagnostics.first { $0.key == "business_hours.hours[1]" }
        #expect(backwards?.problem == "'18:00-08:30' ends before it starts")
        #expect(backwards?.hint?.contains("\"22:00-24:00\"") == true)
        #expect(backwards?.line == 6)
        let malformed = result.diagnostics.first { $0.key == "business_hours.hours[2]" }
        #expect(malformed?.problem == "'8-17' is not a time range")
        #expect(malformed?.line == 7)
        #expect(result.diagnostics.count == 2)
    }

    @Test("bad dates, weekdays and date-times are named with their line")
    func badValues() {
        let result = problems(
            """
            time_zone: UTC
            business_hours: {days: [mon, tuesday, thurs, fro], hours: "09:00-17:00"}
            holidays:
              - 2026-02-30
              - 2026-10-01
            workdays: [2026-10-01, 2026-02-16]
            change_windows:
              - {from: "2026-12-05 22:00", to: "2026-12-05T21:00"}
              - {from: "2026-12-05T25:00", to: "2026-12-06T02:00"}
              - weekly: {days: [sat], hours: "00:00-06:00"}
                to: "2026-12-06T02:00"
              - {}
            """)
        #expect(result.calendar == nil)
        let by = { (key: String) in result.diagnostics.first { $0.key == key } }
        #expect(by("business_hours.days[2]")?.problem == "unknown weekday 'thurs'")
        #expect(by("business_hours.days[2]")?.hint == "did you mean 'thu'?")
        #expect(by("business_hours.days[3]")?.problem == "unknown weekday 'fro'")
        #expect(by("business_hours.days[3]")?.hint == "did you mean 'fri'?")
        #expect(by("business_hours.days[3]")?.line == 2)
        #expect(by("holidays[0]")?.problem == "'2026-02-30' is not a date")
        #expect(by("holidays[0]")?.line == 4)
        #expect(by("workdays[0]")?.problem == "2026-10-01 is listed both as a holiday and as a working day")
        #expect(by("workdays[1]")?.isWarning == true, "a Monday is already a business day")
        #expect(by("change_windows[0].to")?.problem == "the window ends before it starts")
        #expect(by("change_windows[0].to")?.line == 8)
        #expect(by("change_windows[1].from")?.problem == "'2026-12-05T25:00' is not a local date and time")
        #expect(by("change_windows[2]")?.problem == "a change window is either weekly or from/to, not both")
        #expect(by("change_windows[3]")?.problem == "expected 'weekly', or 'from' and 'to'")
        #expect(by("change_windows[3]")?.line == 12)
    }

    @Test("an unknown time zone is an error with the closest IANA name; a bad offset too")
    func badTimeZone() {
        let misspelt = problems("time_zone: Asia/Shangai\nbusiness_hours: {days: [mon], hours: \"09:00-17:00\"}")
        #expect(misspelt.calendar == nil)
        #expect(misspelt.diagnostics.first?.problem == "unknown time zone 'Asia/Shangai'")
        #expect(misspelt.diagnostics.first?.hint == "did you mean 'Asia/Shanghai'?")
        #expect(misspelt.diagnostics.first?.line == 1)
        let offset = problems("time_zone: \"+8:00\"\nbusiness_hours: {days: [mon], hours: \"09:00-17:00\"}")
        #expect(offset.diagnostics.map(\.problem) == ["'+8:00' is not a UTC offset"])
        let missing = problems("business_hours: {days: [mon], hours: \"09:00-17:00\"}")
        #expect(missing.diagnostics.map(\.problem) == ["missing key 'time_zone'"])
        let notYAML = problems("time_zone: [")
        #expect(notYAML.calendar == nil && notYAML.diagnostics.count == 1)
    }

    @Test("24:00 ends the day; a warning alone leaves the calendar usable")
    func endOfDayAndWarnings() throws {
        let result = problems(
            """
            time_zone: UTC
            business_hours: {days: [mon], hours: ["22:00-24:00", "00:00-02:00"]}
            holidays: [2026-01-05, 2026-01-05]
            """)
        let c = try #require(result.calendar)
        #expect(result.diagnostics.map(\.problem) == ["2026-01-05 is listed twice"])
        #expect(result.diagnostics.allSatisfy { $0.isWarning })
        #expect(c.isBusinessHours(at("2026-01-12T23:59:59Z")))
        #expect(c.isBusinessHours(at("2026-01-12T00:00:00Z")))
        #expect(!c.isBusinessHours(at("2026-01-13T00:00:00Z")), "Tuesday")
        #expect(!c.isBusinessHours(at("2026-01-05T23:00:00Z")), "holiday")
    }
}

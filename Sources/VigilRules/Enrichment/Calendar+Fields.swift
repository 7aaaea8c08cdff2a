import VigilCore

/// The fields `DeploymentCalendar.enrich` adds to every event from its `@timestamp` and the
/// deployment's calendar (`rules/calendar.yaml`), so plain Sigma rules can test the deployment's
/// working hours: `vigil.time.business_hours: false`.
extension Fields {
    /// true when the event falls in business hours: a business weekday that is not a public holiday,
    /// or a make-up working day (调休), at one of the listed hours.
    public static let timeBusinessHours = FieldID("vigil.time.business_hours")
    /// true when the event falls in a weekly or dated change window (planned maintenance).
    public static let timeChangeWindow = FieldID("vigil.time.change_window")
    /// The event time on the calendar's wall clock with its UTC offset, `2026-12-04T09:15:00+08:00`.
    public static let timeLocal = FieldID("vigil.time.local")
    /// The local weekday: `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    public static let timeWeekday = FieldID("vigil.time.weekday")
}

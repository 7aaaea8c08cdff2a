/// Durations written the way Sigma timespans, configs and query parameters write them: a whole
/// number and a unit, `90s`, `15m`, `2h`, `7d`, `1w`.
public enum DurationText {
    static let units: [(Character, Int64)] = [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]

    /// The duration in seconds, or nil when `text` is not `<n>s|m|h|d|w` with n ≥ 0, or is so long
    /// that it would overflow in microseconds.
    public static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0,
            let size = units.first(where: { $0.0 == unit })?.1, n <= Int64.max / 1_000_000 / size
        else { return nil }
        return n * size
    }

    /// The shortest text for `seconds` in the largest whole unit (`7200` → `2h`).
    public static func text(seconds: Int64) -> String {
        for (unit, size) in units where seconds != 0 && seconds % size == 0 { return "\(seconds / size)\(unit)" }
        return "\(seconds)s"
    }
}

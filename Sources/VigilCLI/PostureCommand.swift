import ArgumentParser
import Foundation

/// `vigil posture`: the security posture on one screen (一屏知全省).
struct PostureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posture",
        abstract: "How are we doing? Incidents, tickets, heat by stage and department, sensors, ingest.",
        discussion: """
            Compares the window (default 24 h) with the one before it. Colours and bars on a \
            terminal; plain text when piped; --json for programs.

            Examples:
              vigil posture
              vigil posture --window 7d
              vigil posture --json | jq .tickets
            """)

    @OptionGroup var api: APIOptions
    @Option(help: "The window: 1h, 24h, 7d ...") var window = "24h"
    @Flag(help: "The server's JSON.") var json = false

    func run() async throws {
        try await APIConnection.run {
            let p = try await api.connection().call("/v1/posture", query: [("window", window)])
            if json { return printJSON(p) }
            print(PostureView(posture: p, colour: isatty(STDOUT_FILENO) == 1).render())
        }
    }
}

/// The dashboard's text.
struct PostureView {
    let posture: [String: Any]
    let colour: Bool

    func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    func section(_ key: String) -> [String: Any] { posture[key] as? [String: Any] ?? [:] }

    static let levelColours = [
        "critical": "1;31", "high": "31", "medium": "33", "low": "36", "informational": "37", "I": "1;31", "II": "31",
        "III": "33", "IV": "34",
    ]

    /// `12 ▲ +5` against the previous window.
    func trend(_ now: Int, _ before: Int) -> String {
        let delta = now - before
        let arrow = delta > 0 ? paint("▲ +\(delta)", "31") : delta < 0 ? paint("▼ \(delta)", "32") : "= 0"
        return "\(now) \(arrow)"
    }

    static func sparkline(_ values: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        guard let top = values.max(), top > 0 else { return String(repeating: "▁", count: values.count) }
        return String(values.map { bars[min(bars.count - 1, $0 * (bars.count - 1) / top)] })
    }

    func bar(_ value: Int, _ top: Int, width: Int = 20) -> String {
        guard top > 0 else { return "" }
        return String(repeating: "█", count: max(value > 0 ? 1 : 0, value * width / top))
    }

    func byLevel(_ counts: [String: Any], _ order: [String]) -> String {
        order.compactMap { level in
            guard let n = counts[level] as? Int, n > 0 else { return nil }
            return paint("\(level) \(n)", Self.levelColours[level] ?? "0")
        }.joined(separator: "  ").ifEmpty("none")
    }

    func render() -> String {
        var out: [String] = []
        let w = section("window")
        out.append(paint("Vigil posture", "1") + "  \(w["from"] as? String ?? "") → \(w["to"] as? String ?? "")")
        let i = section("incidents")
        let t = section("tickets")
        out.append("")
        out.append(
            "incidents  new \(trend(i["new"] as? Int ?? 0, i["new_previous"] as? Int ?? 0))   active "
                + byLevel(
                    i["open_by_level"] as? [String: Any] ?? [:], ["critical", "high", "medium", "low", "informational"])
        )
        let missed = t["deadlines_missed"] as? Int ?? 0
        out.append(
            "tickets    new \(trend(t["new"] as? Int ?? 0, t["new_previous"] as? Int ?? 0))   open "
                + byLevel(t["open_by_level"] as? [String: Any] ?? [:], ["I", "II", "III", "IV"])
                + (missed > 0 ? "   " + paint("\(missed) deadlines missed", "1;31") : "   no deadline missed"))

        let heat = posture["heat"] as? [[String: Any]] ?? []
        if !heat.isEmpty {
            out.append("")
            out.append(paint("heat: lifecycle stage × department", "1"))
            let top = heat.map { $0["incidents"] as? Int ?? 0 }.max() ?? 0
            for cell in heat {
                let n = cell["incidents"] as? Int ?? 0
                let worst = cell["worst"] as? String ?? ""
                let label = "\(cell["stage"] as? String ?? "-") × \(cell["department"] as? String ?? "-")"
                out.append(
                    "  " + label.padding(toLength: 34, withPad: " ", startingAt: 0)
                        + paint(bar(n, top), Self.levelColours[worst] ?? "0") + " \(n) (worst \(worst))")
            }
        }
        for (key, title) in [("top_sources", "top sources"), ("top_targets", "top targets")] {
            let rows = posture[key] as? [[String: Any]] ?? []
            guard !rows.isEmpty else { continue }
            out.append("")
            out.append(paint(title, "1"))
            for r in rows {
                out.append(
                    "  \((r["value"] as? String ?? "").padding(toLength: 40, withPad: " ", startingAt: 0)) \(r["incidents"] as? Int ?? 0)"
                )
            }
        }
        let data = section("data")
        let classes = data["by_classification"] as? [String: Any] ?? [:]
        out.append("")
        out.append(
            "data       "
                + ["core", "important", "general"].map { c in
                    let n = classes[c] as? Int ?? 0
                    return c == "core" && n > 0 ? paint("core \(n)", "1;31") : "\(c) \(n)"
                }.joined(separator: "  ") + "   personal-data values \(data["personal_data_values"] as? Int ?? 0)")
        let s = section("sensors")
        let silent = s["silent"] as? [String] ?? []
        out.append(
            "sensors    reporting \(s["reporting"] as? Int ?? 0)   "
                + (silent.isEmpty
                    ? "none silent" : paint("silent \(silent.count): \(silent.joined(separator: ", "))", "1;31")))
        let g = section("ingest")
        out.append(
            "ingest     events \(trend(g["events"] as? Int ?? 0, g["events_previous"] as? Int ?? 0))   "
                + Self.sparkline(g["slices"] as? [Int] ?? [])
                + "   rejected lines \(g["rejected_lines_since_start"] as? Int ?? 0)")
        return out.joined(separator: "\n")
    }
}

extension String {
    fileprivate func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}

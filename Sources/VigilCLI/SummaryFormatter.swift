import Foundation
import VigilRules
import VigilSensor

/// The human summary `vigil analyze` prints on stderr.
enum SummaryFormatter {
    static func text(_ s: CaptureSummary, source: String) -> String {
        let st = s.stats
        var lines: [String] = []
        lines.append("vigil analyze: \(source) (link type \(s.linkType))")
        lines.append(
            "  packets        \(st.packets) (\(bytes(st.bytes))); \(st.notIP) not IP, \(st.fragments) fragments, "
                + "\(st.truncatedBySnaplen) cut by snaplen")
        lines.append(
            "  flows          \(st.flows) (\(st.flowsTimedOut) timed out, \(st.flowsEvicted) evicted at the limit)")
        let byDataset = st.events.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("  events         \(st.totalEvents)" + (byDataset.isEmpty ? "" : ": \(byDataset)"))
        let issues = st.issues.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("  decode errors  \(st.totalIssues)" + (issues.isEmpty ? "" : ": \(issues)"))
        lines.append(
            "  tcp            \(st.tcpGaps) gaps (\(st.tcpGapBytes) bytes missed), "
                + "\(st.tcpRetransmissions) retransmitted segments")
        if let k = s.kernel {
            lines.append(
                "  kernel         \(k.received) received, \(k.dropped) dropped, \(k.interfaceDropped) dropped by the interface"
            )
        }
        let secs = max(s.elapsedSeconds, 1e-9)
        lines.append(
            "  elapsed        \(fixed(s.elapsedSeconds, 3)) s, \(Int(Double(st.packets) / secs)) packets/s, "
                + "\(fixed(Double(st.bytes) / secs / 1e6, 1)) MB/s")
        return lines.joined(separator: "\n") + "\n"
    }

    static func text(_ s: LogRunSummary) -> String {
        let st = s.stats
        var lines: [String] = []
        lines.append("vigil analyze: logs \(s.sources.joined(separator: " "))")
        lines.append("  files          \(st.files) (\(st.rotations) rotated, \(st.truncations) truncated)")
        lines.append(
            "  lines          \(st.lines) (\(bytes(Int(st.bytes)))); \(st.oversized) cut at the line limit, "
                + "\(st.readErrors) read errors")
        let byDataset = st.eventsByDataset.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            .joined(separator: ", ")
        lines.append("  events         \(st.events)" + (byDataset.isEmpty ? "" : ": \(byDataset)"))
        lines.append("  unparsed       \(st.unparsed) (kept as log.unparsed events)")
        let secs = max(s.elapsedSeconds, 1e-9)
        lines.append(
            "  elapsed        \(fixed(s.elapsedSeconds, 3)) s, \(Int(Double(st.lines) / secs)) lines/s, "
                + "\(fixed(Double(st.bytes) / secs / 1e6, 1)) MB/s")
        return lines.joined(separator: "\n") + "\n"
    }

    static func text(_ c: InspectStage.Counts) -> String {
        guard c.events > 0 else { return "  sensitive data none found\n" }
        let byType = c.values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "  sensitive data \(c.events) events carried \(c.values.values.reduce(0, +)) values "
            + "(masked in place): \(byType)\n"
    }

    static func text(_ r: RuleStage.Snapshot) -> String {
        var lines = [
            "  rules          \(r.rules) detection + \(r.correlationRules) correlation rules, \(r.events) events "
                + "evaluated, \(r.incidents.count) incidents"
        ]
        if let c = r.correlation {
            var line = "  correlation    \(c.released) matches correlated in event time, \(c.hits) hits"
            if c.late > 0 { line += ", \(c.late) late (matched statelessly only)" }
            if c.ungrouped > 0 { line += ", \(c.ungrouped) without a group-by field" }
            if c.overflow > 0 { line += ", \(c.overflow) refused at the state cap" }
            if c.forced > 0 { line += ", \(c.forced) released early (buffer full)" }
            lines.append(line)
        }
        let sorted = r.incidents.sorted { ($0.level, $0.hits) > ($1.level, $1.hits) }
        for i in sorted.prefix(30) {
            let key = i.groupKey.map { "\($0.field)=\($0.value)" }.joined(separator: " ")
            let stage = i.stage.map { " [\($0.rawValue)]" } ?? ""
            lines.append(
                "    \(i.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(i.title)\(stage): "
                    + "\(i.hits) hits, \(key)")
        }
        if sorted.count > 30 { lines.append("    … \(sorted.count - 30) more (--incidents FILE writes them all)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 30 { return fixed(Double(n) / Double(1 << 30), 2) + " GiB" }
        if n >= 1 << 20 { return fixed(Double(n) / Double(1 << 20), 2) + " MiB" }
        if n >= 1 << 10 { return fixed(Double(n) / Double(1 << 10), 1) + " KiB" }
        return "\(n) B"
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            s += "." + String(repeating: "0", count: digits)
        }
        return s
    }
}

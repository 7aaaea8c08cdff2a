import Foundation
import VigilCore
import VigilResponse
import VigilStore

/// The security posture over a window and the one before it (`GET /v1/posture`, `vigil posture`):
/// one screen that answers "how are we doing?" — 一屏知全省.
struct Posture {
    struct Input {
        var from: Int64
        var to: Int64
        /// Incidents last seen since the start of the previous window.
        var incidents: [IncidentRecord]
        var tickets: [TicketRecord]
        var sensors: [SensorRecord]
        /// Events per dataset in this window and the previous one.
        var events: [String: Int]
        var eventsBefore: [String: Int]
        /// Events per slice of the window, oldest first (the sparkline).
        var eventSlices: [Int]
        var silentAfterSeconds: Int64
        var rejectedLines: Int
    }

    static func build(_ x: Input) -> [String: any Sendable] {
        let span = x.to - x.from
        let previousFrom = x.from - span
        let inWindow = x.incidents.filter { $0.lastSeen >= x.from && $0.lastSeen < x.to }
        func count(_ list: [String]) -> [String: Int] { list.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
        func top(_ values: [String], _ n: Int = 5) -> [[String: any Sendable]] {
            count(values).sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(n).map {
                ["value": $0.key, "incidents": $0.value]
            }
        }
        let open = inWindow.filter { $0.status == "open" || $0.status == "acknowledged" }
        let newNow = x.incidents.filter { $0.firstSeen >= x.from && $0.firstSeen < x.to }.count
        let newBefore = x.incidents.filter { $0.firstSeen >= previousFrom && $0.firstSeen < x.from }.count

        // Heat: lifecycle stage × department, each cell with its count and worst level.
        var heat: [String: (count: Int, worst: RuleLevel)] = [:]
        for i in inWindow {
            let level = RuleLevel(rawValue: i.level) ?? .low
            for department in i.departments.isEmpty ? ["-"] : i.departments {
                let key = (i.stage ?? "-") + "\u{0}" + department
                let cell = heat[key] ?? (0, .informational)
                heat[key] = (cell.count + 1, max(cell.worst, level))
            }
        }
        let openTickets = x.tickets.filter { TicketStatus(rawValue: $0.status)?.isOpen == true }
        let missed = openTickets.flatMap(\.deadlines).filter { $0.met == nil && $0.due < x.to }.count
        let silent = x.sensors.filter { x.to - $0.lastSeen > x.silentAfterSeconds * 1_000_000 }
        let targets = inWindow.compactMap {
            $0.group["destination.ip"] ?? $0.group["host.name"] ?? $0.group["user.name"]
        }

        return [
            "window": [
                "from": Timestamp(microseconds: x.from).description, "to": Timestamp(microseconds: x.to).description,
                "previous_from": Timestamp(microseconds: previousFrom).description,
            ] as [String: any Sendable],
            "incidents": [
                "in_window": inWindow.count, "open_by_level": count(open.map(\.level)), "new": newNow,
                "new_previous": newBefore, "by_category": count(inWindow.compactMap(\.category)),
            ] as [String: any Sendable],
            "tickets": [
                "open": openTickets.count, "open_by_level": count(openTickets.map(\.level)),
                "deadlines_missed": missed,
                "new": x.tickets.filter { $0.opened >= x.from && $0.opened < x.to }.count,
                "new_previous": x.tickets.filter { $0.opened >= previousFrom && $0.opened < x.from }.count,
            ] as [String: any Sendable],
            "heat": heat.sorted { $0.key < $1.key }.map { key, cell -> [String: any Sendable] in
                let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
                return [
                    "stage": parts[0], "department": parts[1], "incidents": cell.count, "worst": cell.worst.rawValue,
                ]
            },
            "top_sources": top(inWindow.compactMap { $0.group["source.ip"] }),
            "top_targets": top(targets),
            "data": [
                "by_classification": count(inWindow.compactMap(\.classification)),
                "personal_data_values": inWindow.reduce(0) { $0 + $1.dlpCount },
            ] as [String: any Sendable],
            "sensors": [
                "reporting": x.sensors.count - silent.count, "silent": silent.map(\.id),
            ] as [String: any Sendable],
            "ingest": [
                "events": x.events.values.reduce(0, +), "events_previous": x.eventsBefore.values.reduce(0, +),
                "by_dataset": x.events, "slices": x.eventSlices, "rejected_lines_since_start": x.rejectedLines,
            ] as [String: any Sendable],
        ]
    }
}

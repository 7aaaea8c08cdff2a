import Foundation
import VigilCore
import VigilRules

/// Incidents as JSON lines (`vigil analyze --incidents FILE`): what fired, on what, how often, when.
enum IncidentWriter {
    static func object(_ i: Incident) -> [String: Any] {
        var o: [String: Any] = [
            "incident.id": i.id, "rule.id": i.ruleID, "rule.name": i.title, "tags": i.tags,
            "level": i.level.rawValue, "rule.level": i.ruleLevel.rawValue, "hits": i.hits,
            "first_seen": i.firstSeen.description, "last_seen": i.lastSeen.description,
            "sample_event_ids": i.sampleEventIDs, "observers": i.observers,
            "group": Dictionary(i.groupKey.map { ($0.field, $0.value) }, uniquingKeysWith: { a, _ in a }),
        ]
        if let stage = i.stage { o["vigil.stage"] = stage.rawValue }
        if let category = i.category { o["gbt20986.category"] = category }
        if i.dlpCount > 0 { o["dlp.count"] = i.dlpCount }
        if let type = i.correlation { o["rule.correlation"] = type }
        return o
    }

    static func line(_ i: Incident) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object(i), options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func write(_ incidents: [Incident], to path: String) throws(VigilError) {
        let text = incidents.map(line).joined(separator: "\n") + (incidents.isEmpty ? "" : "\n")
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw VigilError(.io, "\(path): cannot write incidents: \(error.localizedDescription)")
        }
    }
}

import Foundation
import GRDB
import VigilCore

extension SQLiteStore {
    public func recordHeartbeat(sensorID: String, version: String, counters: [String: Int64], at: Int64)
        throws(VigilError)
    {
        try write("cannot record the heartbeat of sensor \(sensorID)") { db in
            try db.execute(
                sql: """
                    INSERT INTO sensors (id, first_seen, last_seen, version, counters_json) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, version = excluded.version,
                        counters_json = excluded.counters_json
                    """,
                arguments: [sensorID, at, at, version, Self.json(counters)])
        }
    }

    public func sensors() throws(VigilError) -> [SensorRecord] {
        try read("cannot list sensors") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sensors ORDER BY id").map { r in
                let raw = Self.decode(r["counters_json"], as: [String: Any].self) ?? [:]
                return SensorRecord(
                    id: r["id"], firstSeen: r["first_seen"], lastSeen: r["last_seen"], version: r["version"],
                    counters: raw.compactMapValues { ($0 as? NSNumber)?.int64Value })
            }
        }
    }
}

import Foundation
import GRDB
import VigilCore

extension SQLiteStore {
    public func saveSnapshot(_ data: Data, watermark: Int64) throws(VigilError) {
        let now = StoreClock.nowMicros()
        try write("cannot save the correlation snapshot") { db in
            try db.execute(
                sql: "INSERT INTO snapshots (taken, watermark, data) VALUES (?, ?, ?)",
                arguments: [now, watermark, data])
            // The newest two: the previous one stays as a fallback should the newest turn out
            // unreadable (a correlator bug writing state it cannot restore).
            try db.execute(
                sql: "DELETE FROM snapshots WHERE id NOT IN (SELECT id FROM snapshots ORDER BY id DESC LIMIT 2)")
        }
    }

    public func latestSnapshot() throws(VigilError) -> (data: Data, watermark: Int64)? {
        try read("cannot read the correlation snapshot") { db in
            try Row.fetchOne(db, sql: "SELECT data, watermark FROM snapshots ORDER BY id DESC LIMIT 1").map {
                ($0["data"], $0["watermark"])
            }
        }
    }
}

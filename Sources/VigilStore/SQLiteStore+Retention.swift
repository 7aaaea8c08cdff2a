import GRDB
import VigilCore

extension SQLiteStore {
    public func deleteEvents(olderThan micros: Int64, batchSize: Int) throws(VigilError) -> Int {
        let size = max(1, batchSize)
        var total = 0
        // One short transaction per batch: ingest waits for the write lock at most one batch's
        // delete (a few ms for 1 000 events), never for the whole sweep. Each batch takes the oldest
        // rows, so the loop ends once none is older than `micros`; rows being inserted meanwhile are
        // newer and never extend it.
        while true {
            let deleted = try write("cannot delete events older than \(micros) µs") { db -> Int in
                let rowids = try Int64.fetchAll(
                    db, sql: "SELECT rowid FROM events WHERE time < ? ORDER BY time LIMIT ?",
                    arguments: [micros, size])
                guard !rowids.isEmpty else { return 0 }
                // Integers only: safe to inline, and one statement instead of one per row.
                let list = rowids.map(String.init).joined(separator: ",")
                try db.execute(sql: "DELETE FROM rule_hits WHERE event_rowid IN (\(list))")
                try db.execute(sql: "DELETE FROM events WHERE rowid IN (\(list))")
                return rowids.count
            }
            total += deleted
            if deleted < size { break }
        }
        return total
    }
}

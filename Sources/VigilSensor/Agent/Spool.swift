import Foundation
import GRDB
import Synchronization
import VigilCore

/// The sensor's durable queue between the pipeline and the shipper (DESIGN §1): event lines in a
/// SQLite file in WAL mode, deleted only when the correlator has acknowledged them.
///
/// Why SQLite rather than segment files (Benchmarks/README.md, "Spool: SQLite WAL vs segment
/// files"): one file gives atomic appends and acknowledgements, an index that finds the oldest
/// low-value events (flows) to drop when the spool is full without rewriting segments, and counters
/// kept in the same transaction as the drop. It is not the cheap option: measured, an event costs
/// about 6 µs to append and 5.5 µs to ship and acknowledge (8× and 16× a bare segment file), so
/// about 86 k events/s pass through the spool: more than live capture makes here (12 k/s at
/// 400 Mbps) and than the correlator ingests (50–53 k/s). A log backlog fills it at 86 k/s,
/// decoding and Inspect included, so there the spool sets the pace.
///
/// PRAGMAs: `journal_mode=WAL` (DatabasePool): the shipper reads batches while the capture and
/// log threads append; `synchronous=FULL`: every append is fsynced before the log tailer
/// checkpoints its offsets past those lines, so a power cut cannot lose lines the checkpoint
/// already skips.
///
/// Calls block: appends run on the capture and log threads; the shipper's reads and
/// acknowledgements use GRDB's async API, which runs them on GRDB's own dispatch queues, never on
/// the cooperative pool.
public final class Spool: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Bytes of event lines held at most; past it, the oldest flows go first, then the oldest events.
        public var maxBytes: Int64 = 1 << 30
        /// The spool is also full while its filesystem has less free space than this.
        public var minFreeBytes: Int64 = 512 << 20
        public init() {}
    }

    /// What the spool holds and what it had to drop (since the spool file was created).
    public struct Status: Sendable, Equatable {
        public var rows = 0
        public var bytes: Int64 = 0
        /// Events appended since this process opened the spool.
        public var appended = 0
        /// Events dropped because the spool was full, since the spool file was created.
        public var lostFlows = 0
        public var lostOther = 0
        public var lost: Int { lostFlows + lostOther }
        /// Unix time (µs) of the oldest line waiting, for the checkpoint lag; nil when empty.
        public var oldestAppendedMicros: Int64?
    }

    /// What one append did beyond storing the lines.
    public struct AppendOutcome: Sendable, Equatable {
        public var droppedFlows = 0
        public var droppedOther = 0
        /// Why there was no room: the size cap, or the filesystem's free space.
        public var reason: String?
    }

    /// One line to append: its JSON bytes (no newline) and whether it is a low-value event (a flow),
    /// which a full spool drops first.
    public struct Line: Sendable {
        public var bytes: [UInt8]
        public var lowValue: Bool
        public init(bytes: [UInt8], lowValue: Bool) {
            self.bytes = bytes
            self.lowValue = lowValue
        }
    }

    /// Consecutive spool rows sent as one batch.
    public struct Batch: Sendable {
        public var seqs: [Int64]
        public var lines: [[UInt8]]
        /// When the oldest line of the batch was appended (µs).
        public var firstAppendedMicros: Int64
        public var bytes: Int

        public var first: Int64 { seqs.first ?? 0 }
        public var last: Int64 { seqs.last ?? 0 }
        public var count: Int { seqs.count }

        /// NDJSON: the lines separated by newlines.
        public var body: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bytes + lines.count)
            for (i, line) in lines.enumerated() {
                if i > 0 { out.append(0x0A) }
                out.append(contentsOf: line)
            }
            return out
        }

        /// The two halves (a batch the correlator found too large); nil for a single line.
        public func halves() -> (Batch, Batch)? {
            guard count > 1 else { return nil }
            let mid = count / 2
            func part(_ r: Range<Int>) -> Batch {
                Batch(
                    seqs: Array(seqs[r]), lines: Array(lines[r]), firstAppendedMicros: firstAppendedMicros,
                    bytes: lines[r].reduce(0) { $0 + $1.count })
            }
            return (part(0..<mid), part(mid..<count))
        }
    }

    public let path: String
    public let limits: Limits
    private let pool: DatabasePool
    private let status: Mutex<Status>

    public init(path: String, limits: Limits = Limits()) throws(VigilError) {
        self.path = path
        self.limits = limits
        do {
            var config = Configuration()
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            pool = try DatabasePool(path: path, configuration: config)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE spool (
                            seq INTEGER PRIMARY KEY AUTOINCREMENT,
                            low INTEGER NOT NULL,
                            size INTEGER NOT NULL,
                            appended INTEGER NOT NULL,
                            line BLOB NOT NULL);
                        CREATE INDEX spool_low ON spool(low, seq);
                        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                        """)
            }
            try migrator.migrate(pool)
            let initial = try pool.read { db -> Status in
                var s = Status()
                if let row = try Row.fetchOne(
                    db, sql: "SELECT count(*), coalesce(sum(size), 0), min(appended) FROM spool")
                {
                    s.rows = row[0]
                    s.bytes = row[1]
                    s.oldestAppendedMicros = row[2]
                }
                s.lostFlows = try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'lost_flows'") ?? 0
                s.lostOther = try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'lost_other'") ?? 0
                return s
            }
            status = Mutex(initial)
        } catch {
            throw VigilError(.io, "\(path): cannot open the spool: \(error)")
        }
    }

    public var snapshot: Status { status.withLock { $0 } }

    /// Stores `lines` in one fsynced transaction, first making room when the spool is full.
    /// Blocks: call it from a dedicated thread.
    @discardableResult
    public func append(_ lines: [Line]) throws(VigilError) -> AppendOutcome {
        guard !lines.isEmpty else { return AppendOutcome() }
        let incoming = lines.reduce(Int64(0)) { $0 + Int64($1.bytes.count) }
        let now = Timestamp.now().microseconds
        let held = status.withLock { $0.bytes }
        var need: Int64 = 0
        var outcome = AppendOutcome()
        if held + incoming > limits.maxBytes {
            need = held + incoming - limits.maxBytes
            outcome.reason = "the spool holds its cap of \(limits.maxBytes >> 20) MiB"
        }
        if let free = Self.freeBytes(path), free - incoming < limits.minFreeBytes {
            need = max(need, min(held, limits.minFreeBytes - (free - incoming)))
            outcome.reason =
                "the filesystem has \(free >> 20) MiB free (spool.min_free_mib: \(limits.minFreeBytes >> 20))"
        }
        do {
            let result = try pool.write { db -> (AppendOutcome, Int64) in
                var outcome = outcome
                let insert = try db.makeStatement(
                    sql: "INSERT INTO spool(low, size, appended, line) VALUES (?, ?, ?, ?)")
                for line in lines {
                    try insert.execute(arguments: [
                        line.lowValue ? 1 : 0, line.bytes.count, now, Data(line.bytes),
                    ])
                }
                // Room is made after the insert, so a batch larger than the cap loses its own
                // oldest flows (then oldest events) like any other.
                var freed: Int64 = 0
                for low in [1, 0] where freed < need {
                    let (count, bytes) = try Self.dropOldest(db, low: low, need: need - freed)
                    freed += bytes
                    if low == 1 { outcome.droppedFlows = count } else { outcome.droppedOther = count }
                }
                for (name, n) in [("lost_flows", outcome.droppedFlows), ("lost_other", outcome.droppedOther)]
                where n > 0 {
                    try db.execute(
                        sql: """
                            INSERT INTO counters(name, value) VALUES (?, ?)
                            ON CONFLICT(name) DO UPDATE SET value = value + excluded.value
                            """, arguments: [name, n])
                }
                return (outcome, freed)
            }
            outcome = result.0
            let freed = result.1
            status.withLock { s in
                s.rows += lines.count - outcome.droppedFlows - outcome.droppedOther
                s.bytes += incoming - freed
                s.appended += lines.count
                s.lostFlows += outcome.droppedFlows
                s.lostOther += outcome.droppedOther
                if s.oldestAppendedMicros == nil { s.oldestAppendedMicros = now }
            }
            return outcome
        } catch {
            throw VigilError(.io, "\(path): cannot append to the spool: \(error)")
        }
    }

    /// Deletes the oldest rows of one class until `need` bytes are freed; returns rows and bytes deleted.
    static func dropOldest(_ db: Database, low: Int, need: Int64) throws -> (Int, Int64) {
        var count = 0
        var bytes: Int64 = 0
        var lastSeq: Int64?
        let rows = try Row.fetchCursor(
            db, sql: "SELECT seq, size FROM spool WHERE low = ? ORDER BY seq", arguments: [low])
        while bytes < need, let row = try rows.next() {
            lastSeq = row[0]
            bytes += row[1] as Int64
            count += 1
        }
        if let lastSeq {
            try db.execute(sql: "DELETE FROM spool WHERE low = ? AND seq <= ?", arguments: [low, lastSeq])
        }
        return (count, bytes)
    }

    /// The next batch after `seq` (oldest first): up to `maxEvents` lines and about `maxBytes` bytes
    /// (at least one line); nil when nothing waits.
    public func batch(after seq: Int64, maxEvents: Int, maxBytes: Int) async throws -> Batch? {
        try await pool.read { db -> Batch? in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT seq, appended, line FROM spool WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [seq, maxEvents])
            var batch = Batch(seqs: [], lines: [], firstAppendedMicros: 0, bytes: 0)
            while let row = try rows.next() {
                let line = [UInt8](row[2] as Data)
                if batch.count > 0 && batch.bytes + batch.count + line.count > maxBytes { break }
                if batch.count == 0 { batch.firstAppendedMicros = row[1] }
                batch.seqs.append(row[0])
                batch.lines.append(line)
                batch.bytes += line.count
            }
            return batch.count > 0 ? batch : nil
        }
    }

    /// The part of `batch` still in the spool: rows the cap dropped while the batch waited to be
    /// sent again are not sent (what the loss counters call lost is not delivered after all);
    /// nil when nothing is left.
    public func surviving(_ batch: Batch) async throws -> Batch? {
        let kept = try await pool.read { db in
            Set(
                try Int64.fetchAll(
                    db, sql: "SELECT seq FROM spool WHERE seq BETWEEN ? AND ?", arguments: [batch.first, batch.last]))
        }
        guard kept.count < batch.count else { return batch }
        var out = Batch(seqs: [], lines: [], firstAppendedMicros: batch.firstAppendedMicros, bytes: 0)
        for (seq, line) in zip(batch.seqs, batch.lines) where kept.contains(seq) {
            out.seqs.append(seq)
            out.lines.append(line)
            out.bytes += line.count
        }
        return out.count > 0 ? out : nil
    }

    /// Deletes a batch the correlator acknowledged (rows the cap already dropped are simply gone).
    public func acknowledge(_ batch: Batch) async throws {
        let (rows, bytes, oldest) = try await pool.write { db -> (Int, Int64, Int64?) in
            let row = try Row.fetchOne(
                db, sql: "SELECT count(*), coalesce(sum(size), 0) FROM spool WHERE seq BETWEEN ? AND ?",
                arguments: [batch.first, batch.last])
            try db.execute(sql: "DELETE FROM spool WHERE seq BETWEEN ? AND ?", arguments: [batch.first, batch.last])
            let oldest = try Int64.fetchOne(db, sql: "SELECT appended FROM spool ORDER BY seq LIMIT 1")
            return (row?[0] ?? 0, row?[1] ?? 0, oldest)
        }
        status.withLock { s in
            s.rows -= rows
            s.bytes -= bytes
            s.oldestAppendedMicros = oldest
        }
    }

    /// Free bytes on the filesystem that holds `path`, for unprivileged users.
    static func freeBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

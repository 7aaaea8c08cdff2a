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
        /// Events dropped because the spool was full and never delivered, since the spool file was
        /// created.
        public var lostFlows = 0
        public var lostOther = 0
        public var lost: Int { lostFlows + lostOther }
        /// Events dropped while in a batch already being sent: counted lost only if that batch is
        /// not delivered after all (they are trimmed before a retry, or the sensor stops first).
        public var inFlightDropped = 0
        /// Unix time (µs) of the oldest line waiting, for the checkpoint lag; nil when empty.
        public var oldestAppendedMicros: Int64?
    }

    /// What one append did beyond storing the lines.
    public struct AppendOutcome: Sendable, Equatable {
        public var droppedFlows = 0
        public var droppedOther = 0
        /// How many of those were in a batch already being sent (they may still arrive).
        public var droppedInFlight = 0
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

        /// The lines whose seq is in `kept` (all of them: the batch itself); nil when none is.
        func keeping(_ kept: Set<Int64>) -> Batch? {
            guard kept.count < count else { return self }
            var out = Batch(seqs: [], lines: [], firstAppendedMicros: firstAppendedMicros, bytes: 0)
            for (seq, line) in zip(seqs, lines) where kept.contains(seq) {
                out.seqs.append(seq)
                out.lines.append(line)
                out.bytes += line.count
            }
            return out.count > 0 ? out : nil
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
    /// Updated inside each write, after its commit, so a write sees the effect of every write before it.
    private let status: Mutex<Status>
    /// The last row handed out in a batch by this process: rows up to it are in flight (sent or
    /// about to be) until acknowledged. A restart starts again from the oldest row.
    private let claimedThrough = Atomic<Int64>(0)

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
            // Rows a full spool dropped while they were in flight: resolved when their batch is
            // acknowledged (delivered) or trimmed before a retry (lost).
            migrator.registerMigration("v2") { db in
                try db.execute(sql: "CREATE TABLE in_flight_dropped (seq INTEGER PRIMARY KEY, low INTEGER NOT NULL)")
            }
            try migrator.migrate(pool)
            // In-flight drops left by the last process were not acknowledged: lost.
            try pool.write { db in
                _ = try Self.resolveInFlight(db, first: 0, last: .max, delivered: false)
            }
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
        let free = Self.freeBytes(path)
        do {
            return try write { db -> (outcome: AppendOutcome, freed: Int64, lost: [Int]) in
                // What is held now, after every earlier append and acknowledgement.
                let held = status.withLock { $0.bytes }
                var need: Int64 = 0
                var outcome = AppendOutcome()
                if held + incoming > limits.maxBytes {
                    need = held + incoming - limits.maxBytes
                    outcome.reason = "the spool holds its cap of \(limits.maxBytes >> 20) MiB"
                }
                if let free, free - incoming < limits.minFreeBytes {
                    need = max(need, min(held, limits.minFreeBytes - (free - incoming)))
                    outcome.reason =
                        "the filesystem has \(free >> 20) MiB free (spool.min_free_mib: \(limits.minFreeBytes >> 20))"
                }
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
                var lost = [0, 0]  // other, flows
                let claimed = claimedThrough.load(ordering: .acquiring)
                for low in [1, 0] where freed < need {
                    let drop = try Self.dropOldest(db, low: low, need: need - freed, claimedThrough: claimed)
                    freed += drop.bytes
                    if low == 1 { outcome.droppedFlows = drop.count } else { outcome.droppedOther = drop.count }
                    outcome.droppedInFlight += drop.inFlight
                    lost[low] = drop.count - drop.inFlight
                    try Self.addLost(db, low: low, count: lost[low])
                }
                return (outcome, freed, lost)
            } apply: { result, s in
                let (outcome, freed, lost) = result
                s.lostFlows += lost[1]
                s.lostOther += lost[0]
                s.rows += lines.count - outcome.droppedFlows - outcome.droppedOther
                s.bytes += incoming - freed
                s.appended += lines.count
                s.inFlightDropped += outcome.droppedInFlight
                if s.oldestAppendedMicros == nil { s.oldestAppendedMicros = now }
            }.outcome
        } catch {
            throw VigilError(.io, "\(path): cannot append to the spool: \(error)")
        }
    }

    /// Runs `body` in one transaction on the serial writer, then `apply` to the in-memory status
    /// before the next write starts: a write's decisions (how much to drop) use exact numbers.
    private func write<T>(_ body: (Database) throws -> T, apply: (T, inout Status) -> Void) throws -> T {
        try pool.writeWithoutTransaction { try committed($0, body, apply: apply) }
    }

    /// The async form of `write` (GRDB runs it on its writer queue, off the cooperative pool).
    private func write<T: Sendable>(
        _ body: @escaping @Sendable (Database) throws -> T,
        apply: @escaping @Sendable (T, inout Status) -> Void = { _, _ in }
    ) async throws -> T {
        try await pool.writeWithoutTransaction { try self.committed($0, body, apply: apply) }
    }

    /// `body` in a transaction, then `apply` once it has committed (inTransaction returns only
    /// after the body ran and the commit succeeded).
    private func committed<T>(
        _ db: Database, _ body: (Database) throws -> T, apply: (T, inout Status) -> Void
    ) throws -> T {
        var result: T?
        try db.inTransaction {
            result = try body(db)
            return .commit
        }
        let value = result!
        status.withLock { apply(value, &$0) }
        return value
    }

    /// Adds `count` events of one class to the persistent loss counters.
    static func addLost(_ db: Database, low: Int, count: Int) throws {
        guard count > 0 else { return }
        try db.execute(
            sql: """
                INSERT INTO counters(name, value) VALUES (?, ?)
                ON CONFLICT(name) DO UPDATE SET value = value + excluded.value
                """, arguments: [low == 1 ? "lost_flows" : "lost_other", count])
    }

    /// Deletes the oldest rows of one class until `need` bytes are freed. Rows up to
    /// `claimedThrough` are in a batch being sent: they are remembered in `in_flight_dropped`
    /// rather than counted lost, because they may still be delivered.
    static func dropOldest(
        _ db: Database, low: Int, need: Int64, claimedThrough: Int64
    ) throws -> (count: Int, bytes: Int64, inFlight: Int) {
        var count = 0
        var bytes: Int64 = 0
        var inFlight = 0
        var lastSeq: Int64?
        let rows = try Row.fetchCursor(
            db, sql: "SELECT seq, size FROM spool WHERE low = ? ORDER BY seq", arguments: [low])
        while bytes < need, let row = try rows.next() {
            let seq: Int64 = row[0]
            lastSeq = seq
            bytes += row[1] as Int64
            count += 1
            if seq <= claimedThrough { inFlight += 1 }
        }
        guard let lastSeq else { return (0, 0, 0) }
        if inFlight > 0 {
            try db.execute(
                sql: "INSERT INTO in_flight_dropped(seq, low) SELECT seq, low FROM spool WHERE low = ? AND seq <= ?",
                arguments: [low, min(lastSeq, claimedThrough)])
        }
        try db.execute(sql: "DELETE FROM spool WHERE low = ? AND seq <= ?", arguments: [low, lastSeq])
        return (count, bytes, inFlight)
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

    /// Marks `batch` (from `batch(after:)`) as being sent: from now on the cap dropping its rows is
    /// not yet a loss, since they may still be delivered. Returns the part still in the spool (rows
    /// dropped since the read were counted lost and are not sent); nil when nothing is left. On the
    /// writer, so no drop falls between the check and the claim.
    public func claim(_ batch: Batch) async throws -> Batch? {
        let (first, last) = (batch.first, batch.last)
        let kept = try await write { db -> Set<Int64> in
            self.claimedThrough.max(last, ordering: .releasing)
            return Set(
                try Int64.fetchAll(
                    db, sql: "SELECT seq FROM spool WHERE seq BETWEEN ? AND ?", arguments: [first, last]))
        }
        return batch.keeping(kept)
    }

    /// The part of `batch` still in the spool: rows the cap dropped while the batch waited to be
    /// sent again are not sent, and only now count as lost; nil when nothing is left.
    public func surviving(_ batch: Batch) async throws -> Batch? {
        let (first, last) = (batch.first, batch.last)
        let kept = try await write { db -> (Set<Int64>, lost: (Int, Int)) in
            let kept = Set(
                try Int64.fetchAll(
                    db, sql: "SELECT seq FROM spool WHERE seq BETWEEN ? AND ?", arguments: [first, last]))
            guard kept.count < batch.count else { return (kept, (0, 0)) }
            let lost = try Self.resolveInFlight(db, first: first, last: last, delivered: false)
            return (kept, lost)
        } apply: { result, s in
            s.lostFlows += result.lost.0
            s.lostOther += result.lost.1
            s.inFlightDropped -= result.lost.0 + result.lost.1
        }.0
        return batch.keeping(kept)
    }

    /// Deletes a batch the correlator acknowledged. Its rows the cap dropped while it was in flight
    /// were delivered after all: they are not lost.
    public func acknowledge(_ batch: Batch) async throws {
        let (first, last) = (batch.first, batch.last)
        _ = try await write { db -> (Int, Int64, Int64?, Int) in
            let row = try Row.fetchOne(
                db, sql: "SELECT count(*), coalesce(sum(size), 0) FROM spool WHERE seq BETWEEN ? AND ?",
                arguments: [first, last])
            try db.execute(sql: "DELETE FROM spool WHERE seq BETWEEN ? AND ?", arguments: [first, last])
            let delivered = try Self.resolveInFlight(db, first: first, last: last, delivered: true)
            let oldest = try Int64.fetchOne(db, sql: "SELECT appended FROM spool ORDER BY seq LIMIT 1")
            return (row?[0] ?? 0, row?[1] ?? 0, oldest, delivered.0 + delivered.1)
        } apply: { result, s in
            s.rows -= result.0
            s.bytes -= result.1
            s.oldestAppendedMicros = result.2
            s.inFlightDropped -= result.3
        }
    }

    /// Settles the in-flight drops of rows `first…last`: counted lost unless `delivered`; returns
    /// how many (flows, other) there were.
    static func resolveInFlight(_ db: Database, first: Int64, last: Int64, delivered: Bool) throws -> (Int, Int) {
        var flows = 0
        var other = 0
        for row in try Row.fetchAll(
            db, sql: "SELECT low, count(*) FROM in_flight_dropped WHERE seq BETWEEN ? AND ? GROUP BY low",
            arguments: [first, last])
        {
            let low: Int = row[0]
            let count: Int = row[1]
            if !delivered { try addLost(db, low: low, count: count) }
            if low == 1 { flows += count } else { other += count }
        }
        if flows + other > 0 {
            try db.execute(sql: "DELETE FROM in_flight_dropped WHERE seq BETWEEN ? AND ?", arguments: [first, last])
        }
        return (flows, other)
    }

    /// Free bytes on the filesystem that holds `path`, for unprivileged users.
    static func freeBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

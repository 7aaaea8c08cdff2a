import Foundation
import GRDB
import VigilCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The embedded store: one SQLite file in WAL mode through GRDB's `DatabasePool` (DESIGN §3): one
/// writer connection (GRDB serialises writes) and a few reader connections that never block it.
///
/// PRAGMA choices (set on every connection). Numbers measured on this project's dev VM (2 vCPUs,
/// ext4 on virtio), 1 000 000 events built from the golden fixtures (717-byte JSON on average, 5 %
/// with a rule hit), batches of 1 000, release build, median of runs:
/// - `journal_mode=WAL` (set by `DatabasePool`): queries read a snapshot while ingest commits, and a
///   commit appends pages to the `-wal` file instead of rewriting the database.
/// - `synchronous=FULL`: the WAL is fsynced at every commit, so an acknowledged batch survives a
///   power cut or kernel crash, not only the death of the process. Against kill -9 both FULL and
///   NORMAL are safe: a commit is in the `-wal` file (the OS page cache) the moment `append`
///   returns, and the next open recovers it — checked by killing a writer mid-stream five times in
///   each mode: every acknowledged batch was there. With NORMAL the WAL reaches the disk only at
///   checkpoints, so a power cut may roll back the last few seconds of commits (the file stays
///   consistent): events the sensors were told are stored and have dropped from their spools.
///   The price of FULL is one fsync per batch: 60–68 k events/s against 65–72 k with NORMAL
///   (within run-to-run noise of each other), so durability wins.
/// - `wal_autocheckpoint=10000` pages (~40 MB, default 1 000): a checkpoint copies the WAL into the
///   database and fsyncs it, on the committing writer. Index pages that every batch touches are
///   copied once per checkpoint, so fewer, larger checkpoints write less: 5–10 % faster on a quiet
///   disk, 20–50 % when other processes load it. Crash recovery replays at most that much WAL.
/// - `journal_size_limit` 64 MiB: after a checkpoint the `-wal` file is truncated to this rather
///   than keeping the largest size it ever reached (a retention sweep, or a reader holding a
///   snapshot during a burst, can grow it to hundreds of MB).
/// - `busy_timeout` 5 s: writes inside this process are serialised by GRDB and never see
///   SQLITE_BUSY; the timeout covers other processes on the same file (a `sqlite3 .backup`, an
///   operator's query) holding the lock briefly, so ingest waits instead of failing.
/// - `foreign_keys=ON` (GRDB's default), but no table declares a foreign key: rule-hit rows are
///   deleted with their events explicitly in the same transaction, which is cheaper than a per-row
///   cascade on the retention path and an extra lookup per hit on the insert path.
/// - `cache_size` and `page_size` left at their defaults (2 MiB, 4 KiB): 32 MiB of cache and 8 or
///   16 KiB pages made no measurable difference, since inserts touch only the right edge of each
///   index (see migration v3).
/// - `auto_vacuum` off: retention frees pages that new events reuse, so the file stays at its
///   high-water mark instead of paying for page moves on every delete.
///
/// Throughput of `append` (same runs): 60–68 k events/s with all eight indexes, flat from 0 to
/// 1 M rows; a plain INSERT of the same precomputed rows into the same schema: 81 k rows/s; into a
/// table with no index: 195–200 k rows/s. The first schema (UNIQUE on the hash ids) managed 19–20 k
/// and fell as the table grew.
public final class SQLiteStore: EventStore {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed, mode 0600: it holds token hashes and event details) the store at
    /// `path` and brings its schema up to date. Throws a `.store` error naming the file when the
    /// directory is missing or not writable, the file is not a SQLite database, or it was written
    /// by a newer Vigil.
    public init(path: String) throws(VigilError) {
        self.path = path
        try Self.prepareFile(path)
        var config = Configuration()
        config.label = "vigil-store"
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
            try db.execute(sql: "PRAGMA journal_size_limit = \(64 << 20)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw Self.failure(path, "cannot open the store", error)
        }
        let migrator = Self.migrator
        do {
            try pool.barrierWriteWithoutTransaction { db in
                if try migrator.hasBeenSuperseded(db) {
                    throw VigilError(
                        .store,
                        "\(path): the store was written by a newer Vigil (its schema has migrations this version "
                            + "does not know: \(try Self.unknownMigrations(db, migrator).joined(separator: ", "))); "
                            + "upgrade Vigil or restore a backup")
                }
            }
            try migrator.migrate(pool)
        } catch {
            throw Self.failure(path, "cannot prepare the store's schema", error)
        }
    }

    /// Opens an existing store read-only (an auditor's copy, `vigil audit verify --db`): no schema
    /// change, no write; a store whose schema this version does not know is refused.
    public init(readingOnly path: String) throws(VigilError) {
        self.path = path
        guard access(path, R_OK) == 0 else { throw VigilError(.store, "\(path): cannot read the store") }
        var config = Configuration()
        config.label = "vigil-store-readonly"
        config.readonly = true
        config.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            let migrator = Self.migrator
            try pool.read { db in
                if try migrator.hasBeenSuperseded(db) {
                    throw VigilError(.store, "\(path): the store was written by a newer Vigil")
                }
            }
        } catch {
            throw Self.failure(path, "cannot open the store read-only", error)
        }
    }

    /// Checkpoints the WAL into the database, records query-planner statistics, and closes the
    /// connections; any later call fails.
    public func close() throws(VigilError) {
        do {
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA optimize")
                try db.checkpoint(.truncate)
            }
            try pool.close()
        } catch {
            throw Self.failure(path, "cannot close the store", error)
        }
    }

    /// Fails early, naming the directory, where SQLite would only say "unable to open database
    /// file"; and creates a new store file readable by its owner only (SQLite gives the `-wal` and
    /// `-shm` files the database file's mode).
    static func prepareFile(_ path: String) throws(VigilError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw VigilError(.store, "\(path): cannot open the store: the directory \(directory) does not exist")
        }
        if access(path, F_OK) == 0 {
            guard access(path, R_OK | W_OK) == 0 else {
                throw VigilError(
                    .store, "\(path): cannot open the store: the file is not readable and writable by this user")
            }
        }
        // SQLite creates `-wal` and `-shm` beside the database at every open.
        guard access(directory, W_OK | X_OK) == 0 else {
            throw VigilError(
                .store,
                "\(path): cannot open the store: the directory \(directory) is not writable by this user "
                    + "(SQLite keeps its -wal and -shm files beside the store)")
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            closeDescriptor(fd)
        } else if errno != EEXIST {
            let reason = String(cString: strerror(errno))
            throw VigilError(.store, "\(path): cannot create the store: \(reason)")
        }
    }

    static func unknownMigrations(_ db: Database, _ migrator: DatabaseMigrator) throws -> [String] {
        let known = Set(migrator.migrations)
        return try migrator.appliedIdentifiers(db).filter { !known.contains($0) }.sorted()
    }

    /// A `.store` error naming the file; SQLite's own message for database errors.
    static func failure(_ path: String, _ what: String, _ error: any Error) -> VigilError {
        if let error = error as? VigilError { return error }
        if let error = error as? DatabaseError {
            return VigilError(.store, "\(path): \(what): \(error.message ?? "\(error.resultCode)")")
        }
        return VigilError(.store, "\(path): \(what): \(error)")
    }

    /// Inside `transaction` on this thread: its writer connection, so a read sees what the
    /// transaction wrote so far. Otherwise a reader connection (a snapshot of the last commit).
    func read<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws(VigilError) -> T {
        do {
            if let db = joinedDatabase() { return try body(db) }
            return try pool.read(body)
        } catch { throw Self.failure(path, what(), error) }
    }

    /// One transaction, committed (and with `synchronous=FULL`, fsynced) before this returns;
    /// inside `transaction` on this thread, part of that one instead (committed with it).
    func write<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws(VigilError) -> T {
        do {
            if let db = joinedDatabase() { return try body(db) }
            return try pool.write(body)
        } catch { throw Self.failure(path, what(), error) }
    }

    public func transaction<T>(_ what: @autoclosure () -> String, _ body: () throws(VigilError) -> T)
        throws(VigilError) -> T
    {
        if joinedDatabase() != nil { return try body() }
        // GRDB rolls the transaction back when the closure throws: all of `body`'s writes or none.
        return try write(what()) { db in
            let open = OpenTransaction(store: ObjectIdentifier(self), db: db)
            pthread_setspecific(openTransactionKey, Unmanaged.passUnretained(open).toOpaque())
            defer { pthread_setspecific(openTransactionKey, nil) }
            return try withExtendedLifetime(open) { try body() }
        }
    }

    /// This store's open `transaction` on the calling thread, if any.
    private func joinedDatabase() -> Database? {
        guard let pointer = pthread_getspecific(openTransactionKey) else { return nil }
        let open = Unmanaged<OpenTransaction>.fromOpaque(pointer).takeUnretainedValue()
        return open.store == ObjectIdentifier(self) ? open.db : nil
    }

    /// JSON text of a string-keyed or array value, keys sorted (stable bytes for tests and diffs).
    static func json(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// JSON text of a list of strings, as `json(_: Any)` writes it but without Foundation's
    /// dictionary bridging (incident upserts write three lists and a map per incident).
    static func json(_ strings: [String]) -> String {
        var w = JSONWriter(capacity: 16 * strings.count + 2)
        w.byte(UInt8(ascii: "["))
        for (n, s) in strings.enumerated() {
            if n > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(s)
        }
        w.byte(UInt8(ascii: "]"))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// JSON text of a string map, keys sorted (as `json(_: Any)` writes it).
    static func json(_ map: [String: String]) -> String {
        var w = JSONWriter(capacity: 32 * map.count + 2)
        w.byte(UInt8(ascii: "{"))
        for (n, key) in map.keys.sorted().enumerated() {
            if n > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(key)
            w.byte(UInt8(ascii: ":"))
            w.string(map[key] ?? "")
        }
        w.byte(UInt8(ascii: "}"))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func decode<T>(_ text: String, as: T.Type) -> T? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? T
    }
}

/// The writer connection of a `SQLiteStore.transaction` and the store it belongs to, published to
/// the one thread running it through `openTransactionKey` (a thread-specific slot: no other thread
/// can see it, so the connection never crosses threads). Kept alive by `transaction`'s frame.
private final class OpenTransaction {
    let store: ObjectIdentifier
    let db: Database
    init(store: ObjectIdentifier, db: Database) { (self.store, self.db) = (store, db) }
}

/// The thread-specific slot for the calling thread's `OpenTransaction` (created once per process).
private let openTransactionKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "cannot create a thread-specific key")
    return key
}()

/// `close(2)`, out of reach of `SQLiteStore.close()`.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

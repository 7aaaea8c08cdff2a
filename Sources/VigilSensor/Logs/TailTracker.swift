/// Where a tailed file has been read up to: the unit a checkpoint stores.
public struct TailCursor: Sendable, Codable, Equatable {
    /// The path the file was last seen under (informational: a rotated file has moved on).
    public var path: String
    public var key: FileKey
    /// `Fingerprint` of the file's first line; nil while the file has no complete line.
    public var fingerprint: String?
    /// Bytes handed on as events (complete lines, none still held by a multi-line decoder).
    public var offset: UInt64

    public init(path: String, key: FileKey, fingerprint: String?, offset: UInt64) {
        self.path = path
        self.key = key
        self.fingerprint = fingerprint
        self.offset = offset
    }
}

/// The rotation logic of the log tailer as a pure state machine (CONVENTIONS 5): it is told what
/// the watched patterns match now and how large each open file is, and answers with actions; the
/// `LogTailer` service does the I/O.
///
/// A file is followed by identity (device + inode), not by path, the way Filebeat's harvesters work:
/// - **rename + create** (logrotate's default): the renamed file no longer matches; it becomes an
///   orphan that is read to its end and closed once it has been quiet for `rotateGrace` seconds
///   (nginx keeps writing to it until it reopens its logs). The new file is read from 0.
/// - **copytruncate**: the file is shorter than what was read; it restarts at 0.
/// - **deletion**: like rename: drained through the still-open descriptor, then closed.
/// - **late creation**: a pattern that matches nothing yet picks the file up when it appears.
/// - **restart**: cursors from the checkpoint resume where they were; a cursor whose file was
///   rotated while Vigil was down is found by identity among the files beside it and drained first.
/// - **inode reuse**: a file with a known inode but another first line is a new file (offset 0).
public struct TailTracker: Sendable {
    public enum Action: Equatable, Sendable {
        /// Open `path` and read from `offset`; when `fingerprint` is given, check the file's first
        /// line matches it and call `fingerprintMismatch` when it does not.
        case open(path: String, key: FileKey, offset: UInt64, fingerprint: String?)
        /// The file grew: read what is new.
        case read(FileKey)
        /// The file is shorter than what was read (copytruncate): read again from 0.
        case truncated(FileKey)
        /// The file was rotated away or deleted, was read to its end and stayed quiet: close it.
        case close(FileKey)
    }

    struct Harvest: Sendable {
        var cursor: TailCursor
        /// Bytes read from the file (the cursor may lag while a line or record is incomplete).
        var readOffset: UInt64
        /// When the file stopped matching the patterns (renamed away or deleted).
        var orphanedAt: Double?
        var lastGrowth: Double
    }

    public let rotateGrace: Double
    private(set) var harvests: [FileKey: Harvest] = [:]
    /// Checkpointed cursors not yet matched to a file on disk.
    private var remembered: [FileKey: TailCursor]
    private var startAtEnd: Bool
    private var planned = false
    private var lastPresent = Set<FileKey>()
    public private(set) var truncations = 0
    public private(set) var rotations = 0

    /// - Parameters:
    ///   - checkpoint: cursors from the last run.
    ///   - startAtEnd: files present at the first plan that have no cursor start at their end (a
    ///     sensor's first start on a node with years of logs); files appearing later start at 0.
    public init(checkpoint: [TailCursor], startAtEnd: Bool = false, rotateGrace: Double = 5) {
        remembered = Dictionary(checkpoint.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        self.startAtEnd = startAtEnd
        self.rotateGrace = rotateGrace
    }

    /// Cursors whose file was not found under the patterns at the first plan: the service looks for
    /// each among the files beside its old path and calls `adoptRotated` for those it finds.
    public var unmatchedCursors: [TailCursor] { Array(remembered.values).sorted { $0.path < $1.path } }

    /// Forgets checkpointed cursors that matched no file, after `adoptRotated` had its chance: a
    /// file rotated away and compressed or deleted while Vigil was down is gone.
    public mutating func forgetUnmatched() {
        remembered = remembered.filter { lastPresent.contains($0.key) }
    }

    /// Follows a checkpointed file found at a new path (rotated while Vigil was down) as an orphan.
    public mutating func adoptRotated(path: String, stat: FileStat, now: Double) -> Action? {
        guard var cursor = remembered.removeValue(forKey: stat.key) else { return nil }
        cursor.path = path
        rotations += 1
        harvests[stat.key] = Harvest(cursor: cursor, readOffset: cursor.offset, orphanedAt: now, lastGrowth: now)
        return .open(path: path, key: stat.key, offset: cursor.offset, fingerprint: cursor.fingerprint)
    }

    /// One poll: `listing` is every file the patterns match now; `openSizes` the current size of
    /// every open file (from `fstat`, so a deleted file still has one).
    public mutating func plan(now: Double, listing: [(path: String, stat: FileStat)], openSizes: [FileKey: UInt64])
        -> [Action]
    {
        var actions: [Action] = []
        var present = Set<FileKey>()
        for (path, stat) in listing {
            present.insert(stat.key)
            if var h = harvests[stat.key] {
                h.cursor.path = path
                h.orphanedAt = nil
                harvests[stat.key] = h
                continue
            }
            let offset: UInt64
            var fingerprint: String?
            if let cursor = remembered[stat.key] {
                // Nothing new since the checkpoint: no need to hold the file open.
                if cursor.offset == stat.size { continue }
                remembered[stat.key] = nil
                offset = cursor.offset
                fingerprint = cursor.fingerprint
            } else {
                offset = (!planned && startAtEnd) ? stat.size : 0
            }
            let cursor = TailCursor(path: path, key: stat.key, fingerprint: fingerprint, offset: offset)
            harvests[stat.key] = Harvest(cursor: cursor, readOffset: offset, orphanedAt: nil, lastGrowth: now)
            actions.append(.open(path: path, key: stat.key, offset: offset, fingerprint: fingerprint))
        }
        planned = true
        lastPresent = present
        for key in harvests.keys.sorted(by: { $0.inode < $1.inode }) {
            guard var h = harvests[key] else { continue }
            if !present.contains(key), h.orphanedAt == nil {
                h.orphanedAt = now
                rotations += 1
            }
            let size = openSizes[key] ?? h.readOffset
            if size < h.readOffset {
                truncations += 1
                h.readOffset = 0
                h.cursor.offset = 0
                h.cursor.fingerprint = nil
                h.lastGrowth = now
                actions.append(.truncated(key))
            } else if size > h.readOffset {
                h.lastGrowth = now
                actions.append(.read(key))
            } else if let orphaned = h.orphanedAt, now - max(orphaned, h.lastGrowth) >= rotateGrace {
                harvests[key] = nil
                actions.append(.close(key))
                continue
            }
            harvests[key] = h
        }
        return actions
    }

    /// The service read `count` more bytes of the file.
    public mutating func didRead(_ key: FileKey, count: Int) {
        harvests[key]?.readOffset += UInt64(count)
    }

    /// Everything before `offset` has been handed on (and nothing before it is held by a decoder).
    public mutating func handedOn(_ key: FileKey, upTo offset: UInt64) {
        guard var h = harvests[key], offset >= h.cursor.offset else { return }
        h.cursor.offset = offset
        harvests[key] = h
    }

    public mutating func setFingerprint(_ key: FileKey, _ fingerprint: String) {
        harvests[key]?.cursor.fingerprint = fingerprint
    }

    /// The file behind a known inode has another first line: the inode was reused for a new file,
    /// which is read from its start.
    public mutating func fingerprintMismatch(_ key: FileKey) {
        guard var h = harvests[key] else { return }
        h.cursor.offset = 0
        h.cursor.fingerprint = nil
        h.readOffset = 0
        harvests[key] = h
    }

    public func cursor(_ key: FileKey) -> TailCursor? { harvests[key]?.cursor }
    public func readOffset(_ key: FileKey) -> UInt64? { harvests[key]?.readOffset }

    /// What a checkpoint must hold: every followed file, and every remembered one not seen again
    /// yet (a file briefly missing between rotation steps is not forgotten).
    public var checkpoint: [TailCursor] {
        (harvests.values.map(\.cursor) + remembered.values).sorted { ($0.path, $0.key.inode) < ($1.path, $1.key.inode) }
    }
}

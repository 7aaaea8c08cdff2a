import Foundation
import VigilCore
import VigilDecode

/// Follows log files by identity across rotation and restarts, splits them into lines, decodes them
/// and hands the events to a sink; checkpoints offsets after the sink commits.
///
/// The rotation decisions are `TailTracker`'s (pure); this class does the I/O. It runs on the thread
/// that calls `run` (a dedicated one: every call here blocks), and is not shared between threads.
public final class LogTailer {
    public struct Options: Sendable {
        public var observerID: String
        /// Read existing content of files present at start that have no checkpoint (default) or
        /// only what is appended after start.
        public var startAtEnd = false
        /// Lines longer than this are cut (and counted).
        public var maxLineBytes = 64 * 1024
        public var pollInterval = 0.25
        /// A renamed/deleted file is closed after it has been quiet this long.
        public var rotateGrace = 5.0
        /// A file quiet this long has its held multi-line record flushed.
        public var idleFlush = 2.0
        /// How often offsets are committed while following.
        public var commitInterval = 1.0
        /// Seconds east of UTC for zone-less log times.
        public var utcOffsetSeconds = 0
        /// Event ids come from (observer, file identity, offset). A file's identity is the
        /// fingerprint of its first line, plus its device and inode when this is set: a tailer that
        /// resumes on the same machine needs them (rotated files of a server that starts each file
        /// with the same header line, as MariaDB does, must not share ids); a one-off analysis of
        /// evidence leaves them out so the same file gives the same ids wherever it is read.
        public var identityIncludesInode = true
        /// The instant year-less log times (syslog RFC 3164) are read against; nil uses each file's
        /// modification time, which is right for a live log and for evidence copied with its times.
        public var referenceTime: Timestamp?

        public init(observerID: String) { self.observerID = observerID }
    }

    final class OpenFile {
        let fd: Int32
        let source: Int
        var path: String
        var splitter: LineSplitter
        var decoder: any LogDecoder
        var ids: EventIDGenerator?
        var fingerprint: String?
        var lastTime: Timestamp?
        var lastActivity: Double
        var flushedIdle = true
        var lastSize: UInt64 = 0
        let fallbackTime: Timestamp

        init(
            fd: Int32, source: Int, path: String, splitter: LineSplitter, decoder: any LogDecoder,
            now: Double, fallbackTime: Timestamp
        ) {
            self.fd = fd
            self.source = source
            self.path = path
            self.splitter = splitter
            self.decoder = decoder
            self.lastActivity = now
            self.fallbackTime = fallbackTime
        }
    }

    public let sources: [LogSource]
    public let options: Options
    private let sink: any LogEventSink
    private let checkpointStore: TailCheckpointStore?
    private var tracker: TailTracker
    private var files: [FileKey: OpenFile] = [:]
    private var records: [LogRecord] = []
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    public private(set) var stats = LogStats()
    private let clock: () -> Double

    public init(
        sources: [LogSource], options: Options, sink: any LogEventSink, checkpoint: TailCheckpointStore?,
        clock: @escaping () -> Double = { Date().timeIntervalSince1970 }
    ) throws(VigilError) {
        self.sources = sources
        self.options = options
        self.sink = sink
        self.checkpointStore = checkpoint
        self.clock = clock
        let cursors = try checkpoint?.load() ?? []
        tracker = TailTracker(checkpoint: cursors, startAtEnd: options.startAtEnd, rotateGrace: options.rotateGrace)
    }

    deinit {
        for file in files.values { close(file.fd) }
    }

    /// Reads every matching file to its end once, then flushes every decoder: `vigil analyze --log`.
    public func readToEnd() throws(VigilError) {
        poll(adoptRotated: true)
        for key in files.keys.sorted(by: { $0.inode < $1.inode }) { finishFile(key) }
        commit()
    }

    /// Follows the files until `stop` is signalled, then flushes and commits. `onCommit` gets the
    /// counters after each commit (about once per `commitInterval`), on this thread.
    public func follow(until stop: StopSignal, onCommit: ((LogStats) -> Void)? = nil) {
        var lastCommit = clock()
        var first = true
        while !stop.isStopped {
            poll(adoptRotated: first)
            first = false
            let now = clock()
            if now - lastCommit >= options.commitInterval {
                commit()
                onCommit?(stats)
                lastCommit = now
            }
            if stop.isStopped { break }
            usleep(useconds_t(options.pollInterval * 1_000_000))
        }
        for (key, file) in files { flushDecoder(file, key: key) }
        commit()
        onCommit?(stats)
    }

    /// Commits the sink, then the checkpoint.
    public func commit() {
        stats.truncations = tracker.truncations
        stats.rotations = tracker.rotations
        guard sink.commit() else { return }
        guard let checkpointStore else { return }
        do {
            try checkpointStore.save(tracker.checkpoint)
        } catch {
            stats.readErrors += 1
            FileHandle.standardError.write(Data("vigil: \(error.message)\n".utf8))
        }
    }

    // MARK: - one poll

    func poll(adoptRotated: Bool) {
        let now = clock()
        var listing: [(path: String, stat: FileStat)] = []
        var seen = Set<FileKey>()
        var sourceOf: [FileKey: Int] = [:]
        for (index, source) in sources.enumerated() {
            for path in LogFS.expand(source.pattern) {
                guard let stat = LogFS.stat(path: path), seen.insert(stat.key).inserted else { continue }
                listing.append((path, stat))
                sourceOf[stat.key] = index
            }
        }
        var sizes: [FileKey: UInt64] = [:]
        for (key, file) in files {
            guard let size = LogFS.stat(fd: file.fd)?.size else { continue }
            // copytruncate followed by fast writes can leave the file larger than before: only the
            // first line tells. Checked when the size moved, so a quiet file costs nothing.
            if size != file.lastSize, size > 0, let known = file.fingerprint,
                let current = Fingerprint.read(fd: file.fd), current != known
            {
                sizes[key] = 0
            } else {
                sizes[key] = size
            }
            file.lastSize = size
        }
        var actions = tracker.plan(now: now, listing: listing, openSizes: sizes)
        if adoptRotated {
            actions += adoptRotatedFiles(now: now, sourceOf: &sourceOf)
        }
        for action in actions {
            switch action {
            case .open(let path, let key, let offset, let fingerprint):
                open(
                    path: path, key: key, offset: offset, fingerprint: fingerprint, source: sourceOf[key] ?? 0, now: now
                )
            case .read(let key):
                read(key, now: now)
            case .truncated(let key):
                guard let file = files[key] else { continue }
                drainCopy(of: file, key: key)
                file.splitter.reset(to: 0)
                file.fingerprint = nil
                file.ids = nil
                read(key, now: now)
            case .close(let key):
                finishFile(key)
            }
        }
        for (key, file) in files where !file.flushedIdle && now - file.lastActivity >= options.idleFlush {
            flushDecoder(file, key: key)
            file.flushedIdle = true
        }
    }

    /// Finds checkpointed files that were rotated to another name while Vigil was not running.
    private func adoptRotatedFiles(now: Double, sourceOf: inout [FileKey: Int]) -> [TailTracker.Action] {
        var actions: [TailTracker.Action] = []
        for cursor in tracker.unmatchedCursors {
            for path in LogFS.siblings(of: cursor.path) {
                guard let stat = LogFS.stat(path: path), stat.key == cursor.key else { continue }
                let source = sources.firstIndex { fnmatch($0.pattern, cursor.path, 0) == 0 } ?? 0
                if let action = tracker.adoptRotated(path: path, stat: stat, now: now) {
                    sourceOf[stat.key] = source
                    actions.append(action)
                }
                break
            }
        }
        tracker.forgetUnmatched()
        return actions
    }

    private func open(path: String, key: FileKey, offset: UInt64, fingerprint: String?, source: Int, now: Double) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, let stat = LogFS.stat(fd: fd), stat.key == key else {
            if fd >= 0 { Glibc.close(fd) }
            stats.readErrors += 1
            return
        }
        var start = offset
        var known = fingerprint
        if let expected = fingerprint, Fingerprint.read(fd: fd) != expected {
            tracker.fingerprintMismatch(key)
            start = 0
            known = nil
        } else if known == nil && start > 0 {
            known = Fingerprint.read(fd: fd)
        }
        let context = LogContext(
            referenceTime: options.referenceTime ?? stat.modified, utcOffsetSeconds: options.utcOffsetSeconds)
        let file = OpenFile(
            fd: fd, source: source, path: path,
            splitter: LineSplitter(maxLine: options.maxLineBytes, startingAt: start),
            decoder: sources[source].makeDecoder(context), now: now, fallbackTime: stat.modified)
        if let known { setFingerprint(file, key: key, known) }
        files[key] = file
        stats.files += 1
        read(key, now: now)
    }

    private func setFingerprint(_ file: OpenFile, key: FileKey, _ fingerprint: String) {
        file.fingerprint = fingerprint
        let identity = options.identityIncludesInode ? "log:\(key):\(fingerprint)" : "log:\(fingerprint)"
        file.ids = EventIDGenerator(observerID: options.observerID, sourceIdentity: identity)
        tracker.setFingerprint(key, fingerprint)
    }

    /// Reads what is new in a file, up to its current size, and hands complete lines on.
    private func read(_ key: FileKey, now: Double) {
        guard let file = files[key] else { return }
        let read = feed(file, key: key, from: file.fd)
        if read > 0 {
            tracker.didRead(key, count: read)
            file.lastActivity = now
            file.flushedIdle = false
        }
        handOn(file, key: key)
    }

    /// Reads `fd` from where `file`'s splitter stands to its end and hands complete lines on;
    /// returns the bytes read. `fd` is the file's own, or the copy copytruncate left beside it.
    private func feed(_ file: OpenFile, key: FileKey, from fd: Int32) -> Int {
        let oversizedBefore = file.splitter.oversized
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { LogFS.pread(fd, $0, at: file.splitter.fed) }
            if n < 0 { stats.readErrors += 1 }
            guard n > 0 else { break }
            total += n
            buffer.withUnsafeBytes { raw in
                file.splitter.feed(UnsafeRawBufferPointer(rebasing: raw.prefix(n))) { line, offset in
                    self.handle(line: line, offset: offset, file: file, key: key)
                }
            }
            if n < buffer.count { break }
        }
        stats.bytes += UInt64(total)
        stats.oversized += file.splitter.oversized - oversizedBefore
        return total
    }

    /// Hands out every record the decoder holds, and with `finishLine` an unterminated last line (the
    /// file ended for good). `advance: false` when the offsets are about to restart at 0 (copytruncate):
    /// the checkpoint must not jump to the old file's end.
    private func flushDecoder(_ file: OpenFile, key: FileKey, finishLine: Bool = false, advance: Bool = true) {
        if finishLine {
            file.splitter.finish { line, offset in self.handle(line: line, offset: offset, file: file, key: key) }
        }
        var out: [LogRecord] = []
        file.decoder.flush(into: &out)
        emit(out, file: file, key: key)
        if advance { tracker.handedOn(key, upTo: file.splitter.consumed) }
    }

    private func handOn(_ file: OpenFile, key: FileKey) {
        let safe = min(file.splitter.consumed, file.decoder.heldOffset ?? .max)
        tracker.handedOn(key, upTo: safe)
    }

    private func handle(line: UnsafeRawBufferPointer, offset: UInt64, file: OpenFile, key: FileKey) {
        if offset == 0 && file.fingerprint == nil {
            setFingerprint(file, key: key, Fingerprint.of(firstLine: line))
        }
        guard !line.isEmpty else { return }
        stats.lines += 1
        records.removeAll(keepingCapacity: true)
        file.decoder.decode(line: line, offset: offset, into: &records)
        emit(records, file: file, key: key)
    }

    private func emit(_ records: [LogRecord], file: OpenFile, key: FileKey) {
        guard !records.isEmpty else { return }
        if file.ids == nil {
            // A file read from the middle with no complete first line cannot happen (a cursor past 0
            // implies one), but stay deterministic if it does.
            setFingerprint(file, key: key, "nofingerprint")
        }
        let source = sources[file.source]
        var index: UInt32 = 0
        var lastOffset = UInt64.max
        for record in records {
            index = record.offset == lastOffset ? index + 1 : 0
            lastOffset = record.offset
            let time = record.timestamp ?? file.lastTime ?? file.fallbackTime
            if record.timestamp != nil { file.lastTime = record.timestamp }
            var event = Event(
                timestamp: time, id: file.ids!.id(position: record.offset, index: index), dataset: record.dataset,
                observerID: options.observerID, capacity: record.fields.count + source.labels.count + 3)
            event.set(Fields.eventKind, "event")
            event.set(Fields.logFilePath, file.path)
            event.set(Fields.logOffset, .int(Int64(record.offset)))
            // Decoders set each field once, so appending (no search) keeps this loop linear.
            for field in record.fields { event.set(field.id, field.value) }
            for label in source.labels where event[label.id] == nil { event.set(label.id, label.value) }
            if record.isUnparsed { stats.unparsed += 1 }
            stats.events += 1
            stats.eventsByDataset[record.dataset.name, default: 0] += 1
            sink.write(event)
        }
    }

    /// copytruncate copies the file, then truncates it: lines not read yet are only in the copy. The
    /// copy starts with the same first line, so it is found by fingerprint beside the file and read
    /// from where the original was left, with the original's ids (a copy read again is the same events).
    private func drainCopy(of file: OpenFile, key: FileKey) {
        if let fingerprint = file.fingerprint {
            for path in LogFS.siblings(of: file.path) {
                guard let stat = LogFS.stat(path: path), stat.key != key, stat.size >= file.splitter.fed else {
                    continue
                }
                let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { Glibc.close(fd) }
                guard Fingerprint.read(fd: fd) == fingerprint else { continue }
                _ = feed(file, key: key, from: fd)
                break
            }
        }
        flushDecoder(file, key: key, finishLine: true, advance: false)
    }

    /// Reads a file to its end, hands out an unterminated last line, flushes its decoder and closes it.
    private func finishFile(_ key: FileKey) {
        guard let file = files[key] else { return }
        read(key, now: clock())
        flushDecoder(file, key: key, finishLine: true)
        Glibc.close(file.fd)
        files[key] = nil
    }
}

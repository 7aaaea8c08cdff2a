import Foundation
import Synchronization
import Testing
import VigilCore
import VigilDecode

@testable import VigilSensor

/// One event per line, with the line as `message`; holds a line starting with a space as the
/// continuation of the one before (like PostgreSQL's tab-continued statements).
struct EchoDecoder: LogDecoder {
    var held: LogRecord?

    mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix(" "), var h = held {
            h.fields[0].value = .string((h.fields[0].value.stringValue ?? "") + "\n" + text)
            held = h
            return
        }
        if let h = held { records.append(h) }
        var r = LogRecord(timestamp: Timestamp(microseconds: 1_700_000_000_000_000), dataset: .auth, offset: offset)
        r.set(FieldID("message"), text)
        held = r
    }

    mutating func flush(into records: inout [LogRecord]) {
        if let h = held { records.append(h) }
        held = nil
    }

    var heldOffset: UInt64? { held?.offset }
}

/// Collects events from the tailer's thread; the test reads them through the same lock.
final class CollectingSink: LogEventSink, Sendable {
    private let state = Mutex<[Event]>([])
    func write(_ event: Event) { state.withLock { $0.append(event) } }
    func commit() -> Bool { true }
    var events: [Event] { state.withLock { $0 } }
    var messages: [String] { events.compactMap { $0[FieldID("message")]?.stringValue } }
}

/// A scratch directory removed at the end of the test.
final class ScratchDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "vigil-tail-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// Appends lines to a file through its own descriptor (as a daemon does).
final class Appender {
    var fd: Int32
    init(_ path: String) { fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
    func write(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
    /// Reopens the path, as nginx does on SIGUSR1 after logrotate renamed its file.
    func reopen(_ path: String) {
        close(fd)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }
    deinit { close(fd) }
}

func echoSource(_ pattern: String) -> LogSource {
    LogSource(format: "echo", pattern: pattern) { _ in EchoDecoder() }
}

/// Runs `follow` on its own thread until `done` returns true for the collected events (bounded by
/// `seconds`), then stops it and waits for it to finish.
func followUntil(
    _ tailer: LogTailer, sink: CollectingSink, seconds: Double = 20, while body: () -> Void,
    done: ([String]) -> Bool
) {
    let stop = StopSignal()
    let finished = DispatchSemaphore(value: 0)
    // The tailer is used only by the thread below until `finished` is signalled; the semaphore orders
    // its last use before the test reads `tailer.stats`.
    nonisolated(unsafe) let unsafeTailer = tailer
    let thread = Thread {
        unsafeTailer.follow(until: stop)
        finished.signal()
    }
    thread.start()
    body()
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline && !done(sink.messages) { usleep(20_000) }
    stop.stop()
    finished.wait()
}

/// Every expected line arrived, and none twice; reports a few of each kind of difference.
func expectExactlyOnce(_ got: [String], _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    var counts: [String: Int] = [:]
    for m in got { counts[m, default: 0] += 1 }
    let missing = expected.filter { counts[$0] == nil }
    let repeated = counts.filter { $0.value > 1 }.map(\.key).sorted()
    let unexpected = Set(got).subtracting(expected).sorted()
    if !missing.isEmpty {
        Issue.record("missing \(missing.count): \(missing.prefix(5))", sourceLocation: sourceLocation)
    }
    if !repeated.isEmpty {
        Issue.record("repeated \(repeated.count): \(repeated.prefix(5))", sourceLocation: sourceLocation)
    }
    if !unexpected.isEmpty {
        Issue.record("unexpected \(unexpected.count): \(unexpected.prefix(5))", sourceLocation: sourceLocation)
    }
}

@Suite("Log tailer on real files", .serialized)
struct LogTailerTests {
    func options() -> LogTailer.Options {
        var o = LogTailer.Options(observerID: "test")
        o.pollInterval = 0.005
        o.rotateGrace = 0.1
        o.idleFlush = 0.05
        o.commitInterval = 0.02
        return o
    }

    @Test("reading a file twice gives the same events with the same ids and offsets")
    func deterministic() throws {
        let dir = ScratchDir()
        let path = dir.file("a.log")
        try "first\nsecond\n  continued\nthird".write(toFile: path, atomically: true, encoding: .utf8)
        var runs: [[Event]] = []
        for _ in 0..<2 {
            let sink = CollectingSink()
            let tailer = try LogTailer(sources: [echoSource(path)], options: options(), sink: sink, checkpoint: nil)
            try tailer.readToEnd()
            runs.append(sink.events)
            #expect(tailer.stats.lines == 4)
        }
        #expect(runs[0].map(\.id) == runs[1].map(\.id))
        #expect(
            runs[0].compactMap { $0[FieldID("message")]?.stringValue } == ["first", "second\n  continued", "third"])
        #expect(runs[0].map { $0[Fields.logOffset] } == [.int(0), .int(6), .int(25)])
        #expect(Set(runs[0].map(\.id)).count == 3)
    }

    @Test("rename-and-create rotation, repeated while a writer appends, delivers every line exactly once")
    func renameRotation() throws {
        let dir = ScratchDir()
        let path = dir.file("app.log")
        let writer = Appender(path)
        let sink = CollectingSink()
        let tailer = try LogTailer(sources: [echoSource(path)], options: options(), sink: sink, checkpoint: nil)
        let total = 3000
        followUntil(tailer, sink: sink) {
            for i in 0..<total {
                writer.write("line \(i)\n")
                if i % 500 == 250 {
                    // logrotate: rename, create; the daemon writes a few more lines to the old file
                    // before it reopens.
                    _ = rename(path, dir.file("app.log.1"))
                    writer.write("line \(i).late\n")
                    usleep(2000)
                    writer.reopen(path)
                }
                // Each file generation lives for many polls, as real ones (hours) do.
                if i % 10 == 0 { usleep(1000) }
            }
        } done: {
            $0.count >= total + 6
        }
        let messages = sink.messages
        let expected =
            (0..<total).map { "line \($0)" } + (0..<total).filter { $0 % 500 == 250 }.map { "line \($0).late" }
        expectExactlyOnce(messages, expected)
        #expect(tailer.stats.rotations >= 6)
    }

    @Test("copytruncate rotation, repeated while a writer appends, delivers every line exactly once")
    func copyTruncate() throws {
        let dir = ScratchDir()
        let path = dir.file("app.log")
        let writer = Appender(path)
        let sink = CollectingSink()
        let tailer = try LogTailer(sources: [echoSource(path)], options: options(), sink: sink, checkpoint: nil)
        let total = 3000
        followUntil(tailer, sink: sink) {
            for i in 0..<total {
                writer.write("line \(i)\n")
                if i % 400 == 200 {
                    // logrotate copytruncate: copy, then truncate in place (the writer keeps its fd, O_APPEND).
                    try? FileManager.default.removeItem(atPath: dir.file("app.log.1"))
                    try? FileManager.default.copyItem(atPath: path, toPath: dir.file("app.log.1"))
                    _ = truncate(path, 0)
                }
                // Each file generation lives for many polls, as real ones (hours) do.
                if i % 10 == 0 { usleep(1000) }
            }
        } done: {
            $0.count >= total
        }
        let messages = sink.messages
        expectExactlyOnce(messages, (0..<total).map { "line \($0)" })
        #expect(tailer.stats.truncations >= 1)
    }

    @Test("a restart resumes from the checkpoint: nothing lost, nothing repeated")
    func restart() throws {
        let dir = ScratchDir()
        let path = dir.file("app.log")
        let store = TailCheckpointStore(path: dir.file("checkpoint.json"))
        let writer = Appender(path)
        for i in 0..<100 { writer.write("line \(i)\n") }
        let first = CollectingSink()
        try LogTailer(sources: [echoSource(path)], options: options(), sink: first, checkpoint: store).readToEnd()
        for i in 100..<150 { writer.write("line \(i)\n") }
        let second = CollectingSink()
        try LogTailer(sources: [echoSource(path)], options: options(), sink: second, checkpoint: store).readToEnd()
        #expect(first.messages == (0..<100).map { "line \($0)" })
        #expect(second.messages == (100..<150).map { "line \($0)" })
    }

    @Test("a file rotated while the tailer was stopped is drained from its old offset before the new one")
    func rotatedWhileStopped() throws {
        let dir = ScratchDir()
        let path = dir.file("app.log")
        let store = TailCheckpointStore(path: dir.file("checkpoint.json"))
        let writer = Appender(path)
        for i in 0..<10 { writer.write("line \(i)\n") }
        try LogTailer(sources: [echoSource(path)], options: options(), sink: CollectingSink(), checkpoint: store)
            .readToEnd()
        for i in 10..<20 { writer.write("line \(i)\n") }
        _ = rename(path, dir.file("app.log.1"))
        writer.reopen(path)
        for i in 20..<30 { writer.write("line \(i)\n") }
        let sink = CollectingSink()
        try LogTailer(sources: [echoSource(path)], options: options(), sink: sink, checkpoint: store).readToEnd()
        #expect(sink.messages.sorted() == (10..<30).map { "line \($0)" }.sorted())
    }

    @Test("a reused inode with other content is read from its start")
    func inodeReuse() throws {
        let dir = ScratchDir()
        let path = dir.file("app.log")
        let store = TailCheckpointStore(path: dir.file("checkpoint.json"))
        try "old one\nold two\n".write(toFile: path, atomically: false, encoding: .utf8)
        try LogTailer(sources: [echoSource(path)], options: options(), sink: CollectingSink(), checkpoint: store)
            .readToEnd()
        // Same inode (truncate and rewrite in place), new content longer than the old offset.
        let fd = open(path, O_WRONLY | O_TRUNC)
        _ = Array("new first line\nnew second\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let sink = CollectingSink()
        try LogTailer(sources: [echoSource(path)], options: options(), sink: sink, checkpoint: store).readToEnd()
        #expect(sink.messages == ["new first line", "new second"])
    }

    @Test("after copytruncate the checkpoint follows the new content, not the old file's end")
    func checkpointAfterCopyTruncate() throws {
        let dir = ScratchDir()
        let path = dir.file("app.log")
        let store = TailCheckpointStore(path: dir.file("checkpoint.json"))
        let writer = Appender(path)
        for i in 0..<50 { writer.write("old line \(i)\n") }
        let sink = CollectingSink()
        let tailer = try LogTailer(sources: [echoSource(path)], options: options(), sink: sink, checkpoint: store)
        tailer.poll(adoptRotated: true)
        try FileManager.default.copyItem(atPath: path, toPath: dir.file("app.log.1"))
        _ = truncate(path, 0)
        writer.write("new one\nnew two\n")
        tailer.poll(adoptRotated: false)
        tailer.poll(adoptRotated: false)
        tailer.commit()
        // "new two" is still held by the echo decoder (it waits for continuation lines).
        #expect(sink.messages == (0..<50).map { "old line \($0)" } + ["new one"])
        // The checkpoint stops at the held line's start in the new content, not at the old file's length.
        #expect(try store.load().map(\.offset) == [8])
    }

    @Test("the checkpoint never passes a record a decoder still holds")
    func heldRecordNotCheckpointed() throws {
        let dir = ScratchDir()
        let path = dir.file("db.log")
        let store = TailCheckpointStore(path: dir.file("checkpoint.json"))
        let writer = Appender(path)
        writer.write("stmt one\n  more\nstmt two\n  more of two\n")
        let sink = CollectingSink()
        let tailer = try LogTailer(sources: [echoSource(path)], options: options(), sink: sink, checkpoint: store)
        tailer.poll(adoptRotated: true)
        tailer.commit()
        // "stmt two" is held (its continuation may still come): the checkpoint stops before it.
        #expect(sink.messages == ["stmt one\n  more"])
        #expect(try store.load().map(\.offset) == [16])
    }

    @Test("an unreadable checkpoint is an error naming the file, not a silent restart from zero")
    func badCheckpoint() throws {
        let dir = ScratchDir()
        let path = dir.file("checkpoint.json")
        try "{not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: VigilError.self) {
            _ = try LogTailer(
                sources: [echoSource(dir.file("x.log"))], options: options(), sink: CollectingSink(),
                checkpoint: TailCheckpointStore(path: path))
        }
        do {
            _ = try TailCheckpointStore(path: path).load()
        } catch {
            #expect(error.message.contains(path))
            #expect(error.code == .badCheckpoint)
        }
    }

    @Test("globs pick up files created after the start")
    func globLateCreation() throws {
        let dir = ScratchDir()
        let sink = CollectingSink()
        let tailer = try LogTailer(
            sources: [echoSource(dir.file("*.log"))], options: options(), sink: sink, checkpoint: nil)
        followUntil(tailer, sink: sink) {
            usleep(30_000)
            Appender(dir.file("late.log")).write("hello\n")
            Appender(dir.file("other.txt")).write("not matched\n")
        } done: {
            $0.contains("hello")
        }
        #expect(sink.messages == ["hello"])
    }
}

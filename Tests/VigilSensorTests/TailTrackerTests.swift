import Testing

@testable import VigilSensor

@Suite("Tail rotation state machine")
struct TailTrackerTests {
    let a = FileKey(device: 1, inode: 10)
    let b = FileKey(device: 1, inode: 11)

    func stat(_ key: FileKey, _ size: UInt64) -> FileStat { FileStat(key: key, size: size) }

    @Test("a new file is opened from its start and read as it grows")
    func newFile() {
        var t = TailTracker(checkpoint: [])
        #expect(
            t.plan(now: 0, listing: [("/l", stat(a, 5))], openSizes: [:])
                == [.open(path: "/l", key: a, offset: 0, fingerprint: nil)])
        t.didRead(a, count: 5)
        #expect(t.plan(now: 1, listing: [("/l", stat(a, 5))], openSizes: [a: 5]) == [])
        #expect(t.plan(now: 2, listing: [("/l", stat(a, 9))], openSizes: [a: 9]) == [.read(a)])
    }

    @Test("rename and create: the old file is drained, closed after the grace period; the new one starts at 0")
    func renameRotation() {
        var t = TailTracker(checkpoint: [], rotateGrace: 5)
        _ = t.plan(now: 0, listing: [("/l", stat(a, 5))], openSizes: [:])
        t.didRead(a, count: 5)
        // Renamed away; the writer still appends to it for a moment; a new file appears at the path.
        let actions = t.plan(now: 1, listing: [("/l", stat(b, 0))], openSizes: [a: 8])
        #expect(actions == [.open(path: "/l", key: b, offset: 0, fingerprint: nil), .read(a)])
        t.didRead(a, count: 3)
        #expect(t.plan(now: 3, listing: [("/l", stat(b, 0))], openSizes: [a: 8, b: 0]) == [])
        #expect(t.plan(now: 6.5, listing: [("/l", stat(b, 0))], openSizes: [a: 8, b: 0]) == [.close(a)])
        #expect(t.rotations == 1)
        #expect(t.checkpoint.map(\.key) == [b])
    }

    @Test("copytruncate: a file shorter than what was read starts again at 0")
    func copyTruncate() {
        var t = TailTracker(checkpoint: [])
        _ = t.plan(now: 0, listing: [("/l", stat(a, 50))], openSizes: [:])
        t.didRead(a, count: 50)
        t.handedOn(a, upTo: 50)
        #expect(t.plan(now: 1, listing: [("/l", stat(a, 10))], openSizes: [a: 10]) == [.truncated(a)])
        #expect(t.cursor(a)?.offset == 0)
        #expect(t.truncations == 1)
    }

    @Test("a pattern that matches nothing yet picks the file up when it is created")
    func lateCreation() {
        var t = TailTracker(checkpoint: [], startAtEnd: true)
        #expect(t.plan(now: 0, listing: [], openSizes: [:]) == [])
        // Created after start: read from 0 even though existing files start at their end.
        #expect(
            t.plan(now: 1, listing: [("/l", stat(a, 7))], openSizes: [:])
                == [.open(path: "/l", key: a, offset: 0, fingerprint: nil)])
    }

    @Test("files present at the first start begin at their end when asked to")
    func startAtEnd() {
        var t = TailTracker(checkpoint: [], startAtEnd: true)
        #expect(
            t.plan(now: 0, listing: [("/l", stat(a, 700))], openSizes: [:])
                == [.open(path: "/l", key: a, offset: 700, fingerprint: nil)])
    }

    @Test("a restart resumes from the checkpoint with the fingerprint to verify")
    func resume() {
        let cursor = TailCursor(path: "/l", key: a, fingerprint: "f1", offset: 40)
        var t = TailTracker(checkpoint: [cursor])
        #expect(
            t.plan(now: 0, listing: [("/l", stat(a, 90))], openSizes: [:])
                == [.open(path: "/l", key: a, offset: 40, fingerprint: "f1")])
        t.fingerprintMismatch(a)
        #expect(t.cursor(a)?.offset == 0)
    }

    @Test("a checkpointed file with nothing new is not opened, and stays in the checkpoint")
    func unchangedNotOpened() {
        let cursor = TailCursor(path: "/l", key: a, fingerprint: "f1", offset: 40)
        var t = TailTracker(checkpoint: [cursor])
        #expect(t.plan(now: 0, listing: [("/l", stat(a, 40))], openSizes: [:]) == [])
        t.forgetUnmatched()
        #expect(t.checkpoint == [cursor])
    }

    @Test("a file rotated while stopped is adopted at its new name from the checkpointed offset")
    func rotatedWhileDown() {
        let cursor = TailCursor(path: "/l", key: a, fingerprint: "f1", offset: 40)
        var t = TailTracker(checkpoint: [cursor])
        _ = t.plan(now: 0, listing: [("/l", stat(b, 3))], openSizes: [:])
        #expect(t.unmatchedCursors == [cursor])
        #expect(
            t.adoptRotated(path: "/l.1", stat: stat(a, 60), now: 0)
                == .open(path: "/l.1", key: a, offset: 40, fingerprint: "f1"))
        t.forgetUnmatched()
        #expect(Set(t.checkpoint.map(\.key)) == [a, b])
    }

    @Test("checkpointed files gone for good are forgotten after adoption had its chance")
    func forgetGone() {
        var t = TailTracker(checkpoint: [TailCursor(path: "/gone", key: a, fingerprint: nil, offset: 4)])
        _ = t.plan(now: 0, listing: [], openSizes: [:])
        t.forgetUnmatched()
        #expect(t.checkpoint.isEmpty)
    }
}

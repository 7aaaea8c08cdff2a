import Foundation
import VigilCore

/// Writes events as JSON lines to a file descriptor through a large buffer (one write per 256 KiB).
///
/// `@unchecked Sendable` because every access to its mutable state (`writer`, `failed`) holds
/// `lock`: a capture's writer thread and a log tailer's thread may share one output. The lock is
/// uncontended in the common single-source case (tens of nanoseconds against microseconds of JSON
/// encoding per event).
public final class EventWriter: @unchecked Sendable, LogEventSink, EventBatchWriter {
    private let lock = NSLock()
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var writer = JSONWriter(capacity: 1 << 18)
    private var failed: String?

    public init(fd: Int32, ownsDescriptor: Bool) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
    }

    /// Creates or truncates `path`.
    public convenience init(path: String) throws(VigilError) {
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw VigilError(.io, "\(path): cannot write: \(String(cString: strerror(errno)))")
        }
        self.init(fd: fd, ownsDescriptor: true)
    }

    public func write(_ event: Event) {
        lock.lock()
        defer { lock.unlock() }
        event.writeJSON(to: &writer)
        writer.byte(0x0A)
        if writer.byteCount >= 1 << 18 { flushLocked() }
    }

    /// Writes one JSON line that `body` appends to the output buffer (an event encoded as it is built).
    public func writeLine(_ body: (inout JSONWriter) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&writer)
        writer.byte(0x0A)
        if writer.byteCount >= 1 << 18 { flushLocked() }
    }

    public func endBatch() { flush() }

    public func flush() {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
    }

    /// Writes what is buffered and, for a file, fsyncs it: a tailer checkpoints after this returns
    /// true, so a crash never skips events that were not on disk.
    public func commit() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
        if failed != nil { return false }
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            failed = String(cString: strerror(errno))
            return false
        }
        return true
    }

    private func flushLocked() {
        guard failed == nil else { writer.removeAll(); return }
        writer.withBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = String(cString: strerror(errno))
                    return
                }
                offset += n
            }
        }
        writer.removeAll()
    }

    public var failure: String? {
        lock.lock()
        defer { lock.unlock() }
        return failed
    }

    public func close() {
        flush()
        if ownsDescriptor { _ = Foundation.close(fd) }
    }
}

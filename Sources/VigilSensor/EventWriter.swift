import Foundation
import VigilCore

/// Writes events as JSON lines to a file descriptor through a large buffer (one write per 256 KiB).
///
/// `@unchecked Sendable` because it is owned by one thread at a time, never shared: it is created
/// on one thread and handed whole to the thread that writes (`BackgroundEventSink`), which alone
/// uses it until it signals completion; the semaphores there order every access (happens-before).
public final class EventWriter: @unchecked Sendable {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var writer = JSONWriter(capacity: 1 << 18)
    public private(set) var failed: String?

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
        event.writeJSON(to: &writer)
        writer.byte(0x0A)
        if writer.bytes.count >= 1 << 18 { flush() }
    }

    public func flush() {
        guard failed == nil else { writer.bytes.removeAll(keepingCapacity: true); return }
        writer.bytes.withUnsafeBytes { buf in
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
        writer.bytes.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        if ownsDescriptor { _ = Foundation.close(fd) }
    }
}

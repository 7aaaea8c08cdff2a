import Foundation
import Testing
import VigilCore

@Suite("sd_notify without libsystemd")
struct SystemdNotifyTests {
    @Test("the watchdog interval is half of WATCHDOG_USEC, and only for the process WATCHDOG_PID names")
    func watchdogInterval() {
        let pid = String(ProcessInfo.processInfo.processIdentifier)
        let ours = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": pid])
        #expect(ours.watchdogInterval == .seconds(15))
        let theirs = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"])
        #expect(theirs.watchdogInterval == nil, "a watchdog meant for another process is not ours to feed")
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]).watchdogInterval == nil)
    }

    @Test("outside systemd nothing is sent; to a socket that is gone, the send fails quietly")
    func noSocket() {
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"]).notify("READY=1"))
    }
}

/// A Unix datagram socket bound to a temporary path: what journald's or systemd's socket receives.
final class DatagramSink {
    let path: String
    let fd: Int32

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dg-\(UUID().uuidString.prefix(8))")
            .path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw VigilError(.io, "cannot bind \(path)") }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil after `timeoutMillis`.
    func receive(timeoutMillis: Int32 = 1000) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMillis) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }
}

@Suite("journald's native protocol without libsystemd")
struct JournalWriterTests {
    @Test("an entry carries MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and the fields, one per line")
    func entry() throws {
        let sink = try DatagramSink()
        let journal = JournalWriter(identifier: "vigil-test", socketPath: sink.path)
        #expect(journal.send(message: "head 7\nforged=1", fields: [("VIGIL_TIMELINE_SEQ", "7")]))
        #expect(
            sink.receive()
                == "MESSAGE=head 7 forged=1\nPRIORITY=6\nSYSLOG_IDENTIFIER=vigil-test\nVIGIL_TIMELINE_SEQ=7\n",
            "a newline in a value cannot forge a field")
        #expect(!JournalWriter(identifier: "x", socketPath: "/nonexistent/journal").send(message: "m"))
    }
}

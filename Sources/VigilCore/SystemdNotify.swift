#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The service side of systemd's notification protocol (`sd_notify(3)`), without libsystemd: one
/// datagram per message to the Unix socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the
/// abstract namespace). With `Type=notify` systemd waits for `READY=1` before it considers the
/// service started, and with `WatchdogSec=` it restarts a service that stops sending `WATCHDOG=1`.
/// Outside systemd (no `$NOTIFY_SOCKET`) every call does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket path; nil when not run by systemd with notification enabled.
    public let socketPath: String?
    /// Half of `$WATCHDOG_USEC` (systemd's advice: ping at least twice per period), or nil when no
    /// watchdog is configured for this process (`$WATCHDOG_PID`, when set, must be ours).
    public let watchdogInterval: Duration?

    public init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if path != nil, let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].map({ Int32($0) == getpid() }) ?? true
        {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// The process environment's notifier.
    public static func fromProcess() -> SystemdNotifier {
        var environment: [String: String] = [:]
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        return SystemdNotifier(environment: environment)
    }

    /// Sends `state` (newline-separated `KEY=value` assignments, e.g. `READY=1\nSTATUS=listening`);
    /// false when there is no socket or the send failed (systemd gone: nothing to do about it).
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        return UnixDatagram.send(Array(state.utf8), to: socketPath)
    }
}

/// One datagram to a Unix socket path (or `@name`, Linux's abstract namespace): systemd's
/// notification and journal sockets.
enum UnixDatagram {
    static func send(_ message: [UInt8], to socketPath: String) -> Bool {
        guard socketPath.utf8.count < 108 else { return false }
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        // "@name": Linux's abstract namespace, a leading NUL byte instead of the '@'.
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, length) }
            }
        }
        return sent == message.count
    }
}

/// Structured entries for systemd-journald over its native socket (`systemd.journal-fields(7)`),
/// without libsystemd: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER` and the caller's own fields
/// (upper-case names), which `journalctl VIGIL_TIMELINE_HASH=…` finds again. Outside systemd (no
/// socket) sends do nothing.
public struct JournalWriter: Sendable {
    public static let defaultSocket = "/run/systemd/journal/socket"
    public let socketPath: String
    public let identifier: String

    public init(identifier: String, socketPath: String = JournalWriter.defaultSocket) {
        self.identifier = identifier
        self.socketPath = socketPath
    }

    /// The datagram for one entry: `KEY=value` lines (values on one line: newlines become spaces).
    public func entry(message: String, priority: Int, fields: [(String, String)]) -> [UInt8] {
        var text = ""
        for (key, value) in [("MESSAGE", message), ("PRIORITY", String(priority)), ("SYSLOG_IDENTIFIER", identifier)]
            + fields
        {
            text += key + "=" + value.replacingNewlines() + "\n"
        }
        return Array(text.utf8)
    }

    /// Sends one entry (priority 6: info); false when journald is not there.
    @discardableResult
    public func send(message: String, priority: Int = 6, fields: [(String, String)] = []) -> Bool {
        UnixDatagram.send(entry(message: message, priority: priority, fields: fields), to: socketPath)
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }
}

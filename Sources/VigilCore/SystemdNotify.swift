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
        guard let socketPath, socketPath.utf8.count < 108 else { return false }
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
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, length) }
            }
        }
        return sent == message.count
    }
}

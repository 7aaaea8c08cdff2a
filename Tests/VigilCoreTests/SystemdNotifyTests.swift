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

import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import VigilCore

/// Runs `body` on a thread of its own and waits for it: blocking work (files, fsync) never holds
/// one of the cooperative pool's threads (two on a two-core node).
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.start()
    }
}

/// The capture and log sources: started with the profile, restarted with a new one on SIGHUP (a
/// profile with errors is refused and the running sources stay), stopped first on SIGTERM so that
/// flows are flushed and tail checkpoints saved before the process ends.
struct SourcesService: Service {
    let agent: SensorAgent
    let initial: SensorProfile
    let notifier: SystemdNotifier

    func run() async throws {
        let current = Mutex<(stop: StopSignal, next: SensorProfile?, shuttingDown: Bool)>((StopSignal(), nil, false))
        let reloader = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicros())")
                let (profile, diagnostics) = agent.config.loadProfile()
                for d in diagnostics { agent.logger.warning("\(d)") }
                if let profile {
                    agent.logger.notice("profile \(agent.config.profile) reloaded: restarting capture and tailing")
                    current.withLock { state in
                        state.next = profile
                        state.stop.stop()
                    }
                } else {
                    agent.logger.error(
                        "profile reload refused: \(agent.config.profile) has errors; the running profile stays")
                    notifier.notify("READY=1")
                }
            }
        }
        defer { reloader.cancel() }
        var profile = initial
        while true {
            let stop = current.withLock { state in
                state.stop = StopSignal()
                if state.shuttingDown { state.stop.stop() }
                return state.stop
            }
            try await withGracefulShutdownHandler {
                try await agent.runSources(profile, stop: stop)
            } onGracefulShutdown: {
                current.withLock { state in
                    state.shuttingDown = true
                    state.stop.stop()
                }
            }
            let (next, shuttingDown) = current.withLock { state in
                defer { state.next = nil }
                return (state.next, state.shuttingDown)
            }
            if shuttingDown || Task.isCancelled { return }
            guard let next else {
                throw VigilError(.io, "the capture and log sources ended by themselves")
            }
            profile = next
            notifier.notify("READY=1")
        }
    }
}

/// The shipper's loop; on SIGTERM it drains the spool for a few seconds after the sources have
/// flushed into it (services stop in reverse order); what is left stays for the next start.
struct ShipperService: Service {
    let agent: SensorAgent

    func run() async throws {
        let shipper = agent.shipper
        let shipping = Task { await shipper.run() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await shipping.value
            } onGracefulShutdown: {
                // The sources have stopped and flushed (services stop in reverse order): up to 5 s
                // to ship the rest, so a clean stop leaves the spool empty when the correlator is
                // there; a request still out after 6 s is cancelled.
                shipper.drain(seconds: 5)
                Task {
                    try? await Task.sleep(for: .seconds(6))
                    shipping.cancel()
                }
            }
        } onCancel: {
            shipping.cancel()
        }
        await shipper.shutdown()
    }
}

/// Heartbeats to the correlator, the metrics file and the systemd watchdog, every few seconds; a
/// last heartbeat and metrics file when the sensor stops.
struct ReportingService: Service {
    let agent: SensorAgent
    let notifier: SystemdNotifier
    let capturing: Bool

    func run() async throws {
        let config = agent.config
        let metricsEvery = Double(config.metricsInterval)
        let watchdog = notifier.watchdogInterval.map { Double($0.components.seconds) } ?? 0
        let tick = max(0.5, min(metricsEvery, watchdog > 0 ? watchdog : .infinity))
        // Heartbeats on their own task: a correlator that does not answer (a black-holed network
        // waits out the request timeout) must not delay the metrics file or starve the watchdog.
        let agent = self.agent
        let beats = Task {
            while !Task.isCancelled {
                await agent.shipper.heartbeat(version: SensorAgent.version, counters: agent.counters())
                try? await Task.sleep(for: .seconds(config.shipping.heartbeatSeconds))
            }
        }
        var lastMetrics = ContinuousClock.now - .seconds(3600)
        notifier.notify("READY=1\nSTATUS=capturing, tailing and shipping")
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if ContinuousClock.now - lastMetrics >= .milliseconds(Int64(metricsEvery * 1000)) {
                lastMetrics = .now
                await onThread("vigil-metrics") { agent.writeMetrics() }
            }
            // Proof of life: the capture thread reported lately (a wedged capture stops the pings
            // and systemd restarts the sensor).
            if watchdog > 0, agent.captureAlive(within: watchdog, capturing: capturing) {
                notifier.notify("WATCHDOG=1")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int64(tick * 1000))) }
        }
        beats.cancel()
        notifier.notify("STOPPING=1")
        await onThread("vigil-metrics") { agent.writeMetrics() }
        // The last heartbeat gets a short timeout: a stop must not wait on an absent correlator.
        await agent.shipper.heartbeat(version: SensorAgent.version, counters: agent.counters(), timeout: 3)
    }
}

/// CLOCK_MONOTONIC in µs, which systemd wants with RELOADING=1.
func monotonicMicros() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
}

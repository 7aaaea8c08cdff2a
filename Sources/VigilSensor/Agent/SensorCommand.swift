import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import VigilConfig
import VigilCore

/// `vigil-sensor`: the sensor agent (issue 8). Captures and tails what its profile names, finds
/// sensitive data, spools events on disk and ships them to the correlator over mutual TLS.
public struct SensorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vigil-sensor",
        abstract: "Vigil's sensor agent: capture, tail, inspect, spool and ship events to the correlator.",
        discussion: """
            The sensor reads /etc/vigil/sensor.yaml (deploy/config/sensor.yaml documents every key) \
            and the profile it names (sensors/*.yaml: the interface and BPF filter to capture, the \
            logs to tail, the labels its events carry). Events go to a durable spool under \
            state_dir first, and leave it only when the correlator has acknowledged them: while the \
            correlator or the network is down the spool grows, and it catches up afterwards. When \
            the spool reaches spool.max_mib (or the disk spool.min_free_mib), the oldest flow \
            events are dropped first, and the loss is logged and counted (spool_lost: dropped and \
            never delivered; a batch already being sent still counts as delivered when the \
            correlator acknowledges it).

            The sensor id is the common name of its certificate (deploy/pki/make-pki.sh --sensor \
            ID); every event carries it as observer.id.

            Examples:
              vigil-sensor --config /etc/vigil/sensor.yaml --check-config
              vigil-sensor --config /etc/vigil/sensor.yaml
              systemctl reload vigil-sensor      # SIGHUP: read the profile again

            Capturing needs CAP_NET_RAW (the systemd unit grants only that); tailing needs read \
            access to the logs (the unit's SupplementaryGroups=adm). SIGTERM stops the capture, \
            flushes the flows and saves the tail checkpoint. Counters go to the correlator in \
            heartbeats and to a Prometheus textfile-collector file (metrics.textfile).
            """)

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config = "/etc/vigil/sensor.yaml"

    @Flag(
        name: .long, help: "Check the configuration, the profile and the files they name, print the problems, and exit."
    )
    var checkConfig = false

    public init() {}

    public func run() async throws {
        let (settings, profile, diagnostics) = SensorConfig.load(config)
        for d in diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
        guard let settings, let profile, diagnostics.allSatisfy(\.isWarning) else { throw ExitCode(2) }
        if let id = profile.observerID, let cn = try? CertificateFile.load(path: settings.certificate).commonName,
            id != cn
        {
            Self.say(
                "error: \(settings.profile): observer_id '\(id)' differs from the certificate's sensor id '\(cn)' (the correlator believes only the certificate)"
            )
            throw ExitCode(2)
        }
        if checkConfig {
            Self.say("\(config): OK (profile \(profile.kind))")
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "vigil-sensor")
        let agent: SensorAgent
        do {
            agent = try SensorAgent(config: settings, logger: logger)
        } catch {
            Self.say("error: \(error.message)")
            throw ExitCode(1)
        }
        let waiting = agent.spool.snapshot
        Self.say(
            "sensor \(agent.sensorID) (profile \(profile.kind)) shipping to \(settings.correlatorURL); spool \(settings.spoolPath): \(waiting.rows) events waiting, \(waiting.lost) lost in all"
        )
        let notifier = SystemdNotifier.fromProcess()
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: ShipperService(agent: agent)),
                    .init(
                        service: ReportingService(agent: agent, notifier: notifier, capturing: profile.capture != nil)),
                    .init(service: SourcesService(agent: agent, initial: profile, notifier: notifier)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            Self.say("error: \(error)")
            throw ExitCode(1)
        }
        let left = agent.spool.snapshot
        Self.say("stopped: \(left.rows) events left in the spool for the next start")
    }

    static func say(_ message: String) {
        FileHandle.standardError.write(Data("vigil-sensor: \(message)\n".utf8))
    }
}

/// The `vigil-sensor` executable's entry point.
public enum SensorMain {
    public static func main(_ arguments: [String]? = nil) async {
        do {
            var command = try SensorCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            SensorCommand.exit(withError: error)
        }
    }
}

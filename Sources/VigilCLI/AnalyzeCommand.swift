import ArgumentParser
import Foundation
import VigilCore
import VigilSensor

/// `vigil analyze`: the sensor pipeline in one process over a capture file or a live interface,
/// like `zeek -r` or `suricata -r`.
public struct AnalyzeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Decode a capture (or a live interface) into ECS events as JSON lines.",
        discussion: """
            Reads packets with libpcap (pcap or pcapng files; Ethernet, Linux cooked SLL/SLL2, raw IP, \
            NULL/LOOP links; 802.1Q/QinQ tags), tracks bidirectional flows, reassembles TCP and \
            recognises DNS, HTTP/1.x, TLS and SSH by content, whatever the port. Writes one JSON \
            object per line: a `network.flow` event per connection, and one `dns`, `http`, `tls` or \
            `ssh` event per transaction, tagged by `event.dataset`. A summary goes to stderr.

            Examples:
              vigil analyze --pcap capture.pcap
              vigil analyze --pcap capture.pcapng --bpf 'tcp port 80' --output events.ndjson
              vigil analyze --pcap capture.pcap | jq 'select(."event.dataset" == "dns")'
              sudo vigil analyze --interface lo --bpf 'port 53'      # until Ctrl-C

            Exit status: 0 on success (malformed packets are counted, not fatal); 2 when the input \
            is not a capture, the filter is invalid or the options are wrong; 1 on other errors.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A capture file to read (pcap or pcapng).", valueName: "file"))
    var pcap: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A live interface to capture on (needs root or CAP_NET_RAW).",
            valueName: "name"))
    var interface: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A tcpdump-syntax capture filter, e.g. 'tcp port 80'.",
            valueName: "expression"))
    var bpf: String?

    @Option(name: [.short, .long], help: ArgumentHelp("Write events here instead of stdout.", valueName: "file"))
    var output: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "observer.id on every event (default: the host name).",
            valueName: "id"))
    var observerID: String?

    @Option(name: .long, help: "Bytes of each HTTP body kept, decoded, for inspection.")
    var bodyLimit: Int = 8192

    @Option(name: .long, help: "Flows tracked at once; beyond it the least recently active flow is ended early.")
    var maxFlows: Int = 1_000_000

    @Option(name: .long, help: "Seconds an established TCP connection may be idle before it is ended.")
    var tcpTimeout: Int = 300

    @Option(name: .long, help: "Seconds a UDP or ICMP flow may be idle before it is ended.")
    var udpTimeout: Int = 60

    @Option(name: .long, help: "Live capture: bytes captured per packet.")
    var snaplen: Int = 262_144

    @Flag(name: .long, help: "Live capture: put the interface in promiscuous mode.")
    var promiscuous = false

    @Flag(name: [.short, .long], help: "Do not print the summary on stderr.")
    var quiet = false

    public init() {}

    public func validate() throws {
        guard (pcap == nil) != (interface == nil) else {
            throw ValidationError("give exactly one of --pcap FILE or --interface NAME")
        }
        guard bodyLimit >= 0, bodyLimit <= 16 << 20 else { throw ValidationError("--body-limit must be 0...16 MiB") }
        guard maxFlows > 0 else { throw ValidationError("--max-flows must be positive") }
        guard tcpTimeout > 0, udpTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        guard snaplen >= 64 else { throw ValidationError("--snaplen must be at least 64") }
    }

    public func run() async throws {
        let input: CaptureInput
        if let pcap {
            input = .file(pcap)
        } else {
            var options = PcapSource.LiveOptions()
            options.snaplen = Int32(snaplen)
            options.promiscuous = promiscuous
            input = .interface(interface!, options)
        }
        let writer: EventWriter
        do {
            writer =
                try output.map { path throws(VigilError) in try EventWriter(path: path) }
                ?? EventWriter(fd: STDOUT_FILENO, ownsDescriptor: false)
        } catch {
            throw Self.fail(error)
        }
        let stop = StopSignal()
        let signals = Self.trapSignals(stop)
        defer { signals.forEach { $0.cancel() } }
        let (bodyLimit, maxFlows, tcpTimeout, udpTimeout) = (bodyLimit, maxFlows, tcpTimeout, udpTimeout)
        let summary: CaptureSummary
        do {
            summary = try await CaptureRun.run(
                input: input, filter: bpf, observerID: observerID ?? Self.hostName(),
                configure: { config in
                    config.bodyLimit = bodyLimit
                    config.maxFlows = maxFlows
                    config.timeouts.tcpEstablished = Int64(tcpTimeout)
                    config.timeouts.udp = Int64(udpTimeout)
                    config.timeouts.icmp = Int64(udpTimeout)
                },
                stop: stop,
                sink: { config in
                    let sink = BackgroundEventSink(factory: EventFactory(config: config), writer: writer)
                    return (output: sink.emit, close: sink.close)
                })
        } catch let error as VigilError {
            throw Self.fail(error)
        }
        if let failure = writer.failed {
            throw Self.fail(VigilError(.io, "\(output ?? "stdout"): write failed: \(failure)"))
        }
        if !quiet {
            FileHandle.standardError.write(
                Data(
                    SummaryFormatter.text(summary, source: pcap ?? interface!).utf8))
        }
    }

    /// The exit status for an error that escaped `run` (the entry point prints the message).
    static func exitCode(for error: any Error) -> ExitCode {
        if let error = error as? VigilError { return fail(error) }
        return ExitCode(1)
    }

    static func fail(_ error: VigilError) -> ExitCode {
        FileHandle.standardError.write(Data("vigil: error: \(error.message)\n".utf8))
        switch error.code {
        case .notACapture, .badFilter, .usage: return ExitCode(2)
        default: return ExitCode(1)
        }
    }

    static func hostName() -> String {
        ProcessInfo.processInfo.hostName
    }

    /// SIGINT/SIGTERM stop the capture cleanly: flows are flushed and the summary printed.
    static func trapSignals(_ stop: StopSignal) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.stop() }
            source.resume()
            return source
        }
    }
}

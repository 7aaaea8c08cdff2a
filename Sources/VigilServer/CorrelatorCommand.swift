import ArgumentParser
import Foundation
import Logging
import VigilConfig
import VigilCore
import VigilRules
import VigilStore

/// `vigil-correlator`: the correlator service (issue 6). Sensors post events over mutual TLS; the
/// correlator stores them, runs the rules and keeps incidents.
public struct CorrelatorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vigil-correlator",
        abstract: "Vigil's correlator: authenticated ingest, event store, rules and incidents.",
        discussion: """
            Sensors send NDJSON event batches to POST /v1/events over HTTPS with a client certificate \
            from the platform CA (deploy/schema/ingest.md); the certificate's common name is the \
            sensor id. Each batch is answered after it is committed to the SQLite store.

            Examples:
              deploy/pki/make-pki.sh /etc/vigil/pki --sensor web-01
              vigil-correlator --config /etc/vigil/correlator.yaml --check-config
              vigil-correlator --config /etc/vigil/correlator.yaml
            """)

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config = "/etc/vigil/correlator.yaml"

    @Flag(name: .long, help: "Check the configuration and the files it names, print the problems, and exit.")
    var checkConfig = false

    public init() {}

    public func run() async throws {
        let (settings, diagnostics) = Self.load(config)
        for d in diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
        guard let settings, diagnostics.allSatisfy(\.isWarning) else { throw ExitCode(2) }
        if checkConfig {
            FileHandle.standardError.write(Data("vigil-correlator: \(config): OK\n".utf8))
            return
        }
        var logger = Logger(label: "vigil-correlator")
        logger.logLevel = .info
        let service = try Self.service(settings)
        let (restored, replayed) = await service.restoreCorrelation()
        if restored > 0 || replayed > 0 {
            FileHandle.standardError.write(
                Data(
                    "vigil-correlator: correlation state of \(restored) rules restored, \(replayed) events replayed\n"
                        .utf8))
        }
        let app = try CorrelatorServer.application(config: settings, service: service, logger: logger) { port in
            FileHandle.standardError.write(
                Data("vigil-correlator: listening on \(settings.host):\(port) (mutual TLS)\n".utf8))
        }
        // Retention: hourly, from the start.
        let retention = Task {
            while !Task.isCancelled {
                let deleted = await service.enforceRetention(days: settings.retentionDays)
                if deleted > 0 {
                    FileHandle.standardError.write(
                        Data(
                            "vigil-correlator: retention deleted \(deleted) events older than \(settings.retentionDays) days\n"
                                .utf8))
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }
        defer { retention.cancel() }
        try await app.runService()
        // Graceful stop (SIGTERM/SIGINT): the correlation state goes to the store for the next start.
        await service.saveCorrelation()
    }

    /// The config and every problem with it or with the files it names.
    static func load(_ path: String) -> (CorrelatorConfig?, [ConfigDiagnostic]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return (nil, [ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file")])
        }
        var diagnostics: [ConfigDiagnostic] = []
        guard let config = CorrelatorConfig.parse(text, file: path, diagnostics: &diagnostics) else {
            return (nil, diagnostics)
        }
        diagnostics += config.checkFiles(file: path)
        if let rules = config.rules {
            let result = RuleLoader.load(directory: rules)
            diagnostics += result.diagnostics
        }
        return (config, diagnostics)
    }

    /// Opens the store and loads the rules the config names.
    public static func service(_ settings: CorrelatorConfig) throws -> IngestService {
        let store = try SQLiteStore(path: settings.store)
        guard let directory = settings.rules else { return IngestService(store: store, limits: settings.limits) }
        let result = RuleLoader.load(directory: directory)
        let psl = try? PublicSuffixList.load(path: PublicSuffixList.systemPath)
        return IngestService(
            store: store, limits: settings.limits, rules: result.rules, correlations: result.correlations,
            enrichment: Enrichment(publicSuffixes: psl, calendar: result.calendar),
            latenessMicros: Int64(settings.latenessSeconds) * 1_000_000)
    }
}

/// The `vigil-correlator` executable's entry point.
public enum CorrelatorMain {
    public static func main(_ arguments: [String]? = nil) async {
        do {
            var command = try CorrelatorCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            CorrelatorCommand.exit(withError: error)
        }
    }
}

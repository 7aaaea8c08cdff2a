import Foundation
import VigilConfig
import VigilCore

/// `/etc/vigil/sensor.yaml` (deploy/config/sensor.yaml documents every key): the profile, where the
/// correlator is and the TLS material, the state folder, spool, shipping, limits, Inspect key and
/// metrics file. Every problem is reported with file, line and key (`vigil-sensor --check-config`).
public struct SensorConfig: Sendable {
    public struct Shipping: Sendable, Equatable {
        public var batchEvents = 2000
        public var batchBytes = 4096 << 10
        public var batchWaitMillis = 1000
        /// Batches in flight at once, one per connection (the correlator admits 4 per sensor).
        public var connections = 2
        public var timeoutSeconds = 30
        public var heartbeatSeconds = 30
        /// The longest wait between two attempts to send a batch (exponential backoff with full
        /// jitter from 1 s): how long a recovered correlator may wait for this sensor at worst.
        public var retryMaxSeconds = 300
        public init() {}
    }

    public var profile = "/etc/vigil/sensors/web-node.yaml"
    /// Overrides the profile's capture interface (the profile says eth0, this node has ens3).
    public var interface: String?
    public var correlatorURL = "https://127.0.0.1:8443"
    public var ca = "/etc/vigil/pki/ca.crt"
    public var certificate = "/etc/vigil/pki/sensor.crt"
    public var key = "/etc/vigil/pki/sensor.key"
    public var stateDir = "/var/lib/vigil/sensor"
    public var spool = Spool.Limits()
    public var shipping = Shipping()
    public var maxFlows = 200_000
    public var inspectKeyFile: String?
    public var metricsFile: String?
    public var metricsInterval = 15

    public init() {}

    public var spoolPath: String { stateDir + "/spool.db" }
    public var checkpointPath: String { stateDir + "/tail-checkpoint.json" }
    public var deadLetterPath: String { stateDir + "/dead-letter.ndjson" }
    public var metricsPath: String { metricsFile ?? stateDir + "/vigil-sensor.prom" }

    static let keys = [
        "profile", "interface", "correlator", "state_dir", "spool", "shipping", "limits", "inspect", "metrics",
    ]

    /// Parses the config text; nil (with diagnostics) when it has errors.
    public static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> SensorConfig? {
        let reader = ConfigReader(file: file)
        defer { diagnostics += reader.diagnostics }
        guard let root = reader.root(text) else { return nil }
        guard root.isMapping else {
            root.error("the sensor config is a mapping with profile, correlator, state_dir …")
            return nil
        }
        root.allowOnly(keys)
        var c = SensorConfig()
        c.profile = root.child("profile")?.string() ?? c.profile
        c.interface = root.child("interface")?.string()
        if let node = root.child("correlator") {
            node.allowOnly(["url", "ca", "certificate", "key"])
            if let urlNode = node.child("url"), let url = urlNode.string() {
                if let parsed = URL(string: url), parsed.scheme == "https", parsed.host != nil {
                    c.correlatorURL = url.hasSuffix("/") ? String(url.dropLast()) : url
                } else {
                    urlNode.error(
                        "'\(url)' is not an https URL", hint: "e.g. https://correlator.example.gov.cn:8443")
                }
            }
            c.ca = node.child("ca")?.string() ?? c.ca
            c.certificate = node.child("certificate")?.string() ?? c.certificate
            c.key = node.child("key")?.string() ?? c.key
        } else {
            root.error("missing key 'correlator'", hint: "url, ca, certificate and key of this sensor")
        }
        c.stateDir = root.child("state_dir")?.string() ?? c.stateDir
        if let node = root.child("spool") {
            node.allowOnly(["max_mib", "min_free_mib"])
            if let v = node.child("max_mib")?.int(in: 1...1_048_576) { c.spool.maxBytes = Int64(v) << 20 }
            if let v = node.child("min_free_mib")?.int(in: 0...1_048_576) { c.spool.minFreeBytes = Int64(v) << 20 }
        }
        if let node = root.child("shipping") {
            node.allowOnly([
                "batch_events", "batch_kib", "batch_wait_ms", "connections", "timeout_seconds", "heartbeat_seconds",
                "retry_max_seconds",
            ])
            let s = c.shipping
            // The correlator's defaults: 50 000 lines and 64 MiB after gzip per batch.
            c.shipping.batchEvents = node.child("batch_events")?.int(in: 1...50_000) ?? s.batchEvents
            c.shipping.batchBytes = (node.child("batch_kib")?.int(in: 1...65_536)).map { $0 << 10 } ?? s.batchBytes
            c.shipping.batchWaitMillis = node.child("batch_wait_ms")?.int(in: 10...600_000) ?? s.batchWaitMillis
            c.shipping.connections = node.child("connections")?.int(in: 1...4) ?? s.connections
            c.shipping.timeoutSeconds = node.child("timeout_seconds")?.int(in: 1...600) ?? s.timeoutSeconds
            c.shipping.heartbeatSeconds = node.child("heartbeat_seconds")?.int(in: 1...3600) ?? s.heartbeatSeconds
            c.shipping.retryMaxSeconds = node.child("retry_max_seconds")?.int(in: 1...3600) ?? s.retryMaxSeconds
        }
        if let node = root.child("limits") {
            node.allowOnly(["max_flows"])
            c.maxFlows = node.child("max_flows")?.int(in: 100...100_000_000) ?? c.maxFlows
        }
        if let node = root.child("inspect") {
            node.allowOnly(["key_file"])
            c.inspectKeyFile = node.child("key_file")?.string()
        }
        if let node = root.child("metrics") {
            node.allowOnly(["textfile", "interval_seconds"])
            c.metricsFile = node.child("textfile")?.string()
            c.metricsInterval = node.child("interval_seconds")?.int(in: 1...3600) ?? c.metricsInterval
        }
        return reader.errors.isEmpty ? c : nil
    }

    /// The config at `path` and every problem with it, with the files it names, and with the
    /// profile (errors stop the sensor; warnings do not).
    public static func load(_ path: String) -> (SensorConfig?, SensorProfile?, [ConfigDiagnostic]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return (nil, nil, [ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file")])
        }
        var diagnostics: [ConfigDiagnostic] = []
        guard let config = parse(text, file: path, diagnostics: &diagnostics) else { return (nil, nil, diagnostics) }
        diagnostics += config.checkFiles(file: path)
        let (profile, profileDiagnostics) = config.loadProfile()
        diagnostics += profileDiagnostics
        return (config, profile, diagnostics)
    }

    /// The profile with this config's interface override applied.
    public func loadProfile() -> (SensorProfile?, [ConfigDiagnostic]) {
        var (profile, diagnostics) = SensorProfile.load(path: profile)
        if let interface {
            if profile?.capture == nil {
                diagnostics.append(
                    ConfigDiagnostic(
                        file: self.profile, line: nil, key: "capture",
                        problem: "the config sets interface '\(interface)' but the profile captures nothing",
                        isWarning: true))
            }
            profile?.capture?.interface = interface
        }
        return (profile, diagnostics)
    }

    /// Problems with the files the config names: TLS material unreadable, a certificate whose
    /// name is no sensor id, a state folder that cannot be written, a short Inspect key.
    public func checkFiles(file: String) -> [ConfigDiagnostic] {
        var out: [ConfigDiagnostic] = []
        let fm = FileManager.default
        for (key, path) in [("correlator.ca", ca), ("correlator.certificate", certificate), ("correlator.key", key)]
        where !fm.isReadableFile(atPath: path) {
            out.append(
                ConfigDiagnostic(
                    file: file, line: nil, key: key, problem: "\(path): cannot read the file",
                    hint: "deploy/pki/make-pki.sh DIR --sensor <id> makes this sensor's certificate"))
        }
        if fm.isReadableFile(atPath: certificate) {
            do throws(VigilError) {
                let info = try CertificateFile.load(path: certificate)
                if !SensorIdentity.isValidID(info.commonName) {
                    out.append(
                        ConfigDiagnostic(
                            file: file, line: nil, key: "correlator.certificate",
                            problem: "the certificate's common name '\(info.commonName)' is not a sensor id",
                            hint: "[a-z0-9][a-z0-9._-]{0,62}, as deploy/pki/make-pki.sh --sensor makes"))
                }
                if info.notAfter < Date() {
                    out.append(
                        ConfigDiagnostic(
                            file: file, line: nil, key: "correlator.certificate",
                            problem: "the certificate expired on \(info.notAfter)"))
                }
            } catch {
                out.append(
                    ConfigDiagnostic(file: file, line: nil, key: "correlator.certificate", problem: error.message))
            }
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: stateDir, isDirectory: &isDir) {
            if !isDir.boolValue || !fm.isWritableFile(atPath: stateDir) {
                out.append(
                    ConfigDiagnostic(
                        file: file, line: nil, key: "state_dir", problem: "\(stateDir): not a writable folder"))
            }
        } else {
            let parent = (stateDir as NSString).deletingLastPathComponent
            if !fm.isWritableFile(atPath: parent.isEmpty ? "." : parent) {
                out.append(
                    ConfigDiagnostic(
                        file: file, line: nil, key: "state_dir",
                        problem: "\(stateDir) does not exist and \(parent) is not writable"))
            }
        }
        if let inspectKeyFile {
            let size = (try? fm.attributesOfItem(atPath: inspectKeyFile)[.size] as? Int) ?? nil
            if !fm.isReadableFile(atPath: inspectKeyFile) || (size ?? 0) < 16 {
                out.append(
                    ConfigDiagnostic(
                        file: file, line: nil, key: "inspect.key_file",
                        problem: "\(inspectKeyFile): cannot read a key of at least 16 bytes",
                        hint: "head -c 32 /dev/urandom > \(inspectKeyFile); chmod 600 \(inspectKeyFile)"))
            }
        }
        return out
    }
}

import Foundation
import VigilConfig
import VigilCore
import VigilResponse
import VigilStore

/// `/etc/vigil/correlator.yaml`: where the correlator listens, its TLS material, the store, the
/// rules and the ingest limits (deploy/schema/ingest.md). Every problem is reported with file,
/// line and key (`vigil-correlator --check-config`).
public struct CorrelatorConfig: Sendable {
    public struct Limits: Sendable, Equatable {
        public var bodyBytes = 8 << 20
        public var decompressedBytes = 64 << 20
        public var lineBytes = 1 << 20
        public var lines = 50_000
        /// Batches admitted at once (waiting on the store), in all and per sensor; beyond, 429.
        public var inFlight = 32
        public var inFlightPerSensor = 4
        public init() {}
    }

    public var host = "127.0.0.1"
    public var port = 8443
    /// The query API's listener (analysts, with API tokens; server-side TLS only, same certificate).
    /// Loopback by default: exposing it to a network is the operator's explicit choice.
    public var apiHost = "127.0.0.1"
    public var apiPort = 8444
    public var certificate = "/etc/vigil/pki/correlator.crt"
    public var key = "/etc/vigil/pki/correlator.key"
    public var clientCA = "/etc/vigil/pki/ca.crt"
    public var denyList: String?
    public var store = "/var/lib/vigil/vigil.db"
    /// Events older than this are deleted (hourly, in small batches). 180: the Cybersecurity Law's six months.
    public var retentionDays = defaultRetentionDays
    public var rules: String?
    public var latenessSeconds = 300
    /// Seconds after which a sensor that sent nothing (no batch, no heartbeat; sensors beat every
    /// 30 s by default) stops holding correlation back.
    public var sensorTimeoutSeconds = 300
    public var limits = Limits()
    /// Incidents at this level or above get an emergency-response ticket.
    public var ticketsFrom: RuleLevel = .high
    /// Who runs the platform, for the reporting deadline (1 h / 2 h / 4 h).
    public var operatorKind: OperatorKind = .stateOrgan
    /// Where ticket notifications go (DESIGN §7).
    public var webhooks: [WebhookSettings] = []

    /// The ticket timeline's chain head, kept beside the store (append-only lines `seq hash`).
    public var timelineHead: String { store + ".timeline-head" }

    public init() {}

    static let keys = [
        "listen", "api", "tls", "store", "retention_days", "rules", "lateness", "sensor_timeout", "limits", "response",
        "webhooks",
    ]

    /// Parses the config text; nil (with diagnostics) when it has errors.
    public static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> CorrelatorConfig? {
        let reader = ConfigReader(file: file)
        defer { diagnostics += reader.diagnostics }
        guard let root = reader.root(text) else { return nil }
        root.allowOnly(keys)
        var c = CorrelatorConfig()
        if let listen = root.child("listen"), let (host, port) = Self.address(listen, example: "0.0.0.0:8443") {
            (c.host, c.port) = (host, port)
        }
        if let api = root.child("api") {
            api.allowOnly(["listen"])
            if let listen = api.child("listen"), let (host, port) = Self.address(listen, example: "127.0.0.1:8444") {
                (c.apiHost, c.apiPort) = (host, port)
            }
        }
        if let tls = root.child("tls") {
            tls.allowOnly(["certificate", "key", "client_ca", "deny_list"])
            c.certificate = tls.child("certificate")?.string() ?? c.certificate
            c.key = tls.child("key")?.string() ?? c.key
            c.clientCA = tls.child("client_ca")?.string() ?? c.clientCA
            c.denyList = tls.child("deny_list")?.string()
        }
        c.store = root.child("store")?.string() ?? c.store
        c.retentionDays = root.child("retention_days")?.int(in: 1...3650) ?? c.retentionDays
        if c.retentionDays < defaultRetentionDays, let node = root.child("retention_days") {
            node.warning(
                "\(c.retentionDays) days is shorter than the six months the Cybersecurity Law (art. 21) requires for network logs"
            )
        }
        c.rules = root.child("rules")?.string()
        c.latenessSeconds = root.child("lateness")?.int(in: 0...86_400) ?? c.latenessSeconds
        c.sensorTimeoutSeconds = root.child("sensor_timeout")?.int(in: 30...86_400) ?? c.sensorTimeoutSeconds
        if let limits = root.child("limits") {
            limits.allowOnly([
                "body_bytes", "decompressed_bytes", "line_bytes", "lines", "in_flight", "in_flight_per_sensor",
            ])
            c.limits.bodyBytes = limits.child("body_bytes")?.int(in: 1024...(1 << 30)) ?? c.limits.bodyBytes
            c.limits.decompressedBytes =
                limits.child("decompressed_bytes")?.int(in: 1024...(4 << 30)) ?? c.limits.decompressedBytes
            c.limits.lineBytes = limits.child("line_bytes")?.int(in: 256...(16 << 20)) ?? c.limits.lineBytes
            c.limits.lines = limits.child("lines")?.int(in: 1...1_000_000) ?? c.limits.lines
            c.limits.inFlight = limits.child("in_flight")?.int(in: 1...10_000) ?? c.limits.inFlight
            c.limits.inFlightPerSensor =
                limits.child("in_flight_per_sensor")?.int(in: 1...1000) ?? c.limits.inFlightPerSensor
        }
        if let response = root.child("response") {
            response.allowOnly(["tickets_from", "operator"])
            if let v = response.child("tickets_from")?.oneOf(RuleLevel.allCases.map(\.rawValue)) {
                c.ticketsFrom = RuleLevel(rawValue: v)!
            }
            if let v = response.child("operator")?.oneOf(OperatorKind.allCases.map(\.rawValue)) {
                c.operatorKind = OperatorKind(rawValue: v)!
            }
        }
        if let webhooks = root.child("webhooks") { c.webhooks = WebhookSettings.parse(webhooks) }
        return reader.errors.isEmpty ? c : nil
    }

    /// `host:port` (IPv6 in brackets); port 0 picks a free one.
    static func address(_ node: ConfigNode, example: String) -> (String, Int)? {
        guard let text = node.string() else { return nil }
        if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon != text.startIndex
        {
            return (String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
        }
        node.error("'\(text)' is not host:port", hint: "e.g. \(example)")
        return nil
    }

    /// Problems with the files the config names (missing, unreadable), as diagnostics on `file`.
    public func checkFiles(file: String) -> [ConfigDiagnostic] {
        var out: [ConfigDiagnostic] = []
        let fm = FileManager.default
        for (key, path) in [("tls.certificate", certificate), ("tls.key", key), ("tls.client_ca", clientCA)]
            + (denyList.map { [("tls.deny_list", $0)] } ?? [])
        where !fm.isReadableFile(atPath: path) {
            out.append(
                ConfigDiagnostic(
                    file: file, line: nil, key: key, problem: "\(path): cannot read the file",
                    hint: "deploy/pki/make-pki.sh makes the CA and certificates"))
        }
        if let rules, !fm.fileExists(atPath: rules) {
            out.append(
                ConfigDiagnostic(file: file, line: nil, key: "rules", problem: "\(rules): no such rule directory"))
        }
        let storeDir = (store as NSString).deletingLastPathComponent
        if !fm.isWritableFile(atPath: storeDir.isEmpty ? "." : storeDir) {
            out.append(
                ConfigDiagnostic(
                    file: file, line: nil, key: "store", problem: "\(storeDir): the store's folder is not writable"))
        }
        return out
    }
}

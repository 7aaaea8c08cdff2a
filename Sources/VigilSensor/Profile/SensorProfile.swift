import Foundation
import VigilConfig
import VigilCore

/// What a node of one kind captures and tails, and the asset labels its events carry: the sensor's
/// configuration, one YAML file per node kind in `sensors/`. Decoded and validated with no I/O
/// beyond reading the file (CONVENTIONS 3); `build` steps open captures and logs later.
public struct SensorProfile: Sendable {
    public enum DataClassification: String, Sendable, CaseIterable {
        case core, important, general
    }

    public struct Capture: Sendable, Equatable {
        public var interface: String
        public var bpf: String?
        public var snaplen: Int = 65535
        public var promiscuous = false
        public var bufferMiB: Int = 32
        /// libpcap's immediate mode (see `PcapSource.LiveOptions.immediate`): off by default.
        public var immediate = false
    }

    public struct Log: Sendable {
        public var format: LogFormatSpec
        public var path: String
        public var startAtEnd = false
        /// Line in the profile, for messages about this log later (a missing file, say).
        public var line: Int?
    }

    /// The profile's `kind` (web-node, database-node …).
    public var kind: String
    public var description: String?
    public var observerID: String?
    public var department: String?
    public var classification: DataClassification?
    /// Free-form labels, written as `labels.<name>`.
    public var labels: [(String, String)] = []
    public var capture: Capture?
    public var logs: [Log] = []

    /// Fields every event of this node carries.
    public var labelFields: [Event.Field] {
        var out: [Event.Field] = []
        if let department { out.append(Event.Field(id: Fields.labelsDepartment, value: .string(department))) }
        if let classification {
            out.append(Event.Field(id: Fields.dataClassification, value: .string(classification.rawValue)))
        }
        for (name, value) in labels { out.append(Event.Field(id: FieldID("labels.\(name)"), value: .string(value))) }
        return out
    }

    /// The log sources to tail, with their decoders built and the labels attached.
    public func logSources() throws(VigilError) -> [LogSource] {
        var out: [LogSource] = []
        for log in logs {
            out.append(try LogFormats.source(log.format, pattern: log.path, labels: labelFields))
        }
        return out
    }
}

extension SensorProfile {
    static let topKeys = ["kind", "description", "observer_id", "labels", "capture", "logs"]
    static let labelKeys = ["department", "data_classification"]
    static let captureKeys = ["interface", "bpf", "snaplen", "promiscuous", "buffer_mib", "immediate"]
    static let logKeys = [
        "format", "path", "log_format", "prefix", "mapping", "timestamp_field", "timestamp_format", "utc_offset",
        "duration_unit", "start_at",
    ]

    /// Reads and validates a profile. Returns the profile only when there is no problem; the
    /// diagnostics name the file, line and key of every problem found.
    public static func load(path: String) -> (SensorProfile?, [ConfigDiagnostic]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, [ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, [ConfigDiagnostic(file: path, line: nil, key: "", problem: "not UTF-8 text")])
        }
        return parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) -> (SensorProfile?, [ConfigDiagnostic]) {
        let reader = ConfigReader(file: file)
        guard let root = reader.root(text) else { return (nil, reader.diagnostics) }
        guard root.isMapping else {
            root.error("a profile is a mapping with kind, labels, capture and logs")
            return (nil, reader.diagnostics)
        }
        root.allowOnly(topKeys)
        var profile = SensorProfile(kind: "")
        if let kind = root.child("kind")?.string(), !kind.isEmpty {
            profile.kind = kind
        } else if root.child("kind") == nil {
            root.error("missing key 'kind'", hint: "e.g. kind: web-node")
        }
        profile.description = root.child("description")?.string()
        profile.observerID = root.child("observer_id")?.string()
        if let labels = root.child("labels") {
            for (key, value, node) in labels.stringMap() {
                switch key {
                case "department": profile.department = value
                case "data_classification":
                    if let c = DataClassification(rawValue: value) {
                        profile.classification = c
                    } else {
                        node.error(
                            "'\(value)' is not a data classification",
                            hint: "core (核心), important (重要) or general (一般)")
                    }
                default:
                    if key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) && !key.isEmpty {
                        profile.labels.append((key, value))
                    } else {
                        node.error("label names are letters, digits and _")
                    }
                }
            }
        }
        if let capture = root.child("capture") {
            profile.capture = parseCapture(capture)
        }
        if let logs = root.child("logs") {
            for item in logs.sequence() {
                if let log = parseLog(item) { profile.logs.append(log) }
            }
        }
        if profile.capture == nil && profile.logs.isEmpty && reader.diagnostics.isEmpty {
            root.error("the profile neither captures nor tails anything", hint: "add capture: or logs:")
        }
        return (reader.diagnostics.isEmpty ? profile : nil, reader.diagnostics)
    }

    static func parseCapture(_ node: ConfigNode) -> Capture? {
        node.allowOnly(captureKeys)
        guard node.isMapping else { return nil }
        guard let interface = node.child("interface")?.string() else {
            if node.child("interface") == nil { node.error("missing key 'interface'", hint: "e.g. interface: eth0") }
            return nil
        }
        var capture = Capture(interface: interface)
        capture.bpf = node.child("bpf")?.string()
        if let n = node.child("snaplen")?.int(in: 64...262_144) { capture.snaplen = n }
        if let p = node.child("promiscuous")?.bool() { capture.promiscuous = p }
        if let b = node.child("buffer_mib")?.int(in: 1...4096) { capture.bufferMiB = b }
        if let i = node.child("immediate")?.bool() { capture.immediate = i }
        return capture
    }

    static func parseLog(_ node: ConfigNode) -> Log? {
        node.allowOnly(logKeys)
        guard node.isMapping else { return nil }
        let formatNode = node.child("format")
        let pathNode = node.child("path")
        if formatNode == nil {
            node.error("missing key 'format'", hint: "one of \(LogFormats.names.joined(separator: ", "))")
        }
        if pathNode == nil { node.error("missing key 'path'") }
        guard let format = formatNode?.oneOf(LogFormats.names), let path = pathNode?.string() else { return nil }
        if !path.hasPrefix("/") { pathNode?.error("log paths are absolute", hint: "e.g. /var/log/nginx/access.log") }
        var spec = LogFormatSpec(name: format)
        spec.logFormat = node.child("log_format")?.string()
        spec.prefix = node.child("prefix")?.string()
        spec.timestampField = node.child("timestamp_field")?.string()
        spec.timestampFormat = node.child("timestamp_format")?.oneOf(LogFormatSpec.timestampFormats)
        spec.durationUnit = node.child("duration_unit")?.oneOf(LogFormatSpec.durationUnits)
        if let offsetNode = node.child("utc_offset"), let text = offsetNode.string() {
            if let seconds = LogFormatSpec.parseUTCOffset(text) {
                spec.utcOffsetSeconds = seconds
            } else {
                offsetNode.error("'\(text)' is not a UTC offset", hint: "e.g. +08:00")
            }
        }
        if let mapping = node.child("mapping") {
            spec.mapping = mapping.stringMap().map { ($0.key, $0.value) }
        }
        var log = Log(format: spec, path: path, line: node.line)
        if let start = node.child("start_at")?.oneOf(["beginning", "end"]) { log.startAtEnd = start == "end" }
        // Validate, then build: constructing the decoder is pure and reports what is wrong with
        // the format's options (an unknown nginx variable, a JSON mapping without fields …).
        do {
            _ = try LogFormats.factory(spec)
        } catch {
            (formatNode ?? node).error(error.message)
        }
        return log
    }
}

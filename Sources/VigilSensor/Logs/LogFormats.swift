import Foundation
import VigilConfig
import VigilCore
import VigilDecode

/// A log format as a user names it (`--log nginx:PATH`, or `format:` in a sensor profile), with the
/// options some formats take.
public struct LogFormatSpec: Sendable {
    public var name: String
    /// nginx/Apache: a `log_format` string instead of the preset.
    public var logFormat: String?
    /// PostgreSQL stderr: the server's `log_line_prefix`.
    public var prefix: String?
    /// JSON lines: ECS field → JSON path (`source.ip: request.client_ip`).
    public var mapping: [(String, String)] = []
    public var timestampField: String?
    public var timestampFormat: String?
    /// JSON lines: the unit of the value mapped to `event.duration` (ns, us, ms, s).
    public var durationUnit: String?
    /// Seconds east of UTC for zone-less times.
    public var utcOffsetSeconds: Int?

    public init(name: String) { self.name = name }

    public static let timestampFormats = ["iso8601", "epoch_seconds", "epoch_millis"]
    public static let durationUnits = ["ns", "us", "ms", "s"]

    /// Reads a JSON mapping file: `ecs.field=json.path` per line, `#` comments; `@timestamp=path`
    /// names the event time.
    public mutating func readMapping(_ text: String, file: String) throws(VigilError) {
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "="), eq != line.startIndex, line.index(after: eq) != line.endIndex
            else {
                throw VigilError(.badLogFormat, "\(file):\(index + 1): expected ecs.field=json.path, got '\(line)'")
            }
            let field = line[..<eq].trimmingCharacters(in: .whitespaces)
            let path = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if field == "@timestamp" { timestampField = path } else { mapping.append((field, path)) }
        }
    }

    /// `+08:00`, `-0500`, `Z`, `UTC` → seconds east of UTC.
    public static func parseUTCOffset(_ text: String) -> Int? {
        if text == "Z" || text == "UTC" { return 0 }
        let chars = Array(text)
        guard chars.count >= 3, chars[0] == "+" || chars[0] == "-" else { return nil }
        let digits = chars.dropFirst().filter { $0 != ":" }
        guard digits.count == 2 || digits.count == 4, digits.allSatisfy(\.isASCII), let n = Int(String(digits))
        else { return nil }
        let hours = digits.count == 2 ? n : n / 100
        let minutes = digits.count == 2 ? 0 : n % 100
        guard hours <= 14, minutes < 60 else { return nil }
        return (chars[0] == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }
}

/// The log formats Vigil reads, by the names users give them.
public enum LogFormats {
    /// Name → one-line description (for `--help` and error messages).
    public static let catalog: [(name: String, about: String)] = [
        ("nginx", "nginx/Apache access log, combined format (or log_format given in the profile)"),
        ("apache", "same as nginx: Apache combined (LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b ...\")"),
        ("nginx-common", "nginx/Apache common format (no referrer, no user agent)"),
        ("sshd", "syslog auth log: sshd, sudo, su, PAM (RFC 3164, RFC 5424 or ISO timestamps)"),
        ("auth", "same as sshd"),
        ("auditd", "Linux audit log (/var/log/audit/audit.log), records joined by serial"),
        ("postgres", "PostgreSQL stderr log with log_statement; prefix '%m [%p] %q%u@%d ' by default"),
        ("postgres-csv", "PostgreSQL csvlog"),
        ("mysql", "MySQL/MariaDB general query log"),
        ("json", "JSON lines (API gateways, data-sharing platforms) with a field mapping"),
    ]

    public static var names: [String] { catalog.map(\.name) }

    /// The PostgreSQL `log_line_prefix` assumed when none is given: the Debian default plus user and
    /// database, which statement auditing needs.
    public static let defaultPostgresPrefix = "%m [%p] %q%u@%d "

    /// Builds (and so validates) the decoder factory for a format.
    public static func factory(_ spec: LogFormatSpec) throws(VigilError) -> @Sendable (LogContext) -> any LogDecoder {
        let offset = spec.utcOffsetSeconds
        @Sendable func adjusted(_ context: LogContext) -> LogContext {
            var c = context
            if let offset { c.utcOffsetSeconds = offset }
            return c
        }
        do {
            switch spec.name {
            case "nginx", "apache", "nginx-common":
                let decoder =
                    if let format = spec.logFormat {
                        try WebAccessDecoder(format: format)
                    } else {
                        spec.name == "nginx-common" ? WebAccessDecoder.common : WebAccessDecoder.combined
                    }
                return { _ in decoder }
            case "sshd", "auth":
                return { SyslogAuthDecoder(context: adjusted($0)) }
            case "auditd":
                return { _ in AuditdDecoder() }
            case "postgres":
                let prefix = spec.prefix ?? defaultPostgresPrefix
                _ = try PostgresLogDecoder(
                    prefix: prefix, context: LogContext(referenceTime: Timestamp(microseconds: 0)))
                return { context in
                    // Validated above with the same prefix, so this cannot fail.
                    try! PostgresLogDecoder(prefix: prefix, context: adjusted(context))
                }
            case "postgres-csv":
                return { PostgresLogDecoder.csvlog(context: adjusted($0)) }
            case "mysql":
                return { MySQLGeneralLogDecoder(context: adjusted($0)) }
            case "json":
                guard !spec.mapping.isEmpty else {
                    throw VigilError(
                        .badLogFormat,
                        "json logs need a mapping from ECS fields to JSON keys (mapping: in a profile, --json-mapping FILE)"
                    )
                }
                let mapping = Dictionary(spec.mapping, uniquingKeysWith: { _, last in last })
                let format: JSONLinesDecoder.TimestampFormat =
                    switch spec.timestampFormat {
                    case "epoch_seconds": .epochSeconds
                    case "epoch_millis": .epochMillis
                    default: .iso8601
                    }
                let unit: JSONLinesDecoder.DurationUnit =
                    switch spec.durationUnit {
                    case "ns": .nanoseconds
                    case "us": .microseconds
                    case "s": .seconds
                    default: .milliseconds
                    }
                let (timestampPath, probe) = (
                    spec.timestampField, LogContext(referenceTime: Timestamp(microseconds: 0))
                )
                _ = try JSONLinesDecoder(
                    mapping: mapping, timestampPath: timestampPath, timestampFormat: format, durationUnit: unit,
                    context: probe)
                return { context in
                    // Validated above with the same mapping, so this cannot fail.
                    try! JSONLinesDecoder(
                        mapping: mapping, timestampPath: timestampPath, timestampFormat: format, durationUnit: unit,
                        context: adjusted(context))
                }
            default:
                throw unknownFormat(spec.name)
            }
        } catch let error as LogFormatError {
            throw VigilError(.badLogFormat, error.message)
        } catch let error as VigilError {
            throw error
        } catch {
            throw VigilError(.badLogFormat, "\(error)")
        }
    }

    public static func source(_ spec: LogFormatSpec, pattern: String, labels: [Event.Field] = []) throws(VigilError)
        -> LogSource
    {
        LogSource(format: spec.name, pattern: pattern, labels: labels, makeDecoder: try factory(spec))
    }

    /// Parses the CLI's `FORMAT:PATH`.
    public static func parseArgument(_ text: String) throws(VigilError) -> (LogFormatSpec, String) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw VigilError(.usage, "--log takes FORMAT:PATH, e.g. nginx:/var/log/nginx/access.log (got '\(text)')")
        }
        let name = String(text[..<colon])
        let path = String(text[text.index(after: colon)...])
        guard !path.isEmpty else { throw VigilError(.usage, "--log \(text): the path is missing") }
        guard names.contains(name) else { throw unknownFormat(name) }
        return (LogFormatSpec(name: name), path)
    }

    static func unknownFormat(_ name: String) -> VigilError {
        let hint = closest(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
        return VigilError(.badLogFormat, "unknown log format '\(name)'\(hint); known: \(names.joined(separator: ", "))")
    }
}

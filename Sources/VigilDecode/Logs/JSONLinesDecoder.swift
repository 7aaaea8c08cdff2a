import VigilCore

/// Decodes JSON-lines logs (API gateways, data-sharing platforms: one JSON object per line) into
/// `api.access` records through a mapping from ECS field names to JSON paths.
///
/// Paths are dot-separated member names (`request.client_ip`); a decimal component indexes an array
/// (`upstreams.0.addr`); names containing dots cannot be addressed. Unmapped members are ignored.
/// Value types follow the target field: counts and codes (`http.response.status_code`,
/// `http.response.body.bytes`, `vigil.api.records`, ports, ...) become ints (from numbers or digit
/// strings), addresses (`source.ip`, `destination.ip`, ...) become IPs when they parse and stay strings
/// otherwise, `event.duration` is converted from `durationUnit` to nanoseconds; other fields keep the
/// JSON type (string, int, double, bool, list of scalars; objects are skipped). `event.outcome` is
/// derived from the status code (failure from 400) unless mapped.
///
/// A line that is not a JSON object (bad syntax, nesting deeper than 32) becomes `log.unparsed`;
/// blank lines are skipped.
public struct JSONLinesDecoder: LogDecoder {
    public enum TimestampFormat: Sendable {
        /// RFC 3339 text; zone-less times use `LogContext.utcOffsetSeconds`.
        case iso8601
        case epochSeconds
        case epochMillis
    }

    public enum DurationUnit: Sendable {
        case nanoseconds, microseconds, milliseconds, seconds

        var nanoseconds: Double {
            switch self {
            case .nanoseconds: 1
            case .microseconds: 1e3
            case .milliseconds: 1e6
            case .seconds: 1e9
            }
        }
    }

    enum Kind: Sendable { case int, ip, duration, double, natural }

    struct Target: Sendable {
        var field: FieldID
        var path: [String]
        var kind: Kind
    }

    let targets: [Target]
    let timestampPath: [String]?
    let timestampFormat: TimestampFormat
    let durationUnit: DurationUnit
    public var context: LogContext

    static let intFields: Set<String> = [
        "http.response.status_code", "http.response.body.bytes", "http.request.body.bytes", "http.request.bytes",
        "http.response.bytes", "vigil.api.records", "source.port", "destination.port", "process.pid",
        "source.bytes", "destination.bytes",
    ]
    static let ipFields: Set<String> = ["source.ip", "destination.ip", "client.ip", "server.ip", "host.ip"]
    static let doubleFields: Set<String> = ["vigil.web.request_time", "vigil.web.upstream_response_time"]

    /// `mapping` is `[ECS field name: JSON path]`. Throws when a name or path is empty or a path has an
    /// empty component.
    public init(
        mapping: [String: String], timestampPath: String? = nil, timestampFormat: TimestampFormat = .iso8601,
        durationUnit: DurationUnit = .milliseconds, context: LogContext
    ) throws(LogFormatError) {
        func components(_ path: String) throws(LogFormatError) -> [String] {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.isEmpty, !parts.contains(where: \.isEmpty) else {
                throw .badMapping("path \"\(path)\" has an empty component")
            }
            return parts
        }
        var targets: [Target] = []
        for (field, path) in mapping.sorted(by: { $0.key < $1.key }) {
            guard !field.isEmpty else { throw .badMapping("empty field name for path \"\(path)\"") }
            let kind: Kind =
                Self.intFields.contains(field)
                ? .int
                : Self.ipFields.contains(field)
                    ? .ip
                    : field == "event.duration" ? .duration : Self.doubleFields.contains(field) ? .double : .natural
            targets.append(Target(field: FieldID(field), path: try components(path), kind: kind))
        }
        self.targets = targets
        self.timestampPath = try timestampPath.map { (p) throws(LogFormatError) in try components(p) }
        self.timestampFormat = timestampFormat
        self.durationUnit = durationUnit
        self.context = context
    }

    static let format: StaticString = "jsonl"
    static let categoryWeb = FieldValue.list([.string("web")])
    static let typeAccess = FieldValue.list([.string("access")])

    public mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        guard let root = JSONParser.parse(line), case .object = root else {
            records.append(.unparsed(line, offset: offset, format: Self.format, reason: "not a JSON object"))
            return
        }
        var r = LogRecord(timestamp: nil, dataset: .apiAccess, offset: offset)
        r.fields.reserveCapacity(targets.count + 3)
        if let path = timestampPath, let v = Self.lookup(root, path) { r.timestamp = timestamp(v) }
        var status: Int64?
        var outcomeMapped = false
        for t in targets {
            guard let v = Self.lookup(root, t.path), let value = convert(v, t.kind) else { continue }
            if t.kind == .ip, case .string = value {
                // Not an address (a host name, `unix:`): ECS keeps those in `*.address`.
                if t.field == Fields.sourceIP { r.set(Fields.sourceAddress, value) }
                continue
            }
            if t.field == Fields.httpResponseStatusCode { status = value.intValue }
            if t.field == Fields.eventOutcome { outcomeMapped = true }
            r.set(t.field, value)
        }
        r.set(Fields.eventCategory, Self.categoryWeb)
        r.set(Fields.eventType, Self.typeAccess)
        if !outcomeMapped, let status { r.set(Fields.eventOutcome, status < 400 ? "success" : "failure") }
        records.append(r)
    }

    public mutating func flush(into records: inout [LogRecord]) {}

    static func lookup(_ root: JSONValue, _ path: [String]) -> JSONValue? {
        var v = root
        for c in path {
            guard let next = v[c] else { return nil }
            v = next
        }
        return v
    }

    func convert(_ v: JSONValue, _ kind: Kind) -> FieldValue? {
        switch kind {
        case .int:
            switch v {
            case .int(let n): return .int(n)
            case .double(let d) where d == d.rounded() && abs(d) < 9e15: return .int(Int64(d))
            case .string(let s): return Int64(s).map(FieldValue.int)
            default: return nil
            }
        case .ip:
            guard case .string(let s) = v, !s.isEmpty else { return nil }
            return IPAddress(s).map(FieldValue.ip) ?? .string(s)
        case .duration:
            guard let d = Self.number(v) else { return nil }
            let ns = d * durationUnit.nanoseconds
            guard ns.isFinite, abs(ns) < 9e18 else { return nil }
            return .int(Int64(ns.rounded()))
        case .double:
            return Self.number(v).map(FieldValue.double)
        case .natural:
            return Self.natural(v)
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let n): Double(n)
        case .double(let d): d
        case .string(let s): Double(s)
        default: nil
        }
    }

    static func natural(_ v: JSONValue) -> FieldValue? {
        switch v {
        case .null, .object: nil
        case .bool(let b): .bool(b)
        case .int(let n): .int(n)
        case .double(let d): .double(d)
        // Gateways write "" for "no value" (nginx with escape=json): leave the field absent.
        case .string(let s): s.isEmpty ? nil : .string(s)
        case .array(let elements):
            .list(elements.compactMap { e in if case .array = e { nil } else { natural(e) } })
        }
    }

    func timestamp(_ v: JSONValue) -> Timestamp? {
        switch timestampFormat {
        case .iso8601:
            guard case .string(var s) = v else { return nil }
            return s.withUTF8 { buf in
                let p = UnsafeRawBufferPointer(buf)
                guard let t = LogTime.iso8601(p, 0, end: p.count, defaultOffset: Int64(context.utcOffsetSeconds)),
                    t.end == p.count
                else { return nil }
                return t.time
            }
        case .epochSeconds, .epochMillis:
            guard let d = Self.number(v) else { return nil }
            let micros = timestampFormat == .epochSeconds ? d * 1e6 : d * 1e3
            guard micros.isFinite, abs(micros) < 1e17 else { return nil }
            return Timestamp(microseconds: Int64(micros.rounded()))
        }
    }
}

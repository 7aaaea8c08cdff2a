import VigilCore

/// Decodes nginx and Apache access logs (`combined`, `common`, or any nginx `log_format`) into
/// `web.access` records.
///
/// The format is compiled once into a matcher: a literal prefix, then variables each ending where the
/// next literal starts. Quoted variables skip backslash escapes, so Apache's `\"` does not end them;
/// nginx writes `"` as `\x22`. Escapes (`\"`, `\\`, `\xHH`) are decoded when the result is printable
/// UTF-8 and kept as written otherwise, so binary junk a scanner sent stays readable.
///
/// A request line that is not `METHOD target HTTP/x.y` (TLS bytes sent to a plain-text port, a bare
/// path) still yields a `web.access` record, with the raw text in `url.original` and no method. A line
/// whose literals do not match the format becomes `log.unparsed`.
///
/// `vigil.web.upstream_response_time` is the sum of every number in nginx's list (`0.010, 0.002 :
/// 0.004`, one per upstream tried): the time spent waiting on upstreams in total.
/// `event.outcome` is `success` below status 400 and `failure` from 400 on.
public struct WebAccessDecoder: LogDecoder {
    let matcher: Matcher

    /// Compiles an nginx `log_format` string, e.g. `$remote_addr - $remote_user [$time_local] "$request"`.
    /// Throws for an empty format, an unsupported variable (the message names it), or two variables
    /// with nothing between them.
    public init(format: String) throws(LogFormatError) {
        matcher = try Matcher(format: format)
    }

    /// nginx's predefined `combined` format, identical in shape to Apache's `combined`.
    public static let combinedFormat =
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "#
        + #""$http_referer" "$http_user_agent""#
    /// The Common Log Format (nginx `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`).
    public static let commonFormat = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#

    // The preset formats are constants known to compile.
    // swift-format-ignore: NeverUseForceTry
    public static let combined = try! WebAccessDecoder(format: combinedFormat)
    // swift-format-ignore: NeverUseForceTry
    public static let common = try! WebAccessDecoder(format: commonFormat)

    static let format: StaticString = "nginx"
    static let categoryWeb = FieldValue.list([.string("web")])
    static let typeAccess = FieldValue.list([.string("access")])

    public mutating func decode(line: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        if let record = parse(line, offset: offset) {
            records.append(record)
        } else {
            records.append(
                .unparsed(line, offset: offset, format: Self.format, reason: "line does not match the log format"))
        }
    }

    public mutating func flush(into records: inout [LogRecord]) {}

    /// The record for `p`, or nil when a literal of the format is missing.
    func parse(_ p: UnsafeRawBufferPointer, offset: UInt64) -> LogRecord? {
        let end = p.count
        let prefix = matcher.prefix
        guard prefix.count <= end else { return nil }
        for k in 0..<prefix.count where p[k] != prefix[k] { return nil }
        var record = LogRecord(timestamp: nil, dataset: .webAccess, offset: offset)
        record.fields.reserveCapacity(20)
        var i = prefix.count
        var status: Int64 = -1
        matcher.literals.withUnsafeBytes { literals in
            for item in matcher.items {
                let valueEnd: Int
                if item.literalCount == 0 {
                    valueEnd = end
                } else {
                    let lit = UnsafeRawBufferPointer(
                        rebasing: literals[item.literalStart..<(item.literalStart + item.literalCount)])
                    guard let e = Self.findLiteral(lit, in: p, from: i, quoted: item.quoted) else {
                        i = -1
                        return
                    }
                    valueEnd = e
                }
                emit(item.variable, quoted: item.quoted, p, i, valueEnd, into: &record, status: &status)
                i = valueEnd + item.literalCount
            }
        }
        guard i >= 0 else { return nil }
        if status >= 0 { record.set(Fields.eventOutcome, status < 400 ? "success" : "failure") }
        record.set(Fields.eventCategory, Self.categoryWeb)
        record.set(Fields.eventType, Self.typeAccess)
        return record
    }

    /// Where `literal` next starts at or after `from`. Inside quotes a backslash escapes the next
    /// byte, so a candidate preceded by an odd run of backslashes is skipped.
    @inline(__always)
    static func findLiteral(
        _ literal: UnsafeRawBufferPointer, in p: UnsafeRawBufferPointer, from: Int, quoted: Bool
    ) -> Int? {
        let first = literal[0]
        let n = literal.count
        let end = p.count
        var j = from
        while let k = LogBytes.find(first, p, j, end) {
            guard k + n <= end else { return nil }
            j = k + 1
            if quoted {
                var b = k
                while b > from, p[b - 1] == LogBytes.backslash { b -= 1 }
                if (k - b) & 1 == 1 { continue }
            }
            var m = 1
            while m < n, p[k + m] == literal[m] { m += 1 }
            if m == n { return k }
        }
        return nil
    }

    @inline(__always)
    func emit(
        _ variable: Variable, quoted: Bool, _ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int,
        into r: inout LogRecord, status: inout Int64
    ) {
        switch variable {
        case .remoteAddr:
            guard a < b, b - a != 1 || p[a] != LogBytes.dash else { return }
            if let ip = LogBytes.ip(p, a, b) {
                r.set(Fields.sourceIP, .ip(ip))
            } else {
                r.set(Fields.sourceAddress, LogBytes.string(p, a, b))
            }
        case .remotePort:
            r.set(Fields.sourcePort, LogBytes.int(p, a, b).map(FieldValue.int))
        case .remoteUser:
            r.set(Fields.userName, Self.text(p, a, b, quoted: quoted))
        case .timeLocal:
            if r.timestamp == nil { r.timestamp = LogTime.commonLog(p, a, end: b) }
        case .timeISO8601:
            if r.timestamp == nil, let t = LogTime.iso8601(p, a, end: b, defaultOffset: 0) { r.timestamp = t.time }
        case .msec:
            if r.timestamp == nil, let s = LogBytes.decimal(p, a, b), s < 1e11 {
                r.timestamp = Timestamp(microseconds: Int64((s * 1_000_000).rounded()))
            }
        case .request:
            Self.request(p, a, b, quoted: quoted, into: &r)
        case .requestMethod:
            r.set(Fields.httpRequestMethod, LogBytes.value(p, a, b))
        case .requestURI:
            Self.target(p, a, b, into: &r)
        case .uri:
            r.set(Fields.urlPath, Self.text(p, a, b, quoted: quoted))
        case .args:
            r.set(Fields.urlQuery, Self.text(p, a, b, quoted: quoted))
        case .serverProtocol:
            if b - a > 5, LogBytes.matches(p, a, b, "HTTP/") { r.set(Fields.httpVersion, LogBytes.string(p, a + 5, b)) }
        case .scheme:
            r.set(Fields.urlScheme, LogBytes.value(p, a, b))
        case .host:
            r.set(Fields.urlDomain, Self.text(p, a, b, quoted: quoted))
        case .status:
            if let v = LogBytes.int(p, a, b), v < 1000 {
                status = v
                r.set(Fields.httpResponseStatusCode, .int(v))
            }
        case .bodyBytesSent:
            r.set(Fields.httpResponseBodyBytes, LogBytes.int(p, a, b).map(FieldValue.int))
        case .bytesSent:
            r.set(Fields.httpResponseBytes, LogBytes.int(p, a, b).map(FieldValue.int))
        case .requestLength:
            r.set(Fields.httpRequestBytes, LogBytes.int(p, a, b).map(FieldValue.int))
        case .httpReferer:
            r.set(Fields.httpRequestReferrer, Self.text(p, a, b, quoted: quoted))
        case .httpUserAgent:
            r.set(Fields.userAgentOriginal, Self.text(p, a, b, quoted: quoted))
        case .httpXForwardedFor:
            r.set(Fields.webForwardedFor, Self.text(p, a, b, quoted: quoted))
        case .requestID:
            r.set(Fields.httpRequestID, LogBytes.value(p, a, b))
        case .requestTime:
            r.set(Fields.webRequestTime, LogBytes.decimal(p, a, b).map(FieldValue.double))
        case .upstreamResponseTime:
            r.set(Fields.webUpstreamResponseTime, Self.upstreamTime(p, a, b).map(FieldValue.double))
        case .upstreamAddr:
            r.set(Fields.webUpstreamAddress, LogBytes.value(p, a, b))
        case .ignored:
            break
        }
    }
}

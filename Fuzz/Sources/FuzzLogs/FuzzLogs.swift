import FuzzSupport
import VigilCore
import VigilDecode

/// Input: [decoder selector][log text...]. The text is split at `\n` into lines, each fed (as an exact
/// heap copy, so AddressSanitizer sees any read past it) at its byte offset, then the decoder is
/// flushed. selector % 9 picks the decoder: nginx combined, a custom nginx format, syslog auth,
/// auditd (at most 3 open events), PostgreSQL stderr with the default and a `%q` prefix, csvlog
/// (4 KiB cap), MySQL general log, JSON lines. Checks every record's offset is one of the offsets fed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let selector = input.byte()
    let text = input.rest()
    let context = LogContext(referenceTime: fuzzTime(0), utcOffsetSeconds: 3600)
    switch selector % 9 {
    case 0: run(WebAccessDecoder.combined, text)
    case 1:
        // swift-format-ignore: NeverUseForceTry
        run(
            try! WebAccessDecoder(
                format:
                    #"$remote_addr:$remote_port $host "$request" $status $bytes_sent $request_time "#
                    + #""$upstream_response_time" $time_iso8601 $msec "$http_x_forwarded_for""#
            ), text)
    case 2: run(SyslogAuthDecoder(context: context), text)
    case 3: run(AuditdDecoder(maxOpenEvents: 3, maxHoldSeconds: 1), text)
    // swift-format-ignore: NeverUseForceTry
    case 4: run(try! PostgresLogDecoder(context: context), text)
    // swift-format-ignore: NeverUseForceTry
    case 5:
        run(
            try! PostgresLogDecoder(prefix: "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%r %q%c ", context: context),
            text)
    case 6: run(PostgresLogDecoder.csvlog(context: context, maxRecordBytes: 4096), text)
    case 7: run(MySQLGeneralLogDecoder(context: context, maxSessions: 4), text)
    default:
        // swift-format-ignore: NeverUseForceTry
        run(
            try! JSONLinesDecoder(
                mapping: [
                    "source.ip": "client.ip", "http.response.status_code": "status", "event.duration": "ms",
                    "vigil.api.records": "n", "user.name": "a.b.c.d", "labels.x": "arr.1",
                ], timestampPath: "ts", timestampFormat: selector & 0x10 == 0 ? .iso8601 : .epochMillis,
                context: context), text)
    }
    return 0
}

func run(_ decoder: some LogDecoder, _ text: UnsafeRawBufferPointer) {
    var decoder = decoder
    var records: [LogRecord] = []
    var offsets: Set<UInt64> = []
    var start = 0
    while start <= text.count {
        var end = start
        while end < text.count, text[end] != UInt8(ascii: "\n") { end += 1 }
        offsets.insert(UInt64(start))
        withExactCopy(UnsafeRawBufferPointer(rebasing: text[start..<end])) {
            decoder.decode(line: $0, offset: UInt64(start), into: &records)
        }
        start = end + 1
    }
    decoder.flush(into: &records)
    for r in records {
        precondition(offsets.contains(r.offset), "record offset \(r.offset) is not a line offset")
        consume(r.timestamp?.microseconds ?? 0)
        consume(r.dataset.name)
        for f in r.fields {
            if case .string(let s) = f.value { consume(s) } else { consume(f.id.rawValue) }
        }
    }
    var again: [LogRecord] = []
    decoder.flush(into: &again)
    precondition(again.isEmpty, "a second flush returned \(again.count) records")
}

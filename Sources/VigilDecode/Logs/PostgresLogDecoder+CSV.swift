import VigilCore

extension PostgresLogDecoder {
    /// A csvlog row being accumulated across physical lines.
    struct CSVState: Sendable {
        var active = false
        var buffer: [UInt8] = []
        var offset: UInt64 = 0
        /// Inside a quoted field at the end of what was read (odd number of `"` so far).
        var inQuotes = false
        /// The row outgrew the cap: its remaining lines are skipped until the quotes balance.
        var discarding = false

        mutating func reset() {
            active = false
            buffer.removeAll(keepingCapacity: buffer.capacity <= 65_536)
            inQuotes = false
            discarding = false
        }
    }

    static func quoteParity(_ p: UnsafeRawBufferPointer) -> Bool {
        var odd = false
        for b in p where b == LogBytes.quote { odd.toggle() }
        return odd
    }

    mutating func csvLine(_ p: UnsafeRawBufferPointer, offset: UInt64, into records: inout [LogRecord]) {
        let odd = Self.quoteParity(p)
        if !csv.active {
            if !odd {
                records.append(csvRecord(p, offset: offset))
                return
            }
            csv.active = true
            csv.offset = offset
            csv.inQuotes = true
            appendCapped(p, into: &records)
            return
        }
        if odd { csv.inQuotes.toggle() }
        if csv.discarding {
            if !csv.inQuotes { csv.reset() }
            return
        }
        csv.buffer.append(0x0A)
        appendCapped(p, into: &records)
        if csv.active, !csv.discarding, !csv.inQuotes {
            let record = csv.buffer.withUnsafeBytes { csvRecord($0, offset: csv.offset) }
            records.append(record)
            csv.reset()
        }
    }

    private mutating func appendCapped(_ p: UnsafeRawBufferPointer, into records: inout [LogRecord]) {
        if csv.buffer.count + p.count > maxRecordBytes {
            let room = max(0, maxRecordBytes - csv.buffer.count)
            csv.buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[0..<room]))
            records.append(
                .unparsed(csv.buffer, offset: csv.offset, format: Self.csvFormat, reason: "csv record over size cap"))
            let stillOpen = csv.inQuotes
            csv.reset()
            if stillOpen {
                csv.active = true
                csv.inQuotes = true
                csv.discarding = true
            }
            return
        }
        csv.buffer.append(contentsOf: p)
    }

    /// A CSV field: its span and whether it was quoted (then `""` inside stands for `"`).
    typealias CSVField = (start: Int, end: Int, quoted: Bool)

    /// Splits a complete row; nil when a quoted field is unterminated or followed by junk.
    static func csvFields(_ p: UnsafeRawBufferPointer, max: Int = 32) -> [CSVField]? {
        var fields: [CSVField] = []
        fields.reserveCapacity(26)
        let end = p.count
        var i = 0
        while fields.count < max {
            if i < end, p[i] == LogBytes.quote {
                var k = i + 1
                while true {
                    guard let q = LogBytes.find(LogBytes.quote, p, k, end) else { return nil }
                    if q + 1 < end, p[q + 1] == LogBytes.quote {
                        k = q + 2
                        continue
                    }
                    fields.append((i + 1, q, true))
                    i = q + 1
                    break
                }
                guard i == end || p[i] == UInt8(ascii: ",") else { return nil }
            } else {
                let comma = LogBytes.find(UInt8(ascii: ","), p, i, end) ?? end
                fields.append((i, comma, false))
                i = comma
            }
            if i >= end { return fields }
            i += 1
            if i == end {
                fields.append((end, end, false))
                return fields
            }
        }
        return nil
    }

    /// A field's bytes with `""` turned into `"`.
    static func csvBytes(_ p: UnsafeRawBufferPointer, _ f: CSVField) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(f.end - f.start)
        var i = f.start
        while i < f.end {
            out.append(p[i])
            i += f.quoted && p[i] == LogBytes.quote && i + 1 < f.end && p[i + 1] == LogBytes.quote ? 2 : 1
        }
        return out
    }

    static func csvString(_ p: UnsafeRawBufferPointer, _ f: CSVField) -> String? {
        guard f.end > f.start else { return nil }
        if f.quoted, LogBytes.find(LogBytes.quote, p, f.start, f.end) != nil {
            return String(decoding: csvBytes(p, f), as: UTF8.self)
        }
        return LogBytes.string(p, f.start, f.end)
    }

    func csvRecord(_ p: UnsafeRawBufferPointer, offset: UInt64) -> LogRecord {
        guard let f = Self.csvFields(p), (23...26).contains(f.count) else {
            return .unparsed(p, offset: offset, format: Self.csvFormat, reason: "not a csvlog row of 23 to 26 columns")
        }
        guard let time = Self.timeWithZone(p, f[0].start, end: f[0].end, context: context), time.end == f[0].end,
            f[11].end > f[11].start
        else {
            return .unparsed(p, offset: offset, format: Self.csvFormat, reason: "csvlog row without time or severity")
        }
        var host: String?
        var port: Int64?
        if let from = Self.csvString(p, f[4]) {
            // `10.0.0.5:54321` (also IPv6 `::1:54321`: the port follows the last colon), or `[local]`.
            if let colon = from.utf8.lastIndex(of: LogBytes.colon), let n = Int64(from[from.index(after: colon)...]) {
                host = String(from[..<colon])
                port = n
            } else {
                host = from
            }
        }
        var e = Entry(
            offset: offset, time: time.time, pid: LogBytes.int(p, f[3].start, f[3].end), user: Self.csvString(p, f[1]),
            database: Self.csvString(p, f[2]), application: Self.csvString(p, f[22]), host: Self.clientHost(host),
            port: port, session: Self.csvString(p, f[5]), level: LogBytes.string(p, f[11].start, f[11].end))
        e.sqlState = Self.csvString(p, f[12])
        Self.csvBytes(p, f[13]).withUnsafeBytes { Entry.append($0, to: &e.message, truncated: &e.truncated) }
        if f[19].end > f[19].start {
            var s: [UInt8] = []
            Self.csvBytes(p, f[19]).withUnsafeBytes { Entry.append($0, to: &s, truncated: &e.truncated) }
            e.statement = s
        }
        return e.record()
    }
}

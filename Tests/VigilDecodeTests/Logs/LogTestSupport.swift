import VigilCore

@testable import VigilDecode

/// Feeds lines to log decoders the way the tailer does: each line without its terminator, at the
/// byte offset it starts at in its file.
enum LogFeed {
    /// 2026-11-23T12:00:00Z, the reference time of the tests' year-less lines.
    static let context = LogContext(referenceTime: Timestamp(microseconds: 1_795_435_200_000_000))

    /// Decodes `lines` (offsets as if joined by `\n`), then flushes when asked.
    static func decode(_ decoder: inout some LogDecoder, _ lines: [String], flush: Bool = true) -> [LogRecord] {
        decode(&decoder, bytes: lines.map { Array($0.utf8) }, flush: flush)
    }

    static func decode(_ decoder: inout some LogDecoder, bytes lines: [[UInt8]], flush: Bool = true) -> [LogRecord] {
        var records: [LogRecord] = []
        var offset: UInt64 = 0
        for line in lines {
            line.withUnsafeBytes { decoder.decode(line: $0, offset: offset, into: &records) }
            offset += UInt64(line.count + 1)
        }
        if flush { decoder.flush(into: &records) }
        return records
    }

    /// The one record `line` yields.
    static func one(_ decoder: some LogDecoder, _ line: String) -> LogRecord? {
        var d = decoder
        let records = decode(&d, [line])
        return records.count == 1 ? records[0] : nil
    }

    /// Offsets of each line when `lines` are joined by `\n`.
    static func offsets(_ lines: [String]) -> [UInt64] {
        var out: [UInt64] = []
        var o: UInt64 = 0
        for l in lines {
            out.append(o)
            o += UInt64(l.utf8.count + 1)
        }
        return out
    }
}

extension LogRecord {
    func string(_ id: FieldID) -> String? { self[id]?.stringValue }
    func int(_ id: FieldID) -> Int64? { self[id]?.intValue }
    func double(_ id: FieldID) -> Double? {
        if case .double(let d)? = self[id] { return d }
        return nil
    }
    func ip(_ id: FieldID) -> String? {
        if case .ip(let a)? = self[id] { return a.description }
        return nil
    }
    func strings(_ id: FieldID) -> [String]? {
        guard case .list(let l)? = self[id] else { return nil }
        return l.compactMap(\.stringValue)
    }
    /// Field names in record order.
    var names: [String] { fields.map(\.id.name) }
    var time: String? { timestamp?.description }
}

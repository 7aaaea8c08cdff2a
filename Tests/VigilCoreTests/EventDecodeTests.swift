import Foundation
import Testing

@testable import VigilCore

/// Paths of the repository, found from this file so tests run from any working directory.
private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

private let head = #"{"@timestamp":"2026-11-23T16:09:45.411754Z","event.id":"e1","event.dataset":"dns""#

/// An event line with the three required fields and `rest` (`,"k":v,...` or empty) after them.
private func line(_ rest: String) -> String { head + rest + "}" }

private func decode(_ text: String, _ limits: EventDecodeLimits = .init()) throws(EventDecodeError) -> Event {
    try Event(jsonLine: text.utf8, limits: limits)
}

private func failure(_ text: String, _ limits: EventDecodeLimits = .init()) -> EventDecodeError? {
    failure(Array(text.utf8), limits)
}

private func failure(_ bytes: [UInt8], _ limits: EventDecodeLimits = .init()) -> EventDecodeError? {
    do {
        _ = try Event(jsonLine: bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Byte offset of the first `needle` in `text`.
private func offset(of needle: String, in text: String) -> Int {
    let hay = Array(text.utf8)
    let n = Array(needle.utf8)
    for i in 0...(hay.count - n.count) where Array(hay[i..<(i + n.count)]) == n { return i }
    fatalError("\(needle) not in \(text)")
}

private func field(_ event: Event, _ name: String) -> FieldValue? { event[FieldID(name)] }

/// The fuzz target's property: a decoded line re-encodes to a line that decodes to the same event.
private func expectFixedPoint(_ event: Event, sourceLocation: SourceLocation = #_sourceLocation) {
    let encoded = event.jsonLine
    let again = try? decode(encoded)
    #expect(again == event, "\(encoded)", sourceLocation: sourceLocation)
    #expect(again?.jsonLine == encoded, sourceLocation: sourceLocation)
}

@Suite("Decoding an event from its JSON line")
struct EventDecodeTests {
    // MARK: - Round trip

    /// The main test: every golden event re-encodes byte for byte, so every value came back with the
    /// type the encoder had (an IP stays `.ip`, `1.0` stays a double, `"200"` stays a string). No field
    /// of the golden files needs an exception.
    ///
    /// What cannot round-trip exactly in general, none of it in these files:
    /// - a non-finite double: the encoder writes `null`, which reads back as an absent field
    ///   (`FieldValue` has no null, and NaN would break `Equatable`);
    /// - `.ip` and `.time` are strings in JSON, so their type is recovered from the field name: an
    ///   `.ip`/`.time` value under another name reads back as `.string`, and a `.string` under an
    ///   address or time name must parse as one (else `bad_field`). The bytes still match;
    /// - spellings the encoder never writes (`\u0041`, `1E3`, `-0`, IPv6 in capitals, times with an
    ///   offset or more than six fraction digits) decode to the same value and re-encode in the
    ///   encoder's one spelling, so those lines are fixed points after one pass, not byte-identical.
    @Test("every golden event decodes and re-encodes to the same bytes")
    func goldenRoundTrip() throws {
        let directory = repoRoot.appendingPathComponent("Tests/Fixtures/expected")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasSuffix(".ndjson")
        }
        #expect(files.count >= 20)
        var lines = 0
        var mismatches: [String] = []
        for file in files.sorted() {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                lines += 1
                do {
                    let event = try Event(jsonLine: line.utf8)
                    if event.jsonLine != line { mismatches.append("\(file): \(line)\n   -> \(event.jsonLine)") }
                } catch {
                    mismatches.append("\(file): \(error.reason): \(error.message)")
                }
            }
        }
        #expect(lines > 600)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3).joined(separator: "\n"))")
    }

    @Test("golden values keep their types: addresses, times, lists, objects, ints, doubles, strings")
    func goldenTypes() throws {
        let directory = repoRoot.appendingPathComponent("Tests/Fixtures/expected")
        func first(_ file: String, _ dataset: String) throws -> Event {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let line = try #require(
                text.split(separator: "\n").first { $0.contains("\"event.dataset\":\"\(dataset)\"") })
            return try Event(jsonLine: line.utf8)
        }
        let flow = try first("sample.pcap.ndjson", "network.flow")
        #expect(field(flow, "source.ip") == .ip(IPAddress("127.0.0.1")!))
        guard case .time = field(flow, "event.start"), case .time = field(flow, "event.end") else {
            Issue.record("event.start/end are not times")
            return
        }
        #expect(flow.observerID == "golden")
        #expect(flow.dataset == .flow)
        let dns = try first("dns.pcap.ndjson", "dns")
        guard case .list(let resolved) = field(dns, "dns.resolved_ip"),
            case .list(let answers) = field(dns, "dns.answers")
        else {
            Issue.record("dns lists missing")
            return
        }
        #expect(resolved.allSatisfy { if case .ip = $0 { true } else { false } })
        guard case .object(let answer) = answers.first else {
            Issue.record("dns.answers items are not objects")
            return
        }
        #expect(answer.map(\.key) == ["name", "type", "class", "ttl", "data"])
        #expect(answer[3].value.intValue != nil)
        #expect(field(dns, "dns.id")?.intValue != nil)
        let web = try first("logs-nginx-custom.ndjson", "web.access")
        #expect(field(web, "vigil.web.request_time") == .double(0.0))
        let vlan = try first("qinq.pcap.ndjson", "dns")
        #expect(field(vlan, "network.vlan.id")?.stringValue != nil)
    }

    /// The typed-field lists are derived from the schemas: a property (or array items) with the IP
    /// pattern is an address field, one with the time pattern a time field. A schema change that adds
    /// one must add it to the decoder too.
    @Test("the address and time fields match deploy/schema")
    func typedFieldsMatchSchemas() throws {
        let schemaDirectory = repoRoot.appendingPathComponent("deploy/schema")
        func load(_ name: String) throws -> [String: Any] {
            let data = try Data(contentsOf: schemaDirectory.appendingPathComponent(name))
            return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        func properties(_ schema: [String: Any]) -> [String: [String: Any]] {
            (schema["properties"] as? [String: [String: Any]]) ?? [:]
        }
        let common = try load("common.schema.json")
        let timePattern = try #require(properties(common)["@timestamp"]?["pattern"] as? String)
        let ipPattern = try #require(properties(try load("connection.schema.json"))["source.ip"]?["pattern"] as? String)
        var ip: Set<String> = []
        var time: Set<String> = []
        let files = try FileManager.default.contentsOfDirectory(atPath: schemaDirectory.path).filter {
            $0.hasSuffix(".schema.json")
        }
        for file in files {
            for (name, property) in properties(try load(file)) {
                for candidate in [property, property["items"] as? [String: Any] ?? [:]] {
                    if candidate["pattern"] as? String == ipPattern { ip.insert(name) }
                    if candidate["pattern"] as? String == timePattern { time.insert(name) }
                }
            }
        }
        time.remove("@timestamp")
        #expect(ip == Set(EventLineDecoder.ipFields).subtracting(["related.ip"]))
        #expect(time == Set(EventLineDecoder.timeFields).subtracting(["event.created", "event.ingested"]))
    }

    @Test("a line decodes from any collection of bytes, contiguous or not")
    func anyCollection() throws {
        let text = line(#","source.port":53"#)
        let fromLazy = try Event(jsonLine: text.utf8.lazy.map { $0 })
        let fromArray = try Event(jsonLine: Array(text.utf8))
        let fromSlice = try Event(jsonLine: Array(("xx" + text).utf8)[2...])
        #expect(fromLazy == fromArray && fromSlice == fromArray)
        #expect(fromArray.jsonLine == text)
    }

    @Test("core fields in any order, observer.id optional, whitespace and a final CR allowed")
    func coreFields() throws {
        let event = try decode(
            #" {"a":1, "event.dataset" : "auth","@timestamp":"2026-11-23T16:09:45.411754Z","event.id":"x"}"#
                + "\r\n")
        #expect(event.dataset == .auth && event.id == "x" && event.observerID == nil)
        #expect(
            event.jsonLine
                == #"{"@timestamp":"2026-11-23T16:09:45.411754Z","event.id":"x","event.dataset":"auth","a":1}"#)
        #expect(try decode(line(#","observer.id":"s1""#)).observerID == "s1")
    }

    // MARK: - Errors: one per reason, with key and offset

    @Test("not_json: syntax errors, with the key being read and the byte offset")
    func notJSON() throws {
        let base = head.utf8.count
        // (text, key, offset, problem)
        let cases: [(String, String?, Int, String)] = [
            ("", nil, 0, "empty line"),
            ("{", nil, 1, "unexpected end"),
            (#"{"@timestamp":}"#, "@timestamp", 14, "expected a value"),
            (#"{'a':1}"#, nil, 1, "expected a key"),
            (#"{"a" 1}"#, "a", 5, "expected ':'"),
            (line(#","a":tru"#), "a", base + 5, "expected a value"),
            (line(#","a":1,"#), nil, base + 7, "expected a key"),
            (line(#","a":[1,]"#), "a", base + 8, "expected a value"),
            (line(#","a":[1 2]"#), "a", base + 8, "expected ',' or ']'"),
            (line(#","a":{"b" 1}"#), "a", base + 10, "expected ':'"),
            (line(#","a":01"#), "a", base + 6, "malformed number"),
            (line(#","a":1."#), "a", base + 7, "malformed number"),
            (line(#","a":1e"#), "a", base + 7, "malformed number"),
            (line(#","a":-"#), "a", base + 6, "malformed number"),
            (line(#","a":+1"#), "a", base + 5, "expected a value"),
            (line(#","a":.5"#), "a", base + 5, "expected a value"),
            (line(#","a":NaN"#), "a", base + 5, "expected a value"),
            (line(#","a":"open"#), "a", base + 11, "unexpected end"),
            (line(#","a":1"#) + "x", nil, base + 7, "expected the end of the line"),
        ]
        for (text, key, at, problem) in cases {
            let error = try #require(failure(text), "\(text)")
            #expect(error.reason == .notJSON, "\(text): \(error)")
            #expect(error.key == key, "\(text): \(error)")
            #expect(error.offset == at, "\(text): \(error)")
            #expect(error.message.contains(problem), "\(text): \(error)")
            #expect(error.message.hasSuffix("(byte \(at))"), "\(error)")
            if let key { #expect(error.message.hasPrefix("\(key): not JSON"), "\(error)") }
        }
    }

    @Test("not_json: trailing data after the object")
    func trailingGarbage() throws {
        for suffix in ["x", "{}", " 1", "\u{0}", "\n{}"] {
            let text = line("") + suffix
            let error = try #require(failure(text))
            #expect(error.reason == .notJSON)
            #expect(
                error.offset == offset(of: "}", in: text) + 1
                    + (suffix.hasPrefix(" ") || suffix.hasPrefix("\n") ? 1 : 0))
            #expect(error.message.contains("end of the line"))
        }
    }

    @Test("not_object: a JSON value that is not an object")
    func notObject() throws {
        for text in ["[1,2]", #""x""#, "42", "true", "null", " [{}] "] {
            let error = try #require(failure(text))
            #expect(error.reason == .notObject, "\(text): \(error)")
            #expect(error.reason.description == "not_object")
        }
        #expect(failure("[1,")?.reason == .notJSON)
    }

    @Test("missing_timestamp, missing_id, missing_dataset; null and empty count as missing")
    func missingCore() {
        let ts = #""@timestamp":"2026-11-23T16:09:45.411754Z""#
        #expect(failure(#"{"event.id":"a","event.dataset":"dns"}"#)?.reason == .missingTimestamp)
        #expect(failure(#"{"@timestamp":null,"event.id":"a","event.dataset":"dns"}"#)?.reason == .missingTimestamp)
        #expect(failure("{\(ts),\"event.dataset\":\"dns\"}")?.reason == .missingID)
        #expect(failure("{\(ts),\"event.id\":\"\",\"event.dataset\":\"dns\"}")?.reason == .missingID)
        #expect(failure("{\(ts),\"event.id\":null,\"event.dataset\":\"dns\"}")?.reason == .missingID)
        #expect(failure("{\(ts),\"event.id\":\"a\"}")?.reason == .missingDataset)
        #expect(failure("{\(ts),\"event.id\":\"a\",\"event.dataset\":\"\"}")?.reason == .missingDataset)
        #expect(failure("{}")?.message == "@timestamp is missing")
        #expect(EventDecodeError.Reason.missingID.description == "missing_id")
    }

    @Test("bad_timestamp names @timestamp, the value and its offset")
    func badTimestamp() throws {
        let text = #"{"event.id":"a","@timestamp":"2026-13-01T00:00:00Z","event.dataset":"dns"}"#
        let error = try #require(failure(text))
        #expect(error.reason == .badTimestamp)
        #expect(error.key == "@timestamp")
        #expect(error.offset == 29)
        #expect(
            error.message
                == #"@timestamp: "2026-13-01T00:00:00Z" is not an RFC 3339 time between years 0000 and 9999 (byte 29)"#)
        for bad in [
            "2026-02-29T00:00:00Z", "2026-11-23 16:09:45Z", "2026-11-23T24:00:00Z", "2026-11-23T16:09:60Z",
            "2026-11-23T16:09:45", "2026-11-23T16:09:45.Z", "2026-11-23T16:09:45+0100", "2026-11-23T16:09:45Zx",
            "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "+2026-11-23T16:09:45Z", "",
        ] {
            let e = failure(#"{"@timestamp":"\#(bad)","event.id":"a","event.dataset":"dns"}"#)
            #expect(e?.reason == .badTimestamp, "\(bad)")
        }
        #expect(failure(#"{"@timestamp":1700000000,"event.id":"a","event.dataset":"dns"}"#)?.reason == .badTimestamp)
    }

    @Test("bad_field: wrong types in typed fields, with key and offset")
    func badField() throws {
        let cases: [(String, String, String)] = [
            (#","source.ip":"nope""#, "source.ip", #""nope""#),
            (#","source.ip":"010.0.0.1""#, "source.ip", #""010"#),
            (#","source.ip":"1.2.3""#, "source.ip", #""1.2.3""#),
            (#","source.ip":"1.2.3.256""#, "source.ip", #""1.2"#),
            (#","source.ip":"fe80::1%eth0""#, "source.ip", #""fe80"#),
            (#","source.ip":"+1::""#, "source.ip", #""+1"#),
            (#","destination.ip":5"#, "destination.ip", "5"),
            (#","dns.resolved_ip":["1.2.3.4",true]"#, "dns.resolved_ip", "true"),
            (#","host.ip":{"a":1}"#, "host.ip", "{"),
            (#","event.start":"yesterday""#, "event.start", #""yesterday""#),
            (#","event.end":1"#, "event.end", "1"),
            (#","event.id":"again""#, "event.id", #""event.id":"again""#),
            (#","observer.id":7"#, "observer.id", "7"),
            (#","a":9223372036854775808"#, "a", "9223372036854775808"),
            (#","a":-9223372036854775809"#, "a", "-9223372036854775809"),
            (#","a":1e400"#, "a", "1e400"),
            (#","a":-1.8e308"#, "a", "-1.8e308"),
        ]
        for (rest, key, at) in cases {
            let text = line(rest)
            let error = try #require(failure(text), "\(rest)")
            #expect(error.reason == .badField, "\(rest): \(error)")
            #expect(error.key == key, "\(rest): \(error)")
            let expected =
                key == "event.id"
                ? offset(of: at, in: text)
                : offset(of: at, in: String(text.dropFirst(head.count)))
                    + head.utf8.count
            #expect(error.offset == expected, "\(rest): \(error)")
            #expect(error.message.hasPrefix("\(key): ") && error.message.hasSuffix("(byte \(expected))"), "\(error)")
        }
    }

    @Test("duplicate keys are reported, at the top level and in nested objects, null values included")
    func duplicateKeys() throws {
        let top = line(#","a":1,"b":2,"a":3"#)
        let error = try #require(failure(top))
        #expect(error.reason == .badField)
        #expect(error.key == "a")
        #expect(error.offset == offset(of: #""a":3"#, in: top))
        #expect(error.message.contains("duplicate key"))
        #expect(failure(line(#","a":null,"a":1"#))?.reason == .badField)
        #expect(failure(line(#","event.dataset":"dns""#))?.reason == .badField)
        let nested = line(#","o":{"k":1,"j":2,"k":3}"#)
        let nestedError = try #require(failure(nested))
        #expect(nestedError.reason == .badField && nestedError.key == "o")
        #expect(nestedError.offset == offset(of: #""k":3"#, in: nested))
        #expect(failure(line(#","o":{"k":null,"k":3}"#))?.reason == .badField)
        // Past 16 members the check hashes; still exact.
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(try decode(line(",\"o\":{\(many)}")).jsonLine == line(",\"o\":{\(many)}"))
        #expect(failure(line(",\"o\":{\(many),\"k7\":0}"))?.reason == .badField)
        // Canonically equivalent but different bytes are different keys (JSON compares code points).
        let nfc = try decode(line(",\"o\":{\"\u{E9}\":1,\"e\u{301}\":2}"))
        #expect(nfc.jsonLine == line(",\"o\":{\"\u{E9}\":1,\"e\u{301}\":2}"))
        // Many top-level fields: the exact bitmap takes over after 64.
        let fields = (0..<200).map { "\"dup.f\($0)\":\($0)" }.joined(separator: ",")
        #expect(try decode(line(",\(fields)")).fields.count == 200)
        #expect(failure(line(",\(fields),\"dup.f150\":1"))?.reason == .badField)
    }

    // MARK: - Limits

    @Test("too_large: a line over maxLineBytes is refused before parsing")
    func tooLarge() throws {
        let text = line(",\"message\":\"\(String(repeating: "x", count: 2000))\"")
        let limits = EventDecodeLimits(maxLineBytes: text.utf8.count - 1)
        let error = try #require(failure(text, limits))
        #expect(error.reason == .tooLarge)
        #expect(error.message.contains("\(text.utf8.count) bytes"))
        #expect(try decode(text, EventDecodeLimits(maxLineBytes: text.utf8.count)).jsonLine == text)
        #expect(failure(Array(repeating: UInt8(ascii: " "), count: (1 << 20) + 1))?.reason == .tooLarge)
    }

    @Test("too_deep: the event object is level 1; 16 levels pass, 17 do not")
    func tooDeep() throws {
        func nested(_ levels: Int) -> String {
            // The event object is level 1, so the value holds levels - 1 arrays.
            line(",\"a\":" + String(repeating: "[", count: levels - 1) + String(repeating: "]", count: levels - 1))
        }
        #expect(try decode(nested(16)).jsonLine == nested(16))
        let error = try #require(failure(nested(17)))
        #expect(error.reason == .tooDeep)
        #expect(error.key == "a")
        #expect(error.offset == offset(of: "[", in: nested(17)) + 15)
        #expect(failure(nested(4), EventDecodeLimits(maxDepth: 3))?.reason == .tooDeep)
        let objects = line(
            ",\"a\":" + String(repeating: "{\"b\":", count: 16) + "1" + String(repeating: "}", count: 16))
        #expect(failure(objects)?.reason == .tooDeep)
        // A hostile depth never reaches the stack: the limit is clamped to depthCeiling.
        let hostile = line(",\"a\":" + String(repeating: "[", count: 200_000))
        #expect(failure(hostile, EventDecodeLimits(maxDepth: 1_000_000))?.reason == .tooDeep)
        #expect(failure(String(repeating: "[", count: 100_000))?.reason == .tooDeep)
    }

    @Test("too_many_fields: counts every top-level key, the core ones included")
    func tooManyFields() throws {
        let text = line(#","a":1,"b":2"#)  // 5 keys
        #expect(try decode(text, EventDecodeLimits(maxFields: 5)).fields.count == 2)
        let error = try #require(failure(text, EventDecodeLimits(maxFields: 4)))
        #expect(error.reason == .tooManyFields)
        #expect(error.key == "b")
        #expect(error.message == "b: more than 4 fields (byte \(offset(of: #""b""#, in: text)))")
        #expect(error.offset == offset(of: #""b""#, in: text))
        let many = (0..<1001).map { "\"many.f\($0)\":0" }.joined(separator: ",")
        #expect(failure("{\(many)}")?.reason == .tooManyFields)
    }

    @Test("the process-wide field-name table cannot be exhausted by new keys")
    func fieldNameCap() throws {
        // At the cap, a name the process already has is still accepted: resolving it adds nothing.
        let registered = "cap.registered.\(UInt64.random(in: 0...UInt64.max))"
        _ = FieldID(registered)
        let known = FieldRegistry.shared.allJSONKeys().count
        let limits = EventDecodeLimits(maxFieldNames: known)
        #expect(try decode(line(",\"\(registered)\":1"), limits).fields.count == 1)
        let fresh = "cap.test.\(UInt64.random(in: 0...UInt64.max))"
        let error = try #require(failure(line(",\"\(fresh)\":1"), limits))
        #expect(error.reason == .badField)
        #expect(error.message.contains("maxFieldNames"))
    }

    // MARK: - Numbers

    @Test("integers are .int, fractions and exponents .double, booleans .bool; -0 and big integers")
    func numbers() throws {
        let event = try decode(
            line(
                #","i":1,"d":1.0,"e":1e3,"E":2E-2,"t":true,"n0":-0,"d0":-0.0,"max":9223372036854775807,"#
                    + #""min":-9223372036854775808,"small":5e-324,"big":1.7976931348623157e308,"#
                    + #""long":123456789012345678901234567890.5,"tiny":1e-400,"z":0"#))
        #expect(field(event, "i") == .int(1))
        #expect(field(event, "d") == .double(1.0))
        #expect(field(event, "e") == .double(1000))
        #expect(field(event, "E") == .double(0.02))
        #expect(field(event, "t") == .bool(true))
        // -0 as an integer is 0: Int64 has no negative zero (re-encodes as 0). -0.0 keeps its sign.
        #expect(field(event, "n0") == .int(0))
        guard case .double(let negativeZero) = field(event, "d0") else { throw CancellationError() }
        #expect(negativeZero.sign == .minus)
        #expect(field(event, "max") == .int(.max))
        #expect(field(event, "min") == .int(.min))
        #expect(field(event, "small") == .double(5e-324))
        #expect(field(event, "big") == .double(.greatestFiniteMagnitude))
        #expect(field(event, "long") == .double(123456789012345678901234567890.5))
        #expect(field(event, "tiny") == .double(0))
        #expect(field(event, "z") == .int(0))
        #expect(
            event.jsonLine
                == line(
                    #","i":1,"d":1.0,"e":1000.0,"E":0.02,"t":true,"n0":0,"d0":-0.0,"max":9223372036854775807,"#
                        + #""min":-9223372036854775808,"small":5e-324,"big":1.7976931348623157e+308,"#
                        + #""long":1.2345678901234568e+29,"tiny":0.0,"z":0"#))
        expectFixedPoint(event)
    }

    @Test("doubles round-trip bit for bit through the encoder's text")
    func doubleRoundTrip() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var values: [Double] = [
            0.1, 0.2, 0.3, 1.0 / 3, 2.5e-8, 123.456, 1e22, 1e23, 9_007_199_254_740_992, 4.35, 0.001,
        ]
        for _ in 0..<20_000 {
            let d = Double(bitPattern: next())
            if d.isFinite { values.append(d) }
            values.append(Double(Int64(bitPattern: next()) % 1_000_000) / 1000)
        }
        var mismatches: [String] = []
        for d in values {
            var e = Event(timestamp: Timestamp(microseconds: 0), id: "d", dataset: .dns)
            e.set(FieldID("d"), .double(d))
            guard case .double(let back) = try Event(jsonLine: e.jsonLine.utf8)[FieldID("d")],
                back.bitPattern == d.bitPattern
            else {
                mismatches.append("\(d)")
                continue
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        // Text the encoder never writes goes through the same parser: compare with the standard library.
        for text in ["0.30000000000000004", "1.00000000000000011102230246251565404", "2.2250738585072011e-308", "1e-7"]
        {
            #expect(try decode(line(",\"x\":\(text)"))[FieldID("x")] == .double(Double(text)!), "\(text)")
        }
    }

    // MARK: - Strings

    @Test("unicode escapes decode, surrogate pairs included; the encoder's escapes round-trip")
    func unicodeEscapes() throws {
        let event = try decode(line(#","s":"\u00e9\u4E2D\ud83d\ude00\/\b\f\n\r\t\"\\\u0000\u001f\u007f""#))
        #expect(field(event, "s") == .string("é中😀/\u{8}\u{C}\n\r\t\"\\\u{0}\u{1F}\u{7F}"))
        #expect(event.jsonLine == line(#","s":"é中😀/\u0008\u000c\n\r\t\"\\\u0000\u001f\u007f""#))
        expectFixedPoint(event)
        // Raw UTF-8 passes through untouched.
        let raw = line(",\"s\":\"部门 – 😀\"")
        #expect(try decode(raw).jsonLine == raw)
        // An escaped key is the same key: this one is the address field source.ip.
        #expect(field(try decode(line(#","sourc\u0065.ip":"10.0.0.1""#)), "source.ip") == .ip(IPAddress("10.0.0.1")!))
    }

    @Test("lone surrogates, bad escapes and unescaped control characters are not JSON")
    func badStrings() throws {
        for (rest, at) in [
            (#","s":"\ud800""#, #"\ud800""#), (#","s":"\udc00x""#, #"\udc00"#), (#","s":"\ud800\u0041""#, #"\ud800"#),
            (#","s":"\ud800\ud800""#, #"\ud800\"#), (#","s":"\u12G4""#, "G4"), (#","s":"\x""#, #"\x"#),
            (",\"s\":\"a\tb\"", "\tb"), (",\"s\":\"a\nb\"", "\nb"), (",\"s\":\"\u{0}\"", "\u{0}"),
        ] {
            let text = line(rest)
            let error = try #require(failure(text), "\(rest)")
            #expect(error.reason == .notJSON, "\(rest)")
            #expect(error.key == "s")
            #expect(error.offset == offset(of: at, in: String(text.dropFirst(head.count))) + head.utf8.count, "\(rest)")
        }
    }

    @Test("invalid UTF-8 is not JSON: stray, overlong, surrogate, too large, truncated")
    func invalidUTF8() throws {
        let prefix = Array((head + #","s":""#).utf8)
        for bad: [UInt8] in [
            [0xFF], [0x80], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        ] {
            let bytes = prefix + bad + Array("\"}".utf8)
            let error = try #require(failure(bytes), "\(bad)")
            #expect(error.reason == .notJSON, "\(bad)")
            #expect(error.offset == prefix.count, "\(bad): \(error)")
            #expect(error.message.contains("UTF-8"))
        }
        // Outside strings a non-ASCII byte is a syntax error too; so is a byte-order mark.
        #expect(failure([0xEF, 0xBB, 0xBF] + Array(line("").utf8))?.reason == .notJSON)
        let valid: [UInt8] = prefix + [0xC2, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF4, 0x8F, 0xBF, 0xBF]
        #expect(try Event(jsonLine: valid + Array("\"}".utf8)).jsonLine.utf8.count == valid.count + 2)
    }

    // MARK: - Typed strings

    @Test("addresses decode to .ip and re-encode in canonical form")
    func addresses() throws {
        let event = try decode(
            line(
                #","source.ip":"2001:DB8:0:0:0:0:0:1","destination.ip":"::ffff:10.0.0.1","client.ip":"::","#
                    + #""server.ip":"255.255.255.255","host.ip":"fe80::1","related.ip":["10.0.0.1","::1"],"#
                    + #""dns.resolved_ip":["1.2.3.4",null,"2001:db8::2"],"url.domain":"10.0.0.1""#))
        #expect(field(event, "source.ip") == .ip(IPAddress("2001:db8::1")!))
        #expect(field(event, "related.ip") == .list([.ip(IPAddress("10.0.0.1")!), .ip(IPAddress("::1")!)]))
        #expect(field(event, "dns.resolved_ip") == .list([.ip(IPAddress("1.2.3.4")!), .ip(IPAddress("2001:db8::2")!)]))
        #expect(field(event, "url.domain") == .string("10.0.0.1"))
        #expect(event.jsonLine.contains(#""source.ip":"2001:db8::1","destination.ip":"::ffff:10.0.0.1""#))
        expectFixedPoint(event)
    }

    @Test("times accept RFC 3339 offsets and fractions, normalised to UTC microseconds")
    func times() throws {
        let event = try decode(
            #"{"@timestamp":"2026-11-23T17:09:45.4117549+01:00","event.id":"t","event.dataset":"network.flow","#
                + #""event.start":"2024-02-29t12:00:00z","event.end":"1969-12-31T23:59:59.5Z","#
                + #""event.created":"9999-12-31T23:59:59.999999Z","event.ingested":"0000-01-01T00:00:00Z"}"#)
        #expect(event.timestamp.description == "2026-11-23T16:09:45.411754Z")
        #expect(field(event, "event.start") == .time(Timestamp(microseconds: 1_709_208_000_000_000)))
        #expect(field(event, "event.end") == .time(Timestamp(microseconds: -500_000)))
        #expect(field(event, "event.created") == .time(Timestamp(microseconds: Timestamp.maximumRFC3339)))
        #expect(field(event, "event.ingested") == .time(Timestamp(microseconds: Timestamp.minimumRFC3339)))
        #expect(event.jsonLine.contains(#""event.ingested":"0000-01-01T00:00:00.000000Z""#))
        expectFixedPoint(event)
    }

    // MARK: - null and idempotence

    @Test("null means no value: dropped as a field, an element or a member")
    func nulls() throws {
        let event = try decode(line(#","a":null,"b":[1,null,2],"c":{"x":null,"y":1},"observer.id":null"#))
        #expect(field(event, "a") == nil)
        #expect(field(event, "b") == .list([.int(1), .int(2)]))
        #expect(field(event, "c") == .object([FieldValue.Member("y", .int(1))]))
        #expect(event.observerID == nil)
        #expect(event.jsonLine == line(#","b":[1,2],"c":{"y":1}"#))
    }

    @Test("any line that decodes is a fixed point after one pass (the fuzz property, on the seeds)")
    func seedsAreFixedPoints() throws {
        let directory = repoRoot.appendingPathComponent("Fuzz/Corpus/FuzzEventJSON")
        let seeds = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(seeds.count >= 10)
        var decoded = 0
        for seed in seeds {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(seed))
            guard let event = try? Event(jsonLine: bytes) else { continue }
            decoded += 1
            expectFixedPoint(event)
        }
        #expect(decoded >= 5)
    }
}

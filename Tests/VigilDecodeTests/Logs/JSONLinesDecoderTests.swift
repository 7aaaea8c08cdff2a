import Testing
import VigilCore

@testable import VigilDecode

@Suite("JSON lines decoder")
struct JSONLinesDecoderTests {
    static let mapping = [
        "source.ip": "request.client_ip",
        "vigil.api.consumer": "consumer.id",
        "vigil.api.path": "route",
        "url.path": "request.path",
        "vigil.api.records": "response.records",
        "http.response.body.bytes": "response.size",
        "http.response.status_code": "response.status",
        "http.request.method": "request.method",
        "user.name": "consumer.user",
        "event.duration": "latency_ms",
        "labels.tags": "tags",
    ]

    func decoder(_ format: JSONLinesDecoder.TimestampFormat = .iso8601) throws -> JSONLinesDecoder {
        try JSONLinesDecoder(
            mapping: Self.mapping, timestampPath: "ts", timestampFormat: format, context: LogFeed.context)
    }

    @Test("mapped paths into nested objects become typed api.access fields in field-name order")
    func mapped() throws {
        let line =
            #"{"ts":"2026-11-23T17:03:01.250+08:00","route":"/v1/citizens/{id}","request":{"client_ip":"10.9.8.7","met"#
            + #"hod":"GET","path":"/v1/citizens/42","headers":{"x":[1,2,{"deep":true}]}},"consumer":{"id":"app-778"#
            + #"1","user":"zhang.san"},"response":{"status":200,"size":18234,"records":"250"},"latency_ms":12.5,"t"#
            + #"ags":["export",true,3],"ignored":null}"#
        let r = try #require(LogFeed.one(try decoder(), line))
        #expect(r.dataset == .apiAccess)
        #expect(r.time == "2026-11-23T09:03:01.250000Z")
        #expect(r.ip(Fields.sourceIP) == "10.9.8.7")
        #expect(r.string(Fields.apiConsumer) == "app-7781")
        #expect(r.string(Fields.apiPath) == "/v1/citizens/{id}")
        #expect(r.string(Fields.urlPath) == "/v1/citizens/42")
        #expect(r.int(Fields.apiRecords) == 250)
        #expect(r.int(Fields.httpResponseBodyBytes) == 18234)
        #expect(r.int(Fields.httpResponseStatusCode) == 200)
        #expect(r.string(Fields.httpRequestMethod) == "GET")
        #expect(r.string(Fields.userName) == "zhang.san")
        #expect(r.int(Fields.eventDuration) == 12_500_000)
        #expect(r[FieldID("labels.tags")] == .list([.string("export"), .bool(true), .int(3)]))
        #expect(r.string(Fields.eventOutcome) == "success")
        #expect(
            r.names == [
                "event.duration", "http.request.method", "http.response.body.bytes", "http.response.status_code",
                "labels.tags", "source.ip", "url.path", "user.name", "vigil.api.consumer", "vigil.api.path",
                "vigil.api.records", "event.category", "event.type", "event.outcome",
            ])
    }

    @Test("string escapes including surrogate pairs decode, and a non-IP client goes to source.address")
    func escapes() throws {
        let line =
            #"{"ts":1795435200,"request":{"client_ip":"unknown","path":"/a\"b\\c\/d\u00e9\ud83d\ude00\n\ud800x"},"resp"#
            + #"onse":{"status":503}}"#
        let r = try #require(LogFeed.one(try decoder(.epochSeconds), line))
        #expect(r.time == "2026-11-23T12:00:00.000000Z")
        #expect(r.string(Fields.sourceIP) == nil)
        #expect(r.string(Fields.sourceAddress) == "unknown")
        #expect(r.string(Fields.urlPath) == "/a\"b\\c/dé😀\n\u{FFFD}x")
        #expect(r.string(Fields.eventOutcome) == "failure")
    }

    @Test("epoch milliseconds and array indexes in paths")
    func millisAndIndexes() throws {
        var d = try JSONLinesDecoder(
            mapping: ["source.ip": "hops.0", "http.response.status_code": "status"], timestampPath: "t",
            timestampFormat: .epochMillis, context: LogFeed.context)
        let r = LogFeed.decode(&d, [#"{"t":1795435200123,"hops":["2001:db8::7","10.0.0.1"],"status":"404"}"#])
        #expect(r.first?.time == "2026-11-23T12:00:00.123000Z")
        #expect(r.first?.ip(Fields.sourceIP) == "2001:db8::7")
        #expect(r.first?.int(Fields.httpResponseStatusCode) == 404)
    }

    @Test("invalid JSON, non-objects and over-deep nesting are unparsed; blank lines are skipped")
    func invalid() throws {
        var d = try decoder()
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let lines = [
            "{", #"{"a":1,}"#, #"{"a":01}"#, #"{"a":"\x"}"#, "[1,2]", "null", #"{"a":1} x"#, "{\"a\":\"\u{1}\"}",
            #"{"a":"\ud800"#, "{\"d\":\(deep)}", "", "   ", #"{"a":-0.5e-3,"b":[],"c":{}}"#,
        ]
        let r = LogFeed.decode(&d, lines)
        #expect(r.count == 11)
        #expect(r.prefix(10).allSatisfy { $0.isUnparsed && $0.string(Fields.errorMessage) == "not a JSON object" })
        #expect(r[0].string(Fields.logFormat) == "jsonl")
        #expect(r[10].dataset == .apiAccess)
        var bytes = Array(#"{"request":{"path":""#.utf8) + [0xFF, 0xFE] + Array(#""}}"#.utf8)
        #expect(LogFeed.decode(&d, bytes: [bytes]).first?.string(Fields.urlPath) == "\u{FFFD}\u{FFFD}")
        bytes = Array(#"{"a":"#.utf8) + Array(repeating: UInt8(ascii: "9"), count: 15_000) + [UInt8(ascii: "}")]
        #expect(LogFeed.decode(&d, bytes: [bytes]).first?.dataset == .apiAccess)
    }

    @Test("the JSON parser reads numbers, literals and nesting exactly")
    func parser() {
        func parse(_ s: String) -> JSONValue? {
            Array(s.utf8).withUnsafeBytes { JSONParser.parse($0) }
        }
        #expect(parse("9223372036854775807") == .int(Int64.max))
        #expect(parse("-12") == .int(-12))
        #expect(parse("1e3") == .double(1000))
        #expect(parse("99999999999999999999") == .double(1e20))
        #expect(parse(" [true, false, null] ") == .array([.bool(true), .bool(false), .null]))
        #expect(parse(#"{"k":{"n":[1]}}"#)?["k"]?["n"]?["0"] == .int(1))
        #expect(parse("tru") == nil)
        #expect(parse("-") == nil)
        #expect(parse("1.") == nil)
    }

    @Test("empty paths and names in the mapping are refused")
    func badMapping() {
        #expect(throws: LogFormatError.self) {
            try JSONLinesDecoder(mapping: ["source.ip": ""], context: LogFeed.context)
        }
        #expect(throws: LogFormatError.self) {
            try JSONLinesDecoder(mapping: ["source.ip": "a..b"], context: LogFeed.context)
        }
        #expect(throws: LogFormatError.self) { try JSONLinesDecoder(mapping: ["": "a"], context: LogFeed.context) }
        #expect(throws: LogFormatError.self) {
            try JSONLinesDecoder(mapping: [:], timestampPath: ".", context: LogFeed.context)
        }
    }
}

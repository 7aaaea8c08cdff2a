import Testing
import VigilCore

@testable import VigilInspect

@Suite("Inspecting events")
struct EventTests {
    static let id = "11010519491231002X"
    static let mobile = "13812345678"
    static let card = "6222021234567894"
    static let mail = "zhangsan@example.com"

    static func event() -> Event {
        var e = Event(timestamp: Timestamp(microseconds: 1_700_000_000_000_000), id: "evt-1", dataset: .http)
        e.set(Fields.urlOriginal, "/api/user?sfzh=\(id)&mobile=%2B86\(mobile)")
        e.set(Fields.httpResponseBodyContent, #"{"idCard":"\#(id)","phone":"\#(mobile)","email":"\#(mail)"}"#)
        e.set(Fields.httpResponseStatusCode, .int(200))
        e.set(Fields.connUID, "C\(mobile)")
        e.set(Fields.tlsClientJA3, "\(id)")
        e.set(FieldID("labels.tags"), .list([.string("card \(card)"), .string("plain")]))
        e.set(FieldID("vigil.form"), .object([.init("bankcard", .string(card)), .init("n", .int(13_812_345_678))]))
        return e
    }

    /// Every string in a value, recursively.
    static func strings(_ value: FieldValue) -> [String] {
        switch value {
        case .string(let s): [s]
        case .list(let items): items.flatMap(strings)
        case .object(let members): members.flatMap { strings($0.value) }
        default: []
        }
    }

    static func hash(_ value: String) -> String { Hex.encode(HMACSHA256(key: testSecret).mac(value).prefix(16)) }

    @Test("no raw value survives in any scanned field, in any encoding")
    func masksEverything() {
        var e = Self.event()
        inspector.inspect(&e)
        for field in e.fields where field.id != Fields.connUID && field.id != Fields.tlsClientJA3 {
            for s in Self.strings(field.value) {
                for raw in [Self.id, Self.mobile, Self.card, "zhangsan", "%2B86\(Self.mobile)"] {
                    #expect(!s.contains(raw), "\(field.id.name) still holds a raw value")
                }
            }
        }
        #expect(e[Fields.urlOriginal] == .string("/api/user?sfzh=110105********002X&mobile=%2B86138****5678"))
        #expect(e[FieldID("labels.tags")] == .list([.string("card 622202******7894"), .string("plain")]))
        #expect(
            e[FieldID("vigil.form")]
                == .object([.init("bankcard", .string("622202******7894")), .init("n", .int(13_812_345_678))]))
    }

    @Test("structural fields are not scanned")
    func skipsStructuralFields() {
        var e = Self.event()
        inspector.inspect(&e)
        #expect(e[Fields.connUID] == .string("C\(Self.mobile)"))
        #expect(e[Fields.tlsClientJA3] == .string(Self.id))
    }

    @Test("values from a 16-bit code or an address are not scanned; a TLS server name still is")
    func skipsCodedValues() {
        // Made-up values that would match if scanned (no real cipher or address looks like this).
        var e = Event(timestamp: Timestamp(microseconds: 1_700_000_000_000_000), id: "evt-2", dataset: .tls)
        e.set(Fields.tlsClientSupportedCiphers, .list([.string("TLS_AES_128_GCM_SHA256"), .string(Self.mobile)]))
        e.set(Fields.tlsCipher, Self.mobile)
        e.set(Fields.tlsVersion, Self.mobile)
        e.set(Fields.dnsResolvedIP, .list([.string(Self.mobile)]))
        e.set(Fields.tlsClientServerName, "\(Self.mobile).example.com")
        inspector.inspect(&e)
        #expect(
            e[Fields.tlsClientSupportedCiphers] == .list([.string("TLS_AES_128_GCM_SHA256"), .string(Self.mobile)]))
        #expect(e[Fields.tlsCipher] == .string(Self.mobile) && e[Fields.tlsVersion] == .string(Self.mobile))
        #expect(e[Fields.dnsResolvedIP] == .list([.string(Self.mobile)]))
        #expect(e[Fields.tlsClientServerName] == .string("138****5678.example.com"))
        #expect(e[Fields.dlpCount] == .int(1))
    }

    @Test("the dlp fields summarise kinds, counts, confidence, samples and keyed hashes exactly")
    func summary() {
        var e = Self.event()
        inspector.inspect(&e)
        #expect(
            e[Fields.dlpTypes]
                == .list(["bank_card", "cn_mobile", "cn_resident_id", "email"].map(FieldValue.string)))
        // Distinct values: the ID, phone and card each appear in two fields but count once.
        #expect(e[Fields.dlpCount] == .int(4))
        #expect(
            e[Fields.dlpCounts]
                == .object([
                    .init("bank_card", .int(1)), .init("cn_mobile", .int(1)), .init("cn_resident_id", .int(1)),
                    .init("email", .int(1)),
                ]))
        #expect(e[Fields.dlpConfidence] == .string("high"))
        #expect(
            e[Fields.dlpSamples]
                == .list(
                    ["110105********002X", "+86138****5678", "z*******@example.com", "622202******7894"]
                        .map(FieldValue.string)))
        let expected = [Self.id, Self.mobile, Self.mail, Self.card].map(Self.hash).sorted()
        #expect(e[Fields.dlpHashes] == .list(expected.map(FieldValue.string)))
    }

    @Test("an event without personal data is left exactly as it was, with no dlp field")
    func untouched() {
        var e = Event(timestamp: Timestamp(microseconds: 1), id: "evt-2", dataset: .webAccess)
        e.set(Fields.urlOriginal, "/index.html?v=1.2.3&t=20261123173000")
        e.set(FieldID("event.original"), #"10.0.0.1 - - [23/Nov/2025:16:00:00 +0800] "GET / HTTP/1.1" 200 512"#)
        let before = e
        inspector.inspect(&e)
        #expect(e == before)
        #expect(e[Fields.dlpCount] == nil)
    }

    @Test("inspecting twice changes nothing more")
    func idempotent() {
        var e = Self.event()
        inspector.inspect(&e)
        let once = e
        inspector.inspect(&e)
        #expect(e == once)
    }

    @Test("values of different kinds with the same digits are two values, not one")
    func kindsCountSeparately() {
        // A fuzzer found kind 2 + "138…" and kind 3 + "038…" counted as one value.
        var e = Event(timestamp: Timestamp(microseconds: 1), id: "evt-4", dataset: .webAccess)
        e.set(Fields.urlQuery, "mobile=13812345678&tel=0381-2345678")
        inspector.inspect(&e)
        #expect(e[Fields.dlpCount] == .int(2))
        #expect(e[Fields.dlpTypes] == .list([.string("cn_landline"), .string("cn_mobile")]))
    }

    @Test("samples stop at five distinct values and hashes at maxHashes")
    func limits() {
        var rng = SeededRNG(seed: 14)
        let numbers = (0..<20).map { _ in Gen.mobile(&rng) }
        var e = Event(timestamp: Timestamp(microseconds: 1), id: "evt-3", dataset: .apiAccess)
        e.set(Fields.httpResponseBodyContent, numbers.joined(separator: ",") + "," + numbers[0])
        Inspector(secret: testSecret, options: .init(maxHashes: 8)).inspect(&e)
        #expect(e[Fields.dlpCount] == .int(20), "the repeated first number counts once")
        guard case .list(let samples)? = e[Fields.dlpSamples], case .list(let hashes)? = e[Fields.dlpHashes] else {
            Issue.record("dlp fields missing")
            return
        }
        #expect(samples.count == 5)
        #expect(hashes.count == 8)
        #expect(Set(hashes.compactMap(\.stringValue)).count == 8)
        #expect(hashes.allSatisfy { $0.stringValue?.count == 32 })
    }

    @Test("a different secret gives different hashes for the same value")
    func secret() {
        let a = inspector.inspect(text: Self.id).detections[0].hash
        let b = Inspector(secret: Array("other".utf8)).inspect(text: Self.id).detections[0].hash
        #expect(a != b && a == Self.hash(Self.id))
    }

    @Test("a detection describes itself with the masked value only")
    func description() {
        let result = inspector.inspect(text: "身份证 \(Self.id) 手机 \(Self.mobile)")
        for text in [result.description, "\(result.detections)", String(reflecting: result)] {
            #expect(!text.contains(Self.id) && !text.contains(Self.mobile))
        }
        #expect(result.detections[0].description.contains("110105********002X"))
    }
}

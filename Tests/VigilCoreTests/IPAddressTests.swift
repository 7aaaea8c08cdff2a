import Glibc
import Testing
import VigilCore

@Suite("IP addresses")
struct IPAddressTests {
    @Test("an IPv4 address prints as dotted decimal without leading zeros, for every octet value in every place")
    func dottedDecimal() {
        for octet in 0...255 {
            for place in 0..<4 {
                var octets = [7, 0, 10, 255]
                octets[place] = octet
                let text = octets.map(String.init).joined(separator: ".")
                #expect(IPAddress(text)?.description == text)
            }
        }
        #expect(IPAddress("0.0.0.0")?.description == "0.0.0.0")
        #expect(IPAddress("255.255.255.255")?.description == "255.255.255.255")
        #expect(IPAddress("::ffff:192.168.0.10")?.description == "::ffff:192.168.0.10")
    }

    /// The C library's text for an IPv6 address (RFC 5952, as `inet_ntop` writes it).
    static func ntop(_ groups: [UInt16]) -> String {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { raw in
            for (i, g) in groups.enumerated() {
                raw[2 * i] = UInt8(g >> 8)
                raw[2 * i + 1] = UInt8(g & 0xFF)
            }
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
        return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("an IPv6 address prints as RFC 5952 text, as inet_ntop writes it, in events and as a string")
    func ipv6Text() throws {
        // Groups drawn mostly from zero, so runs of zeros of every length fall at every place; then
        // hex of every width. A fixed generator: the same addresses on every run.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let choices: [UInt16] = [0, 0, 0, 0, 1, 0xF, 0xAB, 0xABC, 0xFFFF, 0x1000, 0x20]
        var checked = 0
        for n in 0..<4000 {
            var groups = (0..<8).map { _ in choices[Int(next() % UInt64(choices.count))] }
            if n % 5 == 0 { groups[Int(next() % 8)] = UInt16(truncatingIfNeeded: next()) }
            // inet_ntop writes the deprecated IPv4-compatible form (`::a.b.c.d`, six zero groups
            // first) in dotted decimal; Vigil writes it in hex like any other address.
            if groups[0..<6].allSatisfy({ $0 == 0 }), groups[6] != 0 { continue }
            let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
            let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
            let ip = IPAddress(v6High: high, low: low)
            let expected = Self.ntop(groups)
            #expect(ip.description == expected, "groups \(groups)")
            var w = JSONWriter()
            FieldValue.ip(ip).writeJSON(to: &w)
            #expect(String(decoding: w.bytes, as: UTF8.self) == "\"\(expected)\"")
            #expect(IPAddress(expected) == ip, "reads back")
            checked += 1
        }
        #expect(checked > 3000)
        #expect(IPAddress(v6High: 0, low: 0).description == "::")
        #expect(IPAddress(v6High: 0, low: 1).description == "::1")
        #expect(IPAddress(v6High: 0x2001_0DB8_0000_0000, low: 0x0000_0000_0000_0001).description == "2001:db8::1")
        #expect(IPAddress(v6High: 0x2001_0DB8_0000_0001, low: 0x0000_0000_0001_0000).description == "2001:db8:0:1::1:0")
        let widest = IPAddress(v6High: 0xFFFF_FFFF_FFFF_FFFF, low: 0xFFFF_FFFF_FFFF_FFFF).description
        #expect(widest.utf8.count == IPAddress.maxTextLength)
    }
}

@Suite("Addresses and keys in event JSON")
struct AddressJSONTests {
    @Test("an IPv4 address is written as its dotted quad, whatever the width of each octet")
    func dottedQuads() throws {
        for text in ["0.0.0.0", "255.255.255.255", "10.0.0.1", "100.1.10.0", "9.99.199.209", "1.20.255.7"] {
            var w = JSONWriter()
            FieldValue.ip(try #require(IPAddress(text))).writeJSON(to: &w)
            #expect(String(decoding: w.bytes, as: UTF8.self) == "\"\(text)\"")
        }
    }

    @Test("a field after another is written with its comma and key in one piece")
    func commaKeys() {
        var w = JSONWriter()
        w.key(FieldID("source.ip"))
        w.commaKey(FieldID("destination.port"))
        w.commaKey(FieldID("source.ip"))
        #expect(String(decoding: w.bytes, as: UTF8.self) == #""source.ip":,"destination.port":,"source.ip":"#)
    }

    @Test("a field registered after a writer wrote its first key is written with its own key")
    func keyRegisteredLater() {
        var w = JSONWriter()
        w.key(FieldID("source.ip"))
        let late = FieldID("test.registered_late.\(UInt64.random(in: 0...UInt64.max))")
        w.commaKey(late)
        w.commaKey(FieldID("source.ip"))
        #expect(String(decoding: w.bytes, as: UTF8.self) == #""source.ip":,"\#(late.name)":,"source.ip":"#)
    }
}

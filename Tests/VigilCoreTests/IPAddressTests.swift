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
}

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

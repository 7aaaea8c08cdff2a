import Testing
import VigilCore

@Suite("Inline short texts (uids, Community IDs, event ids)")
struct InlineTextTests {
    @Test("a text of up to 32 bytes round-trips; equal texts are equal and hash alike")
    func roundTrip() {
        for text in [
            "", "C", "CiB1utdhrxqjdqfAf0", "1:riqZfogkuxxVZFgHuKJhPWOcS3s=", String(repeating: "x", count: 32),
        ] {
            let inline = InlineText(text)
            #expect(inline.string == text)
            #expect(inline.count == text.utf8.count)
            #expect(inline == InlineText(text))
            #expect(inline.hashValue == InlineText(text).hashValue)
        }
        #expect(InlineText("abc") != InlineText("abd"))
        #expect(InlineText("abc") != InlineText("abc\u{0}"))
    }

    @Test("a longer text keeps its first 32 bytes")
    func cut() {
        let long = String(repeating: "0123456789", count: 5)
        #expect(InlineText(long).string == String(long.prefix(32)))
    }

    @Test("text written in place equals the same text copied in, whatever was scribbled past its end")
    func writtenInPlace() {
        let written = InlineText(unsafeUninitializedCapacity: 32) { out in
            for i in 0..<out.count { out[i] = UInt8(ascii: "z") }
            out[0] = UInt8(ascii: "o")
            out[1] = UInt8(ascii: "k")
            return 2
        }
        #expect(written.string == "ok")
        #expect(written == InlineText("ok"))
    }

    @Test("ids, uids and Community IDs made inline are the strings the String APIs give")
    func sameAsStrings() throws {
        let g = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        #expect(g.idText(position: 9, index: 3).string == g.id(position: 9, index: 3))
        #expect(g.connectionUIDText(serial: 42).string == g.connectionUID(serial: 42))
        let a = try #require(IPAddress("10.0.0.1")), b = try #require(IPAddress("2001:db8::1"))
        for (x, y) in [(a, a), (b, b)] {
            let text = CommunityID.v1Text(source: x, destination: y, proto: 6, sourcePort: 1234, destinationPort: 443)
            #expect(
                text.string
                    == CommunityID.v1(source: x, destination: y, proto: 6, sourcePort: 1234, destinationPort: 443))
            #expect(text.count == 30)
        }
    }
}

import Testing
import VigilCore

@Suite("Event ids and connection uids")
struct EventIDTests {
    @Test("the same inputs give the same id; a different position a different one")
    func deterministic() {
        let a = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        let b = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        #expect(a.id(position: 7, index: 1) == b.id(position: 7, index: 1))
        #expect(a.id(position: 7, index: 1) != a.id(position: 7, index: 2))
        #expect(a.id(position: 7, index: 1).count == 32)
        #expect(
            EventIDGenerator(observerID: "s2", sourceIdentity: "pcap:abc").id(position: 7, index: 1)
                != a.id(position: 7, index: 1))
    }

    @Test("a connection uid is stable, Zeek-shaped and differs per connection")
    func uid() {
        let g = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        let u = g.connectionUID(serial: 1)
        #expect(u == g.connectionUID(serial: 1))
        #expect(u.count == 18 && u.hasPrefix("C"))
        #expect(u != g.connectionUID(serial: 2))
    }

    @Test("digests give the published test vectors (empty, one block, across a block boundary)")
    func digestVectors() {
        func hex(_ d: Digest, _ text: String) -> String {
            Array(text.utf8).withUnsafeBytes { d.withHash($0) { Hex.encode($0) } }
        }
        let long = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(hex(.md5, "") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(hex(.md5, "abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(hex(.sha1, "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(.sha1, long) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex(.sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(.sha256, long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A million 'a's: many blocks through one context.
        #expect(
            hex(.sha256, String(repeating: "a", count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("base64 gives RFC 4648's test vectors, with and without a prefix")
    func base64() {
        let vectors = [
            "": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
            "foobar": "Zm9vYmFy",
        ]
        for (input, expected) in vectors {
            #expect(Base64.encode(Array(input.utf8)) == expected)
            let prefixed = Array(input.utf8).withUnsafeBufferPointer { Base64.encode($0, prefix: "1:") }
            #expect(prefixed == "1:" + expected)
        }
    }
}

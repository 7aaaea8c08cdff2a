import Testing
import VigilCore

@Suite("HMAC-SHA256")
struct HMACTests {
    private static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8).map { $0 <= 57 ? $0 - 48 : ($0 | 0x20) - 87 }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// RFC 4231 §4.2–4.7 (key, data, HMAC-SHA256); case 5 compares the first 128 bits only.
    static let vectors: [(key: [UInt8], data: [UInt8], mac: String)] = [
        (
            [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            bytes(hex: "0102030405060708090a0b0c0d0e0f10111213141516171819"), [UInt8](repeating: 0xcd, count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            [UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
            "a3b6167473100ee06e0c796c2955552b"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    @Test("RFC 4231 test cases 1 to 7 give the published HMAC-SHA256 values")
    func rfc4231() {
        for (index, vector) in Self.vectors.enumerated() {
            let mac = Hex.encode(HMACSHA256(key: vector.key).mac(vector.data))
            #expect(mac.hasPrefix(vector.mac), "RFC 4231 case \(index + 1)")
        }
    }

    @Test("one key used for many messages in a row gives the same MACs as fresh keys")
    func reuse() {
        let hmac = HMACSHA256(key: [UInt8](repeating: 0xaa, count: 131))
        for vector in Self.vectors + Self.vectors {
            #expect(hmac.mac(vector.data) == HMACSHA256(key: [UInt8](repeating: 0xaa, count: 131)).mac(vector.data))
        }
        #expect(Hex.encode(hmac.mac(Self.vectors[5].data)) == Self.vectors[5].mac)
    }

    @Test("an empty key is a valid key, distinct from a one-zero-byte key only by length")
    func emptyKey() {
        // HMAC pads keys with zeros to the block size, so "" and "\0" give the same MAC (RFC 2104).
        #expect(HMACSHA256(key: []).mac("x") == HMACSHA256(key: [0]).mac("x"))
        #expect(
            Hex.encode(HMACSHA256(key: []).mac(""))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}

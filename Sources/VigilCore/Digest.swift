import COpenSSL

/// One-shot message digests through OpenSSL libcrypto (DESIGN §3: no swift-crypto).
///
/// Through the low-level `MD5_*`/`SHA1_*`/`SHA256_*` functions on a stack context: Vigil hashes short
/// inputs per event (ids, Community IDs, JA3), where the EVP layer's per-call context set-up and
/// provider dispatch cost more than the hashing (40 bytes of SHA-256: 61 ns here, 155 ns through a
/// reused EVP context, 250 ns through `EVP_Digest`; the one-shot `SHA256()` fetches the algorithm
/// every call, 640 ns). OpenSSL 3 deprecates them (shim.h silences that); the same assembly
/// implementations run underneath.
public enum Digest: Sendable {
    case md5, sha1, sha256

    /// Digest of the bytes, handed to `body` without allocating (the buffer is valid inside `body` only).
    public func withHash<R>(_ data: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { out in
            let o = out.baseAddress!
            let length: Int32
            switch self {
            case .md5:
                var c = MD5_CTX()
                length = MD5_DIGEST_LENGTH
                precondition(
                    MD5_Init(&c) == 1 && MD5_Update(&c, data.baseAddress, data.count) == 1 && MD5_Final(o, &c) == 1,
                    "MD5 failed")
            case .sha1:
                var c = SHA_CTX()
                length = SHA_DIGEST_LENGTH
                precondition(
                    SHA1_Init(&c) == 1 && SHA1_Update(&c, data.baseAddress, data.count) == 1
                        && SHA1_Final(o, &c) == 1, "SHA-1 failed")
            case .sha256:
                var c = SHA256_CTX()
                length = SHA256_DIGEST_LENGTH
                precondition(
                    SHA256_Init(&c) == 1 && SHA256_Update(&c, data.baseAddress, data.count) == 1
                        && SHA256_Final(o, &c) == 1, "SHA-256 failed")
            }
            return body(UnsafeBufferPointer(rebasing: out[0..<Int(length)]))
        }
    }

    /// Digest of the bytes.
    public func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] { withHash(data) { Array($0) } }

    public func hash(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { hash($0) } }
    public func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }

    /// The digest's lower-case hex, from a buffer. Not generic: callers in other modules (JA3 per
    /// TLS event) would run `withHash` unspecialized, looking up type metadata per call.
    public func hex(_ data: UnsafeRawBufferPointer) -> String {
        withHash(data) { digest in
            String(unsafeUninitializedCapacity: 2 * digest.count) { Hex.encode(digest, into: $0) }
        }
    }

    public func hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hex($0) } }
    public func hex(_ string: String) -> String { hex(Array(string.utf8)) }
}

public enum Hex {
    /// The value of one hex digit (either case), or nil.
    @inline(__always)
    public static func value(_ b: UInt8) -> UInt8? {
        if b &- 0x30 < 10 { return b &- 0x30 }
        let l = b | 0x20
        if l &- 0x61 < 6 { return l &- 0x61 + 10 }
        return nil
    }

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { encode(bytes, into: $0) }
    }

    /// Writes the lower-case hex of `bytes` into `out` (at least twice as long); returns the count.
    public static func encode(_ bytes: some Collection<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        // Generic code called from another module is not specialized: each byte went through the
        // collection's witness table (every event id and JA3 is hex). Contiguous bytes take the
        // plain loop.
        if let n = bytes.withContiguousStorageIfAvailable({ encode($0, into: out) }) { return n }
        return Array(bytes).withUnsafeBufferPointer { encode($0, into: out) }
    }

    /// `encode(_:into:)` for bytes already contiguous: not generic, so a caller in another module
    /// (JA3's MD5) runs no witness-table lookups.
    public static func encode(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(out.count >= bytes.count * 2, "Hex: output too short")
        @inline(__always) func digit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }
        var i = 0
        for b in bytes {
            out[i] = digit(b >> 4)
            out[i + 1] = digit(b & 0xF)
            i += 2
        }
        return i
    }
}

public enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648 §4).
    public static func encode(_ bytes: [UInt8]) -> String { bytes.withUnsafeBufferPointer { encode($0) } }

    /// Standard base64 with padding (RFC 4648 §4), after `prefix` (ASCII): one allocation for the
    /// whole text.
    public static func encode(_ bytes: UnsafeBufferPointer<UInt8>, prefix: StaticString = "") -> String {
        String(unsafeUninitializedCapacity: encodedCount(bytes.count, prefix: prefix)) { out in
            encode(bytes, prefix: prefix, into: out)
        }
    }

    /// How many bytes `encode(_:prefix:into:)` writes for `count` input bytes.
    public static func encodedCount(_ count: Int, prefix: StaticString = "") -> Int {
        prefix.utf8CodeUnitCount + (count + 2) / 3 * 4
    }

    /// Writes `prefix` and the base64 of `bytes` into `out` (at least `encodedCount` long); returns
    /// how many bytes it wrote. Every flow's Community ID is `1:` and the base64 of a digest.
    public static func encode(
        _ bytes: UnsafeBufferPointer<UInt8>, prefix: StaticString = "", into out: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        let head = prefix.utf8CodeUnitCount
        precondition(out.count >= encodedCount(bytes.count, prefix: prefix), "Base64: output too short")
        for k in 0..<head { out[k] = prefix.utf8Start[k] }
        var o = head
        func put(_ v: UInt32, _ shift: UInt32) {
            out[o] = alphabet[Int((v >> shift) & 63)]
            o += 1
        }
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            put(v, 18)
            put(v, 12)
            put(v, 6)
            put(v, 0)
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            var v = UInt32(bytes[i]) << 16
            if rest == 2 { v |= UInt32(bytes[i + 1]) << 8 }
            put(v, 18)
            put(v, 12)
            if rest == 2 {
                put(v, 6)
            } else {
                out[o] = UInt8(ascii: "=")
                o += 1
            }
            out[o] = UInt8(ascii: "=")
            o += 1
        }
        return o
    }
}

import COpenSSL

/// One-shot message digests through OpenSSL libcrypto (DESIGN §3: no swift-crypto).
public enum Digest: Sendable {
    case md5, sha1, sha256

    fileprivate var algorithm: OpaquePointer? {
        switch self {
        case .md5: FetchedAlgorithms.shared.md5 ?? EVP_md5()
        case .sha1: FetchedAlgorithms.shared.sha1 ?? EVP_sha1()
        case .sha256: FetchedAlgorithms.shared.sha256 ?? EVP_sha256()
        }
    }

    /// Digest of the bytes, handed to `body` without allocating (the buffer is valid inside `body` only).
    public func withHash<R>(_ data: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { out in
            var length: UInt32 = 0
            let ok = EVP_Digest(data.baseAddress, data.count, out.baseAddress, &length, algorithm, nil)
            precondition(ok == 1, "EVP_Digest failed")
            return body(UnsafeBufferPointer(rebasing: out[0..<Int(length)]))
        }
    }

    /// Digest of the bytes.
    public func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] { withHash(data) { Array($0) } }

    public func hash(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { hash($0) } }
    public func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }

    public func hex(_ bytes: [UInt8]) -> String { Hex.encode(hash(bytes)) }
    public func hex(_ string: String) -> String { Hex.encode(hash(string)) }
}

/// A digest context kept for many short inputs on one thread. `EVP_Digest` allocates, initialises
/// and frees a context on every call, which costs about as much as hashing the 20-60 bytes of an
/// event id or a Community ID; the capture thread hashes one to three of those per event.
/// Not Sendable: one owner, one thread.
public final class DigestContext {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Digest of the bytes, handed to `body` (valid inside `body` only); the same as `Digest.withHash`.
    public func withHash<R>(
        _ digest: Digest, _ data: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { out in
            var length: UInt32 = 0
            // Re-initialising with the algorithm it already has reuses the context's state.
            let ok =
                EVP_DigestInit_ex2(context, digest.algorithm, nil) == 1
                && EVP_DigestUpdate(context, data.baseAddress, data.count) == 1
                && EVP_DigestFinal_ex(context, out.baseAddress, &length) == 1
            precondition(ok, "EVP digest failed")
            return body(UnsafeBufferPointer(rebasing: out[0..<Int(length)]))
        }
    }
}

/// Algorithms fetched once from OpenSSL's default provider. With the legacy `EVP_sha256()` handles,
/// OpenSSL 3 fetches the implementation again inside every `EVP_Digest` (a lookup under a lock),
/// which costs more than hashing the short inputs Vigil hashes per event.
///
/// `@unchecked Sendable`: the fields are `EVP_MD` pointers that are never freed or mutated after
/// this one-time initialisation, and OpenSSL documents fetched algorithm objects as safe to use from
/// many threads at once (its reference counts are atomic).
private struct FetchedAlgorithms: @unchecked Sendable {
    let md5: OpaquePointer?
    let sha1: OpaquePointer?
    let sha256: OpaquePointer?

    static let shared = FetchedAlgorithms(
        md5: EVP_MD_fetch(nil, "MD5", nil), sha1: EVP_MD_fetch(nil, "SHA1", nil),
        sha256: EVP_MD_fetch(nil, "SHA256", nil))
}

public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The value of one hex digit (either case), or nil.
    @inline(__always)
    public static func value(_ b: UInt8) -> UInt8? {
        if b &- 0x30 < 10 { return b &- 0x30 }
        let l = b | 0x20
        if l &- 0x61 < 6 { return l &- 0x61 + 10 }
        return nil
    }

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for b in bytes {
                out[i] = digits[Int(b >> 4)]
                out[i + 1] = digits[Int(b & 0xF)]
                i += 2
            }
            return i
        }
    }
}

public enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648 §4).
    public static func encode(_ bytes: [UInt8]) -> String { bytes.withUnsafeBufferPointer { encode($0) } }

    public static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((v >> UInt32(shift)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            var v = UInt32(bytes[i]) << 16
            if rest == 2 { v |= UInt32(bytes[i + 1]) << 8 }
            out.append(alphabet[Int((v >> 18) & 63)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(rest == 2 ? alphabet[Int((v >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

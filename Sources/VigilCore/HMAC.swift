import COpenSSL

/// HMAC-SHA256 (RFC 2104) keyed once, through OpenSSL's EVP_MAC API (DESIGN §3: no swift-crypto).
///
/// The key schedule (the inner and outer padded-key hash states) is computed once in `init`; each
/// message then costs a context copy and the hashing itself, not a fetch of the algorithm by name
/// as the one-shot `HMAC()` does in OpenSSL 3.
public struct HMACSHA256: Sendable {
    /// Length of a full MAC in bytes.
    public static let byteCount = 32

    private let keyed: KeyedContext

    public init(key: some Collection<UInt8>) {
        keyed = KeyedContext(key: Array(key))
    }

    /// The MAC of `data`, handed to `body` without allocating a result array (the buffer is valid inside
    /// `body` only). For many messages in a row, `makeAuthenticator()` saves a context copy per message.
    public func withMAC<R>(_ data: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let authenticator = makeAuthenticator()
        return authenticator.withMAC(data, body)
    }

    public func mac(_ data: UnsafeRawBufferPointer) -> [UInt8] { withMAC(data) { Array($0) } }
    public func mac(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { mac($0) } }
    public func mac(_ string: String) -> [UInt8] { mac(Array(string.utf8)) }
    public func hex(_ string: String) -> String { Hex.encode(mac(string)) }

    /// A reusable context for this key, for one thread at a time (it is not Sendable).
    public func makeAuthenticator() -> Authenticator { Authenticator(keyed) }

    /// One context of a keyed HMAC, reset for every message. Not Sendable: use it from one task.
    public final class Authenticator {
        private let ctx: OpaquePointer

        fileprivate init(_ keyed: KeyedContext) {
            guard let ctx = EVP_MAC_CTX_dup(keyed.ctx) else { fatalError("EVP_MAC_CTX_dup failed") }
            self.ctx = ctx
        }

        deinit { EVP_MAC_CTX_free(ctx) }

        /// The MAC of `data`; the buffer handed to `body` is valid inside `body` only.
        public func withMAC<R>(_ data: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            // A nil key re-initialises with the key already set (OpenSSL 3 EVP_MAC_init).
            precondition(EVP_MAC_init(ctx, nil, 0, nil) == 1, "EVP_MAC_init failed")
            precondition(EVP_MAC_update(ctx, data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) == 1)
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: HMACSHA256.byteCount) { out in
                var length = 0
                let ok = EVP_MAC_final(ctx, out.baseAddress, &length, HMACSHA256.byteCount)
                precondition(ok == 1 && length == HMACSHA256.byteCount, "EVP_MAC_final failed")
                return body(UnsafeBufferPointer(out))
            }
        }

        public func mac(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { withMAC($0) { Array($0) } } }
    }
}

/// An `EVP_MAC_CTX` with the key and digest set, used only as the source of `EVP_MAC_CTX_dup`.
///
/// `@unchecked Sendable`: after `init` the context is never updated, finalised or re-initialised —
/// it is only read by `EVP_MAC_CTX_dup` (which copies its digest states and takes atomic references
/// on the algorithm objects), so concurrent duplicates from many threads do not race.
private final class KeyedContext: @unchecked Sendable {
    let ctx: OpaquePointer

    init(key: [UInt8]) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil), let ctx = EVP_MAC_CTX_new(mac) else {
            fatalError("OpenSSL has no HMAC")
        }
        EVP_MAC_free(mac)  // the context holds its own reference
        self.ctx = ctx
        // EVP_MAC_init needs a non-nil key pointer even for an empty key, or it reuses a key never set.
        let padded = key.isEmpty ? [0] : key
        let ok = "SHA256".withCString { digestName in
            "digest".withCString { paramName in
                var params = [
                    OSSL_PARAM_construct_utf8_string(paramName, UnsafeMutablePointer(mutating: digestName), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return padded.withUnsafeBufferPointer { EVP_MAC_init(ctx, $0.baseAddress, key.count, &params) }
            }
        }
        precondition(ok == 1, "EVP_MAC_init(HMAC-SHA256) failed")
    }

    deinit { EVP_MAC_CTX_free(ctx) }
}

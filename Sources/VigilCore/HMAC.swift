import COpenSSL

/// HMAC-SHA256 (RFC 2104) keyed once (DESIGN §3: OpenSSL's libcrypto, no swift-crypto).
///
/// The key schedule — the SHA-256 states after the inner and outer padded key blocks — is
/// computed once in `init` (`vigil_hmac_sha256_init` in COpenSSL's shim); each message then costs
/// two copies of a plain state struct and the hashing itself, with no allocation. OpenSSL 3's
/// EVP_MAC re-duplicates a provider context for every message, which was most of Inspect's cost
/// on bodies full of personal data (Benchmarks/README.md, "Inspect").
public struct HMACSHA256: Sendable {
    /// Length of a full MAC in bytes.
    public static let byteCount = 32

    /// Boxed: the schedule is 224 bytes, and structs holding an HMAC (Inspect's `Inspector`) are
    /// copied per event.
    private let key: KeySchedule

    public init(key: some Collection<UInt8>) {
        self.key = KeySchedule(key: Array(key))
    }

    /// The MAC of `data`, handed to `body` without allocating a result array (the buffer is valid
    /// inside `body` only).
    public func withMAC<R>(_ data: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.byteCount) { out in
            // The schedule lives as long as `key`: keep it alive past the C call, or a temporary
            // HMAC could be released (and its schedule wiped and freed) before the call reads it.
            withExtendedLifetime(key) {
                vigil_hmac_sha256(key.schedule, data.baseAddress, data.count, out.baseAddress)
            }
            return body(UnsafeBufferPointer(out))
        }
    }

    public func mac(_ data: UnsafeRawBufferPointer) -> [UInt8] { withMAC(data) { Array($0) } }
    public func mac(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { mac($0) } }
    public func mac(_ string: String) -> [UInt8] { mac(Array(string.utf8)) }
    public func hex(_ string: String) -> String { Hex.encode(mac(string)) }
}

/// The key schedule in memory of its own, wiped when the last HMAC using it goes.
///
/// `@unchecked Sendable` (it holds a raw pointer): `schedule` is written only in `init`, before the
/// object can be shared; afterwards `vigil_hmac_sha256` reads it through a `const` pointer (copying
/// the two states to its own stack), so any number of threads may use it at once; `deinit` wipes
/// and frees it only when no reference, hence no reader, is left.
private final class KeySchedule: @unchecked Sendable {
    let schedule: UnsafeMutablePointer<vigil_hmac_sha256_key>

    init(key: [UInt8]) {
        schedule = .allocate(capacity: 1)
        schedule.initialize(to: vigil_hmac_sha256_key())
        key.withUnsafeBufferPointer { vigil_hmac_sha256_init(schedule, $0.baseAddress, $0.count) }
    }

    deinit {
        OPENSSL_cleanse(schedule, MemoryLayout<vigil_hmac_sha256_key>.size)
        schedule.deallocate()
    }
}

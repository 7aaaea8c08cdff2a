/// Deterministic event ids (DESIGN §4): the same observer, source and position always give the same
/// id, so a replayed capture or re-read log deduplicates in the store.
public struct EventIDGenerator: Sendable {
    /// The observer (sensor) id and the source identity, e.g. `pcap:<content hash>` or
    /// `live:lo:<start µs>`; hashed once.
    private let prefix: [UInt8]

    public init(observerID: String, sourceIdentity: String) {
        prefix = Array("\(observerID)\u{0}\(sourceIdentity)\u{0}".utf8)
    }

    /// 32 lowercase hex characters: the first 128 bits of SHA-256(observer, source, position, index).
    public func id(position: UInt64, index: UInt32) -> String { idText(position: position, index: index).string }

    /// `id` as an `InlineText` (32 bytes), made without a heap allocation.
    public func idText(position: UInt64, index: UInt32) -> InlineText {
        // Runs for every event: hash from a stack buffer, no intermediate arrays.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 12) { input in
            _ = input.initialize(from: prefix)
            withUnsafeBytes(of: position.bigEndian) { for (i, b) in $0.enumerated() { input[prefix.count + i] = b } }
            withUnsafeBytes(of: index.bigEndian) { for (i, b) in $0.enumerated() { input[prefix.count + 8 + i] = b } }
            return Digest.sha256.withHash(UnsafeRawBufferPointer(input)) { digest in
                InlineText(unsafeUninitializedCapacity: 32) { out in
                    Hex.encode(UnsafeBufferPointer(rebasing: digest.prefix(16)), into: out)
                }
            }
        }
    }

    /// A Zeek-style connection uid: `C` followed by 17 base62 characters of the same hash family.
    public func connectionUID(serial: UInt64) -> String { connectionUIDText(serial: serial).string }

    /// `connectionUID` as an `InlineText` (18 bytes), made without a heap allocation.
    public func connectionUIDText(serial: UInt64) -> InlineText {
        // Runs once per flow: hashed from a stack buffer, encoded straight into the text's storage.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 9) { input in
            _ = input.initialize(from: prefix)
            input[prefix.count] = UInt8(ascii: "C")
            withUnsafeBytes(of: serial.bigEndian) { for (i, b) in $0.enumerated() { input[prefix.count + 1 + i] = b } }
            return Digest.sha256.withHash(UnsafeRawBufferPointer(input)) { digest in
                // The first 96 bits as (high 32, low 64).
                let value = digest.prefix(12).reduce(into: (UInt64(0), UInt64(0))) { acc, b in
                    acc = (acc.0 << 8 | acc.1 >> 56, acc.1 << 8 | UInt64(b))
                }
                // Its 17 base-62 digits, least significant first: one 128-by-64-bit division by 62^10
                // splits it into two 64-bit numbers whose digits need only divisions by the constant
                // 62 (17 full-width divisions cost as much as the hash).
                let (upper, lower) = Self.base62Split.dividingFullWidth((high: value.0, low: value.1))
                return InlineText(unsafeUninitializedCapacity: 18) { out in
                    out[0] = UInt8(ascii: "C")
                    var low = lower
                    for i in 1...10 {
                        out[i] = Self.base62[Int(low % 62)]
                        low /= 62
                    }
                    var high = upper
                    for i in 11...17 {
                        out[i] = Self.base62[Int(high % 62)]
                        high /= 62
                    }
                    return 18
                }
            }
        }
    }

    /// 62^10, the largest power of 62 below 2^64; the 96-bit value's high word (< 2^32) is below it,
    /// so the quotient fits in 64 bits.
    private static let base62Split: UInt64 = 839_299_365_868_340_224
    private static let base62: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
}

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
    public func id(position: UInt64, index: UInt32) -> String {
        // Runs for every event: hash from a stack buffer, no intermediate arrays.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 12) { input in
            _ = input.initialize(from: prefix)
            withUnsafeBytes(of: position.bigEndian) { for (i, b) in $0.enumerated() { input[prefix.count + i] = b } }
            withUnsafeBytes(of: index.bigEndian) { for (i, b) in $0.enumerated() { input[prefix.count + 8 + i] = b } }
            return Digest.sha256.withHash(UnsafeRawBufferPointer(input)) { Hex.encode($0.prefix(16)) }
        }
    }

    /// A Zeek-style connection uid: `C` followed by 17 base62 characters of the same hash family.
    public func connectionUID(serial: UInt64) -> String {
        // Runs once per flow: hashed from a stack buffer, encoded straight into the string's storage.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 9) { input in
            _ = input.initialize(from: prefix)
            input[prefix.count] = UInt8(ascii: "C")
            withUnsafeBytes(of: serial.bigEndian) { for (i, b) in $0.enumerated() { input[prefix.count + 1 + i] = b } }
            return Digest.sha256.withHash(UnsafeRawBufferPointer(input)) { digest in
                var value = digest.prefix(12).reduce(into: (UInt64(0), UInt64(0))) { acc, b in
                    acc = (acc.0 << 8 | acc.1 >> 56, acc.1 << 8 | UInt64(b))
                }
                return String(unsafeUninitializedCapacity: 18) { out in
                    out[0] = UInt8(ascii: "C")
                    for i in 1...17 {
                        // 96-bit value divided by 62, high and low halves.
                        let hi = value.0, lo = value.1
                        let qHi = hi / 62
                        let rHi = hi % 62
                        let (qLo, rLo) = UInt64(62).dividingFullWidth((high: rHi, low: lo))
                        value = (qHi, qLo)
                        out[i] = Self.base62[Int(rLo)]
                    }
                    return 18
                }
            }
        }
    }

    private static let base62: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
}

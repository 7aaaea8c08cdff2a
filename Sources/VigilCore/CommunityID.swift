/// Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec), so
/// Vigil's events join with Zeek's and Suricata's.
public enum CommunityID {
    /// `1:<base64(sha1(seed, saddr, daddr, proto, 0, sport, dport))>` with the endpoints ordered as
    /// the spec requires. For ICMP/ICMPv6 pass type as `sourcePort` and code as `destinationPort`.
    public static func v1(
        source: IPAddress, destination: IPAddress, proto: UInt8, sourcePort: UInt16, destinationPort: UInt16,
        seed: UInt16 = 0
    ) -> String {
        v1Text(
            source: source, destination: destination, proto: proto, sourcePort: sourcePort,
            destinationPort: destinationPort, seed: seed
        ).string
    }

    /// `v1` as an `InlineText` (30 bytes: `1:` and the base64 of a SHA-1), made without a heap
    /// allocation; a flow's events carry it across threads.
    public static func v1Text(
        source: IPAddress, destination: IPAddress, proto: UInt8, sourcePort: UInt16, destinationPort: UInt16,
        seed: UInt16 = 0
    ) -> InlineText {
        var src = source, dst = destination, sport = sourcePort, dport = destinationPort
        var oneWay = false
        if proto == 1 || proto == 58 {
            (sport, dport, oneWay) = icmpPorts(
                type: UInt8(truncatingIfNeeded: sourcePort),
                code: UInt8(truncatingIfNeeded: destinationPort), v6: proto == 58)
        }
        let hasPorts = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58
        if !(oneWay || src < dst || (src == dst && sport < dport)) {
            swap(&src, &dst)
            swap(&sport, &dport)
        }
        // Runs once per flow: the input (at most 40 bytes) and the text are built in place, without
        // the dozen small arrays and strings that concatenation would allocate.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { input in
            var n = 0
            func put(_ value: UInt64, bytes: Int) {
                for i in stride(from: bytes - 1, through: 0, by: -1) {
                    input[n] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i))
                    n += 1
                }
            }
            func put(_ address: IPAddress) {
                if address.isV6 {
                    put(address.high, bytes: 8)
                    put(address.low, bytes: 8)
                } else {
                    put(address.low, bytes: 4)
                }
            }
            put(UInt64(seed), bytes: 2)
            put(src)
            put(dst)
            put(UInt64(proto) << 8, bytes: 2)
            if hasPorts {
                put(UInt64(sport), bytes: 2)
                put(UInt64(dport), bytes: 2)
            }
            let bytes = UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: input[0..<n]))
            return Digest.sha1.withHash(bytes) { digest in
                InlineText(unsafeUninitializedCapacity: Base64.encodedCount(digest.count, prefix: "1:")) {
                    Base64.encode(digest, prefix: "1:", into: $0)
                }
            }
        }
    }

    /// The spec's ICMP type/code to port mapping: request/reply pairs map to each other so both
    /// directions hash alike; unpaired types are one-way.
    static func icmpPorts(type: UInt8, code: UInt8, v6: Bool) -> (UInt16, UInt16, Bool) {
        let pairs: [UInt8: UInt8] =
            v6
            ? [
                128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139,
                144: 145, 145: 144,
            ]
            : [8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17, 10: 9, 9: 10]
        if let peer = pairs[type] { return (UInt16(type), UInt16(peer), false) }
        return (UInt16(type), UInt16(code), true)
    }
}

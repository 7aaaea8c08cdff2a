import VigilCore
import VigilDecode

/// A bidirectional flow key: the two endpoints in canonical order (lower address/port first), so
/// both directions of a connection find the same flow.
struct FlowKey: Hashable, Sendable {
    var aHigh: UInt64
    var aLow: UInt64
    var bHigh: UInt64
    var bLow: UInt64
    var aPort: UInt16
    var bPort: UInt16
    var proto: UInt8
    var isV6: Bool
    var vlan: UInt16

    /// The key of a packet, and whether the packet's source is endpoint `a`.
    static func of(_ p: DecodedPacket, sourcePort: UInt16, destinationPort: UInt16) -> (FlowKey, sourceIsA: Bool) {
        let s = p.source, d = p.destination
        let sourceIsA = (s.high, s.low, sourcePort) <= (d.high, d.low, destinationPort)
        let (x, xp, y, yp) = sourceIsA ? (s, sourcePort, d, destinationPort) : (d, destinationPort, s, sourcePort)
        return (
            FlowKey(
                aHigh: x.high, aLow: x.low, bHigh: y.high, bLow: y.low, aPort: xp, bPort: yp, proto: p.proto,
                isV6: p.isIPv6, vlan: p.link.outerVLAN ?? 0),
            sourceIsA
        )
    }

    var a: IPAddress { isV6 ? IPAddress(v6High: aHigh, low: aLow) : IPAddress(v4: UInt32(truncatingIfNeeded: aLow)) }
    var b: IPAddress { isV6 ? IPAddress(v6High: bHigh, low: bLow) : IPAddress(v4: UInt32(truncatingIfNeeded: bLow)) }

    /// A fast 32-bit mix of the key for the open-addressing index (not cryptographic; flows are
    /// not attacker-chosen keys in a table that could degrade badly, since probes are bounded by load).
    var hash32: UInt32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        @inline(__always) func mix(_ v: UInt64) {
            h ^= v &* 0xBF58_476D_1CE4_E5B9
            h = (h << 31 | h >> 33) &* 0x94D0_49BB_1331_11EB
        }
        mix(aHigh); mix(aLow); mix(bHigh); mix(bLow)
        mix(UInt64(aPort) << 32 | UInt64(bPort) << 16 | UInt64(proto) << 8 | (isV6 ? 1 : 0) | UInt64(vlan) << 48)
        h ^= h >> 29
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }
}

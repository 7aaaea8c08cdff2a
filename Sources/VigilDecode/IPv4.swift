import VigilCore

/// An IPv4 header (RFC 791). `payloadLength` is what the header claims; the captured payload may be
/// shorter (snaplen) and the frame longer (Ethernet padding, trimmed by the caller).
public struct IPv4Header: Sendable, Equatable {
    public var headerLength: Int
    public var totalLength: Int
    public var tos: UInt8
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// Fragment offset in bytes.
    public var fragmentOffset: Int
    public var ttl: UInt8
    public var proto: UInt8
    public var source: IPAddress
    public var destination: IPAddress

    public var hasOptions: Bool { headerLength > 20 }
    /// True for any fragment: the first (more fragments set) or a later one (non-zero offset).
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }
    public var payloadLength: Int { totalLength - headerLength }

    public static func parse(_ p: UnsafeRawBufferPointer, at offset: Int) throws(DecodeIssue) -> IPv4Header {
        guard p.count - offset >= 20 else { throw .ipv4Truncated }
        let vihl = p[offset]
        guard vihl >> 4 == 4 else { throw .ipv4BadVersion }
        let ihl = Int(vihl & 0x0F) * 4
        guard ihl >= 20 else { throw .ipv4BadHeaderLength }
        guard p.count - offset >= ihl else { throw .ipv4Truncated }
        let total = Int(p.loadBigEndianUInt16(at: offset + 2))
        // TSO on the capturing host can record 0 as the total length; trust the capture then.
        let effectiveTotal = total == 0 ? p.count - offset : total
        guard effectiveTotal >= ihl else { throw .ipv4BadTotalLength }
        let flagsFrag = p.loadBigEndianUInt16(at: offset + 6)
        return IPv4Header(
            headerLength: ihl,
            totalLength: effectiveTotal,
            tos: p[offset + 1],
            identification: p.loadBigEndianUInt16(at: offset + 4),
            dontFragment: flagsFrag & 0x4000 != 0,
            moreFragments: flagsFrag & 0x2000 != 0,
            fragmentOffset: Int(flagsFrag & 0x1FFF) * 8,
            ttl: p[offset + 8],
            proto: p[offset + 9],
            source: IPAddress(bytes: p, offset: offset + 12, v6: false),
            destination: IPAddress(bytes: p, offset: offset + 16, v6: false)
        )
    }
}

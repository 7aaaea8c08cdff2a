import VigilCore

/// A UDP header (RFC 768).
public struct UDPHeader: Sendable, Equatable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The length field: header plus payload.
    public var length: Int

    public static func parse(_ p: UnsafeRawBufferPointer, at offset: Int) throws(DecodeIssue) -> UDPHeader {
        guard p.count - offset >= 8 else { throw .udpTruncated }
        let length = Int(p.loadBigEndianUInt16(at: offset + 4))
        // 0 is legal for IPv6 jumbograms and common with checksum offload captures.
        guard length == 0 || length >= 8 else { throw .udpBadLength }
        return UDPHeader(
            sourcePort: p.loadBigEndianUInt16(at: offset),
            destinationPort: p.loadBigEndianUInt16(at: offset + 2),
            length: length
        )
    }
}

/// An ICMP (RFC 792) or ICMPv6 (RFC 4443) header: type and code, and the echo identifier.
public struct ICMPHeader: Sendable, Equatable {
    public var type: UInt8
    public var code: UInt8
    public var identifier: UInt16?

    public static func parse(_ p: UnsafeRawBufferPointer, at offset: Int, v6: Bool) throws(DecodeIssue) -> ICMPHeader {
        guard p.count - offset >= 4 else { throw .icmpTruncated }
        let type = p[offset]
        let isEcho = v6 ? (type == 128 || type == 129) : (type == 8 || type == 0)
        let identifier = isEcho && p.count - offset >= 6 ? p.loadBigEndianUInt16(at: offset + 4) : nil
        return ICMPHeader(type: type, code: p[offset + 1], identifier: identifier)
    }
}

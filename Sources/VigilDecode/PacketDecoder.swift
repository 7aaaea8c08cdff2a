import VigilCore

/// One packet decoded from the link layer to the transport layer: the record the flow table works
/// from. Offsets point into the captured bytes; nothing is copied.
public struct DecodedPacket: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        case tcp(TCPHeader)
        case udp(UDPHeader)
        case icmp(ICMPHeader)
        /// A later fragment, or a protocol Vigil does not decode (ESP, GRE, SCTP...).
        case other
    }

    public var link = LinkHeader(next: .other(0), payloadOffset: 0)
    public var isIPv6 = false
    public var source = IPAddress(v4: 0)
    public var destination = IPAddress(v4: 0)
    public var proto: UInt8 = 0
    public var ttl: UInt8 = 0
    /// Bytes of the IP packet as the IP header claims them (what flows count).
    public var ipLength = 0
    public var isFragment = false
    public var hasIPOptions = false
    public var ipv6ExtensionHeaders: [UInt8] = []
    public var transport = Transport.other
    /// Application payload: offset into the captured bytes and the captured length.
    public var payloadOffset = 0
    public var payloadLength = 0
    /// Payload bytes the headers claim but the capture cut (snaplen): a gap for reassembly.
    public var payloadMissing = 0

    /// An empty record to decode into.
    public init() {}

    public var sourcePort: UInt16 {
        switch transport {
        case .tcp(let t): t.sourcePort
        case .udp(let u): u.sourcePort
        case .icmp(let i): UInt16(i.type)
        case .other: 0
        }
    }

    /// The IP layer's fields of a new packet; transport and payload cleared.
    mutating func reset(
        link: LinkHeader, isIPv6: Bool, source: IPAddress, destination: IPAddress, proto: UInt8, ttl: UInt8,
        ipLength: Int, isFragment: Bool
    ) {
        self.link = link
        self.isIPv6 = isIPv6
        self.source = source
        self.destination = destination
        self.proto = proto
        self.ttl = ttl
        self.ipLength = ipLength
        self.isFragment = isFragment
        transport = .other
        payloadOffset = 0
        payloadLength = 0
        payloadMissing = 0
    }

    public var destinationPort: UInt16 {
        switch transport {
        case .tcp(let t): t.destinationPort
        case .udp(let u): u.destinationPort
        case .icmp(let i): UInt16(i.code)
        case .other: 0
        }
    }
}

/// The outcome of decoding a packet: decoded, not IP (skipped, not an error), or malformed.
public enum PacketDecodeResult: Sendable, Equatable {
    case decoded(DecodedPacket)
    case notIP(etherType: UInt16)
    case malformed(DecodeIssue)
}

/// The outcome of decoding a packet in place (`PacketDecoder.decode(_:linkType:into:)`).
public enum PacketDecodeStatus: Sendable, Equatable {
    case decoded
    case notIP(etherType: UInt16)
    case malformed(DecodeIssue)
}

/// Link → IP → transport decoding. Pure: bytes in, a typed record out, no state.
public enum PacketDecoder {
    public static func decode(_ p: UnsafeRawBufferPointer, linkType: LinkType) -> PacketDecodeResult {
        var packet = DecodedPacket()
        switch decode(p, linkType: linkType, into: &packet) {
        case .decoded: return .decoded(packet)
        case .notIP(let type): return .notIP(etherType: type)
        case .malformed(let issue): return .malformed(issue)
        }
    }

    /// Decodes into a caller's record (its fields are all overwritten when the outcome is `.decoded`):
    /// the capture path decodes every packet, and returning the ~200-byte record by value copied it
    /// three times on the way (5 % of the capture thread).
    public static func decode(_ p: UnsafeRawBufferPointer, linkType: LinkType, into packet: inout DecodedPacket)
        -> PacketDecodeStatus
    {
        do {
            let link = try LinkDecoder.decode(p, linkType: linkType)
            switch link.next {
            case .other(let type): return .notIP(etherType: type)
            case .ipv4: try decodeIPv4(p, link: link, into: &packet)
            case .ipv6: try decodeIPv6(p, link: link, into: &packet)
            }
            return .decoded
        } catch {
            return .malformed(error)
        }
    }

    static func decodeIPv4(_ p: UnsafeRawBufferPointer, link: LinkHeader, into packet: inout DecodedPacket)
        throws(DecodeIssue)
    {
        let ip = try IPv4Header.parse(p, at: link.payloadOffset)
        packet.reset(
            link: link, isIPv6: false, source: ip.source, destination: ip.destination, proto: ip.proto, ttl: ip.ttl,
            ipLength: ip.totalLength, isFragment: ip.isFragment)
        packet.hasIPOptions = ip.hasOptions
        if !packet.ipv6ExtensionHeaders.isEmpty { packet.ipv6ExtensionHeaders = [] }
        let transportOffset = link.payloadOffset + ip.headerLength
        let ipEnd = link.payloadOffset + ip.totalLength
        if ip.fragmentOffset != 0 { return }
        try decodeTransport(p, into: &packet, at: transportOffset, ipEnd: ipEnd, v6: false)
    }

    static func decodeIPv6(_ p: UnsafeRawBufferPointer, link: LinkHeader, into packet: inout DecodedPacket)
        throws(DecodeIssue)
    {
        let ip = try IPv6Header.parse(p, at: link.payloadOffset)
        packet.reset(
            link: link, isIPv6: true, source: ip.source, destination: ip.destination, proto: ip.proto,
            ttl: ip.hopLimit, ipLength: ip.totalLength, isFragment: ip.isFragment)
        packet.hasIPOptions = false
        packet.ipv6ExtensionHeaders = ip.extensionHeaders
        if ip.fragmentOffset != 0 { return }
        try decodeTransport(
            p, into: &packet, at: link.payloadOffset + ip.headerLength, ipEnd: link.payloadOffset + ip.totalLength,
            v6: true)
    }

    static func decodeTransport(
        _ p: UnsafeRawBufferPointer, into packet: inout DecodedPacket, at offset: Int, ipEnd: Int, v6: Bool
    ) throws(DecodeIssue) {
        let headerStart: Int
        switch packet.proto {
        case 6:
            let tcp = try TCPHeader.parse(p, at: offset)
            packet.transport = .tcp(tcp)
            headerStart = offset + tcp.headerLength
        case 17:
            let udp = try UDPHeader.parse(p, at: offset)
            packet.transport = .udp(udp)
            headerStart = offset + 8
            if udp.length >= 8 {
                setPayload(&packet, p, from: headerStart, claimedEnd: min(ipEnd, offset + udp.length))
                return
            }
        case 1, 58:
            packet.transport = .icmp(try ICMPHeader.parse(p, at: offset, v6: packet.proto == 58))
            headerStart = offset + 4
        default:
            return
        }
        setPayload(&packet, p, from: headerStart, claimedEnd: ipEnd)
    }

    @inline(__always)
    static func setPayload(_ packet: inout DecodedPacket, _ p: UnsafeRawBufferPointer, from start: Int, claimedEnd: Int)
    {
        let claimed = max(0, claimedEnd - start)
        // Frames can be longer than the IP packet (Ethernet padding) or shorter (snaplen).
        let captured = max(0, min(claimedEnd, p.count) - start)
        packet.payloadOffset = start
        packet.payloadLength = captured
        packet.payloadMissing = claimed - captured
    }
}

import VigilCore

/// The link-layer header types Vigil decodes, by pcap DLT value as `pcap_datalink` reports it.
public enum LinkType: Sendable, Equatable, CustomStringConvertible {
    case null  // DLT_NULL: 4-byte address family in the capturing host's byte order
    case loop  // DLT_LOOP: the same in network byte order
    case ethernet  // DLT_EN10MB
    case raw  // DLT_RAW / LINKTYPE_RAW: an IPv4 or IPv6 header first
    case ipv4  // LINKTYPE_IPV4
    case ipv6  // LINKTYPE_IPV6
    case linuxSLL  // DLT_LINUX_SLL (16-byte cooked header)
    case linuxSLL2  // DLT_LINUX_SLL2 (20-byte cooked header, `-i any` on libpcap >= 1.10)

    public init?(dlt: Int32) {
        switch dlt {
        case 0: self = .null
        case 108: self = .loop
        case 1: self = .ethernet
        case 12, 14, 101: self = .raw
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .loop: "LOOP"
        case .ethernet: "EN10MB"
        case .raw: "RAW"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL: "LINUX_SLL"
        case .linuxSLL2: "LINUX_SLL2"
        }
    }
}

/// What the link layer says comes next.
public struct LinkHeader: Sendable, Equatable {
    public enum Next: Sendable, Equatable {
        case ipv4, ipv6
        /// ARP, LLDP and the like: not an error, just not IP.
        case other(UInt16)
    }

    public var next: Next
    /// Offset of the network-layer header.
    public var payloadOffset: Int
    /// The outermost 802.1Q / 802.1ad VLAN id, if tagged.
    public var outerVLAN: UInt16? = nil
    /// The second (inner, QinQ) VLAN id, if double-tagged.
    public var innerVLAN: UInt16? = nil
}

/// Link-layer header decoding: Ethernet with 802.1Q/QinQ tags, Linux cooked v1/v2, NULL/LOOP, raw IP.
public enum LinkDecoder {
    static func next(forEtherType type: UInt16) -> LinkHeader.Next {
        switch type {
        case 0x0800: .ipv4
        case 0x86DD: .ipv6
        default: .other(type)
        }
    }

    public static func decode(_ p: UnsafeRawBufferPointer, linkType: LinkType) throws(DecodeIssue) -> LinkHeader {
        switch linkType {
        case .ethernet:
            guard p.count >= 14 else { throw .linkTruncated }
            var offset = 12
            var type = p.loadBigEndianUInt16(at: offset)
            var header = LinkHeader(next: .ipv4, payloadOffset: 0)
            var tags = 0
            while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
                guard p.count >= offset + 6 else { throw .vlanTruncated }
                let id = p.loadBigEndianUInt16(at: offset + 2) & 0x0FFF
                if tags == 0 { header.outerVLAN = id } else if tags == 1 { header.innerVLAN = id }
                tags += 1
                offset += 4
                type = p.loadBigEndianUInt16(at: offset)
            }
            header.next = next(forEtherType: type)
            header.payloadOffset = offset + 2
            return header
        case .linuxSLL:
            guard p.count >= 16 else { throw .linkTruncated }
            return LinkHeader(next: next(forEtherType: p.loadBigEndianUInt16(at: 14)), payloadOffset: 16)
        case .linuxSLL2:
            guard p.count >= 20 else { throw .linkTruncated }
            return LinkHeader(next: next(forEtherType: p.loadBigEndianUInt16(at: 0)), payloadOffset: 20)
        case .null, .loop:
            guard p.count >= 4 else { throw .linkTruncated }
            let be = p.loadBigEndianUInt32(at: 0)
            // DLT_NULL is in the capturing host's byte order, which the file does not record.
            let family = linkType == .loop || be < 256 ? be : be.byteSwapped
            switch family {
            case 2: return LinkHeader(next: .ipv4, payloadOffset: 4)
            case 10, 24, 28, 30: return LinkHeader(next: .ipv6, payloadOffset: 4)
            default: throw .nullUnknownFamily
            }
        case .raw:
            guard p.count >= 1 else { throw .linkTruncated }
            switch p[0] >> 4 {
            case 4: return LinkHeader(next: .ipv4, payloadOffset: 0)
            case 6: return LinkHeader(next: .ipv6, payloadOffset: 0)
            default: throw .ipv4BadVersion
            }
        case .ipv4: return LinkHeader(next: .ipv4, payloadOffset: 0)
        case .ipv6: return LinkHeader(next: .ipv6, payloadOffset: 0)
        }
    }
}

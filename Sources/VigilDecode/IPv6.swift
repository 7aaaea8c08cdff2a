import VigilCore

/// An IPv6 header (RFC 8200) with its extension-header chain walked to the upper-layer protocol.
public struct IPv6Header: Sendable, Equatable {
    /// Extension headers seen, in order (protocol numbers: 0 hop-by-hop, 43 routing, 44 fragment,
    /// 60 destination options, 51 AH, 135 mobility).
    public var extensionHeaders: [UInt8]
    public var trafficClass: UInt8
    public var flowLabel: UInt32
    public var hopLimit: UInt8
    /// The upper-layer protocol after all extension headers (59 = no next header, 50 = ESP).
    public var proto: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    /// 40 plus the extension headers.
    public var headerLength: Int
    /// Payload length from the fixed header (bytes after the fixed 40).
    public var payloadLength: Int
    public var isFragment: Bool
    public var moreFragments: Bool
    public var fragmentOffset: Int

    public var totalLength: Int { 40 + payloadLength }

    public static let maxExtensionHeaders = 8

    public static func parse(_ p: UnsafeRawBufferPointer, at offset: Int) throws(DecodeIssue) -> IPv6Header {
        guard p.count - offset >= 40 else { throw .ipv6Truncated }
        let first = p.loadBigEndianUInt32(at: offset)
        guard first >> 28 == 6 else { throw .ipv6BadVersion }
        var payloadLength = Int(p.loadBigEndianUInt16(at: offset + 4))
        // Jumbograms and TSO captures carry 0; trust the capture then.
        if payloadLength == 0 { payloadLength = p.count - offset - 40 }
        var header = IPv6Header(
            extensionHeaders: [],
            trafficClass: UInt8(truncatingIfNeeded: first >> 20),
            flowLabel: first & 0xFFFFF,
            hopLimit: p[offset + 7],
            proto: p[offset + 6],
            source: IPAddress(bytes: p, offset: offset + 8, v6: true),
            destination: IPAddress(bytes: p, offset: offset + 24, v6: true),
            headerLength: 40,
            payloadLength: payloadLength,
            isFragment: false,
            moreFragments: false,
            fragmentOffset: 0
        )
        var cursor = offset + 40
        while true {
            let next = header.proto
            let length: Int
            switch next {
            case 0, 43, 60, 135, 139, 140:
                guard p.count - cursor >= 2 else { throw .ipv6ExtensionTruncated }
                length = (Int(p[cursor + 1]) + 1) * 8
            case 44:
                guard p.count - cursor >= 8 else { throw .ipv6ExtensionTruncated }
                let fragField = p.loadBigEndianUInt16(at: cursor + 2)
                header.isFragment = true
                header.fragmentOffset = Int(fragField >> 3) * 8
                header.moreFragments = fragField & 1 != 0
                length = 8
            case 51:
                guard p.count - cursor >= 2 else { throw .ipv6ExtensionTruncated }
                length = (Int(p[cursor + 1]) + 2) * 4
            default:
                header.headerLength = cursor - offset
                return header
            }
            guard header.extensionHeaders.count < maxExtensionHeaders else { throw .ipv6TooManyExtensions }
            guard p.count - cursor >= length else { throw .ipv6ExtensionTruncated }
            header.extensionHeaders.append(next)
            header.proto = p[cursor]
            cursor += length
            // A later fragment carries no upper-layer header: stop at the fragment header.
            if next == 44, header.fragmentOffset != 0 {
                header.headerLength = cursor - offset
                return header
            }
        }
    }
}

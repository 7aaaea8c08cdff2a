import VigilCore

/// A TCP header (RFC 9293) with the options Zeek and Suricata log.
public struct TCPHeader: Sendable, Equatable {
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
        // Inlinable constants, not stored statics: the pipeline tests flags on every packet, and a
        // static of another module is reached through an accessor call.
        @inlinable public static var fin: Flags { Flags(rawValue: 0x01) }
        @inlinable public static var syn: Flags { Flags(rawValue: 0x02) }
        @inlinable public static var rst: Flags { Flags(rawValue: 0x04) }
        @inlinable public static var psh: Flags { Flags(rawValue: 0x08) }
        @inlinable public static var ack: Flags { Flags(rawValue: 0x10) }
        @inlinable public static var urg: Flags { Flags(rawValue: 0x20) }
        @inlinable public static var ece: Flags { Flags(rawValue: 0x40) }
        @inlinable public static var cwr: Flags { Flags(rawValue: 0x80) }
    }

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var headerLength: Int
    public var flags: Flags
    public var window: UInt16
    public var mss: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted: Bool
    public var timestamp: UInt32?
    /// An option's length ran past the header; the options after it were not read.
    public var optionsMalformed: Bool

    public static func parse(_ p: UnsafeRawBufferPointer, at offset: Int) throws(DecodeIssue) -> TCPHeader {
        guard p.count - offset >= 20 else { throw .tcpTruncated }
        let dataOffset = Int(p[offset + 12] >> 4) * 4
        guard dataOffset >= 20 else { throw .tcpBadDataOffset }
        guard p.count - offset >= dataOffset else { throw .tcpTruncated }
        var header = TCPHeader(
            sourcePort: p.loadBigEndianUInt16(at: offset),
            destinationPort: p.loadBigEndianUInt16(at: offset + 2),
            sequence: p.loadBigEndianUInt32(at: offset + 4),
            acknowledgment: p.loadBigEndianUInt32(at: offset + 8),
            headerLength: dataOffset,
            flags: Flags(rawValue: p[offset + 13]),
            window: p.loadBigEndianUInt16(at: offset + 14),
            mss: nil, windowScale: nil, sackPermitted: false, timestamp: nil, optionsMalformed: false
        )
        var cursor = offset + 20
        let end = offset + dataOffset
        while cursor < end {
            let kind = p[cursor]
            if kind == 0 { break }
            if kind == 1 { cursor += 1; continue }
            guard cursor + 1 < end else { header.optionsMalformed = true; break }
            let length = Int(p[cursor + 1])
            guard length >= 2, cursor + length <= end else { header.optionsMalformed = true; break }
            switch (kind, length) {
            case (2, 4): header.mss = p.loadBigEndianUInt16(at: cursor + 2)
            case (3, 3): header.windowScale = p[cursor + 2]
            case (4, 2): header.sackPermitted = true
            case (8, 10): header.timestamp = p.loadBigEndianUInt32(at: cursor + 2)
            default: break
            }
            cursor += length
        }
        return header
    }
}

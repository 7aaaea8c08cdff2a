import VigilCore

/// Builds Ethernet/IPv4 frames for pipeline tests (checksums are left zero, as on loopback captures).
enum Frames {
    static func ipv4(_ a: String) -> [UInt8] { IPAddress(a)!.bytes }

    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    static func ethernetIPv4(proto: UInt8, src: String, dst: String, transport: [UInt8]) -> [UInt8] {
        var f: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]
        f += [0x45, 0] + be16(20 + transport.count) + [0, 1, 0x40, 0, 64, proto, 0, 0]
        f += ipv4(src) + ipv4(dst)
        return f + transport
    }

    static func udp(_ src: String, _ sport: Int, _ dst: String, _ dport: Int, payload: [UInt8]) -> [UInt8] {
        let header = be16(sport) + be16(dport) + be16(8 + payload.count) + [0, 0]
        return ethernetIPv4(proto: 17, src: src, dst: dst, transport: header + payload)
    }

    static let syn: UInt8 = 0x02, ack: UInt8 = 0x10, fin: UInt8 = 0x01, rst: UInt8 = 0x04, psh: UInt8 = 0x08

    static func tcp(
        _ src: String, _ sport: Int, _ dst: String, _ dport: Int, flags: UInt8, seq: UInt32, ack ackNumber: UInt32 = 0,
        payload: [UInt8] = []
    ) -> [UInt8] {
        let header =
            be16(sport) + be16(dport) + be32(seq) + be32(ackNumber) + [0x50, flags] + be16(65535)
            + [0, 0, 0, 0]
        return ethernetIPv4(proto: 6, src: src, dst: dst, transport: header + payload)
    }

    /// A DNS query (or, with `response`, an answer with one A record) for `name`.
    static func dns(id: Int, name: String, response: Bool = false) -> [UInt8] {
        var m =
            be16(id) + (response ? [0x81, 0x80] : [0x01, 0x00]) + be16(1) + be16(response ? 1 : 0) + be16(0) + be16(0)
        for label in name.split(separator: ".") { m += [UInt8(label.utf8.count)] + Array(label.utf8) }
        m += [0] + be16(1) + be16(1)
        if response { m += [0xC0, 12] + be16(1) + be16(1) + be32(60) + be16(4) + [10, 1, 2, 3] }
        return m
    }
}

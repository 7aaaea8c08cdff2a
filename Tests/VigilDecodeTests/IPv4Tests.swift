import Testing
import VigilCore

@testable import VigilDecode

@Suite("IPv4 header")
struct IPv4Tests {
    typealias B = TestBytes

    @Test("a plain header yields its addresses, protocol, TTL, id and lengths")
    func basic() throws {
        let packet = B.ipv4(proto: 17, ttl: 3, identification: 0xABCD, payload: [UInt8](repeating: 0, count: 12))
        let h = try decode(packet) { try IPv4Header.parse($0, at: 0) }
        #expect(h.source == IPAddress("192.0.2.1"))
        #expect(h.destination == IPAddress("198.51.100.7"))
        #expect(h.proto == 17)
        #expect(h.ttl == 3)
        #expect(h.tos == 0x10)
        #expect(h.identification == 0xABCD)
        #expect(h.headerLength == 20)
        #expect(h.totalLength == 32)
        #expect(h.payloadLength == 12)
        #expect(h.dontFragment)
        #expect(!h.isFragment)
        #expect(!h.hasOptions)
    }

    @Test("a header can be read at a non-zero offset")
    func atOffset() throws {
        let packet = [UInt8](repeating: 0xEE, count: 7) + B.ipv4(proto: 6, payload: [])
        let h = try decode(packet) { try IPv4Header.parse($0, at: 7) }
        #expect(h.proto == 6)
        #expect(h.source == IPAddress("192.0.2.1"))
    }

    @Test("options make the header longer and are flagged")
    func options() throws {
        let packet = B.ipv4(proto: 6, options: [0x94, 0x04, 0x00, 0x00], payload: [1, 2, 3])
        let h = try decode(packet) { try IPv4Header.parse($0, at: 0) }
        #expect(h.headerLength == 24)
        #expect(h.hasOptions)
        #expect(h.payloadLength == 3)
    }

    @Test("first and later fragments are both recognised, with the offset in bytes")
    func fragments() throws {
        let first = try decode(B.ipv4(proto: 17, flagsFragment: 0x2000, payload: [])) {
            try IPv4Header.parse($0, at: 0)
        }
        #expect(first.moreFragments)
        #expect(first.fragmentOffset == 0)
        #expect(first.isFragment)
        let later = try decode(B.ipv4(proto: 17, flagsFragment: 185, payload: [])) { try IPv4Header.parse($0, at: 0) }
        #expect(!later.moreFragments)
        #expect(later.fragmentOffset == 1480)
        #expect(later.isFragment)
        #expect(!later.dontFragment)
    }

    @Test("a total length of 0 (TSO capture) is replaced by the captured length")
    func tsoZeroLength() throws {
        let packet = B.ipv4(proto: 6, totalLength: 0, payload: [UInt8](repeating: 1, count: 100))
        let h = try decode(packet) { try IPv4Header.parse($0, at: 0) }
        #expect(h.totalLength == 120)
        #expect(h.payloadLength == 100)
    }

    @Test("a total length larger than the capture is kept as claimed (snaplen)")
    func snaplen() throws {
        let packet = B.ipv4(proto: 6, totalLength: 1500, payload: [0, 0])
        #expect(try decode(packet) { try IPv4Header.parse($0, at: 0) }.totalLength == 1500)
    }

    @Test("fewer than 20 bytes is truncated at every length")
    func truncated() {
        let packet = B.ipv4(proto: 6, payload: [])
        for n in 0..<20 {
            #expect(issue(Array(packet.prefix(n))) { try IPv4Header.parse($0, at: 0) } == .ipv4Truncated)
        }
        // Offset counts against the captured length too.
        #expect(issue(packet) { try IPv4Header.parse($0, at: 1) } == .ipv4Truncated)
    }

    @Test("options cut by the capture are truncated")
    func optionsTruncated() {
        let packet = B.ipv4(proto: 6, options: [1, 1, 1, 0, 1, 1, 1, 0], payload: [])
        for n in 20..<28 {
            #expect(issue(Array(packet.prefix(n))) { try IPv4Header.parse($0, at: 0) } == .ipv4Truncated)
        }
    }

    @Test("a version other than 4 is rejected")
    func badVersion() {
        for version: UInt8 in [0, 5, 6, 15] {
            var packet = B.ipv4(proto: 6, payload: [])
            packet[0] = version << 4 | 5
            #expect(issue(packet) { try IPv4Header.parse($0, at: 0) } == .ipv4BadVersion)
        }
    }

    @Test("an IHL below 5 words is a bad header length")
    func badIHL() {
        for ihl: UInt8 in 0..<5 {
            var packet = B.ipv4(proto: 6, payload: [UInt8](repeating: 0, count: 40))
            packet[0] = 0x40 | ihl
            #expect(issue(packet) { try IPv4Header.parse($0, at: 0) } == .ipv4BadHeaderLength)
        }
    }

    @Test("a total length smaller than the header is a bad total length")
    func badTotalLength() {
        for total in [1, 19] {
            let packet = B.ipv4(proto: 6, totalLength: total, payload: [])
            #expect(issue(packet) { try IPv4Header.parse($0, at: 0) } == .ipv4BadTotalLength)
        }
        let withOptions = B.ipv4(proto: 6, options: [1, 1, 1, 1], totalLength: 22, payload: [])
        #expect(issue(withOptions) { try IPv4Header.parse($0, at: 0) } == .ipv4BadTotalLength)
    }
}

import Testing
import VigilCore

@testable import VigilDecode

@Suite("IPv6 header and extension chain")
struct IPv6Tests {
    typealias B = TestBytes

    @Test("the fixed header yields addresses, hop limit, traffic class and flow label")
    func basic() throws {
        let packet = B.ipv6(
            next: 6, hopLimit: 9, trafficClass: 0xB8, flowLabel: 0xABCDE, payload: [UInt8](repeating: 0, count: 20))
        let h = try decode(packet) { try IPv6Header.parse($0, at: 0) }
        #expect(h.source == IPAddress("2001:db8::1"))
        #expect(h.destination == IPAddress("2001:db8::2"))
        #expect(h.hopLimit == 9)
        #expect(h.trafficClass == 0xB8)
        #expect(h.flowLabel == 0xABCDE)
        #expect(h.proto == 6)
        #expect(h.headerLength == 40)
        #expect(h.payloadLength == 20)
        #expect(h.totalLength == 60)
        #expect(h.extensionHeaders.isEmpty)
        #expect(!h.isFragment)
    }

    @Test("hop-by-hop, routing and destination options are walked to the upper-layer protocol")
    func extensionChain() throws {
        let ext = B.ipv6Extension(next: 43) + B.ipv6Extension(next: 60, units: 1) + B.ipv6Extension(next: 17)
        let packet = B.ipv6(next: 0, payload: ext + B.udp(payload: [1, 2]))
        let h = try decode(packet) { try IPv6Header.parse($0, at: 0) }
        #expect(h.extensionHeaders == [0, 43, 60])
        #expect(h.proto == 17)
        #expect(h.headerLength == 40 + 8 + 16 + 8)
    }

    @Test("an AH header's length is counted in 4-byte units plus 2")
    func authenticationHeader() throws {
        // AH payload length 4 → (4 + 2) * 4 = 24 bytes.
        let ah: [UInt8] = [6, 4] + [UInt8](repeating: 0, count: 22)
        let packet = B.ipv6(next: 51, payload: ah + B.tcp())
        let h = try decode(packet) { try IPv6Header.parse($0, at: 0) }
        #expect(h.extensionHeaders == [51])
        #expect(h.proto == 6)
        #expect(h.headerLength == 64)
    }

    @Test("ESP and no-next-header end the chain without error")
    func espAndNoNext() throws {
        let esp = try decode(B.ipv6(next: 50, payload: [1, 2, 3, 4])) { try IPv6Header.parse($0, at: 0) }
        #expect(esp.proto == 50)
        #expect(esp.headerLength == 40)
        let none = try decode(B.ipv6(next: 0, payload: B.ipv6Extension(next: 59))) { try IPv6Header.parse($0, at: 0) }
        #expect(none.proto == 59)
        #expect(none.extensionHeaders == [0])
    }

    @Test("a first fragment is walked through to its transport header")
    func firstFragment() throws {
        let packet = B.ipv6(next: 44, payload: B.ipv6Fragment(next: 17, offset: 0, more: true) + B.udp(payload: []))
        let h = try decode(packet) { try IPv6Header.parse($0, at: 0) }
        #expect(h.isFragment)
        #expect(h.moreFragments)
        #expect(h.fragmentOffset == 0)
        #expect(h.proto == 17)
        #expect(h.headerLength == 48)
    }

    @Test("a later fragment stops at the fragment header and reports its byte offset")
    func laterFragment() throws {
        // What follows is the middle of a datagram; it must not be read as another extension header.
        let packet = B.ipv6(next: 44, payload: B.ipv6Fragment(next: 0, offset: 1448, more: false) + [0xFF, 0xFF])
        let h = try decode(packet) { try IPv6Header.parse($0, at: 0) }
        #expect(h.isFragment)
        #expect(!h.moreFragments)
        #expect(h.fragmentOffset == 1448)
        #expect(h.extensionHeaders == [44])
        #expect(h.headerLength == 48)
    }

    @Test("a payload length of 0 (jumbogram or TSO) is replaced by the captured length")
    func zeroPayloadLength() throws {
        let packet = B.ipv6(next: 17, payloadLength: 0, payload: [UInt8](repeating: 0, count: 30))
        let h = try decode(packet) { try IPv6Header.parse($0, at: 0) }
        #expect(h.payloadLength == 30)
        #expect(h.totalLength == 70)
    }

    @Test("fewer than 40 bytes is truncated at every length")
    func truncated() {
        let packet = B.ipv6(next: 59, payload: [])
        for n in 0..<40 {
            #expect(issue(Array(packet.prefix(n))) { try IPv6Header.parse($0, at: 0) } == .ipv6Truncated)
        }
    }

    @Test("a version other than 6 is rejected")
    func badVersion() {
        var packet = B.ipv6(next: 59, payload: [])
        packet[0] = 0x45
        #expect(issue(packet) { try IPv6Header.parse($0, at: 0) } == .ipv6BadVersion)
    }

    @Test("an extension header cut anywhere is an extension truncation")
    func extensionTruncated() {
        let packet = B.ipv6(next: 0, payload: B.ipv6Extension(next: 60, units: 1) + B.ipv6Extension(next: 59))
        for n in 40..<(40 + 16 + 8) {
            #expect(issue(Array(packet.prefix(n))) { try IPv6Header.parse($0, at: 0) } == .ipv6ExtensionTruncated)
        }
        #expect(issue(packet) { try IPv6Header.parse($0, at: 0) } == nil)
        let fragment = B.ipv6(next: 44, payload: Array(B.ipv6Fragment(next: 17, offset: 0, more: true).prefix(7)))
        #expect(issue(fragment) { try IPv6Header.parse($0, at: 0) } == .ipv6ExtensionTruncated)
        let ah = B.ipv6(next: 51, payload: [6, 4] + [UInt8](repeating: 0, count: 10))
        #expect(issue(ah) { try IPv6Header.parse($0, at: 0) } == .ipv6ExtensionTruncated)
    }

    @Test("a chain longer than the extension limit is refused rather than walked forever")
    func tooManyExtensions() {
        let limit = IPv6Header.maxExtensionHeaders
        let within = (0..<limit).flatMap { i in B.ipv6Extension(next: i == limit - 1 ? 59 : 60) }
        #expect(issue(B.ipv6(next: 60, payload: within)) { try IPv6Header.parse($0, at: 0) } == nil)
        let beyond = (0...limit).flatMap { _ in B.ipv6Extension(next: 60) }
        #expect(issue(B.ipv6(next: 60, payload: beyond)) { try IPv6Header.parse($0, at: 0) } == .ipv6TooManyExtensions)
    }
}

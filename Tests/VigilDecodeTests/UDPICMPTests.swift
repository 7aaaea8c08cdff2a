import Testing
import VigilCore

@testable import VigilDecode

@Suite("UDP and ICMP headers")
struct UDPICMPTests {
    typealias B = TestBytes

    @Test("UDP ports and length are read")
    func udp() throws {
        let h = try decode(B.udp(source: 5353, destination: 5353, payload: [1, 2, 3])) {
            try UDPHeader.parse($0, at: 0)
        }
        #expect(h == UDPHeader(sourcePort: 5353, destinationPort: 5353, length: 11))
    }

    @Test("a UDP length of 0 is accepted (jumbogram or offload capture)")
    func udpZeroLength() throws {
        #expect(try decode(B.udp(length: 0, payload: [])) { try UDPHeader.parse($0, at: 0) }.length == 0)
    }

    @Test("a UDP length between 1 and 7 is a bad length")
    func udpBadLength() {
        for length in 1..<8 {
            #expect(issue(B.udp(length: length, payload: [])) { try UDPHeader.parse($0, at: 0) } == .udpBadLength)
        }
    }

    @Test("a UDP header shorter than 8 bytes is truncated at every length")
    func udpTruncated() {
        let datagram = B.udp(payload: [])
        for n in 0..<8 {
            #expect(issue(Array(datagram.prefix(n))) { try UDPHeader.parse($0, at: 0) } == .udpTruncated)
        }
    }

    @Test("an ICMP echo request carries its identifier")
    func icmpEcho() throws {
        let h = try decode([8, 0, 0, 0, 0x12, 0x34, 0, 1]) { try ICMPHeader.parse($0, at: 0, v6: false) }
        #expect(h == ICMPHeader(type: 8, code: 0, identifier: 0x1234))
        let reply = try decode([0, 0, 0, 0, 0x12, 0x34]) { try ICMPHeader.parse($0, at: 0, v6: false) }
        #expect(reply.identifier == 0x1234)
    }

    @Test("non-echo ICMP has no identifier, and a cut echo has none either")
    func icmpNonEcho() throws {
        let unreachable = try decode([3, 3, 0, 0, 0x12, 0x34, 0, 0]) { try ICMPHeader.parse($0, at: 0, v6: false) }
        #expect(unreachable == ICMPHeader(type: 3, code: 3, identifier: nil))
        let cutEcho = try decode([8, 0, 0, 0, 0x12]) { try ICMPHeader.parse($0, at: 0, v6: false) }
        #expect(cutEcho.identifier == nil)
    }

    @Test("ICMPv6 echo uses types 128 and 129, not the ICMPv4 ones")
    func icmpv6Echo() throws {
        let request = try decode([128, 0, 0, 0, 0, 9]) { try ICMPHeader.parse($0, at: 0, v6: true) }
        #expect(request.identifier == 9)
        let reply = try decode([129, 0, 0, 0, 0, 9]) { try ICMPHeader.parse($0, at: 0, v6: true) }
        #expect(reply.identifier == 9)
        let v4Type = try decode([8, 0, 0, 0, 0, 9]) { try ICMPHeader.parse($0, at: 0, v6: true) }
        #expect(v4Type.identifier == nil)
    }

    @Test("an ICMP header shorter than 4 bytes is truncated")
    func icmpTruncated() {
        for n in 0..<4 {
            #expect(
                issue(Array([UInt8]([8, 0, 0, 0]).prefix(n))) { try ICMPHeader.parse($0, at: 0, v6: false) }
                    == .icmpTruncated)
        }
    }
}

import Testing
import VigilCore

@testable import VigilDecode

@Suite("Link layer decoding")
struct LinkDecoderTests {
    typealias B = TestBytes

    @Test("pcap DLT values map to the link types Vigil decodes, and unknown ones are refused")
    func dltMapping() {
        #expect(LinkType(dlt: 0) == .null)
        #expect(LinkType(dlt: 108) == .loop)
        #expect(LinkType(dlt: 1) == .ethernet)
        #expect(LinkType(dlt: 12) == .raw)
        #expect(LinkType(dlt: 14) == .raw)
        #expect(LinkType(dlt: 101) == .raw)
        #expect(LinkType(dlt: 228) == .ipv4)
        #expect(LinkType(dlt: 229) == .ipv6)
        #expect(LinkType(dlt: 113) == .linuxSLL)
        #expect(LinkType(dlt: 276) == .linuxSLL2)
        #expect(LinkType(dlt: 105) == nil)  // 802.11
        #expect(LinkType(dlt: 127) == nil)  // radiotap
        #expect(LinkType.linuxSLL2.description == "LINUX_SLL2")
        #expect(LinkType.ethernet.description == "EN10MB")
    }

    @Test("untagged Ethernet carrying IPv4 puts the IP header at offset 14")
    func ethernetIPv4() throws {
        let h = try decode(B.ethernet(type: 0x0800, payload: [0x45])) {
            try LinkDecoder.decode($0, linkType: .ethernet)
        }
        #expect(h == LinkHeader(next: .ipv4, payloadOffset: 14))
    }

    @Test("Ethernet carrying IPv6 is recognised by EtherType 0x86DD")
    func ethernetIPv6() throws {
        let h = try decode(B.ethernet(type: 0x86DD, payload: [0x60])) {
            try LinkDecoder.decode($0, linkType: .ethernet)
        }
        #expect(h.next == .ipv6)
        #expect(h.payloadOffset == 14)
        #expect(h.outerVLAN == nil && h.innerVLAN == nil)
    }

    @Test("ARP is reported as another EtherType, not as an error")
    func ethernetARP() throws {
        let h = try decode(B.ethernet(type: 0x0806, payload: [UInt8](repeating: 0, count: 28))) {
            try LinkDecoder.decode($0, linkType: .ethernet)
        }
        #expect(h.next == .other(0x0806))
    }

    @Test("an 802.1Q tag is skipped and its 12-bit VLAN id kept without the priority bits")
    func singleVLAN() throws {
        let frame = B.ethernet(type: 0x0800, vlans: [(0x8100, 100)], payload: [0x45])
        let h = try decode(frame) { try LinkDecoder.decode($0, linkType: .ethernet) }
        #expect(h.next == .ipv4)
        #expect(h.payloadOffset == 18)
        #expect(h.outerVLAN == 100)
        #expect(h.innerVLAN == nil)
    }

    @Test("QinQ (802.1ad outer, 802.1Q inner) yields both VLAN ids in order")
    func qinq() throws {
        let frame = B.ethernet(type: 0x86DD, vlans: [(0x88A8, 200), (0x8100, 4094)], payload: [0x60])
        let h = try decode(frame) { try LinkDecoder.decode($0, linkType: .ethernet) }
        #expect(h.next == .ipv6)
        #expect(h.payloadOffset == 22)
        #expect(h.outerVLAN == 200)
        #expect(h.innerVLAN == 4094)
    }

    @Test("a legacy 0x9100 triple-tagged frame is walked to its payload, keeping the two outer ids")
    func tripleTag() throws {
        let frame = B.ethernet(type: 0x0800, vlans: [(0x9100, 1), (0x9100, 2), (0x8100, 3)], payload: [0x45])
        let h = try decode(frame) { try LinkDecoder.decode($0, linkType: .ethernet) }
        #expect(h.payloadOffset == 26)
        #expect(h.outerVLAN == 1)
        #expect(h.innerVLAN == 2)
    }

    @Test("an Ethernet frame shorter than its 14-byte header is truncated at every length")
    func ethernetTruncated() {
        let frame = B.ethernet(type: 0x0800, payload: [])
        for n in 0..<14 {
            #expect(issue(Array(frame.prefix(n))) { try LinkDecoder.decode($0, linkType: .ethernet) } == .linkTruncated)
        }
    }

    @Test("a VLAN tag cut before its inner EtherType is a VLAN truncation")
    func vlanTruncated() {
        let frame = B.ethernet(type: 0x0800, vlans: [(0x8100, 5), (0x8100, 6)], payload: [])
        // 14..<18 cuts the first tag, 18..<22 the second.
        for n in 14..<22 {
            #expect(issue(Array(frame.prefix(n))) { try LinkDecoder.decode($0, linkType: .ethernet) } == .vlanTruncated)
        }
        #expect(issue(frame) { try LinkDecoder.decode($0, linkType: .ethernet) } == nil)
    }

    @Test("Linux cooked v1 reads the protocol at offset 14 and the payload at 16")
    func sll() throws {
        let h = try decode(B.sll(protocol: 0x0800, payload: [0x45])) { try LinkDecoder.decode($0, linkType: .linuxSLL) }
        #expect(h == LinkHeader(next: .ipv4, payloadOffset: 16))
        let v6 = try decode(B.sll(protocol: 0x86DD, payload: [])) { try LinkDecoder.decode($0, linkType: .linuxSLL) }
        #expect(v6.next == .ipv6)
        #expect(
            issue(Array(B.sll(protocol: 0x0800, payload: []).prefix(15))) {
                try LinkDecoder.decode($0, linkType: .linuxSLL)
            } == .linkTruncated)
    }

    @Test("Linux cooked v2 reads the protocol first and the payload at 20")
    func sll2() throws {
        let h = try decode(B.sll2(protocol: 0x86DD, payload: [0x60])) {
            try LinkDecoder.decode($0, linkType: .linuxSLL2)
        }
        #expect(h == LinkHeader(next: .ipv6, payloadOffset: 20))
        let arp = try decode(B.sll2(protocol: 0x0806, payload: [])) { try LinkDecoder.decode($0, linkType: .linuxSLL2) }
        #expect(arp.next == .other(0x0806))
        #expect(
            issue(Array(B.sll2(protocol: 0x0800, payload: []).prefix(19))) {
                try LinkDecoder.decode($0, linkType: .linuxSLL2)
            } == .linkTruncated)
    }

    @Test("DLT_NULL accepts the address family in either byte order")
    func nullBothOrders() throws {
        let little: [UInt8] = [2, 0, 0, 0, 0x45]
        let big: [UInt8] = [0, 0, 0, 2, 0x45]
        #expect(
            try decode(little) { try LinkDecoder.decode($0, linkType: .null) }
                == LinkHeader(next: .ipv4, payloadOffset: 4))
        #expect(
            try decode(big) { try LinkDecoder.decode($0, linkType: .null) } == LinkHeader(next: .ipv4, payloadOffset: 4)
        )
    }

    @Test("DLT_NULL maps the BSD, Darwin and Linux AF_INET6 values to IPv6")
    func nullIPv6Families() throws {
        for family: UInt8 in [10, 24, 28, 30] {
            let h = try decode([family, 0, 0, 0]) { try LinkDecoder.decode($0, linkType: .null) }
            #expect(h.next == .ipv6)
        }
    }

    @Test("DLT_LOOP is network byte order only: a little-endian family is unknown")
    func loopByteOrder() throws {
        #expect(try decode([0, 0, 0, 2]) { try LinkDecoder.decode($0, linkType: .loop) }.next == .ipv4)
        #expect(try decode([0, 0, 0, 30]) { try LinkDecoder.decode($0, linkType: .loop) }.next == .ipv6)
        #expect(issue([2, 0, 0, 0]) { try LinkDecoder.decode($0, linkType: .loop) } == .nullUnknownFamily)
    }

    @Test("a NULL header with an unknown family or fewer than 4 bytes is rejected")
    func nullMalformed() {
        #expect(issue([7, 0, 0, 0]) { try LinkDecoder.decode($0, linkType: .null) } == .nullUnknownFamily)
        #expect(issue([2, 0, 0]) { try LinkDecoder.decode($0, linkType: .null) } == .linkTruncated)
        #expect(issue([]) { try LinkDecoder.decode($0, linkType: .loop) } == .linkTruncated)
    }

    @Test("raw IP picks IPv4 or IPv6 from the version nibble")
    func raw() throws {
        #expect(
            try decode([0x45]) { try LinkDecoder.decode($0, linkType: .raw) }
                == LinkHeader(next: .ipv4, payloadOffset: 0))
        #expect(
            try decode([0x60]) { try LinkDecoder.decode($0, linkType: .raw) }
                == LinkHeader(next: .ipv6, payloadOffset: 0))
        #expect(issue([0x55]) { try LinkDecoder.decode($0, linkType: .raw) } == .ipv4BadVersion)
        #expect(issue([]) { try LinkDecoder.decode($0, linkType: .raw) } == .linkTruncated)
    }

    @Test("LINKTYPE_IPV4 and LINKTYPE_IPV6 start at the IP header whatever the bytes")
    func fixedIPTypes() throws {
        #expect(try decode([]) { try LinkDecoder.decode($0, linkType: .ipv4) }.next == .ipv4)
        #expect(try decode([]) { try LinkDecoder.decode($0, linkType: .ipv6) }.next == .ipv6)
    }
}

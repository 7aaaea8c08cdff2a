import Testing
import VigilCore

@testable import VigilDecode

@Suite("Packet decoding, link to transport")
struct PacketDecoderTests {
    typealias B = TestBytes

    func decoded(_ frame: [UInt8], _ link: LinkType = .ethernet) -> DecodedPacket? {
        let result = frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: link) }
        guard case .decoded(let packet) = result else { return nil }
        return packet
    }

    func result(_ frame: [UInt8], _ link: LinkType = .ethernet) -> PacketDecodeResult {
        frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: link) }
    }

    @Test("Ethernet/IPv4/TCP yields addresses, ports and the payload's place in the frame")
    func ipv4TCP() throws {
        let frame = B.ethernet(
            type: 0x0800,
            payload: B.ipv4(
                proto: 6, ttl: 61, payload: B.tcp(source: 40000, destination: 8080, payload: B.ascii("GET"))))
        let p = try #require(decoded(frame))
        #expect(!p.isIPv6)
        #expect(p.source == IPAddress("192.0.2.1"))
        #expect(p.destination == IPAddress("198.51.100.7"))
        #expect(p.proto == 6)
        #expect(p.ttl == 61)
        #expect(p.sourcePort == 40000)
        #expect(p.destinationPort == 8080)
        #expect(p.ipLength == 43)
        #expect(p.payloadOffset == 54)
        #expect(p.payloadLength == 3)
        #expect(p.payloadMissing == 0)
        #expect(Array(frame[p.payloadOffset..<(p.payloadOffset + p.payloadLength)]) == B.ascii("GET"))
    }

    @Test("Ethernet padding after a short IP packet is not counted as payload")
    func ethernetPadding() throws {
        let frame =
            B.ethernet(type: 0x0800, payload: B.ipv4(proto: 6, payload: B.tcp(flags: 0x10)))
            + [UInt8](repeating: 0, count: 6)
        let p = try #require(decoded(frame))
        #expect(p.payloadLength == 0)
        #expect(p.payloadMissing == 0)
        #expect(p.ipLength == 40)
    }

    @Test("a snaplen-cut payload is reported as missing bytes, not as an error")
    func snaplenCut() throws {
        let frame = B.tcpFrame(payload: [UInt8](repeating: 0x41, count: 1000))
        let p = try #require(decoded(Array(frame.prefix(96))))
        #expect(p.payloadLength == 96 - 54)
        #expect(p.payloadMissing == 1000 - 42)
    }

    @Test("UDP payload ends at the UDP length even when the IP packet claims more")
    func udpLengthBounds() throws {
        let udp = B.udp(source: 1234, destination: 53, length: 12, payload: [1, 2, 3, 4, 9, 9])
        let p = try #require(decoded(B.ethernet(type: 0x0800, payload: B.ipv4(proto: 17, payload: udp))))
        #expect(p.payloadOffset == 42)
        #expect(p.payloadLength == 4)
        #expect(p.destinationPort == 53)
        guard case .udp(let h) = p.transport else { Issue.record("not UDP"); return }
        #expect(h.length == 12)
    }

    @Test("a UDP length of 0 falls back to the IP length for the payload")
    func udpZeroLengthPayload() throws {
        let udp = B.udp(length: 0, payload: [1, 2, 3])
        let p = try #require(decoded(B.ethernet(type: 0x0800, payload: B.ipv4(proto: 17, payload: udp))))
        #expect(p.payloadLength == 3)
    }

    @Test("ICMP exposes type and code as the flow's ports")
    func icmpPorts() throws {
        let icmp: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0]
        let p = try #require(decoded(B.ethernet(type: 0x0800, payload: B.ipv4(proto: 1, payload: icmp))))
        #expect(p.sourcePort == 3)
        #expect(p.destinationPort == 1)
        #expect(p.payloadOffset == 14 + 20 + 4)
    }

    @Test("ICMPv6 over IPv6 is decoded as ICMP with the v6 echo types")
    func icmpv6() throws {
        let p = try #require(decoded(B.ipv6(next: 58, payload: [128, 0, 0, 0, 0x00, 0x2A, 0, 1]), .raw))
        guard case .icmp(let h) = p.transport else { Issue.record("not ICMP"); return }
        #expect(h.type == 128)
        #expect(h.identifier == 42)
    }

    @Test("IPv6 with extension headers decodes the TCP header after them")
    func ipv6Extensions() throws {
        let payload = B.ipv6Extension(next: 60) + B.ipv6Extension(next: 6) + B.tcp(destination: 22, payload: [7, 7])
        let p = try #require(decoded(B.ethernet(type: 0x86DD, payload: B.ipv6(next: 0, payload: payload))))
        #expect(p.isIPv6)
        #expect(p.ipv6ExtensionHeaders == [0, 60])
        #expect(p.proto == 6)
        #expect(p.destinationPort == 22)
        #expect(p.payloadLength == 2)
        #expect(p.payloadOffset == 14 + 40 + 16 + 20)
        #expect(p.source == IPAddress("2001:db8::1"))
    }

    @Test("later IPv4 and IPv6 fragments carry no transport header")
    func laterFragments() throws {
        let v4 = try #require(
            decoded(B.ethernet(type: 0x0800, payload: B.ipv4(proto: 6, flagsFragment: 100, payload: [1, 2, 3, 4]))))
        #expect(v4.transport == .other)
        #expect(v4.isFragment)
        #expect(v4.sourcePort == 0)
        let v6 = try #require(
            decoded(B.ipv6(next: 44, payload: B.ipv6Fragment(next: 6, offset: 8, more: false) + [1, 2, 3, 4]), .raw))
        #expect(v6.transport == .other)
        #expect(v6.isFragment)
    }

    @Test("a first IPv4 fragment still yields its ports")
    func firstFragment() throws {
        let p = try #require(
            decoded(
                B.ethernet(
                    type: 0x0800, payload: B.ipv4(proto: 17, flagsFragment: 0x2000, payload: B.udp(payload: [1])))))
        #expect(p.isFragment)
        #expect(p.destinationPort == 53)
    }

    @Test("an unknown IP protocol is decoded with no transport and no payload")
    func otherProtocol() throws {
        let p = try #require(decoded(B.ethernet(type: 0x0800, payload: B.ipv4(proto: 47, payload: [0, 0, 0x08, 0]))))
        #expect(p.transport == .other)
        #expect(p.proto == 47)
        #expect(p.payloadLength == 0)
    }

    @Test("IPv4 options are flagged and skipped")
    func ipv4Options() throws {
        let frame = B.ethernet(
            type: 0x0800, payload: B.ipv4(proto: 6, options: [0x94, 4, 0, 0], payload: B.tcp(payload: [9])))
        let p = try #require(decoded(frame))
        #expect(p.hasIPOptions)
        #expect(p.payloadOffset == 14 + 24 + 20)
    }

    @Test("VLAN-tagged frames decode through to TCP and keep the VLAN ids")
    func vlanTCP() throws {
        let frame = B.ethernet(
            type: 0x0800, vlans: [(0x88A8, 10), (0x8100, 20)], payload: B.ipv4(proto: 6, payload: B.tcp(payload: [1])))
        let p = try #require(decoded(frame))
        #expect(p.link.outerVLAN == 10)
        #expect(p.link.innerVLAN == 20)
        #expect(p.payloadOffset == 22 + 40)
    }

    @Test("every link type reaches the same TCP payload")
    func allLinkTypes() throws {
        let ip = B.ipv4(proto: 6, payload: B.tcp(destination: 443, payload: [0xAA, 0xBB]))
        let frames: [(LinkType, [UInt8])] = [
            (.ethernet, B.ethernet(type: 0x0800, payload: ip)),
            (.linuxSLL, B.sll(protocol: 0x0800, payload: ip)),
            (.linuxSLL2, B.sll2(protocol: 0x0800, payload: ip)),
            (.null, [2, 0, 0, 0] + ip),
            (.loop, [0, 0, 0, 2] + ip),
            (.raw, ip),
            (.ipv4, ip),
        ]
        for (link, frame) in frames {
            let p = try #require(decoded(frame, link), "\(link)")
            #expect(p.destinationPort == 443, "\(link)")
            #expect(Array(frame[p.payloadOffset..<(p.payloadOffset + p.payloadLength)]) == [0xAA, 0xBB], "\(link)")
        }
    }

    @Test("non-IP frames are skipped with their EtherType, not reported as malformed")
    func notIP() {
        #expect(result(B.ethernet(type: 0x0806, payload: [])) == .notIP(etherType: 0x0806))
        #expect(result(B.ethernet(type: 0x88CC, vlans: [(0x8100, 1)], payload: [])) == .notIP(etherType: 0x88CC))
    }

    @Test("an IPv4 header in an IPv6 EtherType is reported as a bad IPv6 version")
    func mismatchedVersion() {
        #expect(
            result(B.ethernet(type: 0x86DD, payload: B.ipv4(proto: 6, payload: B.tcp()))) == .malformed(.ipv6BadVersion)
        )
        #expect(
            result(B.ethernet(type: 0x0800, payload: B.ipv6(next: 6, payload: B.tcp()))) == .malformed(.ipv4BadVersion))
    }

    @Test("every prefix of an IPv4/TCP frame either decodes or names the layer where it was cut")
    func truncatedEveryLayerIPv4() {
        let frame = B.tcpFrame(payload: B.ascii("payload"))
        for n in 0..<frame.count {
            let r = result(Array(frame.prefix(n)))
            switch n {
            case 0..<14: #expect(r == .malformed(.linkTruncated), "length \(n)")
            case 14..<34: #expect(r == .malformed(.ipv4Truncated), "length \(n)")
            case 34..<54: #expect(r == .malformed(.tcpTruncated), "length \(n)")
            default:
                guard case .decoded(let p) = r else {
                    Issue.record("length \(n) not decoded: \(r)")
                    continue
                }
                #expect(p.payloadLength == n - 54)
                #expect(p.payloadLength + p.payloadMissing == 7)
            }
        }
    }

    @Test("every prefix of an IPv6/UDP frame either decodes or names the layer where it was cut")
    func truncatedEveryLayerIPv6() {
        let frame = B.ethernet(
            type: 0x86DD, payload: B.ipv6(next: 0, payload: B.ipv6Extension(next: 17) + B.udp(payload: [1, 2, 3])))
        for n in 0..<frame.count {
            let r = result(Array(frame.prefix(n)))
            switch n {
            case 0..<14: #expect(r == .malformed(.linkTruncated), "length \(n)")
            case 14..<54: #expect(r == .malformed(.ipv6Truncated), "length \(n)")
            case 54..<62: #expect(r == .malformed(.ipv6ExtensionTruncated), "length \(n)")
            case 62..<70: #expect(r == .malformed(.udpTruncated), "length \(n)")
            default:
                guard case .decoded(let p) = r else {
                    Issue.record("length \(n) not decoded: \(r)")
                    continue
                }
                #expect(p.payloadLength == n - 70)
                #expect(p.payloadMissing == 3 - (n - 70))
            }
        }
    }

    @Test("a cut ICMP header is reported as ICMP truncation")
    func icmpCut() {
        let frame = B.ethernet(type: 0x0800, payload: B.ipv4(proto: 1, payload: [8, 0, 0, 0]))
        #expect(result(Array(frame.prefix(36))) == .malformed(.icmpTruncated))
    }

    @Test("header errors deeper in the packet surface as the packet's issue")
    func deepErrors() {
        let badOffset = B.ethernet(type: 0x0800, payload: B.ipv4(proto: 6, payload: B.tcp(dataOffsetWords: 2)))
        #expect(result(badOffset) == .malformed(.tcpBadDataOffset))
        let badUDP = B.ethernet(type: 0x0800, payload: B.ipv4(proto: 17, payload: B.udp(length: 4, payload: [])))
        #expect(result(badUDP) == .malformed(.udpBadLength))
        let badIHL = B.ethernet(type: 0x0800, payload: [0x43] + [UInt8](repeating: 0, count: 39))
        #expect(result(badIHL) == .malformed(.ipv4BadHeaderLength))
    }

    @Test("random bytes never crash the decoder under any link type")
    func fuzz() {
        var rng = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        let links: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .ipv4, .ipv6]
        var decodedCount = 0
        for i in 0..<4000 {
            var bytes = rng.bytes(Int(rng.next() % 120))
            // Steer some inputs past the link layer so the deeper decoders get exercised.
            if i % 2 == 0, !bytes.isEmpty { bytes[0] = i % 4 == 0 ? 0x45 : 0x60 }
            let r = bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: links[i % links.count]) }
            if case .decoded(let p) = r {
                decodedCount += 1
                #expect(p.payloadOffset + p.payloadLength <= bytes.count || p.payloadLength == 0)
                #expect(p.payloadLength >= 0 && p.payloadMissing >= 0)
            }
        }
        #expect(decodedCount > 0)
    }
}

import Testing
import VigilCore

@Suite("Event ids and connection uids")
struct EventIDTests {
    @Test("the same inputs give the same id; a different position a different one")
    func deterministic() {
        let a = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        let b = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        #expect(a.id(position: 7, index: 1) == b.id(position: 7, index: 1))
        #expect(a.id(position: 7, index: 1) != a.id(position: 7, index: 2))
        #expect(a.id(position: 7, index: 1).count == 32)
        #expect(
            EventIDGenerator(observerID: "s2", sourceIdentity: "pcap:abc").id(position: 7, index: 1)
                != a.id(position: 7, index: 1))
    }

    @Test("a connection uid is stable, Zeek-shaped and differs per connection")
    func uid() {
        let g = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        let u = g.connectionUID(serial: 1)
        #expect(u == g.connectionUID(serial: 1))
        #expect(u.count == 18 && u.hasPrefix("C"))
        #expect(u != g.connectionUID(serial: 2))
    }

    @Test("a reused digest context gives the one-shot digests' ids, uids and Community IDs, call after call")
    func reusedContext() {
        let g = EventIDGenerator(observerID: "s1", sourceIdentity: "pcap:abc")
        let context = DigestContext()
        let a = IPAddress("128.232.110.120")!, b = IPAddress("66.35.250.204")!
        for position in UInt64(0)..<50 {
            #expect(g.id(position: position, index: 3, context: context) == g.id(position: position, index: 3))
            #expect(g.connectionUID(serial: position, context: context) == g.connectionUID(serial: position))
            // SHA-1 and SHA-256 interleaved on one context: each call re-initialises it.
            let port = UInt16(34855 + position)
            #expect(
                CommunityID.v1(
                    source: a, destination: b, proto: 6, sourcePort: port, destinationPort: 80, context: context)
                    == CommunityID.v1(source: a, destination: b, proto: 6, sourcePort: port, destinationPort: 80))
        }
        #expect(
            CommunityID.v1(
                source: a, destination: b, proto: 6, sourcePort: 34855, destinationPort: 80, context: context)
                == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        let text = Array("abc".utf8)
        let sha256 = text.withUnsafeBytes { context.withHash(.sha256, $0) { Hex.encode($0) } }
        #expect(sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

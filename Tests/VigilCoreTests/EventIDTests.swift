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
}

import Testing
import VigilCore

@testable import VigilSensor

/// The writer keeps a flow's uid and Community ID from its first event to its flow event; what it
/// gives must be what the flow's snapshot makes, whatever order slots are reused in.
@Suite("Flow identities kept per flow")
struct FlowIdentityCacheTests {
    let ids = EventIDGenerator(observerID: "test", sourceIdentity: "pcap:cache")

    func snapshot(serial: UInt32, slot: UInt32, host: UInt64) -> FlowSnapshot {
        FlowSnapshot(
            key: FlowKey(
                aHigh: 0, aLow: 0x0A00_0000 + host, bHigh: 0, bLow: 0x0A01_0001, aPort: UInt16(1024 + host % 60000),
                bPort: 443, proto: 6, isV6: false, vlan: 0),
            originatorIsA: true, icmpType: 0, icmpCode: 0, serial: serial, missedBytes: 0, slot: slot, start: 0,
            last: 0, origPackets: 1, respPackets: 1, origBytes: 0, respBytes: 0, state: ConnectionState(),
            appProtocol: nil)
    }

    func expectSame(_ a: FlowIdentity, _ flow: FlowSnapshot) {
        let fresh = FlowIdentity(flow, ids: ids)
        #expect(a.uidText == fresh.uidText)
        #expect(a.communityIDText == fresh.communityIDText)
        #expect(a.uidText.count == 18 && a.communityIDText.string.hasPrefix("1:"))
    }

    @Test("a flow's events get its own identity; a reused slot gets the new flow's")
    func slotsReused() {
        var cache = FlowIdentityCache()
        // Three generations of flows through 3 000 slots (past the first growth), each with two
        // app events and a flow event; the second generation's flow events never come.
        var serial: UInt32 = 0
        for generation in 0..<3 {
            var flows: [FlowSnapshot] = []
            for slot in 0..<3_000 {
                serial += 1
                flows.append(snapshot(serial: serial, slot: UInt32(slot), host: UInt64(generation * 5_000 + slot)))
            }
            for flow in flows { expectSame(cache.identity(of: flow, last: false, ids: ids), flow) }
            for flow in flows.reversed() { expectSame(cache.identity(of: flow, last: false, ids: ids), flow) }
            if generation != 1 {
                for flow in flows { expectSame(cache.identity(of: flow, last: true, ids: ids), flow) }
            }
        }
        #expect(cache.capacity == 4_096)
    }

    @Test("a flow event clears its entry; a flow with only its flow event keeps none")
    func flowEventClears() {
        var cache = FlowIdentityCache()
        let flow = snapshot(serial: 7, slot: 5, host: 1)
        expectSame(cache.identity(of: flow, last: true, ids: ids), flow)
        #expect(cache.capacity == 0)
        expectSame(cache.identity(of: flow, last: false, ids: ids), flow)
        expectSame(cache.identity(of: flow, last: true, ids: ids), flow)
        // Same slot and serial after the clear: made again, still right.
        expectSame(cache.identity(of: flow, last: true, ids: ids), flow)
    }
}

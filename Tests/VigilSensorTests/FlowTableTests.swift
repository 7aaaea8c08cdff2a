import Testing
import VigilCore

@testable import VigilSensor

@Suite("Flow table storage")
struct FlowTableTests {
    func record(_ i: Int, at time: Int64, proto: UInt8 = 17) -> FlowRecord {
        let key = FlowKey(
            aHigh: 0, aLow: UInt64(0x0A00_0000 + i), bHigh: 0, bLow: 0x0A01_0001, aPort: UInt16(i % 60000),
            bPort: 53, proto: proto, isV6: false, vlan: 0)
        return FlowRecord(
            flow: FlowSnapshot(
                key: key, originatorIsA: true, icmpType: 0, icmpCode: 0, serial: UInt32(i), missedBytes: 0,
                start: time, last: time, origPackets: 1, respPackets: 0, origBytes: 0, respBytes: 0,
                state: ConnectionState(), appProtocol: nil),
            timeoutClass: proto == 6 ? 0 : 1, hash: key.hash32, origISN: 0, respISN: 0, prev: -1, next: -1, app: nil)
    }

    @Test("every flow stays findable through growth and many removals")
    func findAfterRemovals() {
        var table = FlowTable(maxFlows: 100_000, timeouts: FlowTimeouts())
        var indices: [Int: Int] = [:]
        for i in 0..<20_000 { indices[i] = table.insert(record(i, at: Int64(i))) }
        for i in stride(from: 0, to: 20_000, by: 3) { table.remove(indices[i]!) }
        for i in 0..<20_000 {
            let r = record(i, at: 0)
            let found = table.find(r.flow.key, hash: r.hash)
            if i % 3 == 0 { #expect(found == nil) } else { #expect(found == indices[i]) }
        }
        #expect(table.count == 20_000 - 6_667)
    }

    /// Keys whose hashes are equal (same slot, same tag) or differ only in the tag bits: probes
    /// must compare keys, and removals must keep every chain intact.
    @Test("flows with colliding hashes and tags stay findable through removals")
    func collidingHashes() {
        var table = FlowTable(maxFlows: 1_000, timeouts: FlowTimeouts())
        var indices: [Int: Int] = [:]
        func colliding(_ i: Int) -> FlowRecord {
            var r = record(i, at: Int64(i))
            // Half share one hash outright; the rest share its slot bits with other tags.
            r.hash = i % 2 == 0 ? 0x0000_0123 : UInt32(i % 32) << FlowTable.indexBits | 0x0000_0123
            return r
        }
        for i in 0..<200 { indices[i] = table.insert(colliding(i)) }
        for i in stride(from: 0, to: 200, by: 3) { table.remove(indices[i]!) }
        for i in 0..<200 {
            let r = colliding(i)
            let found = table.find(r.flow.key, hash: r.hash)
            if i % 3 == 0 { #expect(found == nil, "\(i)") } else { #expect(found == indices[i], "\(i)") }
        }
    }

    @Test("expiry returns only flows idle longer than their class timeout, oldest first")
    func expiry() {
        var table = FlowTable(maxFlows: 10, timeouts: FlowTimeouts())
        _ = table.insert(record(1, at: 0))
        _ = table.insert(record(2, at: 50_000_000))
        _ = table.insert(record(3, at: 0, proto: 6))
        let expired = table.expired(at: 61_000_000).map { table[$0].flow.serial }
        #expect(expired == [1], "UDP at 0 s is past 60 s; UDP at 50 s and TCP (300 s) are not")
        #expect(table.leastRecentlyActive().map { table[$0].flow.serial } != nil)
    }

    @Test("a compact flow record: under 200 bytes with its share of the index")
    func recordSize() {
        #expect(MemoryLayout<FlowRecord>.stride <= 160)
    }
}

@Suite("TCP reassembly")
struct TCPReassemblerTests {
    /// Renders deliveries as text, gaps as `<gap N>`.
    func render(_ delivery: TCPReassembler.Delivery, into out: inout String) {
        switch delivery {
        case .data(let d): out += String(decoding: d, as: UTF8.self)
        case .gap(let n): out += "<gap \(n)>"
        }
    }

    func collect(_ r: inout TCPReassembler, seq: UInt32, _ s: String, into out: inout String) -> Bool {
        Array(s.utf8).withUnsafeBytes { payload in
            r.segment(seq: seq, payload: payload, missing: 0) { render($0, into: &out) }
        }
    }

    @Test("out-of-order segments are delivered in order; a retransmission is not delivered twice")
    func order() {
        var r = TCPReassembler()
        r.syn(99)
        var out = ""
        _ = collect(&r, seq: 106, "world", into: &out)
        #expect(out.isEmpty)
        _ = collect(&r, seq: 100, "hello ", into: &out)
        #expect(out == "hello world")
        let retransmitted = collect(&r, seq: 100, "hello ", into: &out)
        #expect(retransmitted)
        #expect(out == "hello world")
        _ = collect(&r, seq: 109, "ld!", into: &out)
        #expect(out == "hello world!", "an overlapping segment contributes only its new bytes")
    }

    @Test("a hole that never fills becomes a gap of its exact size at flush")
    func gapAtFlush() {
        var r = TCPReassembler()
        r.syn(0)
        var out = ""
        _ = collect(&r, seq: 1, "ab", into: &out)
        _ = collect(&r, seq: 10, "xyz", into: &out)
        r.flush { render($0, into: &out) }
        #expect(out == "ab<gap 7>xyz")
    }

    @Test("sequence numbers wrap around 2^32")
    func wrap() {
        var r = TCPReassembler()
        r.syn(UInt32.max - 2)
        var out = ""
        _ = collect(&r, seq: UInt32.max - 1, "abc", into: &out)
        _ = collect(&r, seq: 1, "def", into: &out)
        #expect(out == "abcdef")
    }
}

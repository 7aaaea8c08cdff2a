import VigilCore
import VigilDecode

/// A flow's identity and counters: the part of a tracked flow that its events report, as a value
/// that can cross to the thread that builds events.
public struct FlowSnapshot: Sendable {
    var key: FlowKey
    /// Whether the originator (who sent the first packet, or the SYN) is endpoint `a` of the key.
    var originatorIsA: Bool
    var icmpType: UInt8
    var icmpCode: UInt8
    /// Flow number in order of creation within this source: the basis of uid and event ids.
    var serial: UInt32
    var missedBytes: UInt32
    /// The flow's place in the capture thread's flow table while it is tracked: where the thread
    /// that builds events keeps its identity (`FlowIdentityCache`). Fills padding: no bigger record.
    var slot: UInt32 = 0
    var start: Int64
    var last: Int64
    var origPackets: UInt32
    var respPackets: UInt32
    var origBytes: UInt64
    var respBytes: UInt64
    var state: ConnectionState
    /// Set from the analyzer when an output is produced.
    var appProtocol: AppProtocol?
}

/// A connection instance's names in events: its Zeek-style uid and its Community ID. Made from the
/// flow's snapshot for each event by the thread that builds events (`EventFactory`): two digests
/// the capture thread, the busier one, no longer makes (3.5 % of it, session 19).
struct FlowIdentity: Sendable {
    /// Inline, not `String`s: made on the stack and written straight into the event's text.
    var uidText: InlineText
    var communityIDText: InlineText

    init(_ flow: FlowSnapshot, ids: EventIDGenerator) {
        let e = flow.endpoints
        let isICMP = flow.key.proto == 1 || flow.key.proto == 58
        communityIDText =
            isICMP
            ? CommunityID.v1Text(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: UInt16(flow.icmpType), destinationPort: UInt16(flow.icmpCode))
            : CommunityID.v1Text(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: e.origPort, destinationPort: e.respPort)
        uidText = ids.connectionUIDText(serial: UInt64(flow.serial))
    }

    init(uidText: InlineText, communityIDText: InlineText) {
        self.uidText = uidText
        self.communityIDText = communityIDText
    }
}

/// Each flow's identity, made by the thread that builds events at the flow's first app event and
/// kept until its flow event, which comes last: the two digests run once per flow, not per event
/// (a flow has 2.2 events on average in the benchmark capture). Kept by the flow's slot in the
/// flow table (`FlowSnapshot.slot`): the table bounds the slots, and one flow holds a slot at a
/// time. Session 19's dictionary of open flows cost more than the digests; a slot is an index,
/// one cache line per entry, no hashing.
///
/// An entry counts only for the flow whose serial it holds, so an entry left by a flow whose last
/// event never came (a consumer that dropped it) is not taken for the next flow in its slot.
/// A flow event reads its entry and clears it. Flows without app events (scans, handshakes only)
/// never get an entry.
struct FlowIdentityCache: ~Copyable {
    /// An entry: the serial (4 bytes), the uid's and the Community ID's lengths (one byte each),
    /// the uid (up to 18 bytes) and the Community ID (up to 40 bytes) in one cache line.
    static let stride = 64
    static let uidOffset = 6, uidCapacity = 18
    static let communityIDOffset = uidOffset + uidCapacity, communityIDCapacity = stride - communityIDOffset

    private var entries: UnsafeMutableRawPointer?
    private(set) var capacity = 0

    init() {}

    deinit { entries?.deallocate() }

    /// The flow's identity for one of its events; `last`: the flow event, after which the flow's
    /// entry is cleared.
    mutating func identity(of flow: FlowSnapshot, last: Bool, ids: EventIDGenerator) -> FlowIdentity {
        let slot = Int(flow.slot)
        if slot < capacity, let entry = entries.map({ $0 + slot * Self.stride }) {
            let uidCount = Int(entry.load(fromByteOffset: 4, as: UInt8.self))
            if uidCount != 0, entry.load(as: UInt32.self) == flow.serial {
                let communityIDCount = Int(entry.load(fromByteOffset: 5, as: UInt8.self))
                let found = FlowIdentity(
                    uidText: Self.text(entry + Self.uidOffset, uidCount),
                    communityIDText: Self.text(entry + Self.communityIDOffset, communityIDCount))
                if last { entry.storeBytes(of: 0, toByteOffset: 4, as: UInt8.self) }
                return found
            }
        }
        let made = FlowIdentity(flow, ids: ids)
        if !last { keep(made, slot: slot, serial: flow.serial) }
        return made
    }

    private static func text(_ bytes: UnsafeMutableRawPointer, _ count: Int) -> InlineText {
        InlineText(unsafeUninitializedCapacity: count) { out in
            out.baseAddress!.update(from: bytes.assumingMemoryBound(to: UInt8.self), count: count)
            return count
        }
    }

    private mutating func keep(_ identity: FlowIdentity, slot: Int, serial: UInt32) {
        let uid = identity.uidText, communityID = identity.communityIDText
        guard uid.count > 0, uid.count <= Self.uidCapacity, communityID.count <= Self.communityIDCapacity else {
            return
        }
        if slot >= capacity { grow(toHold: slot) }
        let entry = entries! + slot * Self.stride
        entry.storeBytes(of: serial, as: UInt32.self)
        entry.storeBytes(of: UInt8(uid.count), toByteOffset: 4, as: UInt8.self)
        entry.storeBytes(of: UInt8(communityID.count), toByteOffset: 5, as: UInt8.self)
        uid.withUTF8 { (entry + Self.uidOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        communityID.withUTF8 { c in
            if c.count > 0 { (entry + Self.communityIDOffset).copyMemory(from: c.baseAddress!, byteCount: c.count) }
        }
    }

    /// Doubles the entries (from 1 024) until `slot` fits; new entries are empty (zero lengths).
    private mutating func grow(toHold slot: Int) {
        var grown = max(capacity, 1024)
        while grown <= slot { grown *= 2 }
        let block = UnsafeMutableRawPointer.allocate(byteCount: grown * Self.stride, alignment: Self.stride)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: grown * Self.stride)
        if let entries {
            block.copyMemory(from: entries, byteCount: capacity * Self.stride)
            entries.deallocate()
        }
        entries = block
        capacity = grown
    }
}

extension FlowSnapshot {
    struct Endpoints {
        var origIP: IPAddress
        var origPort: UInt16
        var respIP: IPAddress
        var respPort: UInt16
    }

    /// The key's endpoints as originator and responder.
    var endpoints: Endpoints {
        originatorIsA
            ? Endpoints(origIP: key.a, origPort: key.aPort, respIP: key.b, respPort: key.bPort)
            : Endpoints(origIP: key.b, origPort: key.bPort, respIP: key.a, respPort: key.aPort)
    }
}

/// One thing the packet pipeline reports: an application transaction on a flow, or a flow that
/// ended. Typed records, not events yet: building the event's ECS fields is `EventFactory`'s job, so
/// it can run off the capture thread. The flow's identity (`FlowIdentity`) and the event's id
/// (deterministic: see `EventIDGenerator`, from the flow's serial and `eventIndex`) are made by
/// `EventFactory`, off the capture thread too.
public enum PipelineOutput: Sendable {
    /// `eventIndex`: the record's place among the flow's app events, from 1.
    case app(AppRecord, flow: FlowSnapshot, eventIndex: UInt32)
    /// The flow's final counters; always the last output of its flow (event index 0).
    case flow(FlowSnapshot)

    /// An output that owns no memory (only empty strings), for a slot whose output was moved away.
    static let placeholder = PipelineOutput.flow(
        FlowSnapshot(
            key: FlowKey(aHigh: 0, aLow: 0, bHigh: 0, bLow: 0, aPort: 0, bPort: 0, proto: 0, isV6: false, vlan: 0),
            originatorIsA: true, icmpType: 0, icmpCode: 0, serial: 0, missedBytes: 0, start: 0, last: 0,
            origPackets: 0, respPackets: 0, origBytes: 0, respBytes: 0, state: ConnectionState(), appProtocol: nil))

    /// The event's time: the transaction's start, or the flow's first packet.
    public var time: Timestamp {
        switch self {
        case .app(let record, _, _): record.start
        case .flow(let flow): Timestamp(microseconds: flow.start)
        }
    }

    /// Where the event's id comes from: the flow's serial and the event's index within the flow.
    var eventPosition: (serial: UInt32, index: UInt32) {
        switch self {
        case .app(_, let flow, let index): (flow.serial, index)
        case .flow(let flow): (flow.serial, 0)
        }
    }

    public var dataset: Dataset { Self.datasets[datasetIndex] }

    /// The datasets outputs belong to, indexed by `datasetIndex`.
    static let datasets: [Dataset] = [.flow, .dns, .http, .tls, .ssh]

    var datasetIndex: Int {
        switch self {
        case .flow: 0
        case .app(.dns, _, _): 1
        case .app(.http, _, _): 2
        case .app(.tls, _, _): 3
        case .app(.ssh, _, _): 4
        }
    }
}

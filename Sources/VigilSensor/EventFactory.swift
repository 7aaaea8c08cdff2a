import VigilCore
import VigilDecode

/// Turns pipeline outputs into ECS events: ids, connection fields, then the record's fields
/// (`EventBuilder`). One per consuming thread; it caches each open flow's uid and Community ID
/// (two digests) until the flow's own event, which always comes last.
public struct EventFactory: Sendable {
    let config: PipelineConfig
    let ids: EventIDGenerator
    var identities: [UInt32: (uid: String, communityID: String)] = [:]

    public init(config: PipelineConfig) {
        self.config = config
        ids = EventIDGenerator(observerID: config.observerID, sourceIdentity: config.sourceIdentity)
    }

    public mutating func event(for output: PipelineOutput) -> Event {
        switch output {
        case .app(let record, let flow, let index):
            var event = baseEvent(flow, time: record.start, dataset: output.dataset, index: index, keep: true)
            event.set(Fields.networkProtocol, flow.appProtocol?.rawValue)
            EventBuilder.add(record, to: &event)
            return event
        case .flow(let flow):
            return flowEvent(flow)
        }
    }

    // Shared values: building them per event would allocate an array each time.
    static let networkCategory = FieldValue.list([.string("network")])
    static let connectionEnd = FieldValue.list([.string("connection"), .string("end")])

    static func transportName(_ proto: UInt8) -> String {
        switch proto {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "ipv6-icmp"
        default: String(proto)
        }
    }

    struct Endpoints {
        var origIP: IPAddress
        var origPort: UInt16
        var respIP: IPAddress
        var respPort: UInt16
    }

    static func endpoints(_ flow: FlowSnapshot) -> Endpoints {
        let k = flow.key
        return flow.originatorIsA
            ? Endpoints(origIP: k.a, origPort: k.aPort, respIP: k.b, respPort: k.bPort)
            : Endpoints(origIP: k.b, origPort: k.bPort, respIP: k.a, respPort: k.aPort)
    }

    /// uid and Community ID of a flow, computed once while its events are being built.
    mutating func identity(_ flow: FlowSnapshot, keep: Bool) -> (uid: String, communityID: String) {
        if let cached = keep ? identities[flow.serial] : identities.removeValue(forKey: flow.serial) {
            return cached
        }
        let e = Self.endpoints(flow)
        let isICMP = flow.key.proto == 1 || flow.key.proto == 58
        let community =
            isICMP
            ? CommunityID.v1(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: UInt16(flow.icmpType), destinationPort: UInt16(flow.icmpCode))
            : CommunityID.v1(
                source: e.origIP, destination: e.respIP, proto: flow.key.proto,
                sourcePort: e.origPort, destinationPort: e.respPort)
        let result = (uid: ids.connectionUID(serial: UInt64(flow.serial)), communityID: community)
        if keep { identities[flow.serial] = result }
        return result
    }

    mutating func baseEvent(_ flow: FlowSnapshot, time: Timestamp, dataset: Dataset, index: UInt32, keep: Bool)
        -> Event
    {
        var event = Event(
            timestamp: time, id: ids.id(position: UInt64(flow.serial), index: index), dataset: dataset,
            observerID: config.observerID, capacity: 32)
        let e = Self.endpoints(flow)
        let hasPorts = flow.key.proto == 6 || flow.key.proto == 17
        event.set(Fields.eventKind, "event")
        event.set(Fields.eventCategory, Self.networkCategory)
        event.set(Fields.sourceIP, .ip(e.origIP))
        if hasPorts { event.set(Fields.sourcePort, .integer(e.origPort)) }
        event.set(Fields.destinationIP, .ip(e.respIP))
        if hasPorts { event.set(Fields.destinationPort, .integer(e.respPort)) }
        event.set(Fields.networkTransport, Self.transportName(flow.key.proto))
        event.set(Fields.networkType, flow.key.isV6 ? "ipv6" : "ipv4")
        if flow.key.vlan != 0 { event.set(Fields.networkVLANID, String(flow.key.vlan)) }
        let (uid, community) = identity(flow, keep: keep)
        event.set(Fields.networkCommunityID, community)
        event.set(Fields.connUID, uid)
        return event
    }

    mutating func flowEvent(_ flow: FlowSnapshot) -> Event {
        var event = baseEvent(flow, time: Timestamp(microseconds: flow.start), dataset: .flow, index: 0, keep: false)
        event.set(Fields.eventType, Self.connectionEnd)
        event.set(Fields.networkProtocol, flow.appProtocol?.rawValue)
        event.set(Fields.eventStart, .time(Timestamp(microseconds: flow.start)))
        event.set(Fields.eventEnd, .time(Timestamp(microseconds: flow.last)))
        event.set(Fields.eventDuration, .int((flow.last - flow.start) * 1000))
        event.set(Fields.sourcePackets, .integer(flow.origPackets))
        event.set(Fields.sourceBytes, .integer(flow.origBytes))
        event.set(Fields.destinationPackets, .integer(flow.respPackets))
        event.set(Fields.destinationBytes, .integer(flow.respBytes))
        event.set(Fields.networkPackets, .integer(UInt64(flow.origPackets) + UInt64(flow.respPackets)))
        event.set(Fields.networkBytes, .integer(flow.origBytes + flow.respBytes))
        if flow.key.proto == 1 || flow.key.proto == 58 {
            event.set(Fields.icmpType, .integer(flow.icmpType))
            event.set(Fields.icmpCode, .integer(flow.icmpCode))
        }
        event.set(Fields.connState, flow.key.proto == 6 ? flow.state.tcpState : flow.state.datagramState)
        event.set(Fields.connHistory, flow.state.historyString)
        if flow.missedBytes > 0 { event.set(Fields.connMissedBytes, .integer(flow.missedBytes)) }
        return event
    }
}

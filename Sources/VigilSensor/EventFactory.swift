import VigilCore
import VigilDecode

/// Turns pipeline outputs into ECS events: connection fields, then the record's fields
/// (`EventBuilder`). One per consuming thread.
public struct EventFactory: Sendable {
    let config: PipelineConfig

    public init(config: PipelineConfig) {
        self.config = config
    }

    public func event(for output: PipelineOutput) -> Event {
        switch output {
        case .app(let record, let flow, let identity, let eventID):
            var event = baseEvent(flow, identity, time: record.start, dataset: output.dataset, id: eventID)
            event.set(Fields.networkProtocol, flow.appProtocol?.rawValue)
            EventBuilder.add(record, to: &event)
            return event
        case .flow(let flow, let identity, let eventID):
            return flowEvent(flow, identity, id: eventID)
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

    func baseEvent(_ flow: FlowSnapshot, _ identity: FlowIdentity, time: Timestamp, dataset: Dataset, id: String)
        -> Event
    {
        var event = Event(timestamp: time, id: id, dataset: dataset, observerID: config.observerID, capacity: 32)
        let e = flow.endpoints
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
        event.set(Fields.networkCommunityID, identity.communityID)
        event.set(Fields.connUID, identity.uid)
        return event
    }

    func flowEvent(_ flow: FlowSnapshot, _ identity: FlowIdentity, id: String) -> Event {
        var event = baseEvent(flow, identity, time: Timestamp(microseconds: flow.start), dataset: .flow, id: id)
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

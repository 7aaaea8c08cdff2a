import Synchronization
import VigilCore
import VigilDecode
import VigilInspect

/// Turns pipeline outputs into ECS events: connection fields, then the record's fields
/// (`EventBuilder`). One per consuming thread.
public struct EventFactory: Sendable {
    let config: PipelineConfig
    let ids: EventIDGenerator
    /// Flow identities kept from a flow's first event to its last (shared by copies of the factory;
    /// the lock is uncontended when one thread builds the events, as the pipeline's writer does).
    let identities = IdentityStore()

    final class IdentityStore: Sendable {
        let cache = Mutex(FlowIdentityCache())
    }

    public init(config: PipelineConfig) {
        self.config = config
        ids = EventIDGenerator(observerID: config.observerID, sourceIdentity: config.sourceIdentity)
    }

    /// The flow's uid and Community ID, made at its first event and kept until its flow event.
    func identity(of flow: FlowSnapshot, last: Bool) -> FlowIdentity {
        identities.cache.withLock { $0.identity(of: flow, last: last, ids: ids) }
    }

    /// The output's event id: the same the capture thread would have made, made here (a SHA-256
    /// per event) so the capture thread, the busier one, need not.
    func eventID(_ output: borrowing PipelineOutput) -> InlineText {
        let (serial, index) = output.eventPosition
        return ids.idText(position: UInt64(serial), index: index)
    }

    public func event(for output: PipelineOutput) -> Event {
        var event = Event(
            timestamp: output.time, id: eventID(output).string, dataset: output.dataset,
            observerID: config.observerID, capacity: 32)
        addFields(output, to: &event)
        return event
    }

    /// The output's event written as one JSON object (no newline), each field inspected as it is
    /// written (`FieldInspection`): the same text as `event(for:)`, inspected and encoded, without
    /// the `Event` in between. Returns the `dlp.*` summary (empty when nothing was found).
    public func writeJSON(_ output: consuming PipelineOutput, inspector: Inspector, to w: inout JSONWriter)
        -> [Event.Field]
    {
        let id = eventID(output)
        let time = output.time
        let dataset = output.dataset
        // Moved into the closure through an optional: a captured value could only be copied.
        var taken = Optional(output)
        return withUnsafeMutablePointer(to: &w) { w in
            var sink = InspectedJSONFields(w: w, inspection: FieldInspection(inspector))
            id.withUTF8 { id in
                Event.writeJSONStart(
                    timestamp: time, id: id, dataset: dataset, observerID: config.observerID, to: &w.pointee)
            }
            addFields(taken.take()!, to: &sink)
            let summary = sink.inspection.summary
            for field in summary { Event.writeJSONField(field.id, field.value, to: &w.pointee) }
            w.pointee.byte(UInt8(ascii: "}"))
            return summary
        }
    }

    /// The event's fields in order: connection fields, then the record's (`EventBuilder`).
    func addFields(_ output: consuming PipelineOutput, to e: inout some EventFieldSink) {
        // Consumed: binding the record's parts moves them (a borrowed output's parts are copied,
        // retaining every string and array they hold).
        switch consume output {
        // The flow's identity is made here rather than on the capture thread, the busier one, and
        // kept from the flow's first event to its flow event (`FlowIdentityCache`).
        case .app(let record, let flow, _):
            addConnection(flow, identity(of: flow, last: false), to: &e)
            e.set(Fields.networkProtocol, vocabulary: flow.appProtocol?.rawValue)
            EventBuilder.add(record, to: &e)
        case .flow(let flow):
            addFlow(flow, identity(of: flow, last: true), to: &e)
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

    func addConnection(_ flow: FlowSnapshot, _ identity: FlowIdentity, to event: inout some EventFieldSink) {
        let e = flow.endpoints
        let hasPorts = flow.key.proto == 6 || flow.key.proto == 17
        event.set(Fields.eventKind, vocabulary: "event")
        event.set(Fields.eventCategory, vocabulary: Self.networkCategory)
        event.set(Fields.sourceIP, .ip(e.origIP))
        if hasPorts { event.set(Fields.sourcePort, .integer(e.origPort)) }
        event.set(Fields.destinationIP, .ip(e.respIP))
        if hasPorts { event.set(Fields.destinationPort, .integer(e.respPort)) }
        event.set(Fields.networkTransport, vocabulary: Self.transportName(flow.key.proto))
        event.set(Fields.networkType, vocabulary: flow.key.isV6 ? "ipv6" : "ipv4")
        if flow.key.vlan != 0 { event.set(Fields.networkVLANID, vocabulary: String(flow.key.vlan)) }
        event.set(Fields.networkCommunityID, identity.communityIDText)
        event.set(Fields.connUID, identity.uidText)
    }

    func addFlow(_ flow: FlowSnapshot, _ identity: FlowIdentity, to event: inout some EventFieldSink) {
        addConnection(flow, identity, to: &event)
        event.set(Fields.eventType, vocabulary: Self.connectionEnd)
        event.set(Fields.networkProtocol, vocabulary: flow.appProtocol?.rawValue)
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
        event.set(Fields.connState, vocabulary: flow.key.proto == 6 ? flow.state.tcpState : flow.state.datagramState)
        event.set(Fields.connHistory, vocabulary: flow.state.historyText.string)
        if flow.missedBytes > 0 { event.set(Fields.connMissedBytes, .integer(flow.missedBytes)) }
    }
}

/// Fields written straight into JSON as an event is built, each masked by Inspect first.
struct InspectedJSONFields: EventFieldSink {
    /// The writer of `EventFactory.writeJSON`, for the duration of that call (a writer cannot be
    /// copied into the sink, and moving it in and out per event cost a fresh block each time).
    let w: UnsafeMutablePointer<JSONWriter>
    var inspection: FieldInspection

    mutating func set(_ id: FieldID, _ value: FieldValue?) {
        guard let value else { return }
        switch value {
        case .string(let s):
            set(id, s)
        case .int, .double, .bool, .ip, .time:
            // No text in them: nothing for Inspect to find (it returns them unchanged).
            Event.writeJSONField(id, value, to: &w.pointee)
        case .list, .object:
            Event.writeJSONField(id, inspection.masked(id, value) ?? value, to: &w.pointee)
        }
    }

    mutating func set(_ id: FieldID, _ value: String?) {
        guard let value else { return }
        Event.writeJSONField(id, inspection.masked(id, value) ?? value, to: &w.pointee)
    }

    /// Written as it is: a vocabulary value holds nothing Inspect looks for. Scanning them, five or
    /// so short texts per event, cost 6 % of the thread that writes events.
    mutating func set(_ id: FieldID, vocabulary value: FieldValue?) {
        guard let value else { return }
        Event.writeJSONField(id, value, to: &w.pointee)
    }

    mutating func set(_ id: FieldID, vocabulary value: String?) {
        guard let value else { return }
        Event.writeJSONField(id, value, to: &w.pointee)
    }

    /// Checked and escaped in one pass, then inspected (only text counts); rewritten when
    /// something was masked.
    mutating func set(_ id: FieldID, asciiText text: UnsafeBufferPointer<UInt8>) -> Bool {
        let mark = w.pointee.byteCount
        w.pointee.commaKey(id)
        guard w.pointee.appendASCIIText(text) else {
            w.pointee.truncate(to: mark)
            return false
        }
        if let masked = inspection.masked(id, utf8: text) {
            w.pointee.truncate(to: mark)
            Event.writeJSONField(id, masked, to: &w.pointee)
        }
        return true
    }
}

extension Event {
    /// One JSON object on one line (no trailing newline): the core fields first, then fields in
    /// insertion order, ECS dotted names as flat keys.
    public func writeJSON(to w: inout JSONWriter) {
        Self.writeJSONStart(timestamp: timestamp, id: id, dataset: dataset, observerID: observerID, to: &w)
        for field in fields { Self.writeJSONField(field.id, field.value, to: &w) }
        w.byte(UInt8(ascii: "}"))
    }

    /// The opening of an event's JSON object and its core fields; then `writeJSONField` for each field
    /// and a closing `}`. For output that writes fields as they are built.
    public static func writeJSONStart(
        timestamp: Timestamp, id: String, dataset: Dataset, observerID: String?, to w: inout JSONWriter
    ) {
        var id = id
        id.withUTF8 { writeJSONStart(timestamp: timestamp, id: $0, dataset: dataset, observerID: observerID, to: &w) }
    }

    /// `writeJSONStart` with the id as UTF-8 bytes (an `InlineText`'s, made without a `String`).
    public static func writeJSONStart(
        timestamp: Timestamp, id: UnsafeBufferPointer<UInt8>, dataset: Dataset, observerID: String?,
        to w: inout JSONWriter
    ) {
        w.raw("{\"@timestamp\":\"")
        timestamp.appendISO8601(to: &w)
        w.raw("\",\"event.id\":")
        w.appendEscaped(id)
        w.raw(",\"event.dataset\":")
        w.string(dataset.name)
        if let observerID {
            w.raw(",\"observer.id\":")
            w.string(observerID)
        }
    }

    /// One field after the start or another field.
    @inline(__always)
    public static func writeJSONField(_ id: FieldID, _ value: FieldValue, to w: inout JSONWriter) {
        w.commaKey(id)
        value.writeJSON(to: &w)
    }

    /// A string field (no `FieldValue` around it).
    @inline(__always)
    public static func writeJSONField(_ id: FieldID, _ value: String, to w: inout JSONWriter) {
        w.commaKey(id)
        w.string(value)
    }

    public var jsonLine: String {
        var w = JSONWriter(capacity: 512)
        writeJSON(to: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

extension FieldValue {
    public func writeJSON(to w: inout JSONWriter) {
        switch self {
        case .string(let s): w.string(s)
        case .int(let i): w.int(i)
        case .double(let d): w.double(d)
        case .bool(let b): b ? w.raw("true") : w.raw("false")
        case .ip(let ip):
            // Straight into the buffer (every event carries two addresses), between its quotes.
            w.append(maxCount: IPAddress.maxTextLength + 2) { out in
                out[0] = UInt8(ascii: "\"")
                let n = 1 + ip.writeText(into: out + 1)
                out[n] = UInt8(ascii: "\"")
                return n + 1
            }
        case .time(let t):
            w.byte(UInt8(ascii: "\""))
            t.appendISO8601(to: &w)
            w.byte(UInt8(ascii: "\""))
        case .list(let items):
            w.byte(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                item.writeJSON(to: &w)
            }
            w.byte(UInt8(ascii: "]"))
        case .object(let members):
            w.byte(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(m.key)
                w.byte(UInt8(ascii: ":"))
                m.value.writeJSON(to: &w)
            }
            w.byte(UInt8(ascii: "}"))
        }
    }
}

/// The one event type every stage shares (DESIGN §4): a typed core plus ECS fields by interned id.
///
/// Invariants: `id` is deterministic for a given observer, source and position (see `EventID`), and a
/// field id appears at most once in `fields` (`set` replaces). Field order is insertion order, which
/// keeps JSON output stable for golden tests.
public struct Event: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var id: FieldID
        public var value: FieldValue

        public init(id: FieldID, value: FieldValue) {
            self.id = id
            self.value = value
        }
    }

    /// Event time: for packets the capture timestamp; for flows the first packet's time.
    public var timestamp: Timestamp
    public var id: String
    public var dataset: Dataset
    public var observerID: String?
    public private(set) var fields: [Field]

    public init(timestamp: Timestamp, id: String, dataset: Dataset, observerID: String? = nil, capacity: Int = 16) {
        self.timestamp = timestamp
        self.id = id
        self.dataset = dataset
        self.observerID = observerID
        self.fields = []
        fields.reserveCapacity(capacity)
    }

    public subscript(id: FieldID) -> FieldValue? {
        get { fields.first(where: { $0.id == id })?.value }
        set {
            if let index = fields.firstIndex(where: { $0.id == id }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append(Field(id: id, value: newValue))
            }
        }
    }

    /// Adds a field that is not set yet; a nil value leaves the event unchanged (optional decoder
    /// output stays absent). Builders add each field once, so this appends without searching (it runs
    /// for every field of every event); use the subscript to replace a value.
    public mutating func set(_ id: FieldID, _ value: FieldValue?) {
        guard let value else { return }
        assert(!fields.contains(where: { $0.id == id }), "field \(id) set twice")
        fields.append(Field(id: id, value: value))
    }

    public mutating func set(_ id: FieldID, _ value: String?) { set(id, value.map(FieldValue.string)) }
}

/// Where event builders put fields, in order: an `Event` (which rules and the store read), or an
/// output that writes each field as it comes (`vigil analyze` without rules). A nil value adds nothing.
public protocol EventFieldSink {
    mutating func set(_ id: FieldID, _ value: FieldValue?)
    mutating func set(_ id: FieldID, _ value: String?)
    /// Sets a text given as bytes (a body prefix) if it is ASCII text — no byte from 0x80 on, no
    /// control byte but tab, LF and CR — and returns true; otherwise sets nothing and returns false.
    /// A sink that writes bytes checks and writes in one pass, and makes no `String`.
    mutating func set(_ id: FieldID, asciiText text: UnsafeBufferPointer<UInt8>) -> Bool
    /// Sets a value from a fixed vocabulary Vigil itself writes (`tcp`, `ipv4`, `NXDOMAIN`, a
    /// connection's state and history), never text taken from traffic or a log: there is nothing
    /// in it for Inspect to find, so a sink that inspects text writes it as it is.
    mutating func set(_ id: FieldID, vocabulary value: FieldValue?)
    mutating func set(_ id: FieldID, vocabulary value: String?)
}

extension EventFieldSink {
    public mutating func set(_ id: FieldID, vocabulary value: FieldValue?) { set(id, value) }

    public mutating func set(_ id: FieldID, vocabulary value: String?) { set(id, value) }

    public mutating func set(_ id: FieldID, asciiText text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard ByteScan.isText(text, asciiOnly: true) else { return false }
        set(id, String(decoding: text, as: UTF8.self))
        return true
    }
}

extension EventFieldSink {
    /// Sets a short text held inline (a flow's uid, Community ID or history), with no `String` made
    /// when the sink writes bytes.
    @inlinable
    public mutating func set(_ id: FieldID, _ text: InlineText) {
        let written = text.withUTF8 { set(id, asciiText: $0) }
        if !written { set(id, text.string) }
    }
}

extension Event: EventFieldSink {}

/// The kind of an event: `network.flow`, `dns`, `http`, `tls`, `ssh`, and the log datasets.
public struct Dataset: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }
    public static func < (lhs: Dataset, rhs: Dataset) -> Bool { lhs.name < rhs.name }

    public static let flow = Dataset("network.flow")
    public static let dns = Dataset("dns")
    public static let http = Dataset("http")
    public static let tls = Dataset("tls")
    public static let ssh = Dataset("ssh")
    public static let webAccess = Dataset("web.access")
    public static let auth = Dataset("auth")
    public static let audit = Dataset("audit")
    public static let dbStatement = Dataset("db.statement")
    public static let apiAccess = Dataset("api.access")
    /// A log line no decoder could read, kept raw (and masked by Inspect) in `event.original`.
    public static let logUnparsed = Dataset("log.unparsed")
}

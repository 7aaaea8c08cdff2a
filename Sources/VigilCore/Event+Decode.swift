import Synchronization

// The inverse of `Event+JSON`: one NDJSON line (as a sensor ships it to the correlator) back to an
// `Event`, with the value types the encoder had. EventDecodeLimits and EventDecodeError live here
// with the decoder they bound and report for.

/// Bounds on one event line, so a hostile or broken sensor costs at most a rejected line: exceeding
/// any of them is an `EventDecodeError`, never a crash or an unbounded allocation. Defaults are the
/// ingest contract's (deploy/schema/ingest.md).
public struct EventDecodeLimits: Sendable, Equatable {
    /// Hard ceiling on `maxDepth`: the parser recurses once per level, and this keeps the stack small
    /// on any thread.
    public static let depthCeiling = 256

    /// Longest accepted line in bytes (`too_large`).
    public var maxLineBytes: Int
    /// Deepest accepted nesting, the event object itself being level 1 (`too_deep`); clamped to
    /// 1...`depthCeiling`.
    public var maxDepth: Int
    /// Most top-level keys, the core ones included (`too_many_fields`).
    public var maxFields: Int
    /// A key no event has used before is interned as a `FieldID`, and that table is process-wide and
    /// append-only (at most 65 535 names). Once it holds this many names, lines bringing yet another
    /// new key are rejected (`bad_field`) rather than letting a sensor exhaust it.
    public var maxFieldNames: Int

    public init(maxLineBytes: Int = 1 << 20, maxDepth: Int = 16, maxFields: Int = 1000, maxFieldNames: Int = 16_384) {
        self.maxLineBytes = maxLineBytes
        self.maxDepth = maxDepth
        self.maxFields = maxFields
        self.maxFieldNames = maxFieldNames
    }
}

/// Why a line is not a valid Vigil event: a bounded `reason` (a metric label, and the ingest
/// response's `reason`), the top-level key involved when there is one, the byte offset in the line,
/// and a message naming both.
public struct EventDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ingest contract's line reason codes (deploy/schema/ingest.md), minus `observer_mismatch`,
    /// which the ingest decides.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case notJSON = "not_json"
            case notObject = "not_object"
            case missingTimestamp = "missing_timestamp"
            case badTimestamp = "bad_timestamp"
            case missingID = "missing_id"
            case missingDataset = "missing_dataset"
            case badField = "bad_field"
            case tooDeep = "too_deep"
            case tooLarge = "too_large"
            case tooManyFields = "too_many_fields"
        }

        private let base: Base
        public var description: String { base.rawValue }

        /// Not JSON: syntax, invalid UTF-8, control characters, bad escapes, trailing data.
        public static let notJSON = Reason(base: .notJSON)
        /// JSON, but not an object.
        public static let notObject = Reason(base: .notObject)
        public static let missingTimestamp = Reason(base: .missingTimestamp)
        /// `@timestamp` is not an RFC 3339 time from year 0000 to 9999.
        public static let badTimestamp = Reason(base: .badTimestamp)
        /// `event.id` absent, null or empty.
        public static let missingID = Reason(base: .missingID)
        /// `event.dataset` absent, null or empty.
        public static let missingDataset = Reason(base: .missingDataset)
        /// A value of the wrong type (a non-address in `source.ip`, an integer beyond 64 bits), or a
        /// duplicate key.
        public static let badField = Reason(base: .badField)
        public static let tooDeep = Reason(base: .tooDeep)
        public static let tooLarge = Reason(base: .tooLarge)
        public static let tooManyFields = Reason(base: .tooManyFields)
    }

    public let reason: Reason
    /// The top-level key being read when it failed (cut to 64 characters), if any.
    public let key: String?
    /// Byte offset in the line of the token at fault.
    public let offset: Int?
    public let message: String

    init(_ reason: Reason, key: String? = nil, offset: Int? = nil, _ problem: String) {
        self.reason = reason
        let key = key.map { $0.count <= 64 ? $0 : $0.prefix(64) + "…" }
        self.key = key
        self.offset = offset
        var message = key.map { "\($0): \(problem)" } ?? problem
        if let offset { message += " (byte \(offset))" }
        self.message = message
    }

    public var description: String { message }
}

extension Event {
    /// Parses one event line as `jsonLine` writes it (no trailing newline needed; surrounding JSON
    /// whitespace, a final `\r` included, is allowed).
    ///
    /// `@timestamp` (RFC 3339, normalised to UTC microseconds), `event.id` and `event.dataset` are
    /// required, `observer.id` optional; the dataset may be any name (the schemas and the ingest
    /// decide which are welcome). Values keep their JSON type: integers `.int`, numbers with a
    /// fraction or exponent `.double`, booleans, strings, arrays `.list`, objects `.object` (members
    /// in order). The address fields `source.ip`, `destination.ip`, `client.ip`, `server.ip`,
    /// `host.ip`, `dns.resolved_ip` and `related.ip` become `.ip` (a string, or each string of an
    /// array) and the time fields `event.start`, `event.end`, `event.created`, `event.ingested`
    /// `.time`, as the encoder wrote them; any other type there is `bad_field`. A JSON `null` means
    /// no value and is dropped (a field, an array element, an object member), as Elasticsearch does.
    /// Integers beyond Int64 and numbers beyond Double are `bad_field`, never rounded; `-0` is
    /// `.int(0)`. Duplicate keys, at any level, are `bad_field`.
    public init(jsonLine: some Collection<UInt8>, limits: EventDecodeLimits = .init()) throws(EventDecodeError) {
        let count = jsonLine.count
        guard count <= limits.maxLineBytes else {
            throw EventDecodeError(.tooLarge, "line of \(count) bytes is over the \(limits.maxLineBytes)-byte limit")
        }
        let decoded =
            jsonLine.withContiguousStorageIfAvailable { bytes in
                Result { () throws(EventDecodeError) in try EventLineDecoder.decode(bytes, limits) }
            }
            ?? Array(jsonLine).withUnsafeBufferPointer { bytes in
                Result { () throws(EventDecodeError) in try EventLineDecoder.decode(bytes, limits) }
            }
        self = try decoded.get()
    }
}

/// What a top-level key is: one of the core fields the `Event` keeps apart, or an ordinary field whose
/// string values are addresses, times, or plain strings.
enum EventKeyRole: UInt8, Sendable {
    case field, ipField, timeField, timestamp, eventID, dataset, observerID
}

/// The line parser behind `Event.init(jsonLine:)`: one per line, over the line's bytes.
struct EventLineDecoder {
    /// Fields whose strings are IP addresses: every property of deploy/schema whose pattern is the IP
    /// pattern (a string, or the items of an array), plus ECS `related.ip`. EventDecodeTests checks
    /// this against the schemas.
    static let ipFields = [
        "source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "dns.resolved_ip", "related.ip",
    ]
    /// Fields whose strings are times (`@timestamp` aside): the schema properties with the time
    /// pattern, plus ECS `event.created` and `event.ingested`, which a correlator may add.
    static let timeFields = ["event.start", "event.end", "event.created", "event.ingested"]

    private var reader: JSONReader
    private let limits: EventDecodeLimits
    private var keys: FieldKeyTable
    /// Decoded content of the last string that had escapes.
    private var scratch: [UInt8] = []
    /// The top-level key whose value is being read, for error messages.
    private var current: FieldKeyTable.Entry?
    /// Its name; looked up only for a message (the core keys are interned under their names too).
    private var currentKey: String? { current?.id.name }

    private init(_ bytes: UnsafeBufferPointer<UInt8>, _ limits: EventDecodeLimits) {
        reader = JSONReader(bytes)
        var limits = limits
        limits.maxDepth = min(max(limits.maxDepth, 1), EventDecodeLimits.depthCeiling)
        self.limits = limits
        keys = FieldKeyTable.current
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ limits: EventDecodeLimits) throws(EventDecodeError)
        -> Event
    {
        var decoder = EventLineDecoder(bytes, limits)
        return try decoder.event()
    }

    // MARK: - The event object

    private mutating func event() throws(EventDecodeError) -> Event {
        reader.skipWhitespace()
        guard let first = reader.peek() else { throw EventDecodeError(.notJSON, offset: 0, "empty line") }
        guard first == UInt8(ascii: "{") else { try notAnObject() }
        _ = reader.consume(first)
        let capacity = min(limits.maxFields, reader.bytes.count / 24 + 4)
        var event = Event(timestamp: Timestamp(microseconds: 0), id: "", dataset: Dataset(""), capacity: capacity)
        var timestamp: Timestamp?
        var id: String?
        var dataset: String?
        var coreSeen: UInt8 = 0  // bit per core role
        var seen = SeenFields()
        var nullFields: [FieldID] = []
        var members = 0
        reader.skipWhitespace()
        if !reader.consume(UInt8(ascii: "}")) {
            while true {
                reader.skipWhitespace()
                current = nil
                let keyOffset = reader.position
                try keyStart()
                let span = try string()
                members += 1
                guard members <= limits.maxFields else {
                    throw EventDecodeError(
                        .tooManyFields, key: makeString(span), offset: keyOffset, "more than \(limits.maxFields) fields"
                    )
                }
                let entry = try lookUp(span, offset: keyOffset)
                current = entry
                reader.skipWhitespace()
                try punctuation(UInt8(ascii: ":"), "':' after the key")
                reader.skipWhitespace()
                let duplicate: Bool
                switch entry.role {
                case .field, .ipField, .timeField:
                    duplicate = !seen.insert(entry.id, fields: event.fields, nulls: nullFields)
                default:
                    let bit: UInt8 = 1 << entry.role.rawValue
                    duplicate = coreSeen & bit != 0
                    coreSeen |= bit
                }
                guard !duplicate else { throw badField(at: keyOffset, "duplicate key") }
                switch entry.role {
                case .timestamp: timestamp = try timestampValue()
                case .eventID: id = try coreString()
                case .dataset: dataset = try coreString()
                case .observerID: event.observerID = try coreString()
                case .field, .ipField, .timeField:
                    if let value = try value(entry.role, depth: 1) {
                        event.set(entry.id, value)
                    } else {
                        nullFields.append(entry.id)
                    }
                }
                reader.skipWhitespace()
                if reader.consume(UInt8(ascii: ",")) { continue }
                if reader.consume(UInt8(ascii: "}")) { break }
                current = nil
                throw syntax(.unexpected(what: "',' or '}' after a value"))
            }
        }
        current = nil
        reader.skipWhitespace()
        guard reader.isAtEnd else { throw syntax(.unexpected(what: "the end of the line after the object")) }
        guard let timestamp else { throw EventDecodeError(.missingTimestamp, "@timestamp is missing") }
        guard let id, !id.isEmpty else { throw EventDecodeError(.missingID, "event.id is missing or empty") }
        guard let dataset, !dataset.isEmpty else {
            throw EventDecodeError(.missingDataset, "event.dataset is missing or empty")
        }
        event.timestamp = timestamp
        event.id = id
        event.dataset = Dataset(dataset)
        return event
    }

    /// The line starts with something other than `{`: `not_object` if it is some other JSON value,
    /// else the syntax error.
    private mutating func notAnObject() throws(EventDecodeError) -> Never {
        let kind: String
        switch reader.peek() {
        case UInt8(ascii: "["): kind = "an array"
        case UInt8(ascii: "\""): kind = "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "a boolean"
        case UInt8(ascii: "n"): kind = "null"
        default: kind = "a number"
        }
        _ = try value(.field, depth: 0)
        reader.skipWhitespace()
        guard reader.isAtEnd else { throw syntax(.unexpected(what: "the end of the line after the value")) }
        throw EventDecodeError(.notObject, offset: 0, "the line is \(kind), not a JSON object")
    }

    /// `@timestamp`: an RFC 3339 string; null counts as missing.
    private mutating func timestampValue() throws(EventDecodeError) -> Timestamp? {
        let offset = reader.position
        switch reader.peek() {
        case UInt8(ascii: "\""):
            let span = try string()
            if let t = withBytes(span, { Timestamp(rfc3339: $0) }) { return t }
            throw EventDecodeError(
                .badTimestamp, key: currentKey, offset: offset,
                "\(quoted(span)) is not an RFC 3339 time between years 0000 and 9999")
        case UInt8(ascii: "n"):
            _ = try literal()
            return nil
        default:
            try skipInvalidValue()
            throw EventDecodeError(.badTimestamp, key: currentKey, offset: offset, "expected a string")
        }
    }

    /// `event.id`, `event.dataset`, `observer.id`: a string, or null for absent.
    private mutating func coreString() throws(EventDecodeError) -> String? {
        let offset = reader.position
        switch reader.peek() {
        case UInt8(ascii: "\""):
            // Read first: `makeString(try string())` would bind `self` (and its scratch) before the read.
            let span = try string()
            return makeString(span)
        case UInt8(ascii: "n"):
            _ = try literal()
            return nil
        default:
            try skipInvalidValue()
            throw badField(at: offset, "expected a string")
        }
    }

    /// Parses a value of the wrong type only to report a syntax error first, if it has one.
    private mutating func skipInvalidValue() throws(EventDecodeError) {
        _ = try value(.field, depth: 1)
    }

    // MARK: - Values

    /// The value at the current position; nil for `null`. `role` types the strings in it: in an
    /// address or time field, strings (also in arrays) must parse as such, and numbers, booleans and
    /// objects are `bad_field`.
    private mutating func value(_ role: EventKeyRole, depth: Int) throws(EventDecodeError) -> FieldValue? {
        guard let b = reader.peek() else { throw syntax(.unexpectedEnd) }
        let offset = reader.position
        switch b {
        case UInt8(ascii: "\""):
            let span = try string()
            switch role {
            case .ipField:
                if let ip = withBytes(span, { IPAddress(jsonText: $0) }) { return .ip(ip) }
                throw badField(at: offset, "\(quoted(span)) is not an IP address")
            case .timeField:
                if let t = withBytes(span, { Timestamp(rfc3339: $0) }) { return .time(t) }
                throw badField(at: offset, "\(quoted(span)) is not an RFC 3339 time between years 0000 and 9999")
            default:
                return .string(makeString(span))
            }
        case UInt8(ascii: "["):
            return .list(try array(role, depth: depth + 1))
        case UInt8(ascii: "{"):
            let members = try object(depth: depth + 1)
            guard role == .field else { throw wrongType(role, at: offset) }
            return .object(members)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            guard let flag = try literal() else { return nil }
            guard role == .field else { throw wrongType(role, at: offset) }
            return .bool(flag)
        default:
            let number: JSONReader.Number
            do throws(JSONReader.Error) {
                number = try reader.readNumber()
            } catch {
                if error.problem == .numberOutOfRange { throw badField(at: error.offset, error.problem.text) }
                if error.problem == .badNumber, error.offset == offset {
                    throw syntax(JSONReader.Error(problem: .unexpected(what: "a value"), offset: offset))
                }
                throw syntax(error)
            }
            guard role == .field else { throw wrongType(role, at: offset) }
            switch number {
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            }
        }
    }

    private func wrongType(_ role: EventKeyRole, at offset: Int) -> EventDecodeError {
        badField(at: offset, role == .ipField ? "expected an IP address string" : "expected an RFC 3339 time string")
    }

    private mutating func array(_ role: EventKeyRole, depth: Int) throws(EventDecodeError) -> [FieldValue] {
        try checkDepth(depth)
        _ = reader.consume(UInt8(ascii: "["))
        var items: [FieldValue] = []
        reader.skipWhitespace()
        if reader.consume(UInt8(ascii: "]")) { return items }
        while true {
            reader.skipWhitespace()
            if let item = try value(role, depth: depth) { items.append(item) }
            reader.skipWhitespace()
            if reader.consume(UInt8(ascii: ",")) { continue }
            if reader.consume(UInt8(ascii: "]")) { return items }
            throw syntax(.unexpected(what: "',' or ']' in an array"))
        }
    }

    /// A nested object. Members keep their order; duplicate keys are compared by their bytes (Swift
    /// string equality would merge canonically equivalent but different keys).
    private mutating func object(depth: Int) throws(EventDecodeError) -> [FieldValue.Member] {
        try checkDepth(depth)
        _ = reader.consume(UInt8(ascii: "{"))
        var members: [FieldValue.Member] = []
        var nullKeys: [String] = []
        // Past a handful of keys, duplicates are found by hashing: a large object must not cost n².
        var keySet: Set<[UInt8]>?
        reader.skipWhitespace()
        if reader.consume(UInt8(ascii: "}")) { return members }
        while true {
            reader.skipWhitespace()
            let keyOffset = reader.position
            try keyStart()
            let span = try string()
            let isDuplicate = withBytes(span) { (key: UnsafeBufferPointer<UInt8>) -> Bool in
                if keySet == nil, members.count + nullKeys.count >= 16 {
                    keySet = Set((members.map(\.key) + nullKeys).map { Array($0.utf8) })
                }
                if keySet != nil { return !keySet!.insert(Array(key)).inserted }
                func same(_ s: String) -> Bool { s.utf8.count == key.count && s.utf8.elementsEqual(key) }
                return members.contains { same($0.key) } || nullKeys.contains(where: same)
            }
            guard !isDuplicate else { throw badField(at: keyOffset, "duplicate key \(quoted(span)) in an object") }
            let key = makeString(span)
            reader.skipWhitespace()
            try punctuation(UInt8(ascii: ":"), "':' after the key")
            reader.skipWhitespace()
            if let item = try value(.field, depth: depth) {
                members.append(FieldValue.Member(key, item))
            } else {
                nullKeys.append(key)
            }
            reader.skipWhitespace()
            if reader.consume(UInt8(ascii: ",")) { continue }
            if reader.consume(UInt8(ascii: "}")) { return members }
            throw syntax(.unexpected(what: "',' or '}' in an object"))
        }
    }

    private func checkDepth(_ depth: Int) throws(EventDecodeError) {
        guard depth <= limits.maxDepth else {
            throw EventDecodeError(
                .tooDeep, key: currentKey, offset: reader.position, "nested deeper than \(limits.maxDepth) levels")
        }
    }

    // MARK: - Keys

    /// The role and field id of a top-level key; a key never seen in this process is interned.
    private mutating func lookUp(_ span: JSONReader.StringSpan, offset: Int) throws(EventDecodeError)
        -> FieldKeyTable.Entry
    {
        let limit = limits.maxFieldNames
        let (entry, table) = withBytes(span) { key -> (FieldKeyTable.Entry?, FieldKeyTable?) in
            let hash = FieldKeyTable.hash(key)
            if let hit = keys.find(key, hash: hash) { return (hit, nil) }
            return FieldKeyTable.intern(key, hash: hash, maxNames: limit)
        }
        if let table { keys = table }
        guard let entry else {
            throw EventDecodeError(
                .badField, key: makeString(span), offset: offset,
                "a new field name, and the process already knows \(limit) (EventDecodeLimits.maxFieldNames)")
        }
        return entry
    }

    // MARK: - Tokens

    private mutating func string() throws(EventDecodeError) -> JSONReader.StringSpan {
        do throws(JSONReader.Error) {
            return try reader.readString(scratch: &scratch)
        } catch {
            throw syntax(error)
        }
    }

    private func keyStart() throws(EventDecodeError) {
        guard reader.peek() != UInt8(ascii: "\"") else { return }
        throw syntax(reader.isAtEnd ? .unexpectedEnd : .unexpected(what: "a key"))
    }

    private mutating func literal() throws(EventDecodeError) -> Bool? {
        do throws(JSONReader.Error) {
            return try reader.readLiteral()
        } catch {
            throw syntax(error)
        }
    }

    private mutating func punctuation(_ byte: UInt8, _ what: StaticString) throws(EventDecodeError) {
        do throws(JSONReader.Error) {
            try reader.expect(byte, what)
        } catch {
            throw syntax(error)
        }
    }

    /// Calls `body` with a string's decoded bytes, wherever they are.
    private func withBytes<R>(_ span: JSONReader.StringSpan, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if span.escaped {
            return scratch.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[span.start..<span.end])) }
        }
        return body(UnsafeBufferPointer(rebasing: reader.bytes[span.start..<span.end]))
    }

    private func makeString(_ span: JSONReader.StringSpan) -> String {
        withBytes(span) { String(decoding: $0, as: UTF8.self) }
    }

    /// A string for a message: JSON-quoted (so control characters stay visible), cut at 64 bytes.
    private func quoted(_ span: JSONReader.StringSpan) -> String {
        withBytes(span) { bytes in
            var end = min(bytes.count, 64)
            while end < bytes.count, end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            var w = JSONWriter()
            w.appendEscaped(UnsafeBufferPointer(rebasing: bytes[0..<end]))
            if end < bytes.count {
                w.truncate(to: w.byteCount - 1)
                w.raw("…\"")
            }
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }

    // MARK: - Errors

    private func syntax(_ problem: JSONReader.Error.Problem) -> EventDecodeError {
        syntax(JSONReader.Error(problem: problem, offset: reader.position))
    }

    private func syntax(_ error: JSONReader.Error) -> EventDecodeError {
        EventDecodeError(
            .notJSON, key: currentKey, offset: error.offset,
            currentKey == nil ? "not JSON: \(error.problem.text)" : "not JSON in the value: \(error.problem.text)")
    }

    private func badField(at offset: Int, _ problem: String) -> EventDecodeError {
        EventDecodeError(.badField, key: currentKey, offset: offset, problem)
    }
}

/// Which top-level field ids an event already has: a 256-bit filter on the id, and a scan of the
/// fields only when the filter says maybe. Past 64 fields it switches to an exact bitmap of every id,
/// so a line of a thousand fields stays linear.
private struct SeenFields {
    private var filter: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var exact: [UInt64]?
    private var count = 0

    /// Records `id`; false if the event already had it (in `fields`, or as a null in `nulls`).
    mutating func insert(_ id: FieldID, fields: [Event.Field], nulls: [FieldID]) -> Bool {
        let raw = Int(id.rawValue)
        if exact == nil, count >= 64 {
            var bits = [UInt64](repeating: 0, count: (Int(UInt16.max) + 1) / 64)
            for known in fields.lazy.map(\.id.rawValue) + nulls.map(\.rawValue) {
                bits[Int(known) >> 6] |= 1 << UInt64(known & 63)
            }
            exact = bits
        }
        count += 1
        if exact != nil {
            let mask: UInt64 = 1 << UInt64(raw & 63)
            if exact![raw >> 6] & mask != 0 { return false }
            exact![raw >> 6] |= mask
            return true
        }
        let mask: UInt64 = 1 << UInt64(raw & 63)
        let wasSet: Bool
        switch (raw >> 6) & 3 {
        case 0: (wasSet, filter.0) = (filter.0 & mask != 0, filter.0 | mask)
        case 1: (wasSet, filter.1) = (filter.1 & mask != 0, filter.1 | mask)
        case 2: (wasSet, filter.2) = (filter.2 & mask != 0, filter.2 | mask)
        default: (wasSet, filter.3) = (filter.3 & mask != 0, filter.3 | mask)
        }
        if wasSet, fields.contains(where: { $0.id == id }) || nulls.contains(id) { return false }
        return true
    }
}

/// Top-level keys already resolved, by their UTF-8 bytes, with their role: the hot path looks a key
/// up without building a String or taking the `FieldRegistry` lock. A table is immutable; each line
/// takes the mutex once to get the current one. A key it lacks is resolved under the mutex (interned,
/// kept in `pending`), and once the pending keys reach half the table a new table with all of them is
/// published, so building tables costs O(1) per key overall even when a sensor floods new names.
final class FieldKeyTable: Sendable {
    struct Entry: Sendable {
        let id: FieldID
        let role: EventKeyRole
    }

    private struct Stored: Sendable {
        let start: Int
        let count: Int
        let hash: UInt32
        let entry: Entry
    }

    private struct Shared: Sendable {
        var table: FieldKeyTable
        var pending: [[UInt8]: Entry] = [:]
        /// The registry's JSON keys (`"name":`) when it last had to be searched, and how many it had.
        var registered: Set<[UInt8]> = []
        var registeredCount = 0

        /// Whether the registry already has `key` (so resolving it adds nothing), checked only at the
        /// cap: the set is rebuilt only when the registry has grown since.
        mutating func isRegistered(_ key: UnsafeBufferPointer<UInt8>, in keys: [[UInt8]]) -> Bool {
            if keys.count != registeredCount {
                registered = Set(keys)
                registeredCount = keys.count
            }
            var w = JSONWriter()
            w.appendEscaped(key)
            w.byte(UInt8(ascii: ":"))
            return registered.contains(w.bytes)
        }
    }

    /// The keys, back to back; `stored` points into it.
    private let keyBytes: [UInt8]
    private let stored: [Stored]
    /// Open addressing, linear probing: index into `stored`, or -1. At most half full.
    private let slots: [Int32]

    private static let shared = Mutex(Shared(table: seeded()))

    static var current: FieldKeyTable { shared.withLock { $0.table } }

    private init(_ keys: [([UInt8], Entry)]) {
        var keyBytes: [UInt8] = []
        var stored: [Stored] = []
        stored.reserveCapacity(keys.count)
        for (key, entry) in keys {
            let hash = key.withUnsafeBufferPointer { Self.hash($0) }
            stored.append(Stored(start: keyBytes.count, count: key.count, hash: hash, entry: entry))
            keyBytes += key
        }
        var size = 64
        while size < stored.count * 2 { size *= 2 }
        var slots = [Int32](repeating: -1, count: size)
        for (i, s) in stored.enumerated() {
            var slot = Int(s.hash) & (size - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(i)
        }
        self.keyBytes = keyBytes
        self.stored = stored
        self.slots = slots
    }

    /// The core keys and the typed fields: every other key is a plain field.
    private static func seeded() -> FieldKeyTable {
        var names: [(String, EventKeyRole)] = [
            ("@timestamp", .timestamp), ("event.id", .eventID), ("event.dataset", .dataset),
            ("observer.id", .observerID),
        ]
        names += EventLineDecoder.ipFields.map { ($0, .ipField) }
        names += EventLineDecoder.timeFields.map { ($0, .timeField) }
        return FieldKeyTable(names.map { (Array($0.utf8), Entry(id: FieldID($0), role: $1)) })
    }

    /// A multiply-xorshift hash eight bytes at a time: it runs for every key of every line.
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let h = ByteScan.hashWords(UnsafeRawBufferPointer(key), seed: 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count))
        return UInt32(truncatingIfNeeded: h)
    }

    func find(_ key: UnsafeBufferPointer<UInt8>, hash: UInt32) -> Entry? {
        keyBytes.withUnsafeBufferPointer { keyBytes in
            let mask = slots.count - 1
            var slot = Int(hash) & mask
            while true {
                let index = slots[slot]
                if index < 0 { return nil }
                let s = stored[Int(index)]
                if s.hash == hash, s.count == key.count,
                    Self.equal(UnsafeBufferPointer(rebasing: keyBytes[s.start..<(s.start + s.count)]), key)
                {
                    return s.entry
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Byte equality of two buffers of the same length, eight bytes at a time.
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return a.count == b.count }
        let ra = UnsafeRawPointer(pa)
        let rb = UnsafeRawPointer(pb)
        var i = 0
        while i + 8 <= a.count {
            guard
                ra.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    == rb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            else { return false }
            i += 8
        }
        while i < a.count {
            guard a[i] == b[i] else { return false }
            i += 1
        }
        return true
    }

    /// Resolves a key the caller's table lacks: another line may have added it already, else it is
    /// interned, unless that would add a name to a registry that already has `maxNames`. Returns the
    /// entry (nil when refused) and the current table.
    static func intern(_ key: UnsafeBufferPointer<UInt8>, hash: UInt32, maxNames: Int) -> (Entry?, FieldKeyTable) {
        shared.withLock { state in
            if let hit = state.table.find(key, hash: hash) { return (hit, state.table) }
            let bytes = Array(key)
            if let hit = state.pending[bytes] { return (hit, state.table) }
            let registered = FieldRegistry.shared.allJSONKeys()
            if registered.count >= maxNames, !state.isRegistered(key, in: registered) { return (nil, state.table) }
            let entry = Entry(id: FieldID(String(decoding: key, as: UTF8.self)), role: .field)
            state.pending[bytes] = entry
            if state.pending.count >= max(8, state.table.stored.count / 2) {
                let old = state.table
                let all = old.stored.map { (Array(old.keyBytes[$0.start..<($0.start + $0.count)]), $0.entry) }
                state.table = FieldKeyTable(all + state.pending.map { ($0.key, $0.value) })
                state.pending = [:]
            }
            return (entry, state.table)
        }
    }
}

// MARK: - Typed strings

extension Timestamp {
    /// Parses an RFC 3339 date-time (`T` or `t`, fraction of any length, `Z`, `z` or a `±hh:mm` offset)
    /// from year 0000 to 9999 UTC, the range `appendISO8601` writes. Digits past microseconds are
    /// truncated. No leap seconds (`:60`): a Timestamp cannot hold one.
    init?(rfc3339 b: UnsafeBufferPointer<UInt8>) {
        let n = b.count
        guard n >= 20 else { return nil }
        func number(_ at: Int, _ width: Int) -> Int64? {
            var v: Int64 = 0
            for i in at..<(at + width) {
                let d = b[i] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int64(d)
            }
            return v
        }
        guard let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"),
            let day = number(8, 2), b[10] | 0x20 == UInt8(ascii: "t"), let hour = number(11, 2),
            b[13] == UInt8(ascii: ":"), let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
            let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var p = 19
        var micros: Int64 = 0
        if b[p] == UInt8(ascii: ".") {
            p += 1
            let digitsStart = p
            while p < n, JSONReader.isDigit(b[p]) {
                if p - digitsStart < 6 { micros = micros * 10 + Int64(b[p] - 0x30) }
                p += 1
            }
            guard p > digitsStart else { return nil }
            for _ in min(p - digitsStart, 6)..<6 { micros *= 10 }
        }
        guard p < n else { return nil }
        var offsetSeconds: Int64 = 0
        if b[p] | 0x20 == UInt8(ascii: "z") {
            p += 1
        } else if b[p] == UInt8(ascii: "+") || b[p] == UInt8(ascii: "-") {
            guard p + 6 == n, let oh = number(p + 1, 2), b[p + 3] == UInt8(ascii: ":"), let om = number(p + 4, 2),
                oh < 24, om < 60
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[p] == UInt8(ascii: "-") ? -1 : 1)
            p += 6
        }
        guard p == n else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        let value = ((days * 86_400 + hour * 3600 + minute * 60 + second) - offsetSeconds) * 1_000_000 + micros
        guard (Self.minimumRFC3339...Self.maximumRFC3339).contains(value) else { return nil }
        self.init(microseconds: value)
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: the four-digit years the encoder writes.
    static let minimumRFC3339 = days(fromCivil: 0, 1, 1) * 86_400_000_000
    static let maximumRFC3339 = (days(fromCivil: 9999, 12, 31) + 1) * 86_400_000_000 - 1

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension IPAddress {
    /// An address as the encoder writes it: a dotted quad (no leading zeros, no signs), or IPv6 text
    /// (hex digits, colons, an IPv4 tail; any case and compression, normalised on output).
    init?(jsonText b: UnsafeBufferPointer<UInt8>) {
        var v4: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        var isV4 = true
        for c in b {
            if JSONReader.isDigit(c) {
                guard digits < 3, !(digits == 1 && octet == 0) else { isV4 = false; break }
                octet = octet * 10 + UInt32(c - 0x30)
                digits += 1
            } else if c == UInt8(ascii: "."), digits > 0, octet <= 255, dots < 3 {
                v4 = v4 << 8 | octet
                (octet, digits, dots) = (0, 0, dots + 1)
            } else {
                isV4 = false
                break
            }
        }
        if isV4, dots == 3, digits > 0, octet <= 255 {
            self.init(v4: v4 << 8 | octet)
            return
        }
        guard b.count <= 45, b.contains(UInt8(ascii: ":")),
            b.allSatisfy({ JSONReader.isDigit($0) || (0x61...0x66).contains($0 | 0x20) || $0 == 0x3A || $0 == 0x2E }),
            let parsed = IPAddress(String(decoding: b, as: UTF8.self)), parsed.isV6
        else { return nil }
        self = parsed
    }
}

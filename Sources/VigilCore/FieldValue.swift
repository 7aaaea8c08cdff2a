/// A typed event field value. Values are what decoders saw, already normalised (IPs parsed,
/// times in microseconds); rendering to JSON is `Event+JSON`.
public enum FieldValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case ip(IPAddress)
    case time(Timestamp)
    case list([FieldValue])
    /// An ordered object (ECS arrays of objects such as `dns.answers`, maps such as `dlp.counts`).
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: FieldValue
        public init(_ key: String, _ value: FieldValue) {
            self.key = key
            self.value = value
        }
    }

    @inlinable public static func integer(_ value: some BinaryInteger) -> FieldValue { .int(Int64(value)) }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }
}

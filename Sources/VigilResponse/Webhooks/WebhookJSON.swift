import VigilCore

/// A JSON value with its object keys in the order written, so a message body is the same bytes on
/// every attempt and reads in the vendor's documented order. Strings go out as UTF-8, unescaped
/// beyond what JSON requires, so Chinese text stays readable on the wire.
package indirect enum WebhookJSON: Sendable, ExpressibleByStringLiteral {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case array([WebhookJSON])
    case object([(String, WebhookJSON)])

    package init(stringLiteral value: String) { self = .string(value) }

    /// The encoded bytes.
    package var bytes: [UInt8] {
        var writer = JSONWriter(capacity: 512)
        write(to: &writer)
        return writer.bytes
    }

    private func write(to w: inout JSONWriter) {
        switch self {
        case .string(let s): w.string(s)
        case .int(let v): w.int(v)
        case .bool(let b): b ? w.raw("true") : w.raw("false")
        case .array(let values):
            w.byte(UInt8(ascii: "["))
            for (i, v) in values.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                v.write(to: &w)
            }
            w.byte(UInt8(ascii: "]"))
        case .object(let members):
            w.byte(UInt8(ascii: "{"))
            for (i, (key, v)) in members.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(key)
                w.byte(UInt8(ascii: ":"))
                v.write(to: &w)
            }
            w.byte(UInt8(ascii: "}"))
        }
    }
}

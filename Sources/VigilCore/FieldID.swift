import Synchronization

/// An interned event field name (an ECS dotted name such as `source.ip`).
///
/// Field ids are small integers so events can store and compare them cheaply; the name table is
/// process-wide and append-only, so an id never changes meaning while the process runs. Ids are not
/// stable across processes: anything persisted or shipped uses the name.
public struct FieldID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    /// Interns `name`, returning the same id for the same name every time.
    public init(_ name: String) {
        rawValue = FieldRegistry.shared.intern(name)
    }

    /// One of `Fields`' numbered fields (the registry interns their names first, in order).
    @inlinable
    init(builtin: UInt16) { rawValue = builtin }

    public var name: String { FieldRegistry.shared.name(of: rawValue) }
    /// The name already escaped and quoted as a JSON object key, followed by a colon.
    package var jsonKey: [UInt8] { FieldRegistry.shared.jsonKey(of: rawValue) }
    public var description: String { name }

    public static func < (lhs: FieldID, rhs: FieldID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The process-wide name table behind `FieldID`.
final class FieldRegistry: Sendable {
    static let shared = FieldRegistry()

    private struct Table {
        var ids: [String: UInt16] = [:]
        var names: [String] = []
        var keys: [[UInt8]] = []
    }

    private let table = Mutex(Table())

    init() {
        for name in Fields.builtinNames { _ = intern(name) }
    }

    func intern(_ name: String) -> UInt16 {
        table.withLock { table in
            if let id = table.ids[name] { return id }
            precondition(table.names.count < Int(UInt16.max), "too many distinct field names")
            let id = UInt16(table.names.count)
            table.ids[name] = id
            table.names.append(name)
            var key = JSONWriter()
            key.string(name)
            key.byte(UInt8(ascii: ":"))
            table.keys.append(key.bytes)
            return id
        }
    }

    func name(of id: UInt16) -> String { table.withLock { $0.names[Int(id)] } }
    func jsonKey(of id: UInt16) -> [UInt8] { table.withLock { $0.keys[Int(id)] } }
    func allJSONKeys() -> [[UInt8]] { table.withLock { $0.keys } }
}

import VigilCore

/// One compiled Sigma value of a detection item, tested against one event value.
enum ValueTest: Sendable {
    /// Text matching; several patterns are the alternatives of one value (`base64offset`).
    case text([StringPattern])
    /// A YAML number: numeric equality with numbers, textual equality with text.
    case number(NumberValue)
    case bool(Bool)
    /// `null`: the field is absent or empty.
    case null
    case compare(Comparison, Double)
    case cidr(CIDRNetwork)
    case regex(SigmaRegex)
    /// `fieldref`: the value of another field, compared as text.
    case fieldReference([FieldID], FieldReferenceMode, caseSensitive: Bool)

    enum Comparison: Sendable { case greater, greaterOrEqual, less, lessOrEqual }

    enum FieldReferenceMode: Sendable { case equal, prefix, suffix, contains }

    struct NumberValue: Sendable {
        var integer: Int64?
        var double: Double
        var text: StringPattern
    }

    /// Relative cost, so cheap tests of an AND run first.
    var cost: Int {
        switch self {
        case .null, .bool, .number, .compare, .cidr: 1
        case .text(let patterns): 2 * patterns.count
        case .fieldReference: 4
        case .regex: 8
        }
    }

    func holds(fields: [FieldID], in event: Event) -> Bool {
        for field in fields {
            let value = event.ruleValue(field)
            if case .null = self {
                if value == nil || value.map(Self.isEmpty) == true { return true }
                continue
            }
            if let value, matches(value, in: event) { return true }
        }
        return false
    }

    static func isEmpty(_ value: FieldValue) -> Bool {
        switch value {
        case .string(let text): text.isEmpty
        case .list(let items): items.isEmpty
        default: false
        }
    }

    /// Lists match when any element does; objects never match a value.
    func matches(_ value: FieldValue, in event: Event) -> Bool {
        switch value {
        case .list(let items):
            return items.contains { matches($0, in: event) }
        case .object:
            return false
        default:
            return matchesScalar(value, in: event)
        }
    }

    private func matchesScalar(_ value: FieldValue, in event: Event) -> Bool {
        switch self {
        case .null:
            return Self.isEmpty(value)
        case .text(let patterns):
            if case .ip(let address) = value, patterns.count == 1, let exact = patterns[0].exactAddress {
                return address == exact
            }
            return Self.withText(of: value) { text in patterns.contains { $0.matches(bytes: text) } }
        case .number(let number):
            switch value {
            case .int(let int):
                if let integer = number.integer { return int == integer }
                return Double(int) == number.double
            case .double(let double): return double == number.double
            case .string(let text): return number.text.matches(text)
            default: return false
            }
        case .bool(let expected):
            switch value {
            case .bool(let bool): return bool == expected
            case .string(let text): return Self.equalIgnoringASCIICase(text, expected ? "true" : "false")
            default: return false
            }
        case .compare(let comparison, let bound):
            let number: Double
            switch value {
            case .int(let int): number = Double(int)
            case .double(let double): number = double
            case .string(let text):
                guard let parsed = Double(text) else { return false }
                number = parsed
            default: return false
            }
            switch comparison {
            case .greater: return number > bound
            case .greaterOrEqual: return number >= bound
            case .less: return number < bound
            case .lessOrEqual: return number <= bound
            }
        case .cidr(let network):
            switch value {
            case .ip(let address): return network.contains(address)
            case .string(let text): return IPAddress(text).map(network.contains) ?? false
            default: return false
            }
        case .regex(let regex):
            if case .string(let text) = value { return regex.matches(text) }
            return Self.withText(of: value) { regex.matches(bytes: $0) }
        case .fieldReference(let fields, let mode, let caseSensitive):
            for field in fields {
                guard let other = event.ruleValue(field) else { continue }
                if Self.compareReference(value, other, mode: mode, caseSensitive: caseSensitive) { return true }
            }
            return false
        }
    }

    private static func compareReference(
        _ value: FieldValue, _ other: FieldValue, mode: FieldReferenceMode,
        caseSensitive: Bool
    ) -> Bool {
        if case .list(let items) = other {
            return items.contains { compareReference(value, $0, mode: mode, caseSensitive: caseSensitive) }
        }
        if mode == .equal {
            switch (value, other) {
            case (.int(let a), .int(let b)): return a == b
            case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
            case (.double(let a), .double(let b)): return a == b
            case (.ip(let a), .ip(let b)): return a == b
            default: break
            }
        }
        var needle = SigmaString(literal: text(of: other))
        switch mode {
        case .equal: break
        case .prefix: needle = needle.wrapped(leading: false, trailing: true)
        case .suffix: needle = needle.wrapped(leading: true, trailing: false)
        case .contains: needle = needle.wrapped(leading: true, trailing: true)
        }
        let pattern = StringPattern(needle, caseSensitive: caseSensitive)
        return withText(of: value) { pattern.matches(bytes: $0) }
    }

    /// Event values as Sigma compares them textually.
    static func text(of value: FieldValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let int): String(int)
        case .double(let double): String(double)
        case .bool(let bool): bool ? "true" : "false"
        case .ip(let address): address.description
        case .time(let time): time.description
        case .list, .object: ""
        }
    }

    /// Calls `body` with the UTF-8 text of a scalar value; strings and integers need no allocation.
    static func withText<R>(of value: FieldValue, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch value {
        case .string(let text):
            if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
            var copy = text
            return copy.withUTF8(body)
        case .int(let int):
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
                var magnitude = int.magnitude
                var index = buffer.count
                repeat {
                    index -= 1
                    buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                if int < 0 {
                    index -= 1
                    buffer[index] = UInt8(ascii: "-")
                }
                return body(UnsafeBufferPointer(rebasing: buffer[index...]))
            }
        default:
            var text = text(of: value)
            return text.withUTF8(body)
        }
    }

    static func equalIgnoringASCIICase(_ text: String, _ lowercase: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard text.utf8.count == expected.count else { return false }
        return zip(text.utf8, expected).allSatisfy { StringPattern.asciiLower($0) == $1 }
    }
}

/// An IPv4 or IPv6 network written as `address/prefix` (a bare address is a full-length prefix).
struct CIDRNetwork: Sendable, Equatable {
    let base: IPAddress
    let prefix: Int

    init?(_ text: String) {
        let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(pieces[0]) else { return nil }
        let width = address.isV6 ? 128 : 32
        if pieces.count == 2 {
            guard let prefix = Int(pieces[1]), (0...width).contains(prefix), !pieces[1].hasPrefix("+") else {
                return nil
            }
            self.prefix = prefix
        } else {
            self.prefix = width
        }
        base = Self.masked(address, prefix: prefix)
    }

    func contains(_ address: IPAddress) -> Bool {
        address.isV6 == base.isV6 && Self.masked(address, prefix: prefix) == base
    }

    private static func masked(_ address: IPAddress, prefix: Int) -> IPAddress {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? ~0 : ~0 << UInt64(64 - bits) }
        if address.isV6 {
            return IPAddress(v6High: address.high & mask(prefix), low: address.low & mask(prefix - 64))
        }
        let v4Mask = UInt32(truncatingIfNeeded: mask(prefix) >> 32)
        return IPAddress(v4: UInt32(truncatingIfNeeded: address.low) & v4Mask)
    }
}

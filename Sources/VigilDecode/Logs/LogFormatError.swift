/// A log format description a decoder cannot compile: an nginx `log_format` or PostgreSQL
/// `log_line_prefix` naming something unsupported, or a JSON mapping with a bad path (CONVENTIONS 9).
public struct LogFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case empty = "empty_format"
        case unknownVariable = "unknown_variable"
        case adjacentVariables = "adjacent_variables"
        case badMapping = "bad_mapping"
    }

    private let code: Code
    /// What is wrong and what to change, naming the offending variable or path.
    public let message: String

    /// A short stable name, usable as a metric label.
    public var name: String { code.rawValue }
    public var description: String { message }

    public static func empty(_ what: String) -> LogFormatError {
        LogFormatError(code: .empty, message: "\(what) is empty")
    }

    public static func unknownVariable(_ variable: String, in what: String) -> LogFormatError {
        LogFormatError(code: .unknownVariable, message: "\(what): unsupported variable \(variable)")
    }

    public static func adjacentVariables(_ first: String, _ second: String, in what: String) -> LogFormatError {
        LogFormatError(
            code: .adjacentVariables,
            message: "\(what): \(first) is followed directly by \(second); separate them with a literal")
    }

    public static func badMapping(_ detail: String) -> LogFormatError {
        LogFormatError(code: .badMapping, message: "JSON mapping: \(detail)")
    }
}

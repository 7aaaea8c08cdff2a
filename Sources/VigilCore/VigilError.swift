/// An error a user can act on: a bounded `code` usable as a metric label, and a message that names
/// the input and the problem (CONVENTIONS 9).
public struct VigilError: Error, Sendable, CustomStringConvertible, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case notACapture = "not_a_capture"
            case captureOpen = "capture_open"
            case badFilter = "bad_filter"
            case io = "io"
            case usage = "usage"
            case badCheckpoint = "bad_checkpoint"
            case badProfile = "bad_profile"
            case badLogFormat = "bad_log_format"
            case config = "config"
            case store = "store"
        }

        private let base: Base
        public var description: String { base.rawValue }

        public static let notACapture = Code(base: .notACapture)
        public static let captureOpen = Code(base: .captureOpen)
        public static let badFilter = Code(base: .badFilter)
        public static let io = Code(base: .io)
        public static let usage = Code(base: .usage)
        public static let badCheckpoint = Code(base: .badCheckpoint)
        public static let badProfile = Code(base: .badProfile)
        public static let badLogFormat = Code(base: .badLogFormat)
        /// A service's configuration (file, keys, TLS material).
        public static let config = Code(base: .config)
        /// The event store could not read or commit.
        public static let store = Code(base: .store)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

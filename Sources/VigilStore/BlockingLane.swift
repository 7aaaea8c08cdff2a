import Dispatch

/// Runs blocking work (SQLite commits with fsync) on one dedicated thread, never on the Swift
/// concurrency pool (DESIGN §1): the callers await, the pool stays free for connections.
public final class BlockingLane: Sendable {
    private let queue: DispatchQueue

    public init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

import VigilCore

/// Pairs DNS queries with responses by id, for one flow (UDP or TCP). Bounded: at most
/// `maxPending` unanswered queries are kept; older ones are reported unanswered.
public struct DNSTransactionMatcher: Sendable {
    public static let maxPending = 64
    var pending: [(id: UInt16, message: DNSMessage, time: Timestamp)] = []

    public init() {}

    public mutating func message(_ m: consuming DNSMessage, at time: Timestamp, into out: inout AppOutput) {
        if !m.isResponse {
            if pending.count >= Self.maxPending {
                let old = pending.remove(at: 0)
                out.records.append(.dns(DNSTransaction(query: old.message, queryTime: old.time)))
            }
            pending.append((m.id, m, time))
            return
        }
        if let index = pending.firstIndex(where: { $0.id == m.id }) {
            let q = pending.remove(at: index)
            out.records.append(
                .dns(DNSTransaction(query: q.message, queryTime: q.time, response: m, responseTime: time)))
        } else {
            out.records.append(.dns(DNSTransaction(response: m, responseTime: time)))
        }
    }

    public mutating func finish(into out: inout AppOutput) {
        for q in pending { out.records.append(.dns(DNSTransaction(query: q.message, queryTime: q.time))) }
        pending = []
    }

    /// Content-based detection: a message that parses completely and asks at least one question.
    public static func looksLikeDNS(_ p: UnsafeRawBufferPointer) -> DNSMessage? {
        guard let m = try? DNSMessage.parse(p), (1...4).contains(m.questionCount), m.opcode <= 5 else {
            return nil
        }
        return m
    }
}

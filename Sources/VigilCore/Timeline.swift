/// One change to a ticket (who, when, what, why), chained: each entry's hash covers its content and
/// the previous entry's hash, so editing, inserting or deleting an entry breaks every hash after it.
/// The chain is global (all tickets, in append order), and its head (latest sequence number and
/// hash) is also written outside the database, so deleting the newest entries shows too.
public struct TimelineEntry: Sendable, Equatable, Codable {
    /// 1, 2, 3, ... in append order.
    public var seq: Int64
    /// µs since 1970.
    public var time: Int64
    public var ticket: String
    /// A token's name and id, `local:<user>`, or `system`.
    public var actor: String
    /// e.g. `ticket.open`, `ticket.status`, `ticket.assign`, `ticket.step`, `ticket.note`.
    public var action: String
    /// JSON or text; never a secret.
    public var detail: String
    /// The previous entry's hash (64 zeros for the first).
    public var previousHash: String
    /// SHA-256 (hex) of the content and `previousHash`.
    public var hash: String

    public static let genesis = String(repeating: "0", count: 64)

    /// The entry that follows `previous` (nil: the first), with its hash.
    public init(
        after previous: TimelineEntry?, time: Int64, ticket: String, actor: String, action: String, detail: String
    ) {
        seq = (previous?.seq ?? 0) + 1
        (self.time, self.ticket, self.actor, self.action, self.detail) = (time, ticket, actor, action, detail)
        previousHash = previous?.hash ?? Self.genesis
        hash = ""
        hash = computedHash
    }

    /// An entry as stored (for verification: `hash` is taken as given).
    public init(
        seq: Int64, time: Int64, ticket: String, actor: String, action: String, detail: String, previousHash: String,
        hash: String
    ) {
        (self.seq, self.time, self.ticket, self.actor, self.action) = (seq, time, ticket, actor, action)
        (self.detail, self.previousHash, self.hash) = (detail, previousHash, hash)
    }

    /// The hash the content calls for. Fields are length-prefixed, so no choice of text in one
    /// field can imitate another split ("ab"+"c" and "a"+"bc" hash differently).
    public var computedHash: String {
        var text = "vigil-timeline-v1"
        for field in [previousHash, String(seq), String(time), ticket, actor, action, detail] {
            text += "\n\(field.utf8.count):" + field
        }
        return Digest.sha256.hex(text)
    }
}

/// The outcome of checking a timeline chain.
public enum TimelineCheck: Sendable, Equatable {
    /// Every entry is intact and the chain ends at the head recorded outside the database.
    case intact(entries: Int)
    /// The first problem, naming the entry.
    case broken(seq: Int64, problem: String)
}

extension TimelineEntry {
    /// Checks `entries` (in sequence order) and, when given, that the chain ends at `head` (the
    /// sequence number and hash recorded outside the database).
    public static func verify(_ entries: [TimelineEntry], head: (seq: Int64, hash: String)?) -> TimelineCheck {
        var previous: TimelineEntry?
        for entry in entries {
            let expectedSeq = (previous?.seq ?? 0) + 1
            if entry.seq != expectedSeq {
                return .broken(
                    seq: entry.seq,
                    problem:
                        "entry \(entry.seq) follows entry \(expectedSeq - 1): entries \(expectedSeq)…\(entry.seq - 1) are missing"
                )
            }
            if entry.previousHash != (previous?.hash ?? genesis) {
                return .broken(
                    seq: entry.seq,
                    problem: "entry \(entry.seq) does not chain to entry \(expectedSeq - 1): one of them was replaced")
            }
            if entry.hash != entry.computedHash {
                return .broken(
                    seq: entry.seq,
                    problem:
                        "entry \(entry.seq) (\(entry.action) on \(entry.ticket) by \(entry.actor)) was changed after it was written"
                )
            }
            previous = entry
        }
        if let head {
            let lastSeq = previous?.seq ?? 0
            if lastSeq < head.seq {
                return .broken(
                    seq: lastSeq + 1,
                    problem:
                        "the chain ends at entry \(lastSeq) but the head recorded outside the database is entry \(head.seq): the newest entries were deleted"
                )
            }
            if let match = entries.first(where: { $0.seq == head.seq }), match.hash != head.hash {
                return .broken(
                    seq: head.seq, problem: "entry \(head.seq) differs from the head recorded outside the database")
            }
        }
        return .intact(entries: entries.count)
    }
}

import Foundation
import VigilCore

/// The position after the last row of a page, as an opaque string: a kind letter (so an incident
/// cursor is not taken for an event cursor) and the row's sort key, base64url-encoded. Keyset
/// pagination: the next page is "rows after this key", not "skip N rows", so inserts between pages
/// never shift it.
struct PageCursor: Equatable {
    enum Kind: String { case events = "e", incidents = "i" }

    var kind: Kind
    /// The sort key: events (time, rowid); incidents (last_seen, id).
    var time: Int64
    var key: String

    func encoded() -> String {
        let raw = "\(kind.rawValue)\n\(time)\n\(key)"
        return Data(raw.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Throws `.usage` when `text` is not a cursor of this kind.
    init(decoding text: String, as kind: Kind) throws(VigilError) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let parts = Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }?
            .split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard text.count <= 512, let parts, parts.count == 3, parts[0] == kind.rawValue, let time = Int64(parts[1])
        else {
            throw VigilError(.usage, "'\(text.prefix(64))' is not a cursor from a previous page of this list")
        }
        self.init(kind: kind, time: time, key: String(parts[2]))
    }

    init(kind: Kind, time: Int64, key: String) { (self.kind, self.time, self.key) = (kind, time, key) }
}

import Foundation
import Testing
import VigilCore

@testable import VigilStore

@Suite("SQLite store: API tokens and the audit log")
struct EventStoreAccessTests {
    @Test("a token authenticates until revoked; its secret is nowhere in the database files, only its hash")
    func tokens() throws {
        let t = try TempStore()
        let store = try t.open()
        let (id, secret) = try store.createToken(name: "alice", role: .analyst, actor: "local:root")
        let other = try store.createToken(name: "bob", role: .viewer, actor: "local:root")
        #expect(secret.hasPrefix("vigil_") && secret.utf8.count == 6 + 64)
        #expect(secret != other.secret && id != other.id)
        let token = try #require(try store.authenticate(secret: secret))
        #expect(token.id == id && token.name == "alice" && token.role == .analyst && token.revoked == nil)
        #expect(try store.authenticate(secret: other.secret)?.role == .viewer)
        #expect(try store.authenticate(secret: secret + "0") == nil)
        #expect(try store.authenticate(secret: "") == nil)
        #expect(try store.authenticate(secret: String(repeating: "vigil_", count: 100)) == nil)

        let bytes = try t.fileBytes()
        for s in [secret, other.secret] {
            #expect(!contains(bytes, s), "the secret is never written")
            #expect(contains(bytes, SQLiteStore.secretHash(s)), "its hash is, so these are the files that hold tokens")
        }

        #expect(try store.revokeToken(id: id, actor: "local:root"))
        #expect(try !store.revokeToken(id: id, actor: "local:root"), "already revoked")
        #expect(try !store.revokeToken(id: "tok_missing", actor: "local:root"))
        #expect(try store.authenticate(secret: secret) == nil, "a revoked token is refused")
        #expect(try store.authenticate(secret: other.secret)?.id == other.id)
        let listed = try store.tokens()
        #expect(listed.map(\.name).sorted() == ["alice", "bob"])
        #expect(listed.first { $0.id == id }?.revoked != nil)
        let log = try store.auditLog(limit: 10, before: nil)
        #expect(log.map(\.action) == ["token.revoke", "token.create", "token.create"], "each change audited once")
        #expect(log.map(\.subject) == [id, other.id, id] && log.allSatisfy { $0.actor == "local:root" })
        #expect(log.allSatisfy { !$0.detail.contains("vigil_") }, "no secret in the audit log")
    }

    @Test("roles are ordered viewer < analyst < admin")
    func roles() {
        #expect(TokenRole.viewer < .analyst && TokenRole.analyst < .admin)
        #expect(TokenRole(rawValue: "root") == nil)
    }

    @Test("audit entries come back newest first, page by page, and cannot be changed or deleted")
    func audit() throws {
        let t = try TempStore()
        let store = try t.open()
        for n in 0..<12 {
            // Times deliberately out of order: the log's order is the order of appending.
            try store.audit(
                actor: "tok_\(n % 2)", action: "incident.status", subject: "i\(n)", detail: "{}", at: 100 - Int64(n))
        }
        try store.audit(actor: "system", action: "retention", subject: "events")
        let newest = try store.auditLog(limit: 5, before: nil)
        #expect(newest.map(\.subject) == ["events", "i11", "i10", "i9", "i8"])
        #expect(newest[1].time == 89 && newest[1].actor == "tok_1" && newest[1].action == "incident.status")
        let older = try store.auditLog(limit: 100, before: newest.last!.id)
        #expect(older.map(\.subject) == (0..<8).reversed().map { "i\($0)" })
        #expect(throws: (any Error).self) {
            try store.pool.write { try $0.execute(sql: "UPDATE audit_log SET actor = 'mallory'") }
        }
        #expect(throws: (any Error).self) { try store.pool.write { try $0.execute(sql: "DELETE FROM audit_log") } }
        #expect(try store.auditLog(limit: 100, before: nil).count == 13)
    }
}

func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
    let n = Array(needle.utf8)
    guard !n.isEmpty, haystack.count >= n.count else { return false }
    return haystack.withUnsafeBufferPointer { h in
        (0...(h.count - n.count)).contains { i in h[i] == n[0] && h[i..<(i + n.count)].elementsEqual(n) }
    }
}

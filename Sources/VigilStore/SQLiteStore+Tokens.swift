import GRDB
import VigilCore

extension SQLiteStore {
    /// Secrets look like `vigil_` + 64 hex digits (32 random bytes): the prefix lets secret scanners
    /// and log filters recognise a leaked one.
    static let secretPrefix = "vigil_"

    /// `count` bytes from the system CSPRNG (`getrandom(2)` on Linux, `arc4random` on Darwin).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The stored form of a secret. A fast hash (not bcrypt or scrypt) is enough: the secret is 256
    /// random bits, not a password, so guessing it from its hash is as hopeless as guessing it.
    static func secretHash(_ secret: String) -> String { Digest.sha256.hex(secret) }

    public func createToken(name: String, role: TokenRole, actor: String) throws(VigilError)
        -> (id: String, secret: String)
    {
        let id = "tok_" + Hex.encode(Self.randomBytes(8))
        let secret = Self.secretPrefix + Hex.encode(Self.randomBytes(32))
        let now = StoreClock.nowMicros()
        try write("cannot create token '\(name)'") { db in
            try db.execute(
                sql: "INSERT INTO api_tokens (id, name, role, secret_sha256, created) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, name, role.rawValue, Self.secretHash(secret), now])
            try Self.appendAudit(
                db, actor: actor, action: "token.create", subject: id,
                detail: Self.json(["name": name, "role": role.rawValue]), at: now)
        }
        return (id, secret)
    }

    /// Looks the token up by the hash of the presented secret, so no comparison of secrets happens
    /// and none needs to be constant-time: the index lookup's timing could at most tell how much of
    /// the hash of the caller's own guess matches a stored hash, and a hash says nothing usable
    /// about the 256-bit secret behind it.
    public func authenticate(secret: String) throws(VigilError) -> APIToken? {
        guard secret.hasPrefix(Self.secretPrefix), secret.utf8.count <= 256 else { return nil }
        return try read("cannot check an API token") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM api_tokens WHERE secret_sha256 = ? AND revoked IS NULL",
                arguments: [Self.secretHash(secret)]
            ).flatMap(Self.token(from:))
        }
    }

    public func revokeToken(id: String, actor: String) throws(VigilError) -> Bool {
        let now = StoreClock.nowMicros()
        return try write("cannot revoke token \(id)") { db in
            try db.execute(
                sql: "UPDATE api_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", arguments: [now, id])
            guard db.changesCount > 0 else { return false }
            try Self.appendAudit(db, actor: actor, action: "token.revoke", subject: id, detail: "", at: now)
            return true
        }
    }

    public func tokens() throws(VigilError) -> [APIToken] {
        try read("cannot list API tokens") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY created, id").compactMap(Self.token(from:))
        }
    }

    private static func token(from r: Row) -> APIToken? {
        guard let role = TokenRole(rawValue: r["role"]) else { return nil }
        return APIToken(id: r["id"], name: r["name"], role: role, created: r["created"], revoked: r["revoked"])
    }
}

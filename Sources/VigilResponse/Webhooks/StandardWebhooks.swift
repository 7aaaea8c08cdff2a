import VigilCore

/// Standard Webhooks 1.0 signing and verification (symmetric, `v1`), and the generic JSON event.
///
/// Source: https://www.standardwebhooks.com/ and `spec/standard-webhooks.md` in
/// github.com/standard-webhooks/standard-webhooks. The signed text is `{webhook-id}.{webhook-timestamp}.{body}`
/// with the timestamp in integer seconds; `webhook-signature` is a space-separated list of
/// `v1,<base64(HMAC-SHA256)>`, one per secret, so a receiver keeps working while keys rotate. The id
/// stays the same on every retry (an idempotency key); the timestamp is the attempt's, so a retry
/// is signed afresh and a captured request cannot be replayed after the tolerance.
public enum StandardWebhooks {
    public static let idHeader = "webhook-id"
    public static let timestampHeader = "webhook-timestamp"
    public static let signatureHeader = "webhook-signature"
    /// The replay window the spec suggests: five minutes either way.
    public static let defaultTolerance: Int64 = 300

    /// `v1,<base64>` for one key.
    public static func signature(
        key: StandardWebhookSecret, id: String, timestamp: Int64, body: [UInt8]
    ) -> String {
        "v1," + Base64.encode(mac(key: key, id: id, timestamp: timestamp, body: body))
    }

    /// The `webhook-signature` value: one `v1` signature per secret, in the order given.
    public static func signatures(
        secrets: [StandardWebhookSecret], id: String, timestamp: Int64, body: [UInt8]
    ) -> String {
        secrets.map { signature(key: $0, id: id, timestamp: timestamp, body: body) }.joined(separator: " ")
    }

    /// Checks a received request: all three headers present, the timestamp within `tolerance`
    /// seconds of `now` (either way), and at least one `v1` signature equal — compared in constant
    /// time — to the HMAC of the body under one of `secrets`. Other signature versions are ignored.
    /// Header names match case-insensitively. Returns the `webhook-id` (the idempotency key).
    @discardableResult
    public static func verify(
        headers: [(name: String, value: String)], body: [UInt8], secrets: [StandardWebhookSecret],
        tolerance: Int64 = defaultTolerance, now: Timestamp
    ) throws -> String {
        func header(_ name: String) throws -> String {
            guard let value = headers.first(where: { $0.name.lowercased() == name })?.value, !value.isEmpty else {
                throw WebhookVerificationError.missingHeader(name)
            }
            return value
        }
        let id = try header(idHeader)
        let timestampText = try header(timestampHeader)
        let signatureText = try header(signatureHeader)
        guard timestampText.utf8.count <= 18, timestampText.utf8.allSatisfy({ $0 &- 0x30 < 10 }),
            let timestamp = Int64(timestampText)
        else { throw WebhookVerificationError.badTimestamp }
        let nowSeconds = now.microseconds / 1_000_000
        guard abs(nowSeconds - timestamp) <= tolerance else { throw WebhookVerificationError.timestampOutOfTolerance }

        let expected = secrets.map { mac(key: $0, id: id, timestamp: timestamp, body: body) }
        for entry in signatureText.split(separator: " ", omittingEmptySubsequences: true) {
            guard entry.hasPrefix("v1,"), let given = Base64.decode(String(entry.dropFirst(3))) else { continue }
            for mac in expected where constantTimeEqual(mac, given) { return id }
        }
        throw WebhookVerificationError.noMatchingSignature
    }

    /// The id must not contain `.` (it would make the signed text ambiguous, spec "Signature
    /// scheme") and must be a valid header value; we also keep it to printable ASCII.
    static func validate(id: String) throws {
        guard !id.isEmpty, id.utf8.count <= 256,
            id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ".") })
        else {
            throw VigilError(
                .config, "webhook id \"\(id.prefix(64))\" must be 1-256 printable ASCII characters without \".\"")
        }
    }

    /// The event as JSON, in the spec's recommended shape: `type`, `timestamp` (of the event, RFC
    /// 3339) and `data`. Not truncated: a receiver is a program, and the spec sets no hard limit.
    static func body(for n: WebhookNotification) -> [UInt8] {
        var data: [(String, WebhookJSON)] = [
            ("id", .string(n.id)), ("title", .string(n.title)), ("level", .string(n.level.rawValue)),
        ]
        if let r = n.responseLevel {
            data.append(
                (
                    "response_level",
                    .object([("level", .string(r.roman)), ("name", .string(r.chinese)), ("colour", .string(r.colour))])
                ))
        }
        if let c = n.category {
            var category: [(String, WebhookJSON)] = [("code", .string(c.code))]
            if let zh = c.zh { category.append(("zh", .string(zh))) }
            if let en = c.en { category.append(("en", .string(en))) }
            data.append(("category", .object(category)))
        }
        data.append(("summary", .string(n.summary)))
        if let link = n.link { data.append(("link", .string(link))) }
        if !n.items.isEmpty { data.append(("items", .array(n.items.map { .string($0) }))) }
        let event: WebhookJSON = .object([
            ("type", .string(n.kind.rawValue)),
            ("timestamp", .string(Timestamp(microseconds: n.time).description)),
            ("data", .object(data)),
        ])
        return event.bytes
    }

    static func mac(key: StandardWebhookSecret, id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        var signed = Array(id.utf8)
        signed.append(UInt8(ascii: "."))
        signed.append(contentsOf: String(timestamp).utf8)
        signed.append(UInt8(ascii: "."))
        signed.append(contentsOf: body)
        return HMACSHA256(key: key.key).mac(signed)
    }

    /// Equal lengths compared without an early exit, so the time taken does not reveal how many
    /// leading bytes of a forged signature were right.
    @inline(never)
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

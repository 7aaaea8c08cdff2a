import Testing
import VigilCore
import VigilResponse

@Suite("Webhook signing")
struct WebhookSigningTests {
    static let notification = WebhookNotification(
        id: "tkt_01HZX3Q9", kind: .ticketOpened, title: "公民个人信息批量导出", level: .high, responseLevel: .ii,
        summary: "API 客户端读取了 12000 条身份证号。", time: 1_700_000_000_000_000)
    /// 2023-11-14T22:13:20Z plus 123 ms: an attempt timestamp with a sub-second part.
    static let attempt = Timestamp(microseconds: 1_700_000_000_123_456)
    static let secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    /// 32 bytes 0x00…0x1f.
    static let secretB = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    // MARK: Standard Webhooks

    @Test("the Standard Webhooks reference vector signs to the published signature")
    func referenceVector() throws {
        // From the standard-webhooks reference libraries' tests (libraries/go/webhook_test.go,
        // TestWebhookSign); recomputed with python3 hmac/hashlib/base64 before use.
        let signature = StandardWebhooks.signature(
            key: try StandardWebhookSecret(Self.secretA), id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("a generic request carries the notification id, the attempt's seconds and a signature that verifies")
    func genericRequestVerifies() throws {
        let request = try WebhookRequest.make(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretA],
            notification: Self.notification, attemptTimestamp: Self.attempt)
        #expect(request.url == "https://receiver.example/hook")
        #expect(request.header("webhook-id") == "tkt_01HZX3Q9")
        #expect(request.header("Webhook-Timestamp") == "1700000000")
        #expect(request.header("content-type") == "application/json; charset=utf-8")
        let id = try StandardWebhooks.verify(
            headers: request.headers, body: request.body, secrets: [try StandardWebhookSecret(Self.secretA)],
            now: Self.attempt)
        #expect(id == "tkt_01HZX3Q9")
    }

    @Test("a retry keeps the id and body but is signed afresh at its own timestamp")
    func retryIsSignedAfresh() throws {
        let endpoint = try WebhookEndpoint(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretA])
        let first = try endpoint.request(for: Self.notification, attempt: Self.attempt)
        let later = Timestamp(microseconds: Self.attempt.microseconds + 90_000_000)
        let retry = try endpoint.request(for: Self.notification, attempt: later)
        #expect(retry.header("webhook-id") == first.header("webhook-id"))
        #expect(retry.body == first.body)
        #expect(retry.header("webhook-timestamp") == "1700000090")
        #expect(retry.header("webhook-signature") != first.header("webhook-signature"))
        let key = try StandardWebhookSecret(Self.secretA)
        #expect(throws: Never.self) {
            try StandardWebhooks.verify(headers: retry.headers, body: retry.body, secrets: [key], now: later)
        }
    }

    @Test("two secrets give two v1 signatures and each secret alone verifies the request")
    func keyRotation() throws {
        let request = try WebhookRequest.make(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretA, Self.secretB],
            notification: Self.notification, attemptTimestamp: Self.attempt)
        let entries = try #require(request.header("webhook-signature")).split(separator: " ")
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.hasPrefix("v1,") })
        #expect(entries[0] != entries[1])
        for secret in [Self.secretA, Self.secretB] {
            let key = try StandardWebhookSecret(secret)
            let own = StandardWebhooks.signature(
                key: key, id: "tkt_01HZX3Q9", timestamp: 1_700_000_000, body: request.body)
            #expect(entries.contains(Substring(own)))
            #expect(throws: Never.self) {
                try StandardWebhooks.verify(
                    headers: request.headers, body: request.body, secrets: [key], now: Self.attempt)
            }
        }
    }

    @Test("a second secret's signature verifies with python's independently computed value")
    func secondSecretVector() throws {
        // python3: base64.b64encode(hmac.new(bytes(range(32)),
        //   b'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}', hashlib.sha256).digest())
        let signature = StandardWebhooks.signature(
            key: try StandardWebhookSecret(Self.secretB), id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,O4Gjv1HqPqsMrjmczoggs/sWA8gZD0VyHG+fLh4+ktI=")
    }

    @Test("a tampered body is rejected")
    func tamperedBody() throws {
        let request = try WebhookRequest.make(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretA],
            notification: Self.notification, attemptTimestamp: Self.attempt)
        var body = request.body
        body[body.count / 2] ^= 0x01
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try StandardWebhooks.verify(
                headers: request.headers, body: body, secrets: [try StandardWebhookSecret(Self.secretA)],
                now: Self.attempt)
        }
    }

    @Test("a request signed with another secret is rejected")
    func wrongSecret() throws {
        let request = try WebhookRequest.make(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretB],
            notification: Self.notification, attemptTimestamp: Self.attempt)
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try StandardWebhooks.verify(
                headers: request.headers, body: request.body, secrets: [try StandardWebhookSecret(Self.secretA)],
                now: Self.attempt)
        }
    }

    @Test("a timestamp more than five minutes old or ahead is rejected, one at the limit is not")
    func staleTimestamp() throws {
        let request = try WebhookRequest.make(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretA],
            notification: Self.notification, attemptTimestamp: Self.attempt)
        let key = try StandardWebhookSecret(Self.secretA)
        func verify(at seconds: Int64) throws {
            try StandardWebhooks.verify(
                headers: request.headers, body: request.body, secrets: [key],
                now: Timestamp(seconds: seconds, microseconds: 0))
        }
        #expect(throws: WebhookVerificationError.timestampOutOfTolerance) { try verify(at: 1_700_000_301) }
        #expect(throws: WebhookVerificationError.timestampOutOfTolerance) { try verify(at: 1_699_999_699) }
        #expect(throws: Never.self) { try verify(at: 1_700_000_300) }
        #expect(throws: Never.self) { try verify(at: 1_699_999_700) }
    }

    @Test("missing headers, a non-numeric timestamp and only unknown signature versions are rejected")
    func malformedHeaders() throws {
        let request = try WebhookRequest.make(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretA],
            notification: Self.notification, attemptTimestamp: Self.attempt)
        let key = try StandardWebhookSecret(Self.secretA)
        func verify(_ headers: [(name: String, value: String)]) throws {
            try StandardWebhooks.verify(headers: headers, body: request.body, secrets: [key], now: Self.attempt)
        }
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            #expect(throws: WebhookVerificationError.missingHeader(name)) {
                try verify(request.headers.filter { $0.name != name })
            }
        }
        let replaced = { (name: String, value: String) in
            request.headers.map { $0.name == name ? (name: name, value: value) : $0 }
        }
        #expect(throws: WebhookVerificationError.badTimestamp) {
            try verify(replaced("webhook-timestamp", "+1700000000"))
        }
        let good = try #require(request.header("webhook-signature"))
        let asV2 = "v2," + good.dropFirst(3)
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verify(replaced("webhook-signature", asV2))
        }
        // A valid v1 among junk still verifies (rotation, other schemes).
        let mixed = "v1a,AAAA " + asV2 + " v1,not-base64 " + good
        #expect(throws: Never.self) { try verify(replaced("webhook-signature", mixed)) }
    }

    @Test("a malformed whsec_ secret is a config error that says what is wrong")
    func badSecrets() throws {
        let cases: [(secret: String, says: String)] = [
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with \"whsec_\""),
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", "base64"),
            ("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "base64"),  // padding missing
            ("whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64"),
            ("whsec_AAECAwQFBgcICQoLDA0ODw==", "decodes to 16 bytes"),
            ("whsec_", "decodes to 0 bytes"),
        ]
        for (secret, says) in cases {
            let error = #expect(throws: VigilError.self) {
                try WebhookEndpoint(format: .generic, url: "https://receiver.example/hook", secrets: [secret])
            }
            #expect(error?.code == .config)
            #expect(error?.message.contains(says) == true, "\(error?.message ?? "") should say \(says)")
        }
    }

    @Test("a Standard Webhooks id containing a dot is refused")
    func dottedID() throws {
        var n = Self.notification
        n.id = "tkt.1"
        let endpoint = try WebhookEndpoint(
            format: .generic, url: "https://receiver.example/hook", secrets: [Self.secretA])
        #expect(throws: VigilError.self) { try endpoint.request(for: n, attempt: Self.attempt) }
    }

    // MARK: DingTalk and Feishu

    @Test("the DingTalk 加签 signature matches an independent computation and goes into the query")
    func dingTalkSignature() throws {
        // python3: ts = 1700000000123; s = the secret below
        //   mac = hmac.new(s.encode(), f'{ts}\n{s}'.encode(), hashlib.sha256).digest()
        //   urllib.parse.quote_plus(base64.b64encode(mac))
        let secret = "SECb6e3a7f0c1d24e5f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2"
        let expected = "b3x8YwoxXsJyvimyQvmGbP%2FPrCIYmSH%2FeibUCU9HbYI%3D"
        #expect(DingTalkMessage.sign(secret: secret, timestampMilliseconds: 1_700_000_000_123) == expected)

        let base = "https://oapi.dingtalk.com/robot/send?access_token=abc123"
        let request = try WebhookRequest.make(
            format: .dingtalk, url: base, secrets: [secret], notification: Self.notification,
            attemptTimestamp: Timestamp(microseconds: 1_700_000_000_123_999))
        #expect(request.url == base + "&timestamp=1700000000123&sign=" + expected)
        let noQuery = try WebhookRequest.make(
            format: .dingtalk, url: "https://oapi.dingtalk.com/robot/send", secrets: [secret],
            notification: Self.notification, attemptTimestamp: Timestamp(microseconds: 1_700_000_000_123_000))
        #expect(noQuery.url == "https://oapi.dingtalk.com/robot/send?timestamp=1700000000123&sign=" + expected)
        let unsigned = try WebhookRequest.make(
            format: .dingtalk, url: base, secrets: [], notification: Self.notification, attemptTimestamp: Self.attempt)
        #expect(unsigned.url == base)
    }

    @Test("the Feishu signature matches an independent computation (key and message reversed from DingTalk)")
    func feishuSignature() throws {
        // python3: key = b'1700000000\nvigil-feishu-test-secret'
        //   base64.b64encode(hmac.new(key, b'', hashlib.sha256).digest())
        let expected = "qQc9sarCKs7pys3qkwMLShwU6VjpWXX+5Qw2FcpOo5k="
        #expect(FeishuMessage.sign(secret: "vigil-feishu-test-secret", timestampSeconds: 1_700_000_000) == expected)

        let request = try WebhookRequest.make(
            format: .feishu, url: "https://open.feishu.cn/open-apis/bot/v2/hook/xyz",
            secrets: ["vigil-feishu-test-secret"],
            notification: Self.notification, attemptTimestamp: Self.attempt)
        let body = try WebhookFormatTests.object(request.body)
        #expect(body["timestamp"] as? String == "1700000000")
        #expect(body["sign"] as? String == expected)
        #expect(request.url == "https://open.feishu.cn/open-apis/bot/v2/hook/xyz")
    }

    // MARK: Endpoint checks and base64

    @Test("secrets that do not suit the format and bad URLs are config errors that do not echo the URL")
    func endpointChecks() throws {
        let bad: [(WebhookFormat, String, [String])] = [
            (.generic, "https://receiver.example/hook", []),
            (.wecom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-secret-1", ["x"]),
            (.slack, "https://hooks.slack.com/services/T/B/k-secret-1", ["x"]),
            (.dingtalk, "https://oapi.dingtalk.com/robot/send?access_token=k-secret-1", ["SECa", "SECb"]),
            (.feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/k-secret-1", ["has space"]),
            (.slack, "hooks.slack.com/services/k-secret-1", []),
            (.slack, "https:///services/k-secret-1", []),
            (.slack, "https://hooks.slack.com/services/k-secret-1 x", []),
            (.slack, "https://hooks.slack.com/services/k-secret-1#frag", []),
            (.slack, "https://hooks.slack.com/机器人/k-secret-1", []),
        ]
        for (format, url, secrets) in bad {
            let error = #expect(throws: VigilError.self, "\(format) \(url)") {
                try WebhookEndpoint(format: format, url: url, secrets: secrets)
            }
            #expect(error?.code == .config)
            #expect(error?.message.contains("k-secret-1") == false)
        }
        #expect(throws: Never.self) {
            try WebhookEndpoint(format: .wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
        }
    }

    @Test("the strict base64 decoder round-trips and refuses non-canonical text")
    func base64() {
        for count in 0..<40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        for text in ["QQ", "QQ=", "Q===", "QR==", "QUI=QUJD", "QUJD\n", "QU-_", "=QUJ"] {
            #expect(Base64.decode(text) == nil, "\(text)")
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Testing
import VigilCore
import VigilResponse
import VigilStore

@testable import VigilServer

/// A real HTTPS webhook receiver on 127.0.0.1 (the PKI's server certificate), checking Standard
/// Webhooks and DingTalk signatures with the published algorithms. Each path behaves its own way
/// (per message): `/ok` (verify, 200), `/flaky` (500 twice, then 200), `/gone` (410), `/busy` (429 with
/// Retry-After: 120, then 200), `/hold` (503 while `holding`, then 200), `/dingtalk` (check the
/// sign query parameters, 200).
final class Receiver: @unchecked Sendable {
    // @unchecked: `deliveries`, `counts` and `holdingFlag` (written by the server's handlers while
    // tests read them) are only touched under `lock`; `port` and `task` are written by `start()` and
    // read afterwards by the test that owns the receiver, never concurrently; the rest are lets.
    struct Delivery {
        var path: String
        var id: String?
        var timestamp: String?
        var status: Int
        var body: String
    }

    private let lock = NSLock()
    private var deliveries: [Delivery] = []
    private var counts: [String: Int] = [:]
    private var holdingFlag = true
    let secrets: [StandardWebhookSecret]
    let dingtalkSecret: String
    let feishuSecret = "feishu-bot-signing-secret"
    var port = 0
    var task: Task<Void, any Error>?

    init(secrets: [String], dingtalkSecret: String = "SEC0123456789abcdef") throws {
        self.secrets = try secrets.map(StandardWebhookSecret.init)
        self.dingtalkSecret = dingtalkSecret
    }

    var log: [Delivery] { lock.withLock { deliveries } }
    var holding: Bool {
        get { lock.withLock { holdingFlag } }
        set { lock.withLock { holdingFlag = newValue } }
    }

    /// Distinct webhook-ids answered 200 (a receiver deduplicates on them).
    var deliveredIDs: Set<String> { Set(log.filter { $0.status == 200 }.compactMap(\.id)) }

    func start(pki: URL) async throws {
        let router = Router()
        router.post("/:path") { request, context -> Response in
            let path = context.parameters.get("path") ?? ""
            let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
            let headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
            let status = self.answer(path: path, uri: request.uri.description, headers: headers, body: body)
            var response = Response(status: .init(code: status))
            if status == 429 { response.headers[.retryAfter] = "120" }
            return response
        }
        let chain = try NIOSSLCertificate.fromPEMFile(pki.appendingPathComponent("correlator.crt").path)
        let key = try NIOSSLPrivateKey(file: pki.appendingPathComponent("correlator.key").path, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: Logger(label: "receiver"))
        task = Task { try await app.run() }
        for await p in stream {
            port = p
            break
        }
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
    }

    func url(_ path: String) -> String { "https://127.0.0.1:\(port)/\(path)" }

    private func answer(path: String, uri: String, headers: [(name: String, value: String)], body: [UInt8]) -> Int {
        let id = headers.first { $0.name.lowercased() == "webhook-id" }?.value
        return lock.withLock {
            // Per path and notification: "fails twice" means twice for each message.
            let key = path + " " + (id ?? "")
            counts[key, default: 0] += 1
            let n = counts[key]!
            var status: Int
            switch path {
            case "flaky": status = n <= 2 ? 500 : 200
            case "gone": status = 410
            case "busy": status = n == 1 ? 429 : 200
            case "hold": status = holdingFlag ? 503 : 200
            case "dingtalk":
                status = Self.dingtalkSignatureValid(uri: uri, secret: dingtalkSecret) ? 200 : 401
            case "feishu":
                status = Self.feishuSignatureValid(body: body, secret: feishuSecret) ? 200 : 401
            case "wecom":
                // No signature: the robot's key in the URL is the credential. A markdown message.
                let message = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
                status = message?["msgtype"] as? String == "markdown" ? 200 : 400
            default: status = 200
            }
            if status == 200 && !["dingtalk", "feishu", "wecom"].contains(path) {
                // Standard Webhooks, as a receiver checks it: any listed v1 signature, 5 min tolerance.
                do {
                    _ = try StandardWebhooks.verify(headers: headers, body: body, secrets: secrets, now: .now())
                } catch {
                    status = 401
                }
            }
            let timestamp = headers.first { $0.name.lowercased() == "webhook-timestamp" }?.value
            deliveries.append(
                Delivery(
                    path: path, id: id, timestamp: timestamp, status: status,
                    body: String(decoding: body, as: UTF8.self)))
            return status
        }
    }

    /// Feishu's robot check, as its guide describes it: the HMAC-SHA256 *key* is
    /// "{timestamp}\n{secret}" and the message empty; `timestamp` and `sign` are in the JSON body,
    /// the timestamp within an hour of now.
    static func feishuSignatureValid(body: [UInt8], secret: String) -> Bool {
        guard let message = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let timestamp = message["timestamp"] as? String, let seconds = Int64(timestamp),
            abs(seconds - Int64(Date().timeIntervalSince1970)) < 3600, let sign = message["sign"] as? String
        else { return false }
        return Base64.encode(HMACSHA256(key: Array("\(timestamp)\n\(secret)".utf8)).mac([UInt8]())) == sign
    }

    /// DingTalk's robot check: sign = base64(HMAC-SHA256(secret, "{timestamp}\n{secret}")), URL-encoded.
    static func dingtalkSignatureValid(uri: String, secret: String) -> Bool {
        guard let query = uri.split(separator: "?", maxSplits: 1).last else { return false }
        var fields: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { fields[kv[0]] = kv[1].removingPercentEncoding }
        }
        guard let timestamp = fields["timestamp"], let sign = fields["sign"] else { return false }
        let mac = HMACSHA256(key: Array(secret.utf8)).mac("\(timestamp)\n\(secret)")
        return Base64.encode(mac) == sign
    }
}

/// A clock the test moves.
final class TestClock: @unchecked Sendable {
    // @unchecked: its one mutable property, `value`, is only read and written under `lock`.
    private let lock = NSLock()
    private var value: Int64
    init() { value = Timestamp.now().microseconds }
    var now: Int64 { lock.withLock { value } }
    func advance(seconds: Int64) { lock.withLock { value += seconds * 1_000_000 } }
}

@Suite("Webhook delivery to a real HTTPS receiver", .serialized)
struct WebhookDeliveryTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let newSecret = "whsec_" + Base64.encode(Array("a fresh key of thirty-two bytes!".utf8))

    static func note(_ n: Int, level: ResponseLevel = .iii) -> WebhookNotification {
        WebhookNotification(
            id: "T-\(n)-opened", kind: .ticketOpened, title: "数据泄露 \(n)", level: .high, responseLevel: level,
            category: .init(code: "dsi-leak", zh: "数据泄露事件", en: "Data leakage"), summary: "ticket \(n)",
            time: Timestamp.now().microseconds)
    }

    /// A store in `h`'s folder with `rows` queued for the endpoints.
    static func queue(_ h: Harness, _ notes: [WebhookNotification], to endpoints: [WebhookSettings]) throws
        -> SQLiteStore
    {
        let store = try h.store
        for note in notes {
            try store.enqueue(
                NotificationPayload.rows(note, endpoints: endpoints, now: Timestamp.now().microseconds - 1))
        }
        return store
    }

    func endpoint(_ r: Receiver, _ h: Harness, _ path: String, perMinute: Int? = nil) throws -> WebhookSettings {
        let format: WebhookFormat = WebhookFormat(rawValue: path) ?? .generic
        let secrets: [String] =
            switch format {
            case .dingtalk: [r.dingtalkSecret]
            case .feishu: [r.feishuSecret]
            case .wecom, .slack: []
            case .generic: [Self.newSecret, Self.secret]
            }
        var s = WebhookSettings(
            name: path, endpoint: try WebhookEndpoint(format: format, url: r.url(path), secrets: secrets),
            perMinute: perMinute)
        s.caFile = h.pki.appendingPathComponent("ca.crt").path
        return s
    }

    @Test(
        "signed deliveries are accepted; failures retry on the schedule with the same webhook-id; 410 and 429 are honoured"
    )
    func retries() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let r = try Receiver(secrets: [Self.secret])
        try await r.start(pki: h.pki)
        let endpoints = try ["ok", "flaky", "gone", "busy", "dingtalk"].map { try endpoint(r, h, $0) }
        let store = try Self.queue(h, [Self.note(1), Self.note(2)], to: endpoints)
        let clock = TestClock()
        let d = WebhookDispatcher(store: store, endpoints: endpoints, clock: { clock.now })

        #expect(await d.deliverDue() == 9, "2 notifications × 5 endpoints, but the second to 'gone' is not sent")
        func row(_ endpoint: String, _ id: String = "T-1-opened") throws -> OutboxRow? {
            try store.outbox(limit: 100, endpoint: endpoint).first { $0.id == id }
        }
        #expect(try row("ok")?.state == .delivered && row("dingtalk")?.state == .delivered)
        #expect(r.log.filter { $0.path == "ok" }.allSatisfy { $0.status == 200 }, "signature checked with the old key")
        #expect(try row("gone")?.state == .dead && row("gone", "T-2-opened")?.state == .dead)
        #expect((try row("gone", "T-2-opened")?.lastError ?? "").contains("410"))
        #expect(r.log.filter { $0.path == "gone" }.count == 1, "a retired endpoint gets nothing more")
        let busy = try #require(try row("busy"))
        #expect(
            busy.state == .pending && busy.nextAttempt - clock.now >= 120_000_000, "Retry-After beats the 10 s step")
        let flaky = try #require(try row("flaky"))
        #expect(flaky.state == .pending && flaky.attempts == 1 && flaky.lastStatus == 500)
        #expect((8_000_000...12_000_000).contains(flaky.nextAttempt - clock.now), "10 s ± 20 %")

        clock.advance(seconds: 13)
        await d.deliverDue()
        #expect(try row("flaky")?.attempts == 2 && row("flaky")?.state == .pending)
        clock.advance(seconds: 40)
        await d.deliverDue()
        #expect(try row("flaky")?.state == .delivered)
        let flakyCalls = r.log.filter { $0.path == "flaky" && $0.id == "T-1-opened" }
        #expect(
            flakyCalls.count == 3 && Set(flakyCalls.compactMap(\.timestamp)).count >= 2, "same id, fresh timestamps")
        clock.advance(seconds: 130)
        await d.deliverDue()
        #expect(try row("busy")?.state == .delivered)
        #expect(r.deliveredIDs == ["T-1-opened", "T-2-opened"])
        await d.shutdown()
        await r.stop()
    }

    @Test("a Feishu card with a body signature its robot accepts, and WeCom markdown, are delivered")
    func chatRobots() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let r = try Receiver(secrets: [Self.secret])
        try await r.start(pki: h.pki)
        let endpoints = try ["feishu", "wecom"].map { try endpoint(r, h, $0) }
        let store = try Self.queue(h, [Self.note(7, level: .ii)], to: endpoints)
        let d = WebhookDispatcher(store: store, endpoints: endpoints)
        #expect(await d.deliverDue() == 2)
        for path in ["feishu", "wecom"] {
            let delivery = try #require(r.log.first { $0.path == path })
            #expect(delivery.status == 200, "\(path): \(delivery.body)")
            #expect(delivery.body.contains("数据泄露 7"), "\(path) shows the ticket's title")
            #expect(try store.outbox(limit: 10, endpoint: path).first?.state == .delivered)
        }
        #expect(
            r.log.first { $0.path == "feishu" }?.body.contains("\"template\":\"orange\"") == true, "level II is orange")
        await d.shutdown()
        await r.stop()
    }

    @Test("a receiver that never recovers is dead-lettered when the schedule runs out")
    func deadLetter() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let r = try Receiver(secrets: [Self.secret])
        try await r.start(pki: h.pki)
        let hold = try endpoint(r, h, "hold")
        let store = try Self.queue(h, [Self.note(1)], to: [hold])
        let clock = TestClock()
        let d = WebhookDispatcher(store: store, endpoints: [hold], schedule: [1, 2], clock: { clock.now })
        for _ in 0..<3 {
            await d.deliverDue()
            clock.advance(seconds: 5)
        }
        let row = try #require(try store.outbox(limit: 1, endpoint: "hold").first)
        #expect(row.state == .dead && row.attempts == 3, "\(row)")
        #expect((row.lastError ?? "").contains("gave up after 3 attempts"))
        await d.deliverDue()
        #expect(r.log.count == 3, "nothing after the dead letter")
        await d.shutdown()
        await r.stop()
    }

    @Test("a burst over the endpoint's rate goes out as one digest; every row counts as delivered")
    func digest() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let r = try Receiver(secrets: [Self.secret])
        try await r.start(pki: h.pki)
        let ok = try endpoint(r, h, "ok", perMinute: 3)
        let store = try Self.queue(h, (1...7).map { Self.note($0) }, to: [ok])
        let d = WebhookDispatcher(store: store, endpoints: [ok])
        #expect(await d.deliverDue() == 3, "2 single messages and 1 digest of the other 5")
        let rows = try store.outbox(limit: 100, endpoint: "ok")
        #expect(rows.count == 7 && rows.allSatisfy { $0.state == .delivered })
        #expect(rows.filter { ($0.lastError ?? "").hasPrefix("sent in digest") }.count == 5)
        let digest = try #require(r.log.first { ($0.id ?? "").hasPrefix("digest-") })
        #expect(digest.body.contains("数据泄露 7") && digest.status == 200)
        await d.shutdown()
        await r.stop()
    }

    @Test("kill -9 with an undelivered notification: after a restart it is delivered, its webhook-id once")
    func survivesKill() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let r = try Receiver(secrets: [Self.secret])
        try await r.start(pki: h.pki)
        let secretFile = h.dir.appendingPathComponent("hook.secret").path
        try Self.secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        let config = try h.binaryConfig(
            """
            rules: \(repoRoot.appendingPathComponent("rules").path)
            webhooks:
              - name: duty
                format: generic
                url: \(r.url("hold"))
                secret_files: [\(secretFile)]
                ca_file: \(h.pki.appendingPathComponent("ca.crt").path)

            """)
        var process = try CorrelatorProcess(config: config)
        h.port = process.port
        _ = try await h.post(body: Data(TicketAPITests.auditOff(1).utf8))
        var deadline = Date().addingTimeInterval(20)
        while r.log.isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(r.log.first?.status == 503, "the first attempt failed: \(r.log.map(\.status))")
        let admin = try h.store.createToken(name: "adam", role: .admin, actor: "test").secret
        let cli = [
            "--server", "https://127.0.0.1:\(process.apiPort)", "--ca", h.pki.appendingPathComponent("ca.crt").path,
        ]
        let history = try await vigil(["webhooks", "deliveries"] + cli, env: ["VIGIL_TOKEN": admin])
        #expect(history.status == 0 && history.out.contains("duty") && history.out.contains("pending"), "\(history)")
        #expect(history.out.contains("503"), "the last status is shown: \(history.out)")
        let test = try await vigil(["webhooks", "test", "duty"] + cli, env: ["VIGIL_TOKEN": admin])
        #expect(test.status == 0 && test.out.contains("queued test-"), "\(test)")
        let unknown = try await vigil(["webhooks", "test", "nobody"] + cli, env: ["VIGIL_TOKEN": admin])
        #expect(unknown.status == 1 && unknown.err.contains("configured: duty"), "\(unknown)")
        process.kill9()

        r.holding = false
        process = try CorrelatorProcess(config: config)
        defer { process.terminate() }
        deadline = Date().addingTimeInterval(30)
        while r.deliveredIDs.isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        for _ in 0..<100 where r.deliveredIDs.count < 2 { try await Task.sleep(for: .milliseconds(200)) }
        let ids = r.deliveredIDs
        #expect(ids.count == 2, "the ticket's and the test message: \(r.log.map { ($0.id, $0.status) })")
        #expect(ids.contains { $0.hasSuffix("-opened") } && ids.contains { $0.hasPrefix("test-") })
        // At least once, under one webhook-id per notification: a request the killed process had
        // already sent can still be answered 200 after `holding` flips (the receiver does not know
        // its client died), and the restarted correlator then sends it again. A receiver
        // deduplicates on webhook-id, so every 200 must carry one of the two ids.
        let answered = r.log.filter { $0.status == 200 }
        #expect(answered.allSatisfy { ids.contains($0.id ?? "") }, "\(r.log.map { ($0.id, $0.status) })")
        #expect(answered.count <= 3, "at most the one in flight at the kill is seen twice")
        await r.stop()
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import VigilCore
import VigilStore

/// Delivers the outbox (DESIGN §7): due rows are rendered for their endpoint, signed afresh and
/// POSTed; 2xx marks them delivered; 410 Gone disables the endpoint (its rows die); 429 and 503
/// wait at least their `Retry-After`; anything else retries on the schedule with ±20 % jitter until
/// it runs out (dead letter). Each endpoint has a token bucket of `perMinute` messages; when more
/// rows are due than it allows, the surplus goes out as one digest message.
///
/// Store calls run on a lane of their own (a dedicated thread); HTTP runs on NIO's event loops.
public actor WebhookDispatcher {
    /// Seconds to wait after attempt 1, 2, ...: 10 s up to 8 h, 24 h in all (the last one is the
    /// dead-letter point).
    public static let defaultSchedule: [Int64] = [10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 28_800]

    public struct Stats: Sendable, Equatable {
        public var delivered = 0
        public var failed = 0
        public var dead = 0
        public var digests = 0
    }

    let store: any OutboxStore
    let endpoints: [String: WebhookSettings]
    let schedule: [Int64]
    let lane = BlockingLane(label: "vigil-webhooks")
    let clock: @Sendable () -> Int64
    private var clients: [String: HTTPClient] = [:]
    private var buckets: [String: (tokens: Double, at: Int64)] = [:]
    private var disabled: [String: String] = [:]
    public private(set) var stats = Stats()

    public init(
        store: any OutboxStore, endpoints: [WebhookSettings], schedule: [Int64] = defaultSchedule,
        clock: @escaping @Sendable () -> Int64 = { Timestamp.now().microseconds }
    ) {
        self.store = store
        self.endpoints = Dictionary(endpoints.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        (self.schedule, self.clock) = (schedule, clock)
    }

    /// Delivers until cancelled, looking for due rows every `interval`.
    public func run(interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            _ = await deliverDue()
            try? await Task.sleep(for: interval)
        }
        await shutdown()
    }

    /// One pass over the due rows; returns how many requests were made.
    @discardableResult
    public func deliverDue() async -> Int {
        let store = self.store
        let now = clock()
        guard let due = try? await lane.run({ try store.dueOutbox(now: now, limit: 200) }), !due.isEmpty else {
            return 0
        }
        var requests = 0
        var byEndpoint: [String: [OutboxRow]] = [:]
        for row in due { byEndpoint[row.endpoint, default: []].append(row) }
        for (name, rows) in byEndpoint.sorted(by: { $0.key < $1.key }) {
            guard let settings = endpoints[name] else {
                await finish(rows.map { dead($0, "no webhook named '\(name)' in the configuration") })
                continue
            }
            if let reason = disabled[name] {
                await finish(rows.map { dead($0, reason) })
                continue
            }
            let tokens = Int(take(name, perMinute: settings.perMinute, now: now, want: rows.count))
            if tokens == 0 {
                // Over the rate: try again when a token is back.
                let wait = Int64(60_000_000 / settings.perMinute)
                await finish(
                    rows.map {
                        var r = $0; r.nextAttempt = now + wait; return r
                    })
                continue
            }
            let single = rows.count <= tokens ? rows : Array(rows.prefix(tokens - 1))
            for row in single {
                if let reason = disabled[name] {
                    await finish([dead(row, reason)])
                    continue
                }
                requests += 1
                await finish([await attempt(row, settings: settings, now: now)])
            }
            if rows.count > tokens, disabled[name] == nil {
                requests += 1
                await finish(await digest(Array(rows.dropFirst(tokens - 1)), settings: settings, now: now))
            }
        }
        return requests
    }

    /// Sends one row's notification and returns the row as it should be stored.
    func attempt(_ row: OutboxRow, settings: WebhookSettings, now: Int64) async -> OutboxRow {
        guard let notification = NotificationPayload.decode(row.payload) else {
            return dead(row, "the stored notification cannot be read")
        }
        return await send(notification, row: row, settings: settings, now: now)
    }

    /// Folds `rows` into one digest message; on success each is delivered.
    func digest(_ rows: [OutboxRow], settings: WebhookSettings, now: Int64) async -> [OutboxRow] {
        let notes = rows.compactMap { NotificationPayload.decode($0.payload) }
        let worst = notes.max { ($0.responseLevel ?? .iv) < ($1.responseLevel ?? .iv) }
        let digest = WebhookNotification(
            id: "digest-" + Digest.sha256.hex(rows.map(\.id).joined(separator: ",")).prefix(16), kind: .digest,
            title: "\(rows.count) 条通知 notifications", level: notes.map(\.level).max() ?? .medium,
            responseLevel: worst?.responseLevel,
            summary: "\(rows.count) notifications arrived faster than \(settings.perMinute)/min",
            time: now, items: notes.map(\.title))
        stats.digests += 1
        let carrier = await send(digest, row: rows[0], settings: settings, now: now)
        return rows.map { row in
            var r = row
            (r.state, r.attempts, r.nextAttempt) = (carrier.state, row.attempts + 1, carrier.nextAttempt)
            (r.lastStatus, r.lastError, r.delivered) = (carrier.lastStatus, carrier.lastError, carrier.delivered)
            if r.state == .delivered { r.lastError = "sent in digest \(digest.id)" }
            return r
        }
    }

    func send(_ notification: WebhookNotification, row: OutboxRow, settings: WebhookSettings, now: Int64) async
        -> OutboxRow
    {
        var r = row
        r.attempts += 1
        let request: WebhookRequest
        do {
            request = try settings.endpoint.request(for: notification, attempt: Timestamp(microseconds: now))
        } catch {
            return dead(r, "the message cannot be built: \(error)")
        }
        var http = HTTPClientRequest(url: request.url)
        http.method = .POST
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        let status: Int
        var retryAfter: Int64?
        do {
            let response = try await client(for: settings).execute(http, timeout: .seconds(10))
            status = Int(response.status.code)
            retryAfter = response.headers.first(name: "retry-after").flatMap {
                Int64($0.trimmingCharacters(in: .whitespaces))
            }
            _ = try? await response.body.collect(upTo: 64 << 10)
        } catch {
            return retry(r, status: 0, error: "no answer: \(error)", retryAfter: nil, now: now)
        }
        r.lastStatus = status
        switch status {
        case 200..<300:
            (r.state, r.delivered, r.lastError) = (.delivered, now, nil)
            stats.delivered += 1
            return r
        case 410:
            let reason = "410 Gone: the receiver retired this webhook; fix the configuration and restart"
            disabled[settings.name] = reason
            return dead(r, reason)
        case 429, 503:
            return retry(r, status: status, error: "HTTP \(status)", retryAfter: retryAfter, now: now)
        default:
            return retry(r, status: status, error: "HTTP \(status)", retryAfter: nil, now: now)
        }
    }

    /// The next attempt on the schedule (with jitter), or the dead letter once it has run out.
    func retry(_ row: OutboxRow, status: Int, error: String, retryAfter: Int64?, now: Int64) -> OutboxRow {
        var r = row
        (r.lastStatus, r.lastError) = (status, error)
        stats.failed += 1
        guard r.attempts <= schedule.count else {
            return dead(r, "\(error); gave up after \(r.attempts) attempts")
        }
        let base = Double(schedule[r.attempts - 1]) * 1_000_000
        var wait = Int64(base * Double.random(in: 0.8...1.2))
        if let retryAfter { wait = max(wait, min(retryAfter, 86_400) * 1_000_000) }
        r.nextAttempt = now + wait
        return r
    }

    func dead(_ row: OutboxRow, _ reason: String) -> OutboxRow {
        var r = row
        (r.state, r.lastError) = (.dead, reason)
        stats.dead += 1
        return r
    }

    func finish(_ rows: [OutboxRow]) async {
        let store = self.store
        _ = try? await lane.run { for row in rows { try store.recordAttempt(row) } }
    }

    /// Takes up to `want` tokens from the endpoint's bucket (capacity `perMinute`, refilled evenly).
    func take(_ name: String, perMinute: Int, now: Int64, want: Int) -> Double {
        let capacity = Double(perMinute)
        var bucket = buckets[name] ?? (capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + Double(now - bucket.at) / 60_000_000 * capacity)
        bucket.at = now
        let taken = min(Double(want), bucket.tokens.rounded(.down))
        bucket.tokens -= taken
        buckets[name] = bucket
        return taken
    }

    func client(for settings: WebhookSettings) throws -> HTTPClient {
        if let client = clients[settings.name] { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = settings.caFile { tls.trustRoots = .file(ca) }
        tls.minimumTLSVersion = .tlsv12
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[settings.name] = client
        return client
    }

    public func shutdown() async {
        for client in clients.values { try? await client.shutdown() }
        clients = [:]
    }
}

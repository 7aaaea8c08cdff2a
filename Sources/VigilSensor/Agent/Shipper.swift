import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
import VigilCore

/// Sends the spool to the correlator (deploy/schema/ingest.md): batches by count, bytes and time,
/// gzip, HTTPS with mutual TLS, at most `connections` batches in flight (one per connection); a
/// batch leaves the spool only after the correlator's 200. Failures are retried with exponential
/// backoff and full jitter between 1 s and 5 min; the same batch is sent again, and the
/// correlator's idempotence on `event.id` turns a lost answer into duplicates, not copies.
public final class Shipper: Sendable {
    public struct Counters: Sendable, Equatable {
        /// Events the correlator acknowledged (stored now or before).
        public var shipped = 0
        public var accepted = 0
        public var duplicates = 0
        /// Lines the correlator refused for good (bad lines: counted, dropped).
        public var rejected = 0
        public var batches = 0
        public var failures = 0
        /// Events moved to the dead-letter file (a batch the correlator could not read at all).
        public var deadLettered = 0
        /// The last clock difference the correlator reported, in seconds (its time minus ours).
        public var clockSkewSeconds = 0.0
        /// Why shipping is failing now (nil while it works).
        public var failing: String?
    }

    let settings: SensorConfig.Shipping
    let baseURL: String
    let spool: Spool
    let deadLetterPath: String
    let logger: Logger
    let client: HTTPClient
    private let state = Mutex(Counters())
    /// Consecutive failures, for the log: the first failure and every tenth are logged.
    private let failureRun = Mutex(0)
    /// Set when the sensor stops: ship what the spool holds until then, without retries.
    private let drainDeadline = Mutex<ContinuousClock.Instant?>(nil)

    public init(config: SensorConfig, spool: Spool, logger: Logger) throws(VigilError) {
        settings = config.shipping
        baseURL = config.correlatorURL
        self.spool = spool
        deadLetterPath = config.deadLetterPath
        self.logger = logger
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .file(config.ca)
        do {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(config.certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: config.key, format: .pem))
        } catch {
            throw VigilError(.io, "cannot load this sensor's certificate or key: \(error)")
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .seconds(10), read: .seconds(Int64(config.shipping.timeoutSeconds))))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(90), concurrentHTTP1ConnectionsPerHostSoftLimit: config.shipping.connections)
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public var counters: Counters { state.withLock { $0 } }

    /// Asks `run` to ship what the spool holds (no waiting for full batches, no retries) and return
    /// when it is empty or `seconds` have passed; what is left is shipped at the next start.
    public func drain(seconds: Double) {
        drainDeadline.withLock { $0 = .now + .milliseconds(Int64(seconds * 1000)) }
    }

    /// Whether a drain is under way, and whether its time is up.
    var draining: (active: Bool, expired: Bool) {
        drainDeadline.withLock { d in (d != nil, d.map { ContinuousClock.now >= $0 } ?? false) }
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    // MARK: - the shipping loop

    /// Ships until the task is cancelled. Batches are claimed in spool order by this loop alone; each
    /// is sent (and retried) by a child task, at most `connections` at once.
    public func run() async {
        var cursor: Int64 = 0
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while !Task.isCancelled, !draining.expired {
                if inFlight >= settings.connections {
                    await group.next()
                    inFlight -= 1
                    continue
                }
                let batch: Spool.Batch?
                do {
                    batch = try await spool.batch(
                        after: cursor, maxEvents: settings.batchEvents, maxBytes: settings.batchBytes)
                } catch {
                    logger.error("cannot read the spool: \(error)")
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                guard let batch else {
                    if draining.active { break }
                    // Nothing waits: look again shortly (appends are committed every second or batch).
                    try? await Task.sleep(for: .milliseconds(min(200, settings.batchWaitMillis)))
                    continue
                }
                // A partial batch waits until its oldest line is batch_wait_ms old.
                let age = (Timestamp.now().microseconds - batch.firstAppendedMicros) / 1000
                if !draining.active, batch.count < settings.batchEvents, batch.bytes < settings.batchBytes / 2,
                    age < settings.batchWaitMillis
                {
                    try? await Task.sleep(for: .milliseconds(Int64(settings.batchWaitMillis) - age))
                    continue
                }
                cursor = batch.last
                let claimed: Spool.Batch?
                do {
                    claimed = try await spool.claim(batch)
                } catch {
                    // Sent unclaimed: a drop meanwhile may count lines as lost that still arrive.
                    logger.error("cannot read the spool: \(error)")
                    claimed = batch
                }
                guard let claimed else { continue }
                inFlight += 1
                group.addTask { await self.deliver(claimed) }
            }
            if draining.expired { group.cancelAll() }
            await group.waitForAll()
        }
    }

    /// Sends one batch until the correlator answers it for good; returns without acknowledging when
    /// cancelled (the batch stays in the spool for the next start).
    func deliver(_ claimed: Spool.Batch) async {
        let batchID = UUID().uuidString.lowercased()
        var attempt = 0
        var batch = claimed
        while !Task.isCancelled {
            if attempt > 0 {
                // A full spool may have dropped some of these lines while they waited: send the rest.
                do {
                    guard let rest = try await spool.surviving(batch) else { return }
                    batch = rest
                } catch {
                    logger.error("cannot read the spool: \(error)")
                }
            }
            let outcome = await send(batch, batchID: batchID)
            switch outcome {
            case .delivered:
                return
            case .split:
                guard let (a, b) = batch.halves() else {
                    await deadLetter(batch, reason: "a single event larger than the correlator's limits")
                    return
                }
                await deliver(a)
                await deliver(b)
                return
            case .retry(let after, let reason):
                attempt += 1
                noteFailure(reason)
                if draining.active { return }
                // In steps, so a stop (drain) does not wait out a long backoff.
                var delay = after ?? Self.backoff(attempt: attempt, ceiling: Double(settings.retryMaxSeconds))
                while delay > 0, !Task.isCancelled, !draining.active {
                    try? await Task.sleep(for: .milliseconds(Int64(min(delay, 0.5) * 1000)))
                    delay -= 0.5
                }
            }
        }
    }

    enum Outcome {
        case delivered
        case split
        case retry(after: Double?, reason: String)
    }

    /// Full jitter between 1 s and min(`ceiling` (5 min by default), 2^attempt s).
    static func backoff(attempt: Int, ceiling: Double = 300) -> Double {
        let top = min(ceiling, pow(2.0, Double(min(attempt, 12))))
        return Double.random(in: 1.0...max(1.0, top))
    }

    func send(_ batch: Spool.Batch, batchID: String) async -> Outcome {
        var request = HTTPClientRequest(url: baseURL + "/v1/events")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.headers.add(name: "Vigil-Batch-Id", value: batchID)
        let body = batch.body
        let compressed = GzipEncoder.compress(body)
        if compressed.isEmpty {
            request.body = .bytes(ByteBuffer(bytes: body))
        } else {
            request.headers.add(name: "Content-Encoding", value: "gzip")
            request.body = .bytes(ByteBuffer(bytes: compressed))
        }
        let status: Int
        let answer: [String: Any]
        let retryAfter: Double?
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(settings.timeoutSeconds)))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            status = Int(response.status.code)
            answer = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
            retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
        } catch {
            return .retry(after: nil, reason: Self.describe(error, url: baseURL))
        }
        let code = answer["error"] as? String ?? ""
        let message = answer["message"] as? String ?? ""
        switch status {
        case 200:
            do {
                try await spool.acknowledge(batch)
            } catch {
                // Not deleted: it is sent again and answered as duplicates.
                logger.error("cannot delete an acknowledged batch from the spool: \(error)")
            }
            recordSuccess(answer)
            return .delivered
        case 413:
            logger.notice("the correlator found a batch of \(batch.count) events too large: sending it in halves")
            return .split
        case 400:
            await deadLetter(batch, reason: "\(code): \(message)")
            return .delivered
        case 403:
            // Revoked or no identity: not retried as is; shipping pauses at the longest backoff
            // (nothing is lost: the spool keeps the events) until an operator fixes the certificate.
            return .retry(
                after: 300, reason: "the correlator refused this sensor (\(code)): \(message); fix the certificate")
        case 415:
            return .retry(after: 300, reason: "the correlator refused the batch format (\(code)): \(message)")
        default:
            return .retry(after: retryAfter, reason: "the correlator answered \(status) \(code) \(message)")
        }
    }

    func recordSuccess(_ answer: [String: Any]) {
        let accepted = answer["accepted"] as? Int ?? 0
        let duplicates = answer["duplicates"] as? Int ?? 0
        let rejected = answer["rejected"] as? Int ?? 0
        state.withLock { c in
            c.accepted += accepted
            c.duplicates += duplicates
            c.shipped += accepted + duplicates
            c.rejected += rejected
            c.batches += 1
            c.failing = nil
        }
        let failed = failureRun.withLock { run in
            defer { run = 0 }
            return run
        }
        if failed > 0 { logger.notice("shipping resumed after \(failed) failed attempts") }
        if rejected > 0, let errors = answer["errors"] as? [[String: Any]] {
            let first = errors.prefix(3).map {
                "line \($0["line"] ?? "?"): \($0["reason"] ?? "?") \($0["message"] ?? "")"
            }
            logger.warning("the correlator rejected \(rejected) lines: \(first.joined(separator: "; "))")
        }
    }

    func noteFailure(_ reason: String) {
        state.withLock { c in
            c.failures += 1
            c.failing = reason
        }
        let run = failureRun.withLock { run in
            run += 1
            return run
        }
        if run == 1 || run % 10 == 0 {
            logger.error("shipping failed (attempt \(run)): \(reason); events stay in the spool and are retried")
        }
    }

    /// Moves a batch the correlator cannot read out of the spool into the dead-letter file.
    func deadLetter(_ batch: Spool.Batch, reason: String) async {
        let data = batch.body + [0x0A]
        let path = deadLetterPath
        let written: Bool = await withCheckedContinuation { continuation in
            Thread {
                let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard fd >= 0 else { return continuation.resume(returning: false) }
                let n = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                let ok = n == data.count && fsync(fd) == 0
                close(fd)
                continuation.resume(returning: ok)
            }.start()
        }
        guard written else {
            logger.error("cannot write the dead-letter file \(path): the batch stays in the spool")
            return
        }
        try? await spool.acknowledge(batch)
        state.withLock { $0.deadLettered += batch.count }
        logger.error("the correlator cannot read a batch of \(batch.count) events (\(reason)): kept in \(path)")
    }

    // MARK: - heartbeats

    /// Posts a heartbeat with `counters`; returns whether the correlator answered 200. Logs a clock
    /// skew above 5 s (correlation runs on event time).
    @discardableResult
    public func heartbeat(version: String, counters: [(String, Int)], timeout: Int64? = nil) async -> Bool {
        var body = "{\"version\":\"\(version)\",\"time\":\"\(Timestamp.now().description)\",\"counters\":{"
        body += counters.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        body += "}}"
        var request = HTTPClientRequest(url: baseURL + "/v1/heartbeat")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await client.execute(
                request, timeout: .seconds(timeout ?? Int64(settings.timeoutSeconds)))
            let bytes = try await response.body.collect(upTo: 64 << 10)
            guard response.status.code == 200 else { return false }
            let answer = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any]
            if let text = answer?["server_time"] as? String, let server = Timestamp(rfc3339: text) {
                let skew = Double(server.microseconds - Timestamp.now().microseconds) / 1e6
                let previous = state.withLock { c in
                    defer { c.clockSkewSeconds = skew }
                    return c.clockSkewSeconds
                }
                if abs(skew) > 5 && abs(previous) <= 5 {
                    logger.warning(
                        "this node's clock is \(Int(skew.rounded())) s off the correlator's: correlation runs on event time; fix NTP"
                    )
                }
            }
            return true
        } catch {
            return false
        }
    }

    /// A connection error as an operator needs it: a refused certificate says so.
    static func describe(_ error: any Error, url: String) -> String {
        let text = String(describing: error)
        if error is NIOSSLError || text.contains("SSL") || text.contains("handshake") {
            let lower = text.lowercased()
            if lower.contains("alert") || lower.contains("certificate") && !lower.contains("verify failed") {
                return
                    "TLS handshake with \(url) failed: the correlator refused this sensor's certificate (not issued by the platform CA, revoked or expired): \(text)"
            }
            return "TLS handshake with \(url) failed: \(text)"
        }
        if let e = error as? HTTPClientError {
            if e == .connectTimeout || e == .deadlineExceeded || e == .readTimeout {
                return "\(url): timed out (\(e))"
            }
        }
        return "cannot reach \(url): \(text)"
    }
}

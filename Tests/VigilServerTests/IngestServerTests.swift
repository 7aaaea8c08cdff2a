import Foundation
import Logging
import Testing
import VigilCore
import VigilRules
import VigilStore

@testable import VigilServer

/// The repository root, from this file.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs a command; returns its exit status and standard output.
@discardableResult
func sh(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> (status: Int32, out: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// `sh` on a thread of its own: waiting for curl must not hold one of the few threads of the
/// concurrency pool, which the server under test needs to answer (2 cores: 2 threads).
func shOffPool(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, out: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try sh(executable, arguments) }) }.start()
    }
}

/// A real correlator on 127.0.0.1 (a free port) with a throwaway PKI, store and the rule pack; talked
/// to with curl, a real TLS client.
final class Harness: @unchecked Sendable {
    // @unchecked: the lets are set in init; `port`, `apiPort`, `task` and `apiTask` are written and
    // read only by the test that owns the harness, from its own task, never concurrently.
    let dir: URL
    let pki: URL
    var port = 0
    var apiPort = 0
    var task: Task<Void, any Error>?
    var apiTask: Task<Void, any Error>?
    let config: CorrelatorConfig
    let service: IngestService

    /// `reusing`: the folder of a stopped harness (its PKI and store): a restart.
    init(denyListed: [String] = [], reusing: URL? = nil, sensorTimeout: Int? = nil) throws {
        dir =
            reusing ?? FileManager.default.temporaryDirectory.appendingPathComponent("vigil-corr-\(UUID().uuidString)")
        pki = dir.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if reusing == nil { try Self.makePKI(dir: dir, pki: pki) }
        var c = CorrelatorConfig()
        c.port = 0
        c.apiPort = 0
        c.certificate = pki.appendingPathComponent("correlator.crt").path
        c.key = pki.appendingPathComponent("correlator.key").path
        c.clientCA = pki.appendingPathComponent("ca.crt").path
        c.store = dir.appendingPathComponent("vigil.db").path
        c.rules = repoRoot.appendingPathComponent("rules").path
        c.limits.bodyBytes = 256 << 10
        if let sensorTimeout { c.sensorTimeoutSeconds = sensorTimeout }
        if !denyListed.isEmpty {
            var lines: [String] = []
            for id in denyListed {
                let (_, out) = try sh(
                    "/usr/bin/openssl",
                    [
                        "x509", "-noout", "-fingerprint", "-sha256", "-in",
                        pki.appendingPathComponent("sensors/\(id).crt").path,
                    ])
                lines.append(out)
            }
            let path = dir.appendingPathComponent("deny.txt")
            try lines.joined().write(to: path, atomically: true, encoding: .utf8)
            c.denyList = path.path
        }
        config = c
        service = try CorrelatorCommand.service(c)
    }

    static func makePKI(dir: URL, pki: URL) throws {
        let script = repoRoot.appendingPathComponent("deploy/pki/make-pki.sh").path
        try sh("/bin/bash", [script, pki.path, "--sensor", "golden", "--sensor", "node-2"])
        // A second CA whose certificates the correlator must refuse.
        try sh("/bin/bash", [script, dir.appendingPathComponent("rogue").path, "--sensor", "golden"])
    }

    func start() async throws {
        _ = await service.restoreIncidents()
        _ = await service.restoreCorrelation()
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = try CorrelatorServer.application(
            config: config, service: service, logger: Logger(label: "test")
        ) { port in continuation.yield(port) }
        task = Task { try await app.run() }
        for await p in stream {
            port = p
            break
        }
        let api = QueryAPI(
            store: try SQLiteStore(path: config.store), storePath: config.store, service: service,
            logger: Logger(label: "test"))
        let (apiStream, apiContinuation) = AsyncStream<Int>.makeStream()
        let queryApp = try CorrelatorServer.queryApplication(
            config: config, api: api, logger: Logger(label: "test")
        ) { port in apiContinuation.yield(port) }
        apiTask = Task { try await queryApp.run() }
        for await p in apiStream {
            apiPort = p
            break
        }
    }

    /// Stops the server as SIGTERM does (the correlation state is saved); `keep` leaves the
    /// folder for a restart; `crash` stops it as kill -9 would, without saving the state.
    func stop(keep: Bool = false, crash: Bool = false) async {
        task?.cancel()
        apiTask?.cancel()
        _ = try? await task?.value
        _ = try? await apiTask?.value
        if !crash { await service.saveCorrelation() }
        if !keep { try? FileManager.default.removeItem(at: dir) }
    }

    struct Answer {
        var status: Int
        var json: [String: Any]
        var curlExit: Int32
    }

    /// POSTs `body` with curl as `sensor` (nil: no client certificate; "rogue": a certificate from another CA).
    func post(
        _ path: String = "/v1/events", body: Data, sensor: String? = "golden", gzip: Bool = false,
        contentType: String = "application/x-ndjson"
    ) async throws -> Answer {
        let file = dir.appendingPathComponent("body-\(UUID().uuidString)")
        try body.write(to: file)
        var args = [
            "-sS", "--max-time", "20", "--cacert", pki.appendingPathComponent("ca.crt").path, "-H",
            "Content-Type: \(contentType)", "--data-binary", "@" + file.path, "-w", "\n%{http_code}",
        ]
        if gzip { args += ["-H", "Content-Encoding: gzip"] }
        switch sensor {
        case nil: break
        case "rogue":
            let rogue = dir.appendingPathComponent("rogue/sensors")
            args += [
                "--cert", rogue.appendingPathComponent("golden.crt").path, "--key",
                rogue.appendingPathComponent("golden.key").path,
            ]
        case let id?:
            let sensors = pki.appendingPathComponent("sensors")
            args += [
                "--cert", sensors.appendingPathComponent("\(id).crt").path, "--key",
                sensors.appendingPathComponent("\(id).key").path,
            ]
        }
        args.append("https://127.0.0.1:\(port)\(path)")
        let (status, out) = try await shOffPool("/usr/bin/curl", args)
        let parts = out.split(separator: "\n", omittingEmptySubsequences: false)
        let code = Int(parts.last ?? "") ?? 0
        let text = parts.dropLast().joined(separator: "\n")
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Answer(status: code, json: json, curlExit: status)
    }

    var store: SQLiteStore { get throws { try SQLiteStore(path: config.store) } }

    /// Writes a config for the real `vigil-correlator` binary on this harness's PKI and store
    /// (ports 0), with `extra` YAML appended; returns its path.
    func binaryConfig(_ extra: String = "") throws -> String {
        let path = dir.appendingPathComponent("correlator.yaml").path
        try """
        listen: 127.0.0.1:0
        api:
          listen: 127.0.0.1:0
        tls:
          certificate: \(config.certificate)
          key: \(config.key)
          client_ca: \(config.clientCA)
        store: \(config.store)

        """.appending(extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Calls the query API with curl (server TLS only) and `token` as the bearer (nil: none);
    /// a body makes it a POST.
    func api(_ path: String, token: String?, body: String? = nil) async throws -> Answer {
        var args = ["-sS", "--max-time", "20", "--cacert", pki.appendingPathComponent("ca.crt").path]
        args += ["-w", "\n%{http_code}", "-D", dir.appendingPathComponent("headers").path]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        args.append("https://127.0.0.1:\(apiPort)\(path)")
        let (status, out) = try await shOffPool("/usr/bin/curl", args)
        let parts = out.split(separator: "\n", omittingEmptySubsequences: false)
        let text = parts.dropLast().joined(separator: "\n")
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? ["text": text]
        return Answer(status: Int(parts.last ?? "") ?? 0, json: json, curlExit: status)
    }

    /// The response headers of the last `api` call.
    var lastHeaders: String {
        (try? String(contentsOf: dir.appendingPathComponent("headers"), encoding: .utf8)) ?? ""
    }
}

/// Event lines a sensor named "golden" wrote (the analyze goldens).
func goldenLines(_ name: String, count: Int) throws -> [String] {
    let text = try String(
        contentsOf: repoRoot.appendingPathComponent("Tests/Fixtures/expected/\(name).ndjson"), encoding: .utf8)
    return Array(text.split(separator: "\n").prefix(count).map(String.init))
}

func gzipped(_ data: Data) throws -> Data {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-gz-\(UUID().uuidString)")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let (_, out) = try sh("/bin/sh", ["-c", "gzip -c '\(file.path)' | base64 -w0"])
    return Data(base64Encoded: out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? Data()
}

@Suite("Correlator ingest over mutual TLS", .serialized)
struct IngestServerTests {
    @Test("a batch is stored once and answered with per-line results; a retry reports duplicates")
    func ingestAndRetry() async throws {
        let h = try Harness()
        try await h.start()
        let lines = try goldenLines("logs-nginx-combined", count: 5)
        let body = Data(
            (lines + ["{\"@timestamp\": \"not a time\", \"event.id\": \"x\", \"event.dataset\": \"auth\"}", "garbage"])
                .joined(separator: "\n").utf8)
        let first = try await h.post(body: body)
        #expect(first.status == 200, "curl exit \(first.curlExit) \(first)")
        #expect(first.json["accepted"] as? Int == 5)
        #expect(first.json["rejected"] as? Int == 2)
        let errors = first.json["errors"] as? [[String: Any]] ?? []
        #expect(errors.map { $0["line"] as? Int } == [6, 7])
        #expect(errors.first?["reason"] as? String == "bad_timestamp", "\(errors)")
        let again = try await h.post(body: body)
        #expect(again.json["accepted"] as? Int == 0)
        #expect(again.json["duplicates"] as? Int == 5, "a retried batch is not stored twice")
        await h.stop()
    }
}

@Suite("Correlator refusals and incidents", .serialized)
struct IngestRefusalTests {
    /// Signs a certificate for sensor `golden` with the platform CA, valid only in January 2020
    /// (`openssl ca` sets past dates; `openssl x509` cannot), as `pki/sensors/<name>.crt`.
    static func expiredCertificate(_ h: Harness, name: String) throws {
        let work = h.dir.appendingPathComponent("expired-ca")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try "".write(to: work.appendingPathComponent("index.txt"), atomically: true, encoding: .utf8)
        try "1000\n".write(to: work.appendingPathComponent("serial"), atomically: true, encoding: .utf8)
        let config = work.appendingPathComponent("ca.cnf")
        try """
        [ca]
        default_ca = this
        [this]
        database = \(work.path)/index.txt
        new_certs_dir = \(work.path)
        serial = \(work.path)/serial
        default_md = sha256
        policy = any
        x509_extensions = client
        [any]
        commonName = supplied
        [client]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = clientAuth

        """.write(to: config, atomically: true, encoding: .utf8)
        let sensors = h.pki.appendingPathComponent("sensors")
        let key = sensors.appendingPathComponent("\(name).key").path
        let csr = work.appendingPathComponent("\(name).csr").path
        #expect(
            try sh(
                "/usr/bin/openssl",
                [
                    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                    "-subj", "/CN=golden", "-out", csr,
                ]
            ).status == 0)
        #expect(
            try sh(
                "/usr/bin/openssl",
                [
                    "ca", "-batch", "-config", config.path, "-cert", h.pki.appendingPathComponent("ca.crt").path,
                    "-keyfile", h.pki.appendingPathComponent("ca.key").path, "-in", csr, "-out",
                    sensors.appendingPathComponent("\(name).crt").path, "-startdate", "20200101000000Z",
                    "-enddate", "20200201000000Z", "-notext",
                ]
            ).status == 0)
    }

    @Test("a certificate of a known sensor, signed by the platform CA but expired, fails in the handshake")
    func expired() async throws {
        let h = try Harness()
        try Self.expiredCertificate(h, name: "golden-expired")
        // Only its dates are wrong: openssl accepts it when told to ignore time.
        let ca = h.pki.appendingPathComponent("ca.crt").path
        let cert = h.pki.appendingPathComponent("sensors/golden-expired.crt").path
        #expect(try sh("/usr/bin/openssl", ["verify", "-no_check_time", "-CAfile", ca, cert]).status == 0)
        #expect(try sh("/usr/bin/openssl", ["verify", "-CAfile", ca, cert]).status != 0)
        try await h.start()
        let body = Data(try goldenLines("logs-nginx-combined", count: 1).joined(separator: "\n").utf8)
        let expired = try await h.post(body: body, sensor: "golden-expired")
        #expect(expired.status == 0 && expired.curlExit != 0, "\(expired)")
        #expect(try await h.post(body: body, sensor: "golden").status == 200, "the valid one still gets in")
        #expect(try h.store.eventCount() == 1)
        await h.stop()
    }

    @Test("no client certificate, one from another CA, or a revoked one fails in the TLS handshake")
    func authentication() async throws {
        let h = try Harness(denyListed: ["node-2"])
        try await h.start()
        let body = Data(try goldenLines("logs-nginx-combined", count: 1).joined(separator: "\n").utf8)
        let anonymous = try await h.post(body: body, sensor: nil)
        #expect(anonymous.status == 0 && anonymous.curlExit != 0, "\(anonymous)")
        let rogue = try await h.post(body: body, sensor: "rogue")
        #expect(rogue.status == 0 && rogue.curlExit != 0, "\(rogue)")
        let revoked = try await h.post(body: body, sensor: "node-2")
        #expect(
            revoked.status == 0 && revoked.curlExit != 0, "a revoked certificate fails in the handshake: \(revoked)")
        #expect(try await h.post(body: body, sensor: "golden").status == 200, "the others still get in")
        #expect(try h.store.eventCount() == 1)

        await h.stop()
    }

    @Test("a sensor cannot store events in another sensor's name")
    func observerMismatch() async throws {
        let h = try Harness()
        try await h.start()
        var own = Event(timestamp: Timestamp(microseconds: 1_764_000_000_000_000), id: "own-1", dataset: .auth)
        own.set(Fields.eventAction, "other")
        let lines = try goldenLines("logs-nginx-combined", count: 2) + [own.jsonLine]
        let answer = try await h.post(body: Data(lines.joined(separator: "\n").utf8), sensor: "node-2")
        #expect(answer.status == 200)
        #expect(answer.json["accepted"] as? Int == 1, "the line without observer.id is taken as node-2's")
        let reasons = (answer.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
        #expect(reasons == ["observer_mismatch", "observer_mismatch"])
        var query = EventQuery()
        query.observer = "node-2"
        #expect(try h.store.events(query).events.count == 1)
        await h.stop()
    }

    @Test("gzip bodies are accepted; corrupt gzip is 400, an oversized body 413, a wrong type 415")
    func bodies() async throws {
        let h = try Harness()
        try await h.start()
        let plain = Data(try goldenLines("logs-auth-iso", count: 20).joined(separator: "\n").utf8)
        let zipped = try await h.post(body: try gzipped(plain), gzip: true)
        #expect(zipped.status == 200 && zipped.json["accepted"] as? Int == 20, "\(zipped)")
        let corrupt = try await h.post(body: Data("this is not gzip".utf8), gzip: true)
        #expect(corrupt.status == 400 && corrupt.json["error"] as? String == "bad_body")
        let big = try await h.post(body: Data(repeating: 0x41, count: 300 << 10))
        #expect(big.status == 413)
        let wrongType = try await h.post(body: plain, contentType: "text/plain")
        #expect(wrongType.status == 415)
        #expect(try h.store.eventCount() == 20)
        await h.stop()
    }

    @Test("password guessing sent by a sensor becomes a stored incident once the sensor's watermark passes it")
    func incidents() async throws {
        let h = try Harness()
        try await h.start()
        let start: Int64 = 1_764_000_000_000_000
        func auth(_ second: Int64, _ outcome: String) -> String {
            var e = Event(
                timestamp: Timestamp(microseconds: start + second * 1_000_000), id: "ssh-\(second)", dataset: .auth,
                observerID: "golden")
            e.set(Fields.eventAction, "ssh_login")
            e.set(Fields.eventOutcome, outcome)
            e.set(Fields.sourceIP, .ip(IPAddress("203.0.113.7")!))
            e.set(Fields.userName, "admin")
            return e.jsonLine
        }
        let burst = (0..<12).map { auth(Int64($0) * 3, "failure") }
        _ = try await h.post(body: Data(burst.joined(separator: "\n").utf8))
        var stored = try h.store.incidents(limit: 10)
        #expect(!stored.contains { $0.correlation != nil }, "within the 5-minute lateness nothing is correlated yet")
        // Ten minutes later the same sensor reports again: its watermark passes the burst.
        _ = try await h.post(body: Data(auth(600, "success").utf8))
        stored = try h.store.incidents(limit: 10)
        let guessing = stored.first { $0.ruleID == "3e0e8a39-ce81-4aad-9535-98bd2b2e0809" }
        #expect(guessing?.group == ["source.ip": "203.0.113.7"], "\(stored)")
        #expect(guessing?.observers == ["golden"])
        #expect(guessing?.status == "open")
        await h.stop()
    }

    @Test("a heartbeat from a sensor with an empty spool moves its watermark: a quiet node's burst is correlated")
    func heartbeatWatermark() async throws {
        let h = try Harness()
        try await h.start()
        let start = Timestamp.now().microseconds - 400_000_000
        let burst = (0..<12).map { i -> String in
            var e = Event(
                timestamp: Timestamp(microseconds: start + Int64(i) * 3_000_000), id: "quiet-\(i)", dataset: .auth,
                observerID: "golden")
            e.set(Fields.eventAction, "ssh_login")
            e.set(Fields.eventOutcome, "failure")
            e.set(Fields.sourceIP, .ip(IPAddress("203.0.113.9")!))
            return e.jsonLine
        }
        _ = try await h.post(body: Data(burst.joined(separator: "\n").utf8))
        func guessing() throws -> IncidentRecord? {
            try h.store.incidents(limit: 10).first { $0.ruleID == "3e0e8a39-ce81-4aad-9535-98bd2b2e0809" }
        }
        #expect(try guessing() == nil, "held for the 5-minute lateness")
        func beat(spooled: Int) async throws {
            let body = #"{"version":"0.4.0","time":"\#(Timestamp.now())","counters":{"spool_events":\#(spooled)}}"#
            #expect(
                try await h.post("/v1/heartbeat", body: Data(body.utf8), contentType: "application/json").status == 200)
        }
        // Events still waiting in the sensor's spool: its clock says nothing about them.
        try await beat(spooled: 5)
        #expect(try guessing() == nil)
        try await beat(spooled: 0)
        #expect(try guessing()?.group == ["source.ip": "203.0.113.9"])
        await h.stop()
    }

    @Test("a sensor that falls silent stops holding back the correlation of the others after sensor_timeout")
    func silentSensor() async throws {
        let h = try Harness(sensorTimeout: 1)
        try await h.start()
        let start: Int64 = 1_764_100_000_000_000
        func auth(_ second: Int64, _ outcome: String, sensor: String, ip: String) -> String {
            sshLogin(
                at: start + second * 1_000_000, id: "\(sensor)-\(second)", outcome: outcome, ip: ip, sensor: sensor)
        }
        func guessing() throws -> IncidentRecord? {
            try h.store.incidents(limit: 10).first { $0.ruleID == "3e0e8a39-ce81-4aad-9535-98bd2b2e0809" }
        }
        // node-2 reports once, then goes down; golden sees a burst and reports on for ten minutes.
        _ = try await h.post(body: Data(auth(0, "success", sensor: "node-2", ip: "192.0.2.1").utf8), sensor: "node-2")
        try await Task.sleep(for: .milliseconds(1200))
        let burst = (0..<12).map { auth(10 + Int64($0) * 3, "failure", sensor: "golden", ip: "203.0.113.50") }
        _ = try await h.post(body: Data(burst.joined(separator: "\n").utf8))
        _ = try await h.post(body: Data(auth(600, "success", sensor: "golden", ip: "192.0.2.2").utf8))
        #expect(try guessing() == nil, "correlation waits for node-2, whose watermark is still at its one event")
        #expect(await h.service.releaseSilentSensors() == ["node-2"], "golden was heard just now")
        #expect(try guessing()?.group == ["source.ip": "203.0.113.50"], "released, the burst is correlated")
        // node-2 comes back: heard again, it is not released.
        _ = try await h.post(body: Data(auth(700, "success", sensor: "node-2", ip: "192.0.2.1").utf8), sensor: "node-2")
        #expect(await h.service.releaseSilentSensors() == [])
        await h.stop()
    }

    @Test("when every sensor has fallen silent, what they sent is correlated")
    func allSilent() async throws {
        let h = try Harness(sensorTimeout: 1)
        try await h.start()
        let start: Int64 = 1_764_200_000_000_000
        let burst = (0..<12).map { sshLogin(at: start + Int64($0) * 3_000_000, id: "all-\($0)", ip: "203.0.113.51") }
        _ = try await h.post(body: Data(burst.joined(separator: "\n").utf8))
        let incidents = {
            try h.store.incidents(limit: 10).filter { $0.ruleID == "3e0e8a39-ce81-4aad-9535-98bd2b2e0809" }
        }
        #expect(try incidents().isEmpty, "held for the 5-minute lateness")
        try await Task.sleep(for: .milliseconds(1200))
        #expect(await h.service.releaseSilentSensors() == ["golden"])
        #expect(try incidents().count == 1, "the only sensor is silent: its burst is released")
        await h.stop()
    }

    @Test("a password-guessing burst that straddles a restart of the correlator is still caught")
    func restart() async throws {
        let start: Int64 = 1_764_000_000_000_000
        func failure(_ second: Int64, _ outcome: String = "failure") -> String {
            var e = Event(
                timestamp: Timestamp(microseconds: start + second * 1_000_000), id: "r-\(second)", dataset: .auth,
                observerID: "golden")
            e.set(Fields.eventAction, "ssh_login")
            e.set(Fields.eventOutcome, outcome)
            e.set(Fields.sourceIP, .ip(IPAddress("198.51.100.23")!))
            return e.jsonLine
        }
        let first = try Harness()
        try await first.start()
        _ = try await first.post(body: Data((0..<6).map { failure(Int64($0) * 3) }.joined(separator: "\n").utf8))
        await first.stop(keep: true)
        let second = try Harness(reusing: first.dir)
        try await second.start()
        _ = try await second.post(body: Data((6..<10).map { failure(Int64($0) * 3) }.joined(separator: "\n").utf8))
        _ = try await second.post(body: Data(failure(900, "success").utf8))
        let guessing = try second.store.incidents(limit: 10).filter {
            $0.ruleID == "3e0e8a39-ce81-4aad-9535-98bd2b2e0809"
        }
        #expect(guessing.count == 1, "six failures before the restart and four after are ten")
        #expect(guessing.first?.samples.first == "r-0", "the first sample is from before the restart")
        await second.stop()
    }

    @Test("a restart is invisible in the incidents: a stream split by a restart gives what it gives unbroken")
    func incidentsAcrossRestart() async throws {
        // The auth golden, then (half a day later) two bursts of 30 SSH password failures from one
        // address every 3 s, each followed 15 minutes on by a login, which moves the sensor's
        // watermark past the burst: the guessing incident gets hits before and after the restart.
        let start: Int64 = 1_795_500_000_000_000
        func ssh(_ second: Int64, _ outcome: String = "failure") -> String {
            var e = Event(
                timestamp: Timestamp(microseconds: start + second * 1_000_000), id: "x-\(second)", dataset: .auth,
                observerID: "golden")
            e.set(Fields.eventAction, "ssh_login")
            e.set(Fields.eventOutcome, outcome)
            e.set(Fields.sourceIP, .ip(IPAddress("198.51.100.99")!))
            return e.jsonLine
        }
        let lines =
            try goldenLines("logs-auth-iso", count: 87) + (0..<30).map { ssh(Int64($0) * 3) } + [ssh(900, "success")]
            + (0..<30).map { ssh(1000 + Int64($0) * 3) } + [ssh(1900, "success")]
        let whole = try Harness()
        try await whole.start()
        _ = try await whole.post(body: Data(lines.joined(separator: "\n").utf8))
        let expected = try incidentSummary(whole.store)
        await whole.stop()
        #expect(expected.contains { !$0.contains("hits=1 ") }, "some incident has several hits: \(expected)")

        let split = 87 + 31 + 14  // in the middle of the second burst
        let first = try Harness()
        try await first.start()
        _ = try await first.post(body: Data(lines[..<split].joined(separator: "\n").utf8))
        await first.stop(keep: true)
        let second = try Harness(reusing: first.dir)
        try await second.start()
        _ = try await second.post(body: Data(lines[split...].joined(separator: "\n").utf8))
        #expect(try incidentSummary(second.store) == expected)
        await second.stop()
    }

    @Test("a crash after the last snapshot does not count twice the correlation hits the replay re-creates")
    func crashAfterSnapshot() async throws {
        // Two bursts of 30 SSH password failures from one address, each closed by a login 15
        // minutes on that moves the sensor's watermark past it. The correlation state is saved
        // after the first burst; the second burst's hits are counted and stored, then the
        // correlator dies without saving. At start it replays the events after the snapshot,
        // which re-creates those hits: the stored incident must not count them again.
        let start: Int64 = 1_795_600_000_000_000
        func ssh(_ second: Int64, _ outcome: String = "failure") -> String {
            sshLogin(at: start + second * 1_000_000, id: "k-\(second)", outcome: outcome, ip: "198.51.100.77")
        }
        let firstBurst = (0..<30).map { ssh(Int64($0) * 3) } + [ssh(900, "success")]
        let secondBurst = (0..<30).map { ssh(1000 + Int64($0) * 3) } + [ssh(1900, "success")]
        let third = (0..<30).map { ssh(3000 + Int64($0) * 3) } + [ssh(3900, "success")]
        let whole = try Harness()
        try await whole.start()
        _ = try await whole.post(body: Data((firstBurst + secondBurst + third).joined(separator: "\n").utf8))
        let expected = try incidentSummary(whole.store)
        await whole.stop()
        #expect(expected.contains { !$0.contains("hits=1 ") }, "some incident has several hits: \(expected)")

        let first = try Harness()
        try await first.start()
        _ = try await first.post(body: Data(firstBurst.joined(separator: "\n").utf8))
        await first.service.saveCorrelation()
        _ = try await first.post(body: Data(secondBurst.joined(separator: "\n").utf8))
        let beforeCrash = try incidentSummary(first.store)
        await first.stop(keep: true, crash: true)
        let second = try Harness(reusing: first.dir)
        try await second.start()
        #expect(try incidentSummary(second.store) == beforeCrash, "the replay at start changes no stored incident")
        #expect(await second.service.counters.replayedHitsSkipped > 0, "the replay did re-create counted hits")
        _ = try await second.post(body: Data(third.joined(separator: "\n").utf8))
        #expect(try incidentSummary(second.store) == expected)
        await second.stop()
    }

    @Test("retention deletes events older than the configured days and keeps the rest")
    func retention() async throws {
        let h = try Harness()
        try await h.start()
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        let lines = [10, 100, 179, 181, 400].map { days -> String in
            let e = Event(
                timestamp: Timestamp(microseconds: Int64((now.timeIntervalSince1970 - Double(days) * 86_400) * 1e6)),
                id: "age-\(days)", dataset: .auth, observerID: "golden")
            return e.jsonLine
        }
        _ = try await h.post(body: Data(lines.joined(separator: "\n").utf8))
        #expect(await h.service.enforceRetention(days: 180, now: now) == 2)
        #expect(try h.store.eventCount() == 3)
        await h.stop()
    }

    @Test("a heartbeat registers the sensor with its version and counters")
    func heartbeat() async throws {
        let h = try Harness()
        try await h.start()
        let body = Data(#"{"version":"0.3.0","counters":{"captured":1200,"dropped":3}}"#.utf8)
        let answer = try await h.post("/v1/heartbeat", body: body, contentType: "application/json")
        #expect(answer.status == 200 && answer.json["server_time"] != nil)
        let sensors = try h.store.sensors()
        #expect(sensors.map(\.id) == ["golden"])
        #expect(sensors.first?.counters == ["captured": 1200, "dropped": 3])
        #expect(sensors.first?.version == "0.3.0")
        await h.stop()
    }
}

/// A gate tasks wait at until it opens.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var arrived = 0

    func wait() async {
        arrived += 1
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for w in waiters { w.resume() }
        waiters = []
    }
}

@Suite("Correlator back-pressure", .serialized)
struct BackPressureTests {
    @Test("past the in-flight limit of a sensor its batches get 429 with Retry-After; other sensors still get in")
    func perSensorLimit() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let gate = Gate()
        await h.service.setBeforeCommit { await gate.wait() }
        let lines = try goldenLines("logs-nginx-combined", count: 10)
        func batch(_ n: Int, sensor: String = "golden") -> IngestBatch {
            let body = lines[n].replacingOccurrences(of: "\"golden\"", with: "\"\(sensor)\"")
            return IngestBatch(sensor: sensor, body: Array(body.utf8), gzip: false)
        }
        let held = (0..<4).map { n in Task { await h.service.ingest(batch(n)) } }
        for _ in 0..<200 where await gate.arrived < 4 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await gate.arrived == 4, "four batches of one sensor are in flight")
        let refused = await h.service.ingest(batch(5))
        #expect(refused.status == .tooManyRequests && refused.retryAfter == 1)
        #expect(refused.json["error"] as? String == "overloaded")
        let other = Task { await h.service.ingest(batch(6, sensor: "node-2")) }
        for _ in 0..<200 where await gate.arrived < 5 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await gate.arrived == 5, "another sensor is admitted")
        await gate.open()
        for task in held { #expect(await task.value.status == .ok) }
        #expect(await other.value.status == .ok)
        #expect(try h.store.eventCount() == 5, "the refused batch stored nothing; the sensor retries it")
        #expect(await h.service.ingest(batch(5)).status == .ok, "once the queue drains the retry gets in")
    }
}

/// An SSH login (`ssh_login` with `outcome`) from `ip` as sensor `sensor` reports it, as a JSON line.
private func sshLogin(at micros: Int64, id: String, outcome: String = "failure", ip: String, sensor: String = "golden")
    -> String
{
    var e = Event(timestamp: Timestamp(microseconds: micros), id: id, dataset: .auth, observerID: sensor)
    e.set(Fields.eventAction, "ssh_login")
    e.set(Fields.eventOutcome, outcome)
    e.set(Fields.sourceIP, .ip(IPAddress(ip)!))
    return e.jsonLine
}

/// A store's incidents as sorted lines (rule, group, hits, level), to compare two runs.
private func incidentSummary(_ store: SQLiteStore) throws -> [String] {
    try store.incidents(limit: 1000).map { "\($0.ruleID) \($0.group) hits=\($0.hits) level=\($0.level)" }.sorted()
}

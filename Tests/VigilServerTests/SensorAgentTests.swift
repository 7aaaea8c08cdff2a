import Foundation
import Testing
import VigilCore

/// The real `vigil-sensor` binary, built beside this test bundle.
let sensorBinary = correlatorBinary.deletingLastPathComponent().appendingPathComponent("vigil-sensor")

/// A `vigil-sensor` process; its stderr is collected into `log`.
final class SensorProcess: @unchecked Sendable {
    // @unchecked: `process` is set up in init and only read afterwards; `logged` is guarded by `lock`.
    let process = Process()
    private let lock = NSLock()
    private var logged = ""

    init(config: String, environment: [String: String] = [:]) throws {
        process.executableURL = sensorBinary
        process.arguments = ["--config", config]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = errors.fileHandleForReading
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { logged += String(decoding: chunk, as: UTF8.self) }
            }
        }.start()
    }

    var log: String { lock.withLock { logged } }

    func waitForLog(_ text: String, seconds: Double = 30) async -> Bool {
        await waitUntil(seconds: seconds) { self.log.contains(text) }
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, as systemd stops it; waits for the exit.
    func terminate() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}

/// Polls `condition` every 100 ms for at most `seconds`. Sleeps without holding a thread: the
/// concurrency pool has as many threads as cores (2 here), and the servers and clients under test in
/// other tests need them — a blocked pool once made their 5 s timeouts fire.
func waitUntil(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}

/// A free TCP port on 127.0.0.1 (bound and released: a correlator that must come back on the same
/// port after an outage needs a fixed one).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A correlator (the real binary, on a fixed port) and sensors (the real binary) sharing one
/// throwaway PKI, with an nginx access log the sensors tail.
final class SensorRig: @unchecked Sendable {
    // @unchecked: the lets are set in init; the vars (`correlator`, `lineNumber`) are read and
    // written only by the test that owns the rig, from its own task, never concurrently.
    let h: Harness
    let port = freePort()
    let accessLog: URL
    var correlator: CorrelatorProcess?
    private var lineNumber = 0

    init() throws {
        h = try Harness()
        accessLog = h.dir.appendingPathComponent("access.log")
        guard FileManager.default.createFile(atPath: accessLog.path, contents: nil) else {
            throw VigilError(.io, "cannot create \(accessLog.path)")
        }
    }

    deinit {
        correlator?.kill9()
        try? FileManager.default.removeItem(at: h.dir)
    }

    func startCorrelator() throws {
        let path = h.dir.appendingPathComponent("correlator-fixed.yaml").path
        try """
        listen: 127.0.0.1:\(port)
        api:
          listen: 127.0.0.1:0
        tls:
          certificate: \(h.config.certificate)
          key: \(h.config.key)
          client_ca: \(h.config.clientCA)
        store: \(h.config.store)

        """.write(toFile: path, atomically: true, encoding: .utf8)
        correlator = try CorrelatorProcess(config: path)
    }

    func stopCorrelator() {
        correlator?.kill9()
        correlator = nil
    }

    /// A sensor config for `sensor` (a certificate of the harness's PKI, or "rogue": another CA's),
    /// with the profile's YAML given; returns its path.
    func sensorConfig(
        _ name: String = "sensor", sensor: String = "golden", profile: String? = nil, extra: String = ""
    ) throws -> String {
        let state = h.dir.appendingPathComponent("state-\(name)").path
        let profilePath = h.dir.appendingPathComponent("profile-\(name).yaml").path
        try
            (profile ?? """
                kind: test-node
                labels:
                  department: 测试中心
                  data_classification: important
                logs:
                  - format: nginx
                    path: \(accessLog.path)

                """).write(toFile: profilePath, atomically: true, encoding: .utf8)
        let certs =
            sensor == "rogue"
            ? h.dir.appendingPathComponent("rogue/sensors/golden") : h.pki.appendingPathComponent("sensors/\(sensor)")
        let path = h.dir.appendingPathComponent("sensor-\(name).yaml").path
        try """
        profile: \(profilePath)
        correlator:
          url: https://127.0.0.1:\(port)
          ca: \(h.pki.appendingPathComponent("ca.crt").path)
          certificate: \(certs.path).crt
          key: \(certs.path).key
        state_dir: \(state)
        metrics:
          interval_seconds: 1

        """.appending(extra.contains("spool:") ? "" : "spool:\n  min_free_mib: 0\n")
            .appending(extra.contains("shipping:") ? "" : "shipping:\n  batch_wait_ms: 200\n  heartbeat_seconds: 1\n")
            .appending(extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The sensor's metrics file (`name` as given to `sensorConfig`), by series name without labels.
    func metrics(_ name: String = "sensor") -> [String: Double] {
        let path = h.dir.appendingPathComponent("state-\(name)/vigil-sensor.prom").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            out[String(parts[0].prefix { $0 != "{" })] = value
        }
        return out
    }

    /// Appends `count` nginx access lines, each with its own path `/item/<n>`; returns the numbers.
    @discardableResult
    func appendLines(_ count: Int) throws -> Range<Int> {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        let time = formatter.string(from: Date())
        let first = lineNumber
        var text = ""
        for n in first..<first + count {
            text += "10.2.0.\(n % 250 + 1) - - [\(time)] \"GET /item/\(n) HTTP/1.1\" 200 512 \"-\" \"curl/7.88\"\n"
        }
        lineNumber += count
        let handle = try FileHandle(forWritingTo: accessLog)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
        return first..<first + count
    }

    /// One number from the store (sqlite3 reads the WAL too).
    func storeValue(_ sql: String) throws -> Int {
        Int(try sh("/usr/bin/sqlite3", [h.config.store, sql]).out.trimmingCharacters(in: .whitespacesAndNewlines))
            ?? -1
    }

    /// web.access events of `observer`: all rows and distinct event ids.
    func accessEvents(observer: String = "golden") throws -> (rows: Int, distinct: Int) {
        let out = try sh(
            "/usr/bin/sqlite3",
            [
                h.config.store,
                "SELECT count(*) || ' ' || count(DISTINCT event_id) FROM events WHERE dataset = 'web.access' AND observer = '\(observer)'",
            ]
        ).out.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return out.count == 2 ? (out[0], out[1]) : (-1, -1)
    }
}

@Suite("vigil-sensor and vigil-correlator as real processes, mutual TLS on 127.0.0.1", .serialized)
struct SensorAgentTests {
    @Test("log lines and (as root) HTTP on lo arrive in the correlator with the sensor's id, labels and a heartbeat")
    func shipsLogsAndTraffic() async throws {
        let rig = try SensorRig()
        try rig.startCorrelator()
        // A plain HTTP server on lo for the capture (root only: capture needs CAP_NET_RAW).
        let capturing = getuid() == 0
        let webPort = freePort()
        let web = Process()
        web.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        web.arguments = ["-m", "http.server", String(webPort), "--bind", "127.0.0.1", "--directory", rig.h.dir.path]
        web.standardOutput = FileHandle.nullDevice
        web.standardError = FileHandle.nullDevice
        try web.run()
        defer {
            kill(web.processIdentifier, SIGKILL)
            web.waitUntilExit()
        }
        let capture = capturing ? "capture:\n  interface: lo\n  bpf: \"tcp port \(webPort)\"\n" : ""
        let config = try rig.sensorConfig(
            profile: """
                kind: test-node
                labels:
                  department: 测试中心
                  data_classification: important
                \(capture)logs:
                  - format: nginx
                    path: \(rig.accessLog.path)

                """)
        let sensor = try SensorProcess(config: config)
        defer { sensor.kill9() }
        #expect(await sensor.waitForLog("tailing"), "\(sensor.log)")
        try rig.appendLines(5)
        if capturing {
            #expect(await sensor.waitForLog("capturing on lo"), "\(sensor.log)")
            // Bounded: until the HTTP exchange shows up in the store.
            for _ in 0..<20 {
                _ = try await shOffPool("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(webPort)/"])
                if try rig.storeValue("SELECT count(*) FROM events WHERE dataset = 'http'") > 0 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(
                try rig.storeValue("SELECT count(*) FROM events WHERE dataset = 'http' AND observer = 'golden'") > 0)
        }
        #expect(try await waitUntil(seconds: 30) { try rig.accessEvents().rows == 5 }, "\(sensor.log)")
        let json = try sh(
            "/usr/bin/sqlite3", [rig.h.config.store, "SELECT json FROM events WHERE dataset = 'web.access' LIMIT 1"]
        ).out
        #expect(
            json.contains("\"labels.department\":\"测试中心\"") && json.contains("\"observer.id\":\"golden\""), "\(json)")
        // The heartbeat registered the sensor with its version and counters.
        #expect(
            try await waitUntil(seconds: 10) {
                try rig.storeValue("SELECT count(*) FROM sensors WHERE id = 'golden' AND version = '0.4.0'") == 1
            })
        #expect(try await waitUntil(seconds: 10) { rig.metrics()["vigil_sensor_shipped_total"] ?? 0 >= 5 })
        sensor.terminate()
        #expect(sensor.process.terminationStatus == 0, "SIGTERM is a clean stop: \(sensor.log)")
        #expect(sensor.log.contains("stopped: 0 events left in the spool"), "\(sensor.log)")
    }

    @Test("correlator down under load: the spool grows, then every event arrives exactly once")
    func correlatorOutage() async throws {
        let rig = try SensorRig()
        try rig.startCorrelator()
        let sensor = try SensorProcess(config: try rig.sensorConfig())
        defer { sensor.kill9() }
        #expect(await sensor.waitForLog("tailing"))
        try rig.appendLines(200)
        #expect(try await waitUntil(seconds: 30) { try rig.accessEvents().rows == 200 }, "\(sensor.log)")
        rig.stopCorrelator()
        try rig.appendLines(300)
        // Held on disk while the correlator is away, and the failure is in the log.
        #expect(
            await waitUntil(seconds: 30) { rig.metrics()["vigil_sensor_spool_events"] ?? 0 >= 300 }, "\(rig.metrics())")
        #expect(await sensor.waitForLog("shipping failed"), "\(sensor.log)")
        try rig.startCorrelator()
        try rig.appendLines(100)
        #expect(try await waitUntil(seconds: 60) { try rig.accessEvents().rows == 600 }, "\(sensor.log)")
        let events = try rig.accessEvents()
        #expect(events.rows == 600 && events.distinct == 600, "exactly once: \(events)")
        #expect(await waitUntil(seconds: 10) { rig.metrics()["vigil_sensor_spool_events"] == 0 })
        #expect(sensor.log.contains("shipping resumed"), "\(sensor.log)")
    }

    @Test("kill -9 of the sensor while lines arrive: after a restart nothing is lost and nothing stored twice")
    func sensorKillNine() async throws {
        let rig = try SensorRig()
        try rig.startCorrelator()
        let config = try rig.sensorConfig()
        var sensor = try SensorProcess(config: config)
        #expect(await sensor.waitForLog("tailing"))
        // Lines keep arriving while the sensor dies twice (one mid-stream, one right after a burst).
        for round in 0..<3 {
            for _ in 0..<10 {
                try rig.appendLines(50)
                try await Task.sleep(for: .milliseconds(30))
            }
            if round < 2 {
                sensor.kill9()
                try rig.appendLines(100)
                sensor = try SensorProcess(config: config)
                #expect(await sensor.waitForLog("tailing"))
            }
        }
        defer { sensor.kill9() }
        let total = 3 * 500 + 2 * 100
        #expect(try await waitUntil(seconds: 60) { try rig.accessEvents().rows == total }, "\(sensor.log)")
        let events = try rig.accessEvents()
        #expect(events.rows == total && events.distinct == total, "\(events)")
    }

    @Test("a full spool drops the oldest events, says so in the log and counts them; the newest still arrive")
    func spoolFull() async throws {
        let rig = try SensorRig()
        // The correlator is down from the start; the spool may hold 1 MiB.
        // Retries at most 2 s apart, so the wait after the correlator starts is not up to the jitter.
        // One connection with batches of at most 200 lines: the lines a claimed batch holds in memory
        // (which may still arrive) are at most 200. With the defaults (2 × 2 000) a loaded machine
        // claimed all 4 000 before the cap dropped any, and every line arrived.
        let sensor = try SensorProcess(
            config: try rig.sensorConfig(
                extra: "spool:\n  max_mib: 1\n  min_free_mib: 0\n"
                    + "shipping:\n  batch_wait_ms: 200\n  batch_events: 200\n  connections: 1\n"
                    + "  heartbeat_seconds: 1\n  retry_max_seconds: 2\n"))
        defer { sensor.kill9() }
        #expect(await sensor.waitForLog("tailing"))
        _ = await sensor.waitForLog("spool.db")
        // ~600 bytes per event: 4 000 lines are more than twice the cap.
        for _ in 0..<8 {
            try rig.appendLines(500)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await sensor.waitForLog("spool full"), "\(sensor.log)")
        #expect(
            await waitUntil(seconds: 20) { rig.metrics()["vigil_sensor_spooled_total"] == 4000 }, "\(rig.metrics())")
        let metrics = rig.metrics()
        // What the cap dropped: counted lost, or — rows of a batch the shipper had already claimed
        // while the correlator was down — held as in-flight drops until that batch's fate is known
        // (at most one batch of 200).
        let dropped =
            Int(metrics["vigil_sensor_spool_lost_total"] ?? 0)
            + Int(metrics["vigil_sensor_spool_in_flight_dropped"] ?? 0)
        #expect(dropped > 1000, "\(metrics)")
        #expect(metrics["vigil_sensor_spool_in_flight_dropped"] ?? 0 <= 200, "one batch at most: \(metrics)")
        #expect((metrics["vigil_sensor_spool_bytes"] ?? .infinity) <= Double(1 << 20))
        try rig.startCorrelator()
        // Exactly the events not counted lost arrive, and the spool empties. Batches claimed while
        // the correlator was down wait in the HTTP client's queue with lines the cap dropped
        // meanwhile; they are delivered after all, so they are not lost (once counted 2 340 lost
        // with only 677 missing).
        #expect(
            try await waitUntil(seconds: 60) {
                let m = rig.metrics()
                let stored = try rig.accessEvents().rows
                return m["vigil_sensor_spool_bytes"] == 0 && m["vigil_sensor_spool_in_flight_dropped"] == 0
                    && stored == 4000 - Int(m["vigil_sensor_spool_lost_total"] ?? 0)
            },
            "stored \((try? rig.accessEvents()).map { "\($0)" } ?? "?"), sensor \(rig.metrics()), log \(sensor.log), correlator \(rig.correlator?.log ?? "")"
        )
        #expect(try rig.accessEvents().rows < 4000, "the cap dropped some")
        // The oldest went, the newest stayed: every line after the newest missing one arrived. (A
        // batch the shipper had claimed before the cap dropped its rows may arrive after all: then
        // the very oldest lines are there too, and the missing ones are the range after them.)
        let paths = try sh(
            "/usr/bin/sqlite3",
            [
                rig.h.config.store,
                "SELECT json_extract(json, '$.\"url.original\"') FROM events WHERE dataset = 'web.access'",
            ]
        ).out
        let stored = Set(paths.split(separator: "\n").compactMap { Int($0.dropFirst("/item/".count)) })
        let missing = (0..<4000).filter { !stored.contains($0) }
        #expect(!missing.isEmpty && stored.contains(3999), "newest kept, some dropped")
        if let newestMissing = missing.last {
            #expect(
                ((newestMissing + 1)..<4000).allSatisfy(stored.contains),
                "dropped oldest first: \(missing.first!)...\(newestMissing) missing")
        }
    }

    @Test("a sensor with a certificate from another CA is refused and says why; nothing is stored")
    func wrongCertificate() async throws {
        let rig = try SensorRig()
        try rig.startCorrelator()
        let sensor = try SensorProcess(config: try rig.sensorConfig(sensor: "rogue"))
        defer { sensor.kill9() }
        try rig.appendLines(3)
        #expect(await sensor.waitForLog("refused this sensor's certificate"), "\(sensor.log)")
        #expect(try rig.accessEvents().rows == 0)
        #expect(
            await waitUntil(seconds: 10) { rig.metrics()["vigil_sensor_spool_events"] == 3 },
            "kept for when it is fixed")
    }

    @Test("--check-config names the file, line and key of each problem and exits 2")
    func checkConfig() async throws {
        let rig = try SensorRig()
        let path = try rig.sensorConfig(extra: "shipping:\n  connections: 9\n")
        let bad = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "url: https://", with: "url: http://")
        try bad.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = sensorBinary
        process.arguments = ["--config", path, "--check-config"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(text.contains("\(path):3: correlator.url: 'http://"), "\(text)")
        #expect(text.contains("shipping.connections"), "\(text)")
    }

    @Test("SIGHUP reads the profile again: a log added to it is tailed; READY, WATCHDOG and STOPPING reach systemd")
    func reloadAndNotify() async throws {
        let rig = try SensorRig()
        try rig.startCorrelator()
        let config = try rig.sensorConfig()
        let socketPath = rig.h.dir.appendingPathComponent("notify.sock").path
        let listener = try DatagramListener(path: socketPath)
        let sensor = try SensorProcess(
            config: config, environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "2000000"])
        defer { sensor.kill9() }
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(20)
        while messages.filter({ $0 == "WATCHDOG=1" }).count < 2, Date() < deadline {
            if let m = listener.receive(timeoutMillis: 1000) { messages.append(m) }
        }
        #expect(messages.first?.hasPrefix("READY=1") == true, "\(messages)")
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
        // A second log in the profile, then SIGHUP.
        let second = rig.h.dir.appendingPathComponent("second.log")
        try "127.0.0.1 - - [04/Dec/2026:10:00:00 +0000] \"GET /second HTTP/1.1\" 404 0 \"-\" \"x\"\n".write(
            to: second, atomically: true, encoding: .utf8)
        try """
        kind: test-node
        logs:
          - format: nginx
            path: \(rig.accessLog.path)
          - format: nginx
            path: \(second.path)

        """.write(
            toFile: rig.h.dir.appendingPathComponent("profile-sensor.yaml").path, atomically: true, encoding: .utf8)
        kill(sensor.process.processIdentifier, SIGHUP)
        #expect(await sensor.waitForLog("reloaded"), "\(sensor.log)")
        #expect(try await waitUntil(seconds: 30) { try rig.accessEvents().rows == 1 }, "\(sensor.log)")
        // A broken profile is refused; the running one stays.
        try "kind: [".write(
            toFile: rig.h.dir.appendingPathComponent("profile-sensor.yaml").path, atomically: true, encoding: .utf8)
        kill(sensor.process.processIdentifier, SIGHUP)
        #expect(await sensor.waitForLog("reload refused"), "\(sensor.log)")
        try rig.appendLines(2)
        #expect(try await waitUntil(seconds: 30) { try rig.accessEvents().rows == 3 }, "\(sensor.log)")
        sensor.terminate()
        var rest: [String] = []
        while let m = listener.receive(timeoutMillis: 500) { rest.append(m) }
        #expect(rest.contains("STOPPING=1"), "\(rest)")
        #expect(sensor.process.terminationStatus == 0)
    }
}

import Foundation
import Testing
import VigilCore
import VigilStore

@testable import VigilServer

/// The real `vigil-correlator` binary, built beside this test bundle.
let correlatorBinary = (Bundle.main.executableURL ?? Bundle.main.bundleURL).deletingLastPathComponent()
    .appendingPathComponent("vigil-correlator")

/// A `vigil-correlator` process on a config in `dir`; the port it bound is read from its stderr.
final class CorrelatorProcess: @unchecked Sendable {
    // @unchecked: `process` and the ports are set in init and only read afterwards; `logged` is
    // guarded by `lock`.
    let process = Process()
    private let lock = NSLock()
    private var logged = ""
    let port: Int
    /// The query API's port.
    let apiPort: Int

    /// `environment`: added to this process's (e.g. NOTIFY_SOCKET).
    init(config: String, environment: [String: String] = [:]) throws {
        process.executableURL = correlatorBinary
        process.arguments = ["--config", config]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Read stderr until both "listening on HOST:PORT" and "query API on HOST:PORT" (bounded:
        // 60 s, 64 KiB).
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        func boundPort(after label: String) -> Int? {
            guard let range = text.range(of: label + #" [0-9.]+:([0-9]+)"#, options: .regularExpression) else {
                return nil
            }
            return Int(text[range].split(separator: ":").last ?? "")
        }
        while boundPort(after: "vigil-correlator: listening on") == nil
            || boundPort(after: "vigil-correlator: query API on") == nil, Date() < deadline,
            text.utf8.count < 65_536, process.isRunning
        {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let found = boundPort(after: "vigil-correlator: listening on"),
            let api = boundPort(after: "vigil-correlator: query API on")
        else {
            throw VigilError(.io, "vigil-correlator did not start: \(text)")
        }
        (port, apiPort) = (found, api)
        // Keep draining stderr (so the process never blocks on a full pipe) into `log`.
        logged = text
        let handle = errors.fileHandleForReading
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { logged += String(decoding: chunk, as: UTF8.self) }
            }
        }.start()
    }

    /// Everything the process wrote to stderr so far.
    var log: String { lock.withLock { logged } }

    /// Waits (up to `seconds`) until stderr contains `text`.
    func waitForLog(_ text: String, seconds: Double = 20) async -> Bool {
        await waitUntil(seconds: seconds) { log.contains(text) }
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }
}

@Suite("Correlator durability", .serialized)
struct DurabilityTests {
    @Test("kill -9 in the middle of a stream of batches, twice: every acknowledged event is stored exactly once")
    func killNine() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let config = try h.binaryConfig("rules: \(repoRoot.appendingPathComponent("rules").path)\n")
        // Recent events: the correlator's hourly retention (180 days) runs at start too.
        let base = Int64(Date().timeIntervalSince1970 - 3600) * 1_000_000
        func batch(_ b: Int) -> Data {
            let lines = (0..<200).map { i -> String in
                var e = Event(
                    timestamp: Timestamp(microseconds: base + Int64(b * 200 + i) * 1000),
                    id: "k-\(b)-\(i)", dataset: .auth, observerID: "golden")
                e.set(Fields.eventAction, "ssh_login")
                e.set(Fields.eventOutcome, i % 3 == 0 ? "failure" : "success")
                e.set(Fields.sourceIP, .ip(IPAddress("10.9.\(b % 200).\(i % 250 + 1)")!))
                return e.jsonLine
            }
            return Data(lines.joined(separator: "\n").utf8)
        }
        var server = try CorrelatorProcess(config: config)
        var acknowledged: Set<Int> = []
        var unacknowledged: [Int] = []
        for b in 0..<30 {
            h.port = server.port
            if b == 10 || b == 21 {
                // The kill lands while this batch is on its way or being committed.
                async let answer = h.post(body: batch(b))
                try await Task.sleep(for: .milliseconds(5 + b))
                server.kill9()
                let result = try await answer
                if result.status == 200 { acknowledged.insert(b) } else { unacknowledged.append(b) }
                server = try CorrelatorProcess(config: config)
                continue
            }
            let result = try await h.post(body: batch(b))
            if result.status == 200 { acknowledged.insert(b) } else { unacknowledged.append(b) }
        }
        // The sensor's retry: the same batches again; committed ones come back as duplicates.
        h.port = server.port
        for b in unacknowledged {
            let result = try await h.post(body: batch(b))
            #expect(result.status == 200)
            acknowledged.insert(b)
        }
        server.terminate()
        #expect(acknowledged.count == 30)
        let store = try SQLiteStore(path: h.config.store)
        #expect(try store.eventCount() == 30 * 200, "every event stored, none twice")
        var query = EventQuery()
        query.text = "\"k-10-199\""
        #expect(try store.events(query).events.count == 1)
    }
}

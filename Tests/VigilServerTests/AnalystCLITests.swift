import Foundation
import Testing
import VigilCore
import VigilStore

@testable import VigilServer

/// The real `vigil` binary, built beside this test bundle.
let vigilBinary = correlatorBinary.deletingLastPathComponent().appendingPathComponent("vigil")

struct CLIResult {
    var status: Int32
    var out: String
    var err: String
}

/// Runs `vigil` on a thread of its own (the server under test needs the concurrency pool), with
/// only the environment given (no VIGIL_* from the machine running the tests).
func vigil(_ arguments: [String], env: [String: String] = [:]) async throws -> CLIResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(
                with: Result {
                    let p = Process()
                    p.executableURL = vigilBinary
                    p.arguments = arguments
                    p.environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "COLUMNS": "160"].merging(env) {
                        _, new in new
                    }
                    let out = Pipe()
                    let err = Pipe()
                    (p.standardOutput, p.standardError) = (out, err)
                    try p.run()
                    let o = out.fileHandleForReading.readDataToEndOfFile()
                    let e = err.fileHandleForReading.readDataToEndOfFile()
                    p.waitUntilExit()
                    return CLIResult(
                        status: p.terminationStatus, out: String(decoding: o, as: UTF8.self),
                        err: String(decoding: e, as: UTF8.self))
                })
        }.start()
    }
}

@Suite("vigil CLI against a real correlator", .serialized)
struct AnalystCLITests {
    @Test(
        "tickets list/show/ack, refusals with the server's reason, incidents, audit verify; exit codes a script can use"
    )
    func workflow() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        _ = try await h.post(body: Data(TicketAPITests.auditOff(1).utf8))
        let server = [
            "--server", "https://127.0.0.1:\(h.apiPort)", "--ca", h.pki.appendingPathComponent("ca.crt").path,
        ]
        let analyst = ["VIGIL_TOKEN": tokens.analyst]

        let list = try await vigil(["tickets", "list"] + server, env: analyst)
        // (the only ticket so far: the one the audit-off incident opened)
        #expect(list.status == 0, "\(list.err)")
        #expect(list.out.contains("TICKET") && list.out.contains("IV 一般") && list.out.contains("new"), "\(list.out)")
        let id = try #require(
            list.out.split(separator: "\n").dropFirst().first?.split(separator: " ").first.map(String.init))

        let refused = try await vigil(["tickets", "contain", id] + server, env: analyst)
        #expect(refused.status == 1 && refused.err.contains("new → acknowledged → contained"), "\(refused)")
        let ack = try await vigil(["tickets", "ack", id, "--note", "on it"] + server, env: analyst)
        #expect(ack.status == 0 && ack.out.contains("acknowledged"), "\(ack)")
        let viewerAck = try await vigil(["tickets", "resolve", id] + server, env: ["VIGIL_TOKEN": tokens.viewer])
        #expect(viewerAck.status == 3 && viewerAck.err.contains("analyst role"), "\(viewerAck)")

        let opened = try await vigil(
            ["tickets", "open", "--title", "Phishing mail reported by staff", "--level", "III", "--category", "nai"]
                + server, env: analyst)
        #expect(opened.status == 0 && opened.out.contains(": new level III"), "\(opened)")
        let badOpen = try await vigil(["tickets", "open", "--title", "x", "--level", "V"] + server, env: analyst)
        #expect(badOpen.status == 2 && badOpen.err.contains("not a response level"), "\(badOpen)")

        let show = try await vigil(["tickets", "show", id] + server, env: analyst)
        #expect(
            show.status == 0 && show.out.contains("playbook") && show.out.contains("restore-controls"), "\(show.out)")
        #expect(show.out.contains("#2") && show.out.contains("ticket.acknowledge"), "\(show.out)")

        let incidents = try await vigil(["incidents", "list", "--json", "--level", "high"] + server, env: analyst)
        let object = try JSONSerialization.jsonObject(with: Data(incidents.out.utf8)) as? [String: Any]
        #expect((object?["incidents"] as? [Any])?.count == 1, "\(incidents.out)")
        let badLevel = try await vigil(["incidents", "list", "--level", "severe"] + server, env: analyst)
        #expect(badLevel.status == 2 && badLevel.err.contains("severe"), "\(badLevel)")

        let noToken = try await vigil(["tickets", "list"] + server)
        #expect(noToken.status != 0 && noToken.err.contains("VIGIL_TOKEN"), "\(noToken)")
        let badToken = try await vigil(
            ["tickets", "list"] + server, env: ["VIGIL_TOKEN": "vigil_" + String(repeating: "1", count: 64)])
        #expect(badToken.status == 3, "\(badToken)")
        let down = try await vigil(
            [
                "tickets", "list", "--server", "https://127.0.0.1:1", "--ca",
                h.pki.appendingPathComponent("ca.crt").path,
            ],
            env: analyst)
        #expect(down.status == 4 && down.err.contains("no answer"), "\(down)")

        let nginx = try goldenLines("logs-nginx-combined", count: 40)
        _ = try await h.post(body: Data(nginx.joined(separator: "\n").utf8))
        let search = try await vigil(
            [
                "events", "search", "event.dataset=web.access and http.response.status_code>=400", "--ndjson",
                "--limit", "1000",
            ]
                + server, env: analyst)
        let found = search.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let expected = nginx.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { ($0["http.response.status_code"] as? Int ?? 0) >= 400 }
        #expect(!expected.isEmpty && found.count == expected.count, "\(search.err)")
        let badQuery = try await vigil(["events", "search", "status>=high"] + server, env: analyst)
        #expect(badQuery.status == 2 && badQuery.err.contains("column 9"), "\(badQuery)")

        let verified = try await vigil(["audit", "verify"] + server, env: ["VIGIL_TOKEN": tokens.admin])
        #expect(verified.status == 0 && verified.out.contains("intact:"), "\(verified)")
        await h.stop(keep: true)
        defer { try? FileManager.default.removeItem(at: h.dir) }

        // The auditor's copy of the file, checked directly.
        let local = try await vigil(["audit", "verify", "--db", h.config.store])
        #expect(local.status == 0 && local.out.contains("intact"), "\(local)")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            h.config.store, "DROP TRIGGER timeline_append_only_delete; DELETE FROM timeline WHERE seq = 2;",
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        let broken = try await vigil(["audit", "verify", "--db", h.config.store])
        #expect(
            broken.status == 1 && broken.out.contains("BROKEN at entry 3")
                && broken.out.contains("entries 2…2 are missing"), "\(broken)")
    }
}

/// systemd-journald for a test: the machine's own when it answers on its socket, else one started
/// for the test (as root, from Debian's systemd package) and stopped after it.
final class Journald: @unchecked Sendable {
    // @unchecked: Process is not Sendable; `process` is a let set in init and used only by the
    // test that owns this object, in `stop`, never from two tasks at once.
    static let binary = "/lib/systemd/systemd-journald"
    private let process: Process?

    /// A probe entry the journal keeps (priority 7, debug); false when no journald answers.
    static func answers() -> Bool {
        JournalWriter(identifier: "vigil-tests").send(message: "vigil tests: is journald there?", priority: 7)
    }

    static var usable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl")
            && (answers() || (getuid() == 0 && FileManager.default.isExecutableFile(atPath: binary)))
    }

    init() throws {
        guard !Self.answers() else {
            process = nil
            return
        }
        try FileManager.default.createDirectory(atPath: "/run/systemd/journal", withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        (p.standardOutput, p.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
        try p.run()
        process = p
        for _ in 0..<100 where !Self.answers() { usleep(50_000) }
        guard Self.answers() else {
            p.terminate()
            throw VigilError(.io, "systemd-journald started but does not answer")
        }
    }

    func stop() {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

extension AnalystCLITests {
    @Test(
        "audit verify --journal: the head in the journal catches deleted newest entries that the head file, trimmed too, misses",
        .enabled(if: Journald.usable, "needs journalctl and a journald (root can start one)"))
    func journalHead() async throws {
        let journald = try Journald()
        defer { journald.stop() }
        let h = try Harness()
        try await h.start()
        _ = try await h.post(body: Data(TicketAPITests.auditOff(1).utf8))
        await h.stop(keep: true)
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let store = h.config.store

        // journald stores what it is sent a moment later: wait for the head to show (bounded).
        var good = CLIResult(status: -1, out: "", err: "")
        for _ in 0..<50 {
            good = try await vigil(["audit", "verify", "--db", store, "--journal"])
            if good.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(
            good.status == 0 && good.out.contains("chained to the head file") && good.out.contains("the journal"),
            "\(good)")

        // An intruder with the database and the head file deletes the newest entry and trims the
        // head file to match: the chain and the head file agree again.
        let entries = try SQLiteStore(readingOnly: store).timeline(ticket: nil)
        let last = try #require(entries.last)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            store, "DROP TRIGGER timeline_append_only_delete; DELETE FROM timeline WHERE seq = \(last.seq);",
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        let headFile = store + ".timeline-head"
        let kept = try String(contentsOfFile: headFile, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("\(last.seq) ") }
        try (kept.map { $0 + "\n" }.joined()).write(toFile: headFile, atomically: true, encoding: .utf8)

        let fooled = try await vigil(["audit", "verify", "--db", store])
        #expect(fooled.status == 0, "the head file alone cannot tell: \(fooled)")
        let caught = try await vigil(["audit", "verify", "--db", store, "--journal"])
        #expect(
            caught.status == 1 && caught.out.contains("BROKEN at entry \(last.seq)")
                && caught.out.contains("newest entries were deleted")
                && caught.out.contains("checked against the journal"), "\(caught)")
        let elsewhere = try await vigil(["audit", "verify", "--db", store, "--journal-store", "/nonexistent/vigil.db"])
        #expect(
            elsewhere.status == 0 && elsewhere.err.contains("holds no chain head for /nonexistent/vigil.db"),
            "\(elsewhere)")
    }
}

@Suite("Posture", .serialized)
struct PostureTests {
    @Test("figures from known incidents, tickets and sensors: counts, trends, heat, top sources, silent sensors")
    func figures() {
        let hour: Int64 = 3_600_000_000
        let to: Int64 = 1_800_000_000_000_000
        let from = to - 24 * hour
        func incident(
            _ id: String, level: String, stage: String?, departments: [String], first: Int64, last: Int64,
            source: String, classification: String? = nil, status: String = "open"
        ) -> IncidentRecord {
            var i = IncidentRecord(
                id: id, ruleID: "r", title: id, level: level, ruleLevel: level, stage: stage, category: "nai",
                correlation: nil, group: ["source.ip": source], hits: 1, firstSeen: first, lastSeen: last, samples: [],
                observers: [], dlpCount: 10)
            (i.departments, i.classification, i.status) = (departments, classification, status)
            return i
        }
        let incidents = [
            incident(
                "a", level: "high", stage: "exchange", departments: ["人社厅"], first: from + hour, last: from + 2 * hour,
                source: "10.0.0.1", classification: "core"),
            incident(
                "b", level: "medium", stage: "exchange", departments: ["人社厅", "卫健委"], first: from + hour,
                last: from + 3 * hour, source: "10.0.0.1"),
            incident(
                "c", level: "low", stage: nil, departments: [], first: from + 5 * hour, last: from + 5 * hour,
                source: "10.0.0.2", status: "resolved"),
            incident(
                "old", level: "critical", stage: "storage", departments: ["x"], first: from - 3 * hour,
                last: from - 2 * hour, source: "10.0.0.9"),
        ]
        var ticket = TicketRecord(
            id: "T-1", title: "a", level: "I", levelWhy: "", category: "nai", status: "acknowledged",
            opened: from + hour,
            incidents: ["a"], steps: [], deadlines: [.init(kind: "report", due: from + 2 * hour)])
        ticket.updated = from + hour
        let p = Posture.build(
            Posture.Input(
                from: from, to: to, incidents: incidents, tickets: [ticket],
                sensors: [
                    SensorRecord(id: "node-1", firstSeen: 0, lastSeen: to - 60_000_000, version: "1", counters: [:]),
                    SensorRecord(id: "node-2", firstSeen: 0, lastSeen: to - hour, version: "1", counters: [:]),
                ], events: ["web.access": 40, "auth": 2], eventsBefore: ["auth": 10],
                eventSlices: Array(repeating: 1, count: 24),
                silentAfterSeconds: 300, rejectedLines: 3))
        let i = p["incidents"] as? [String: any Sendable] ?? [:]
        #expect(i["in_window"] as? Int == 3 && i["new"] as? Int == 3 && i["new_previous"] as? Int == 1)
        #expect((i["open_by_level"] as? [String: Int]) == ["high": 1, "medium": 1], "resolved ones are not active")
        let t = p["tickets"] as? [String: any Sendable] ?? [:]
        #expect(
            t["open"] as? Int == 1 && t["deadlines_missed"] as? Int == 1
                && (t["open_by_level"] as? [String: Int]) == ["I": 1])
        let heat = (p["heat"] as? [[String: any Sendable]] ?? []).map {
            "\($0["stage"]!)|\($0["department"]!)|\($0["incidents"]!)|\($0["worst"]!)"
        }
        #expect(heat == ["-|-|1|low", "exchange|人社厅|2|high", "exchange|卫健委|1|medium"], "\(heat)")
        let sources = (p["top_sources"] as? [[String: any Sendable]] ?? []).map {
            "\($0["value"]!)=\($0["incidents"]!)"
        }
        #expect(sources == ["10.0.0.1=2", "10.0.0.2=1"])
        #expect(((p["data"] as? [String: any Sendable])?["by_classification"] as? [String: Int]) == ["core": 1])
        let s = p["sensors"] as? [String: any Sendable] ?? [:]
        #expect(s["reporting"] as? Int == 1 && (s["silent"] as? [String]) == ["node-2"])
        let g = p["ingest"] as? [String: any Sendable] ?? [:]
        #expect(g["events"] as? Int == 42 && g["events_previous"] as? Int == 10)
    }

    @Test("end to end: core data hit by a high rule opens a level I ticket; vigil posture shows it, plain when piped")
    func endToEnd() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        var e = Event(timestamp: .now(), id: "core-1", dataset: .auth, observerID: "golden")
        e.set(Fields.eventAction, "sudo_command")
        e.set(FieldID("process.command_line"), "auditctl -e 0")
        e.set(Fields.labelsDepartment, "人社厅")
        e.set(Fields.dataClassification, "core")
        #expect(try await h.post(body: Data(e.jsonLine.utf8)).status == 200)
        let beat = #"{"version":"0.5.0","counters":{}}"#
        _ = try await h.post("/v1/heartbeat", body: Data(beat.utf8), contentType: "application/json")

        let tickets = try await h.api("/v1/tickets", token: tokens.viewer).json["tickets"] as? [[String: Any]] ?? []
        #expect(
            tickets.first?["level"] as? String == "I", "core data and a high rule: \(tickets.first?["level_why"] ?? "")"
        )
        let server = [
            "--server", "https://127.0.0.1:\(h.apiPort)", "--ca", h.pki.appendingPathComponent("ca.crt").path,
        ]
        let plain = try await vigil(["posture"] + server, env: ["VIGIL_TOKEN": tokens.viewer])
        #expect(plain.status == 0, "\(plain.err)")
        #expect(plain.out.contains("tickets") && plain.out.contains("I 1") && plain.out.contains("人社厅"), "\(plain.out)")
        #expect(plain.out.contains("core 1") && plain.out.contains("reporting 1"), "\(plain.out)")
        #expect(!plain.out.contains("\u{1B}["), "no colour codes when piped")
        let json = try await vigil(
            ["posture", "--json", "--window", "1h"] + server, env: ["VIGIL_TOKEN": tokens.viewer])
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        #expect((object?["tickets"] as? [String: Any])?["open"] as? Int == 1)
        let sensors = try await vigil(["sensors", "list"] + server, env: ["VIGIL_TOKEN": tokens.viewer])
        #expect(
            sensors.status == 0 && sensors.out.contains("golden") && sensors.out.contains("reporting"), "\(sensors)")
        let bad = try await vigil(["posture", "--window", "soon"] + server, env: ["VIGIL_TOKEN": tokens.viewer])
        #expect(bad.status == 2 && bad.err.contains("window"), "\(bad)")
        await h.stop()
    }
}

@Suite("vigil completions")
struct CompletionTests {
    @Test("bash, zsh and fish completion scripts come from the parser and know every analyst command")
    func completions() async throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try await vigil(["--generate-completion-script", shell])
            #expect(r.status == 0, "\(shell): \(r.err)")
            for word in ["posture", "events", "incidents", "tickets", "sensors", "audit", "analyze", "rules"] {
                #expect(r.out.contains(word), "\(shell) completion lacks \(word)")
            }
        }
    }
}

@Suite("vigil events search --follow", .serialized)
struct FollowTests {
    @Test("follow prints the matches so far, then new matching events as they are stored, and not the others")
    func follow() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        func login(_ n: Int, outcome: String) -> String {
            var e = Event(timestamp: .now(), id: "follow-\(n)", dataset: .auth, observerID: "golden")
            e.set(Fields.eventAction, "ssh_login")
            e.set(Fields.eventOutcome, outcome)
            return e.jsonLine
        }
        _ = try await h.post(body: Data(login(1, outcome: "failure").utf8))
        let p = Process()
        p.executableURL = vigilBinary
        p.arguments = [
            "events", "search", "event.outcome=failure", "--follow", "--ndjson", "--server",
            "https://127.0.0.1:\(h.apiPort)", "--ca", h.pki.appendingPathComponent("ca.crt").path,
        ]
        p.environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "VIGIL_TOKEN": tokens.viewer]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        // SIGKILL, not terminate(): the child inherits this test process's ignored SIGTERM (the
        // in-process server's signal handling sets it to SIG_IGN), so SIGTERM would not stop it.
        defer {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        let lock = NSLock()
        nonisolated(unsafe) var text = ""
        let handle = out.fileHandleForReading
        Thread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { text += String(decoding: chunk, as: UTF8.self) }
            }
        }.start()
        func ids() -> [String] {
            lock.withLock { text }.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event.id"] as? String
            }
        }
        for _ in 0..<100 where ids().isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        #expect(ids() == ["follow-1"])
        _ = try await h.post(body: Data((login(2, outcome: "success") + "\n" + login(3, outcome: "failure")).utf8))
        for _ in 0..<100 where ids().count < 2 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(ids() == ["follow-1", "follow-3"], "the new failure, not the success")
        kill(p.processIdentifier, SIGKILL)
        await h.stop()
    }
}

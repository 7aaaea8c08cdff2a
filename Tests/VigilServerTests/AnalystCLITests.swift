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

import Foundation
import Testing
import VigilCore
import VigilStore

@testable import VigilServer

/// Tokens made straight in the harness's store, as `vigil-correlator token create` does.
func makeTokens(_ h: Harness) throws -> (viewer: String, analyst: String, admin: String) {
    let store = try h.store
    return (
        try store.createToken(name: "vera", role: .viewer, actor: "test").secret,
        try store.createToken(name: "ana", role: .analyst, actor: "test").secret,
        try store.createToken(name: "adam", role: .admin, actor: "test").secret
    )
}

@Suite("Query API: tokens, roles, searches, audit, metrics", .serialized)
struct QueryAPITests {
    @Test("no token or an unknown one is 401 with a Bearer challenge; a role too low is 403 naming both roles")
    func authentication() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        let none = try await h.api("/v1/incidents", token: nil)
        #expect(none.status == 401 && none.json["error"] as? String == "unauthorized")
        #expect(h.lastHeaders.lowercased().contains("www-authenticate: bearer"))
        #expect(try await h.api("/v1/incidents", token: "vigil_" + String(repeating: "0", count: 64)).status == 401)
        #expect(try await h.api("/v1/incidents", token: "not-a-token").status == 401)
        #expect(try await h.api("/v1/incidents", token: tokens.viewer).status == 200)
        #expect(try await h.api("/v1/whoami", token: tokens.analyst).json["role"] as? String == "analyst")

        let denied = try await h.api("/v1/audit", token: tokens.analyst)
        #expect(denied.status == 403)
        #expect((denied.json["message"] as? String)?.contains("needs the admin role") == true)
        #expect((denied.json["message"] as? String)?.contains("has analyst") == true)
        #expect(try await h.api("/v1/audit", token: tokens.admin).status == 200)
        #expect(try await h.api("/healthz", token: nil).status == 200, "health needs no token")

        // Revocation takes effect on the next request.
        let id = try #require(try h.store.authenticate(secret: tokens.viewer)?.id)
        #expect(try h.store.revokeToken(id: id, actor: "test"))
        #expect(try await h.api("/v1/incidents", token: tokens.viewer).status == 401)

        // The ingest port's client-certificate identity is not a way in: no token, no answer.
        #expect(try await h.post("/v1/incidents", body: Data(), sensor: "golden").status == 404)
        await h.stop()
    }

    @Test("events: filters, full text, cursor pages that cover every match once, and parameter errors")
    func events() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        let lines = try goldenLines("logs-auth-iso", count: 60) + goldenLines("logs-nginx-combined", count: 40)
        let posted = try await h.post(body: Data(lines.joined(separator: "\n").utf8))
        #expect(posted.status == 200 && posted.json["accepted"] as? Int == 100)

        func events(_ query: String) async throws -> (events: [[String: Any]], next: String?, status: Int) {
            let a = try await h.api("/v1/events?" + query, token: tokens.viewer)
            return (a.json["events"] as? [[String: Any]] ?? [], a.json["next"] as? String, a.status)
        }
        let auth = try await events("dataset=auth&limit=1000")
        #expect(auth.status == 200 && auth.events.count == 60 && auth.next == nil)
        #expect(auth.events.allSatisfy { $0["event.dataset"] as? String == "auth" })
        let times = auth.events.compactMap { $0["@timestamp"] as? String }
        #expect(times == times.sorted(by: >), "newest first")

        // Pages of 7 cover the 100 events exactly once.
        var seen: [String] = []
        var cursor: String?
        for _ in 0..<30 {
            let page = try await events("limit=7" + (cursor.map { "&cursor=" + $0 } ?? ""))
            seen += page.events.compactMap { $0["event.id"] as? String }
            cursor = page.next
            if cursor == nil { break }
        }
        #expect(seen.count == 100 && Set(seen).count == 100)

        let text = try await events("q=Invalid%20user&dataset=auth")
        #expect(!text.events.isEmpty)
        #expect(
            text.events.allSatisfy { ($0["message"] as? String ?? "").lowercased().contains("invalid user") },
            "full text is case-insensitive")
        let ip = try #require(auth.events.compactMap { $0["source.ip"] as? String }.first)
        let byIP = try await events("source.ip=\(ip)&limit=1000")
        #expect(!byIP.events.isEmpty && byIP.events.allSatisfy { $0["source.ip"] as? String == ip })
        #expect(try await events("since=1d").events.isEmpty, "the fixtures are older than a day")
        #expect(try await events("from=2000-01-01T00:00:00Z&limit=1000").events.count == 100)

        for (query, mentions) in [
            ("source_ip=1.2.3.4", "unknown parameter 'source_ip'"), ("source.ip=999.1.1.1", "not an IP address"),
            ("limit=0", "'limit'"), ("from=yesterday", "RFC 3339"), ("cursor=garbage", "not a cursor"),
            ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "earlier than"),
        ] {
            let a = try await h.api("/v1/events?" + query, token: tokens.viewer)
            #expect(a.status == 400, "\(query)")
            #expect((a.json["message"] as? String)?.contains(mentions) == true, "\(query): \(a.json)")
        }
        await h.stop()
    }

    @Test("incidents: list, filter, show; an analyst's status change is audited with who, from, to and why")
    func incidents() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        _ = try await h.post(body: Data(try goldenLines("logs-auth-iso", count: 200).joined(separator: "\n").utf8))
        let list = try await h.api("/v1/incidents?limit=1000", token: tokens.viewer)
        let incidents = try #require(list.json["incidents"] as? [[String: Any]])
        #expect(!incidents.isEmpty)
        #expect(incidents.allSatisfy { $0["status"] as? String == "open" && $0["rule.id"] != nil })
        let id = try #require(incidents.first?["incident.id"] as? String)
        let shown = try await h.api("/v1/incidents/\(id)", token: tokens.viewer)
        #expect(shown.status == 200 && shown.json["incident.id"] as? String == id)
        #expect(try await h.api("/v1/incidents/nope", token: tokens.viewer).status == 404)

        let change = #"{"status":"false_positive","note":"a pentest we ordered"}"#
        #expect(try await h.api("/v1/incidents/\(id)/status", token: tokens.viewer, body: change).status == 403)
        let changed = try await h.api("/v1/incidents/\(id)/status", token: tokens.analyst, body: change)
        #expect(changed.status == 200 && changed.json["previous"] as? String == "open")
        let bad = try await h.api("/v1/incidents/\(id)/status", token: tokens.analyst, body: #"{"status":"gone"}"#)
        #expect(bad.status == 400 && (bad.json["message"] as? String)?.contains("false_positive") == true)

        let open = try await h.api("/v1/incidents?status=open&limit=1000", token: tokens.viewer)
        #expect((open.json["incidents"] as? [Any])?.count == incidents.count - 1)
        let fp = try await h.api("/v1/incidents?status=false_positive", token: tokens.viewer)
        #expect((fp.json["incidents"] as? [[String: Any]])?.map { $0["incident.id"] as? String } == [id])

        let audit = try await h.api("/v1/audit", token: tokens.admin)
        let entries = try #require(audit.json["entries"] as? [[String: Any]])
        let entry = try #require(entries.first { $0["action"] as? String == "incident.status" })
        #expect((entry["actor"] as? String)?.hasPrefix("ana (tok_") == true)
        #expect(entry["subject"] as? String == id)
        let detail = entry["detail"] as? String ?? ""
        #expect(detail.contains("\"from\":\"open\"") && detail.contains("false_positive") && detail.contains("pentest"))
        #expect(entries.filter { $0["action"] as? String == "token.create" }.count == 3)
        await h.stop()
    }

    @Test("/metrics counts what ingest did and what the API refused, in Prometheus text format")
    func metrics() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        let lines = try goldenLines("logs-nginx-combined", count: 30)
        _ = try await h.post(body: Data(lines.joined(separator: "\n").utf8))
        _ = try await h.post(body: Data(lines.joined(separator: "\n").utf8))
        _ = try await h.post(body: Data("not json\n".utf8))
        _ = try await h.api("/v1/incidents", token: "vigil_nope")
        let answer = try await h.api("/metrics", token: tokens.viewer)
        #expect(answer.status == 200)
        let text = answer.json["text"] as? String ?? ""
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
                Double($0.split(separator: " ").last ?? "")
            }
        }
        #expect(value(#"vigil_ingest_events_total{outcome="accepted"}"#) == 30)
        #expect(value(#"vigil_ingest_events_total{outcome="duplicate"}"#) == 30)
        #expect(value(#"vigil_ingest_events_total{outcome="rejected"}"#) == 1)
        #expect(value("vigil_ingest_batches_total") == 3)
        #expect(value("vigil_ingest_batch_duration_seconds_count") == 3)
        #expect(value("vigil_api_auth_failures_total") == 1)
        #expect((value("vigil_store_size_bytes") ?? 0) > 4096)
        #expect(text.contains("# TYPE vigil_ingest_events_total counter"))
        #expect(h.lastHeaders.contains("text/plain; version=0.0.4"))
        await h.stop()
    }

    @Test("sensors: the heartbeat registry, with silent sensors marked")
    func sensors() async throws {
        let h = try Harness()
        try await h.start()
        let tokens = try makeTokens(h)
        let beat = #"{"version":"0.4.0","counters":{"captured":10,"dropped":2}}"#
        #expect(try await h.post("/v1/heartbeat", body: Data(beat.utf8), contentType: "application/json").status == 200)
        try h.store.recordHeartbeat(sensorID: "old-node", version: "0.3.0", counters: [:], at: 1_000_000)
        let answer = try await h.api("/v1/sensors", token: tokens.viewer)
        let sensors = try #require(answer.json["sensors"] as? [[String: Any]])
        #expect(sensors.map { $0["id"] as? String } == ["golden", "old-node"])
        #expect(sensors[0]["silent"] as? Bool == false && sensors[0]["version"] as? String == "0.4.0")
        #expect((sensors[0]["counters"] as? [String: Any])?["dropped"] as? Int == 2)
        #expect(sensors[1]["silent"] as? Bool == true)
        await h.stop()
    }
}

@Suite("vigil-correlator token and systemd notification (the real binary)", .serialized)
struct CorrelatorBinaryTests {
    @Test("token create prints a secret that the API accepts; token revoke stops it; both are audited")
    func tokenCommand() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let config = try h.binaryConfig()
        let created = try sh(
            correlatorBinary.path, ["--config", config, "token", "create", "--name", "ci bot", "--role", "analyst"])
        #expect(created.status == 0)
        let secret = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("vigil_") && !secret.contains("\n"), "only the secret on standard output")
        let listed = try sh(correlatorBinary.path, ["--config", config, "token", "list"])
        #expect(listed.out.contains("analyst") && listed.out.contains("ci bot") && !listed.out.contains(secret))
        #expect(
            try sh(
                correlatorBinary.path, ["token", "create", "--store", h.config.store, "--name", "x", "--role", "root"]
            ).status != 0)

        let process = try CorrelatorProcess(config: config)
        defer { process.terminate() }
        h.apiPort = process.apiPort
        #expect(try await h.api("/v1/whoami", token: secret).json["name"] as? String == "ci bot")
        let id = try #require(try h.store.tokens().first { $0.name == "ci bot" }?.id)
        #expect(try sh(correlatorBinary.path, ["--config", config, "token", "revoke", id]).status == 0)
        #expect(try await h.api("/v1/whoami", token: secret).status == 401)
        #expect(try sh(correlatorBinary.path, ["--config", config, "token", "revoke", id]).status == 1)
        let actions = try h.store.auditLog(limit: 10, before: nil).map(\.action)
        #expect(actions == ["token.revoke", "token.create"])
    }

    @Test(
        "under systemd (NOTIFY_SOCKET) it says READY=1 once both listeners are up, feeds the watchdog, and STOPPING=1 on SIGTERM"
    )
    func systemdNotify() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let config = try h.binaryConfig()
        let socketPath = h.dir.appendingPathComponent("notify.sock").path
        let listener = try DatagramListener(path: socketPath)
        let process = try CorrelatorProcess(
            config: config, environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "200000"])
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(20)
        while messages.filter({ $0 == "WATCHDOG=1" }).count < 3, Date() < deadline {
            if let m = listener.receive(timeoutMillis: 1000) { messages.append(m) }
        }
        #expect(messages.first?.hasPrefix("READY=1") == true, "\(messages)")
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 3, "pinged every WATCHDOG_USEC/2")
        process.terminate()
        var rest: [String] = []
        while let m = listener.receive(timeoutMillis: 500) { rest.append(m) }
        #expect(rest.contains("STOPPING=1"), "\(rest)")
        #expect(process.process.terminationStatus == 0, "SIGTERM is a clean stop")
    }
}

extension CorrelatorBinaryTests {
    @Test("a start that replays many stored events reports its progress and asks systemd for more time, before READY=1")
    func replayExtendsStartTimeout() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        // 25 000 events stored and no correlation snapshot: a correlator killed before its first one.
        let store = try SQLiteStore(path: h.config.store)
        for chunk in 0..<25 {
            let batch = (0..<1000).map { n in
                var e = Event(timestamp: .now(), id: "replay-\(chunk)-\(n)", dataset: .auth, observerID: "golden")
                e.set(Fields.eventAction, "ssh_login")
                e.set(Fields.eventOutcome, "failure")
                e.set(Fields.userName, "root")
                return StoredEvent(event: e, json: e.jsonLine)
            }
            _ = try store.append(batch)
        }
        let config = try h.binaryConfig("rules: \(repoRoot.appendingPathComponent("rules").path)\n")
        let socketPath = h.dir.appendingPathComponent("notify.sock").path
        let listener = try DatagramListener(path: socketPath)
        let process = try CorrelatorProcess(config: config, environment: ["NOTIFY_SOCKET": socketPath])
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(120)
        while !messages.contains(where: { $0.hasPrefix("READY=1") }), Date() < deadline {
            if let m = listener.receive(timeoutMillis: 1000) { messages.append(m) }
        }
        process.terminate()
        let before = messages.prefix { !$0.hasPrefix("READY=1") }
        for n in [10_000, 20_000] {
            #expect(
                before.contains(
                    "STATUS=replaying events stored after the last snapshot: \(n)\nEXTEND_TIMEOUT_USEC=30000000"),
                "\(messages)")
        }
        #expect(messages.contains { $0.hasPrefix("READY=1") }, "\(messages)")
    }
}

/// A Unix datagram socket that receives sd_notify messages, as systemd's would.
final class DatagramListener {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw VigilError(.io, "cannot bind \(path)") }
    }

    deinit { close(fd) }

    /// The next message, or nil after `timeoutMillis`.
    func receive(timeoutMillis: Int32) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMillis) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }
}

@Suite("vigil-correlator rule reload on SIGHUP (the real binary)", .serialized)
struct ReloadTests {
    @Test("make-pki.sh --revoke then SIGHUP: the revoked sensor fails the handshake at once, the others go on")
    func revokeWithoutRestart() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let deny = h.pki.appendingPathComponent("deny.txt")
        try "".write(to: deny, atomically: true, encoding: .utf8)
        let config = try h.binaryConfig()
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(
            of: "store:", with: "  deny_list: \(deny.path)\nstore:"
        ).write(toFile: config, atomically: true, encoding: .utf8)
        let process = try CorrelatorProcess(config: config)
        defer { process.terminate() }
        h.port = process.port
        func send(_ sensor: String) async throws -> Harness.Answer {
            var e = Event(timestamp: .now(), id: "r-\(UUID().uuidString)", dataset: .auth, observerID: sensor)
            e.set(Fields.eventAction, "ssh_login")
            return try await h.post(body: Data(e.jsonLine.utf8), sensor: sensor)
        }
        #expect(try await send("golden").status == 200)
        try sh(
            "/bin/bash",
            [repoRoot.appendingPathComponent("deploy/pki/make-pki.sh").path, h.pki.path, "--revoke", "golden"])
        kill(process.process.processIdentifier, SIGHUP)
        #expect(await process.waitForLog("read again: 1 revoked"), "\(process.log)")
        let refused = try await send("golden")
        #expect(refused.status == 0 && refused.curlExit != 0, "the handshake fails: \(refused)")
        #expect(try await send("node-2").status == 200)
    }

    @Test("SIGHUP loads a changed rule pack without a restart; a pack with an error is refused and the old rules stay")
    func sighup() async throws {
        let h = try Harness()
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let rules = h.dir.appendingPathComponent("rules")
        try FileManager.default.copyItem(at: repoRoot.appendingPathComponent("rules"), to: rules)
        let config = try h.binaryConfig("rules: \(rules.path)\n")
        let process = try CorrelatorProcess(config: config)
        defer { process.terminate() }
        h.port = process.port

        var login = Event(timestamp: .now(), id: "canary-1", dataset: .auth, observerID: "golden")
        login.set(Fields.eventAction, "ssh_login")
        login.set(Fields.eventOutcome, "success")
        login.set(Fields.userName, "canary-account")
        let canaryRule = "7e3f1c2a-9b4d-4e8f-a1c6-5d2b8e9f0a13"
        func incidents() throws -> [String] { try h.store.incidents(limit: 100).map(\.ruleID) }

        _ = try await h.post(body: Data(login.jsonLine.utf8))
        #expect(try !incidents().contains(canaryRule), "no such rule yet")

        try """
        title: Login to the canary account
        id: \(canaryRule)
        status: experimental
        description: Nobody uses this account; a login to it is an intruder.
        tags:
          - attack.initial-access
          - gbt20986.nai
        logsource:
          product: vigil
          category: auth
        detection:
          selection:
            user.name: canary-account
            event.action: ssh_login
          condition: selection
        level: high
        """.write(to: rules.appendingPathComponent("host/canary_login.yml"), atomically: true, encoding: .utf8)
        kill(process.process.processIdentifier, SIGHUP)
        #expect(await process.waitForLog("rules reloaded from"), "\(process.log)")
        #expect(process.log.contains("kept their state"))
        login.id = "canary-2"
        _ = try await h.post(body: Data(login.jsonLine.utf8))
        #expect(try incidents().contains(canaryRule), "the new rule is live")

        // A broken file: the whole pack is refused, the running rules go on.
        try "title: [unclosed\n".write(
            to: rules.appendingPathComponent("host/broken.yml"), atomically: true, encoding: .utf8)
        kill(process.process.processIdentifier, SIGHUP)
        #expect(await process.waitForLog("rule reload refused"), "\(process.log)")
        #expect(process.log.contains("broken.yml"), "the error names the file")
        login.id = "canary-3"
        login.timestamp = Timestamp(microseconds: login.timestamp.microseconds + 1_000_000)
        _ = try await h.post(body: Data(login.jsonLine.utf8))
        let hits = try h.store.incidents(limit: 100).first { $0.ruleID == canaryRule }?.hits
        #expect(hits == 2, "the canary rule still runs")
        #expect(process.process.isRunning)
    }
}

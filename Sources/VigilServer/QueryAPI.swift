import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VigilCore
import VigilResponse
import VigilStore

/// The analysts' query API (deploy/schema/query.md): bearer API tokens with roles, on a listener
/// of its own (server TLS only: analysts have no client certificates, and keeping it off the
/// sensors' port lets an operator expose ingest to the nodes and the API only to the management
/// network).
///
/// Reads run on a lane of their own (a dedicated thread, never the concurrency pool); SQLite in WAL
/// mode serves them from a snapshot while ingest commits, so queries never stall sensors.
public struct QueryAPI: Sendable {
    let store: any EventStore
    let storePath: String
    let service: IngestService
    let metrics: CorrelatorMetrics
    let logger: Logger
    let lane = BlockingLane(label: "vigil-query")
    /// A sensor whose last heartbeat is older than this is reported silent (a finding in itself).
    let silentAfterSeconds: Int64
    /// The configured webhooks (for test messages).
    let webhooks: [WebhookSettings]

    public init(
        store: any EventStore, storePath: String, service: IngestService, logger: Logger,
        silentAfterSeconds: Int64 = 300, webhooks: [WebhookSettings] = []
    ) {
        (self.store, self.storePath, self.service, self.logger) = (store, storePath, service, logger)
        metrics = service.metrics
        (self.silentAfterSeconds, self.webhooks) = (silentAfterSeconds, webhooks)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in Reply(status: .ok, json: ["status": "ok"]).response }
        router.get("/v1/whoami") { request, _ in
            await answer(request, role: .viewer) { token in
                Reply(status: .ok, json: ["id": token.id, "name": token.name, "role": token.role.rawValue])
            }
        }
        router.get("/metrics") { request, _ in
            await respond(request, role: .viewer) { _ in
                await refreshGauges()
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(
                    status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
            }
        }
        router.get("/v1/events") { request, _ in
            await respond(request, role: .viewer) { _ in
                let query = try QueryParameters(Self.pairs(request), allowed: QueryParameters.eventNames)
                    .eventQuery(now: .now())
                let page = try await read { try $0.events(query) }
                // The stored lines are JSON objects already: spliced in, not decoded and re-encoded.
                var body = "{\"events\":[" + page.events.joined(separator: ",") + "],\"next\":"
                body += page.next.map { "\"\($0)\"" } ?? "null"
                body += "}\n"
                return Self.json(body)
            }
        }
        router.get("/v1/incidents") { request, _ in
            await answer(request, role: .viewer) { _ in
                let query = try QueryParameters(Self.pairs(request), allowed: QueryParameters.incidentNames)
                    .incidentQuery(now: .now())
                let page = try await read { try $0.incidents(query) }
                return Reply(
                    status: .ok,
                    json: ["incidents": page.incidents.map(Self.object), "next": page.next ?? NSNull()])
            }
        }
        router.get("/v1/incidents/:id") { request, context in
            await answer(request, role: .viewer) { _ in
                let id = context.parameters.get("id") ?? ""
                guard let incident = try await read({ try $0.incident(id: id) }) else {
                    return .error(.notFound, "not_found", "no incident '\(id.prefix(64))'")
                }
                return Reply(status: .ok, json: Self.object(incident))
            }
        }
        router.post("/v1/incidents/:id/status") { request, context in
            await answer(request, role: .analyst) { token in
                let id = context.parameters.get("id") ?? ""
                let body = try await request.body.collect(upTo: 16 << 10)
                guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                    let text = object["status"] as? String
                else {
                    return .error(.badRequest, "bad_body", "send {\"status\": \"acknowledged\", \"note\": \"why\"}")
                }
                guard let status = IncidentStatus(rawValue: text) else {
                    let choices = IncidentStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    return .error(.badRequest, "bad_status", "'\(text.prefix(64))' is not one of \(choices)")
                }
                let note = String((object["note"] as? String ?? "").prefix(2000))
                let actor = Self.actor(token)
                guard
                    let before = try await write({
                        try $0.setIncidentStatus(id: id, status: status.rawValue, actor: actor, note: note)
                    })
                else { return .error(.notFound, "not_found", "no incident '\(id.prefix(64))'") }
                logger.info(
                    "incident status",
                    metadata: ["incident": "\(id)", "from": "\(before)", "to": "\(text)", "by": "\(actor)"])
                return Reply(status: .ok, json: ["id": id, "status": status.rawValue, "previous": before])
            }
        }
        router.get("/v1/sensors") { request, _ in
            await answer(request, role: .viewer) { _ in
                _ = try QueryParameters(Self.pairs(request), allowed: [])
                let sensors = try await read { try $0.sensors() }
                let now = Timestamp.now().microseconds
                return Reply(
                    status: .ok,
                    json: [
                        "sensors": sensors.map { s -> [String: any Sendable] in
                            [
                                "id": s.id, "version": s.version, "first_seen": Self.time(s.firstSeen),
                                "last_seen": Self.time(s.lastSeen), "counters": s.counters,
                                "silent": now - s.lastSeen > silentAfterSeconds * 1_000_000,
                            ]
                        }
                    ])
            }
        }
        router.get("/v1/tickets") { request, _ in
            await answer(request, role: .viewer) { _ in
                let p = try QueryParameters(Self.pairs(request), allowed: ["status", "limit"])
                let status = try p.oneOf("status", ["open"] + TicketStatus.allCases.map(\.rawValue))
                let limit = try p.int("limit", in: 1...1000) ?? 100
                guard let desk = service.desk else { return Self.noTickets }
                let now = Timestamp.now()
                let tickets = try await lane.run { try desk.store.tickets(status: status, limit: limit) }
                return Reply(status: .ok, json: ["tickets": tickets.map { Self.object($0, now: now) }])
            }
        }
        router.get("/v1/tickets/:id") { request, context in
            await answer(request, role: .viewer) { _ in
                let id = context.parameters.get("id") ?? ""
                guard let desk = service.desk else { return Self.noTickets }
                let found = try await lane.run { () throws -> (TicketRecord, [TimelineEntry])? in
                    guard let t = try desk.store.ticket(id: id) else { return nil }
                    return (t, try desk.store.timeline(ticket: id))
                }
                guard let (ticket, timeline) = found else {
                    return .error(.notFound, "not_found", "no ticket '\(id.prefix(64))'")
                }
                var object = Self.object(ticket, now: .now())
                object["timeline"] = timeline.map { e -> [String: any Sendable] in
                    [
                        "seq": e.seq, "time": Self.time(e.time), "actor": e.actor, "action": e.action,
                        "detail": e.detail, "hash": e.hash,
                    ]
                }
                return Reply(status: .ok, json: object)
            }
        }
        router.post("/v1/tickets") { request, _ in
            await answer(request, role: .analyst) { token in
                guard let desk = service.desk else { return Self.noTickets }
                let body = try await request.body.collect(upTo: 16 << 10)
                guard let o = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                    let title = o["title"] as? String, let levelText = o["level"] as? String
                else {
                    return .error(
                        .badRequest, "bad_body",
                        "send {\"title\": \"...\", \"level\": \"III\", \"category\": \"dsi\", \"incidents\": [], \"note\": \"why\"}"
                    )
                }
                guard let level = ResponseLevel(roman: levelText) else {
                    return .error(
                        .badRequest, "bad_level", "'\(levelText.prefix(16))' is not a response level: I, II, III or IV")
                }
                let incidents = o["incidents"] as? [String] ?? []
                let category = o["category"] as? String
                let note = String((o["note"] as? String ?? "").prefix(2000))
                for id in incidents where try await read({ try $0.incident(id: id) }) == nil {
                    return .error(.notFound, "not_found", "no incident '\(id.prefix(64))'")
                }
                let actor = Self.actor(token)
                do {
                    let ticket = try await lane.run {
                        try desk.open(
                            title: title, level: level, category: category, incidents: incidents, note: note,
                            actor: actor, now: Timestamp.now().microseconds)
                    }
                    return Reply(status: .created, json: Self.object(ticket, now: .now()))
                } catch let error as VigilError where error.code == .usage {
                    return .error(.conflict, "refused", error.message)
                }
            }
        }
        router.post("/v1/tickets/:id/actions") { request, context in
            await answer(request, role: .analyst) { token in
                let id = context.parameters.get("id") ?? ""
                guard let desk = service.desk else { return Self.noTickets }
                let body = try await request.body.collect(upTo: 16 << 10)
                guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
                    return .error(.badRequest, "bad_body", "send {\"action\": \"acknowledge\", \"note\": \"why\"}")
                }
                let action: TicketAction
                switch TicketActionRequest.parse(object) {
                case .success(let a): action = a
                case .failure(let e): return .error(.badRequest, "bad_action", e.message)
                }
                let actor = Self.actor(token)
                do {
                    let ticket = try await lane.run {
                        try desk.act(action, ticket: id, actor: actor, now: Timestamp.now().microseconds)
                    }
                    return Reply(status: .ok, json: Self.object(ticket, now: .now()))
                } catch let error as VigilError where error.code == .usage {
                    let missing = error.message.hasPrefix("no ticket")
                    return .error(missing ? .notFound : .conflict, missing ? "not_found" : "refused", error.message)
                }
            }
        }
        router.get("/v1/audit/verify") { request, _ in
            await answer(request, role: .admin) { _ in
                guard let desk = service.desk else { return Self.noTickets }
                let entries = try await lane.run { try desk.store.timeline(ticket: nil) }
                let head = desk.headFile.flatMap(TicketDesk.readHead)
                switch TimelineEntry.verify(entries, head: head) {
                case .intact(let n):
                    return Reply(status: .ok, json: ["intact": true, "entries": n, "head": head?.seq ?? 0])
                case .broken(let seq, let problem):
                    return Reply(status: .ok, json: ["intact": false, "entry": seq, "problem": problem])
                }
            }
        }
        router.get("/v1/posture") { request, _ in
            await answer(request, role: .viewer) { _ in
                let p = try QueryParameters(Self.pairs(request), allowed: ["window"])
                let windowText = try p.string("window") ?? "24h"
                guard let seconds = QueryParameters.durationSeconds(windowText), seconds >= 60 else {
                    throw QueryError(
                        "parameter 'window': '\(windowText)' is not a duration of a minute or more (1h, 24h, 7d)")
                }
                let to = Timestamp.now().microseconds
                let from = to - seconds * 1_000_000
                let desk = service.desk
                let rejected = await service.counters.rejected
                let silentAfter = silentAfterSeconds
                let input = try await read { store -> Posture.Input in
                    var query = IncidentQuery()
                    query.since = from - seconds * 1_000_000
                    query.limit = 1000
                    var incidents: [IncidentRecord] = []
                    // Bounded: 20 pages of 1 000.
                    for _ in 0..<20 {
                        let page = try store.incidents(query)
                        incidents += page.incidents
                        guard let next = page.next else { break }
                        query.cursor = next
                    }
                    let slices = 24
                    let step = (to - from) / Int64(slices)
                    let counts = try (0..<slices).map { n -> Int in
                        let start = from + Int64(n) * step
                        return try store.eventCounts(from: start, to: n == slices - 1 ? to : start + step).values
                            .reduce(0, +)
                    }
                    return Posture.Input(
                        from: from, to: to, incidents: incidents,
                        tickets: try desk?.store.tickets(status: nil, limit: 1000) ?? [], sensors: try store.sensors(),
                        events: try store.eventCounts(from: from, to: to),
                        eventsBefore: try store.eventCounts(from: from - seconds * 1_000_000, to: from),
                        eventSlices: counts, silentAfterSeconds: silentAfter, rejectedLines: rejected)
                }
                return Reply(status: .ok, json: Posture.build(input))
            }
        }
        router.get("/v1/webhooks/deliveries") { request, _ in
            await answer(request, role: .viewer) { _ in
                let p = try QueryParameters(Self.pairs(request), allowed: ["endpoint", "limit"])
                let endpoint = try p.string("endpoint")
                let limit = try p.int("limit", in: 1...1000) ?? 100
                guard let outbox = store as? any OutboxStore else {
                    return Reply(status: .ok, json: ["deliveries": [String]()])
                }
                let rows = try await read { _ in try outbox.outbox(limit: limit, endpoint: endpoint) }
                return Reply(
                    status: .ok,
                    json: [
                        "deliveries": rows.map { r -> [String: any Sendable] in
                            var o: [String: any Sendable] = [
                                "id": r.id, "endpoint": r.endpoint, "kind": r.kind, "state": r.state.rawValue,
                                "attempts": r.attempts, "created": Self.time(r.created),
                            ]
                            if r.state == .pending { o["next_attempt"] = Self.time(r.nextAttempt) }
                            if let s = r.lastStatus { o["last_status"] = s }
                            if let e = r.lastError { o["last_error"] = e }
                            if let d = r.delivered { o["delivered"] = Self.time(d) }
                            return o
                        }
                    ])
            }
        }
        router.post("/v1/webhooks/:name/test") { request, context in
            await answer(request, role: .admin) { token in
                let name = context.parameters.get("name") ?? ""
                guard webhooks.contains(where: { $0.name == name }), let outbox = store as? any OutboxStore else {
                    let names = webhooks.map(\.name).joined(separator: ", ")
                    return .error(.notFound, "not_found", "no webhook '\(name.prefix(64))'; configured: \(names)")
                }
                let now = Timestamp.now().microseconds
                let note = WebhookNotification(
                    id: "test-" + UUID().uuidString.lowercased(), kind: .test, title: "Vigil 测试消息 test message",
                    level: .informational, summary: "sent by \(token.name) to check the webhook '\(name)'", time: now)
                let row = OutboxRow(
                    id: note.id, endpoint: name, created: now, kind: note.kind.rawValue,
                    payload: NotificationPayload.encode(note))
                let actor = Self.actor(token)
                try await write { s in
                    try outbox.enqueue([row])
                    try s.audit(actor: actor, action: "webhook.test", subject: name, detail: note.id)
                }
                return Reply(status: .accepted, json: ["id": note.id, "endpoint": name, "state": "pending"])
            }
        }
        router.get("/v1/audit") { request, _ in
            await answer(request, role: .admin) { _ in
                let p = try QueryParameters(Self.pairs(request), allowed: ["limit", "before"])
                let limit = try p.int("limit", in: 1...10_000) ?? 100
                let before = try p.int("before", in: 1...Int.max).map(Int64.init)
                let entries = try await read { try $0.auditLog(limit: limit, before: before) }
                return Reply(
                    status: .ok,
                    json: [
                        "entries": entries.map { e -> [String: any Sendable] in
                            [
                                "id": e.id, "time": Self.time(e.time), "actor": e.actor, "action": e.action,
                                "subject": e.subject, "detail": e.detail,
                            ]
                        },
                        "next": entries.count == limit ? (entries.last?.id ?? 0) as any Sendable : NSNull(),
                    ])
            }
        }
        return router
    }

    static var noTickets: Reply {
        .error(.notFound, "no_tickets", "tickets are off: the rule pack has no response policy (response/levels.yaml)")
    }

    /// A ticket as the API shows it, with each deadline's state now.
    static func object(_ t: TicketRecord, now: Timestamp) -> [String: any Sendable] {
        var o: [String: any Sendable] = [
            "ticket.id": t.id, "title": t.title, "level": t.level, "level_why": t.levelWhy, "status": t.status,
            "opened": time(t.opened), "updated": time(t.updated), "incidents": t.incidents,
        ]
        if let level = ResponseLevel(roman: t.level) {
            o["level_name"] = level.chinese
            o["warning"] = level.colour
        }
        if let c = t.category { o["gbt20986.category"] = c }
        if let a = t.assignee { o["assignee"] = a }
        o["deadlines"] = t.deadlines.map { d -> [String: any Sendable] in
            let state = Deadline(
                kind: .acknowledge, opened: Timestamp(microseconds: t.opened), due: Timestamp(microseconds: d.due),
                met: d.met.map(Timestamp.init(microseconds:))
            ).state(at: now)
            var x: [String: any Sendable] = ["kind": d.kind, "due": time(d.due), "state": state.rawValue]
            if let met = d.met { x["met"] = time(met) }
            return x
        }
        o["steps"] = t.steps.map { s -> [String: any Sendable] in
            var x: [String: any Sendable] = ["id": s.id, "zh": s.zh, "en": s.en, "role": s.role, "due": time(s.due)]
            if let done = s.done { x["done"] = time(done) }
            if let by = s.doneBy { x["done_by"] = by }
            if let note = s.note { x["note"] = note }
            return x
        }
        return o
    }

    // MARK: Authentication

    /// Runs `body` when the request carries an active token of at least `role`; otherwise answers
    /// 401 (no or unknown token) or 403 (role too low). Parameter errors answer 400, store errors 500.
    func respond(
        _ request: Request, role: TokenRole, _ body: @Sendable (APIToken) async throws -> Response
    ) async -> Response {
        metrics.apiRequests.increment()
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            metrics.apiAuthFailures.increment()
            return Self.unauthorized("send an API token: Authorization: Bearer vigil_…")
        }
        let secret = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        let token: APIToken?
        do {
            token = try await read { try $0.authenticate(secret: secret) }
        } catch {
            return Reply.error(.internalServerError, "store_failed", "\(error)").response
        }
        guard let token else {
            metrics.apiAuthFailures.increment()
            logger.warning("refused an unknown or revoked API token", metadata: ["path": "\(request.uri.path)"])
            return Self.unauthorized("the API token is unknown or revoked")
        }
        guard token.role >= role else {
            return Reply.error(
                .forbidden, "forbidden",
                "this call needs the \(role.rawValue) role; token \(token.id) (\(token.name)) has \(token.role.rawValue)"
            ).response
        }
        do {
            return try await body(token)
        } catch let error as QueryError {
            return Reply.error(.badRequest, "bad_parameter", error.message).response
        } catch let error as VigilError where error.code == .usage {
            return Reply.error(.badRequest, "bad_parameter", error.message).response
        } catch {
            logger.error("query failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Reply.error(.internalServerError, "store_failed", "\(error)").response
        }
    }

    /// `respond` for handlers that answer a `Reply`.
    func answer(_ request: Request, role: TokenRole, _ body: @Sendable (APIToken) async throws -> Reply) async
        -> Response
    {
        await respond(request, role: role) { try await body($0).response }
    }

    static func unauthorized(_ message: String) -> Response {
        var response = Reply.error(.unauthorized, "unauthorized", message).response
        response.headers[.wwwAuthenticate] = "Bearer realm=\"vigil\""
        return response
    }

    /// Who did it, for the audit log: the token's name and id (never its secret).
    static func actor(_ token: APIToken) -> String { "\(token.name) (\(token.id))" }

    // MARK: Store access

    func read<T: Sendable>(_ body: @escaping @Sendable (any EventStore) throws -> T) async throws -> T {
        let store = self.store
        return try await lane.run { try body(store) }
    }

    /// Writes go through the same lane as reads: an analyst's change is one small transaction, and
    /// SQLite serialises it with ingest's commits anyway.
    func write<T: Sendable>(_ body: @escaping @Sendable (any EventStore) throws -> T) async throws -> T {
        try await read(body)
    }

    /// The gauges that describe state, read at scrape time.
    func refreshGauges() async {
        let fm = FileManager.default
        var bytes: Int64 = 0
        for suffix in ["", "-wal"] {
            if let size = (try? fm.attributesOfItem(atPath: storePath + suffix))?[.size] as? NSNumber {
                bytes += size.int64Value
            }
        }
        metrics.storeBytes.set(bytes)
        let now = Timestamp.now().microseconds
        if let watermark = await service.watermark {
            metrics.correlationLag.set(Double(max(0, now - watermark)) / 1_000_000)
        }
        if let sensors = try? await read({ try $0.sensors() }) {
            let silent = sensors.filter { now - $0.lastSeen > silentAfterSeconds * 1_000_000 }.count
            metrics.sensorsSilent.set(Int64(silent))
            metrics.sensorsReporting.set(Int64(sensors.count - silent))
        }
    }

    // MARK: JSON

    static func pairs(_ request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func time(_ micros: Int64) -> String { Timestamp(microseconds: micros).description }

    /// An incident as the API shows it: the names `vigil analyze --incidents` writes, plus `status`.
    static func object(_ i: IncidentRecord) -> [String: any Sendable] {
        var o: [String: any Sendable] = [
            "incident.id": i.id, "rule.id": i.ruleID, "rule.name": i.title, "level": i.level,
            "rule.level": i.ruleLevel, "hits": i.hits, "first_seen": time(i.firstSeen), "last_seen": time(i.lastSeen),
            "sample_event_ids": i.samples, "observers": i.observers, "group": i.group, "status": i.status,
        ]
        if let stage = i.stage { o["vigil.stage"] = stage }
        if let category = i.category { o["gbt20986.category"] = category }
        if i.dlpCount > 0 { o["dlp.count"] = i.dlpCount }
        if let type = i.correlation { o["rule.correlation"] = type }
        if !i.departments.isEmpty { o["labels.department"] = i.departments }
        if let c = i.classification { o["data.classification"] = c }
        return o
    }
}

import GRDB
import VigilCore

extension SQLiteStore {
    /// `RuleLevel` order as a number (0 for a level this version does not know).
    static func levelRank(_ level: String) -> Int {
        RuleLevel(rawValue: level).flatMap { RuleLevel.allCases.firstIndex(of: $0) } ?? 0
    }

    public func upsertIncidents(_ list: [IncidentRecord]) throws(VigilError) {
        guard !list.isEmpty else { return }
        try write("cannot store \(list.count) incidents") { db in
            // One transaction (one fsync) for all of a batch's incidents: a commit per incident
            // cost more than the batch's events (measured: 6.5 % of ingest CPU and an fsync each).
            let statement = try db.cachedStatement(sql: Self.upsertSQL)
            for i in list { try statement.execute(arguments: Self.arguments(i)) }
        }
    }

    /// Everything the rules own is replaced; `status` belongs to analysts and is kept.
    static let upsertSQL = """
        INSERT INTO incidents (id, rule_id, title, level, level_rank, rule_level, stage, category,
            correlation, group_json, hits, first_seen, last_seen, samples_json, observers_json, dlp_count,
            departments_json, classification)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET title = excluded.title, level = excluded.level,
            level_rank = excluded.level_rank, rule_level = excluded.rule_level, stage = excluded.stage,
            category = excluded.category, correlation = excluded.correlation,
            group_json = excluded.group_json, hits = excluded.hits, first_seen = excluded.first_seen,
            last_seen = excluded.last_seen, samples_json = excluded.samples_json,
            observers_json = excluded.observers_json, dlp_count = excluded.dlp_count,
            departments_json = excluded.departments_json, classification = excluded.classification
        """

    static func arguments(_ i: IncidentRecord) -> StatementArguments {
        [
            i.id, i.ruleID, i.title, i.level, Self.levelRank(i.level), i.ruleLevel, i.stage, i.category,
            i.correlation, Self.json(i.group), i.hits, i.firstSeen, i.lastSeen, Self.json(i.samples),
            Self.json(i.observers), i.dlpCount, Self.json(i.departments), i.classification,
        ]
    }

    public func upsertIncident(_ i: IncidentRecord) throws(VigilError) { try upsertIncidents([i]) }

    public func incidents(_ q: IncidentQuery) throws(VigilError) -> IncidentPage {
        var conditions: [String] = []
        var arguments = StatementArguments()
        func add(_ sql: String, _ values: any DatabaseValueConvertible...) {
            conditions.append(sql)
            for value in values { arguments += [value] }
        }
        if let v = q.minLevel { add("level_rank >= ?", Self.levelRank(v.rawValue)) }
        if let v = q.stage { add("stage = ?", v) }
        if let v = q.category { add("category = ?", v) }
        if let v = q.status { add("status = ?", v) }
        if let v = q.since { add("last_seen >= ?", v) }
        if let cursor = q.cursor {
            let after = try PageCursor(decoding: cursor, as: .incidents)
            add("(last_seen, id) < (?, ?)", after.time, after.key)
        }
        let limit = max(1, min(q.limit, 1_000))
        let sql =
            "SELECT * FROM incidents"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY last_seen DESC, id DESC LIMIT \(limit + 1)"
        return try read("cannot list incidents") { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let page = rows.prefix(limit).map(Self.incident(from:))
            let next =
                rows.count > limit ? page.last.map { PageCursor(kind: .incidents, time: $0.lastSeen, key: $0.id) } : nil
            return IncidentPage(incidents: page, next: next?.encoded())
        }
    }

    public func incident(id: String) throws(VigilError) -> IncidentRecord? {
        try read("cannot read incident \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM incidents WHERE id = ?", arguments: [id]).map(Self.incident(from:))
        }
    }

    public func setIncidentStatus(id: String, status: String, actor: String, note: String) throws(VigilError)
        -> String?
    {
        try write("cannot set the status of incident \(id)") { db in
            guard
                let before = try String.fetchOne(db, sql: "SELECT status FROM incidents WHERE id = ?", arguments: [id])
            else { return nil }
            guard before != status else { return before }
            try db.execute(sql: "UPDATE incidents SET status = ? WHERE id = ?", arguments: [status, id])
            let detail = Self.json(["from": before, "to": status, "note": note])
            try Self.appendAudit(db, actor: actor, action: "incident.status", subject: id, detail: detail)
            return before
        }
    }

    private static func incident(from r: Row) -> IncidentRecord {
        var i = IncidentRecord(
            id: r["id"], ruleID: r["rule_id"], title: r["title"], level: r["level"], ruleLevel: r["rule_level"],
            stage: r["stage"], category: r["category"], correlation: r["correlation"],
            group: decode(r["group_json"], as: [String: String].self) ?? [:], hits: r["hits"],
            firstSeen: r["first_seen"], lastSeen: r["last_seen"],
            samples: decode(r["samples_json"], as: [String].self) ?? [],
            observers: decode(r["observers_json"], as: [String].self) ?? [], dlpCount: r["dlp_count"])
        i.status = r["status"]
        i.departments = decode(r["departments_json"], as: [String].self) ?? []
        i.classification = r["classification"]
        return i
    }
}

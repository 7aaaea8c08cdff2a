import GRDB

extension SQLiteStore {
    /// Named, ordered schema migrations: each runs once per file, in its own transaction, and is
    /// recorded in `grdb_migrations`. A released migration is never edited; a change is a new one
    /// appended here. A file that lists a migration this binary does not know was written by a
    /// newer Vigil and is refused at open.
    ///
    /// Times are µs since 1970 (INTEGER). Events keep `rowid` as an explicit INTEGER PRIMARY KEY:
    /// it is the arrival order, the tie-breaker of every time-ordered page, and the key rule hits
    /// point at (8 bytes instead of the 32-character `event.id`).
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-events") { db in
            // Each secondary index ends with `time` (and, implicitly, rowid), so a filter on one
            // column plus a time range is answered newest first straight from the index, no sort.
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        rowid INTEGER PRIMARY KEY,
                        event_id TEXT NOT NULL UNIQUE,
                        time INTEGER NOT NULL,
                        dataset TEXT NOT NULL,
                        observer TEXT,
                        source_ip TEXT,
                        destination_ip TEXT,
                        host TEXT,
                        user TEXT,
                        ingested INTEGER NOT NULL,
                        json TEXT NOT NULL
                    );
                    CREATE INDEX events_time ON events(time);
                    CREATE INDEX events_dataset ON events(dataset, time);
                    CREATE INDEX events_source ON events(source_ip, time);
                    CREATE INDEX events_destination ON events(destination_ip, time);
                    CREATE INDEX events_host ON events(host, time);
                    CREATE INDEX events_user ON events(user, time);
                    CREATE INDEX events_observer ON events(observer, time);
                    CREATE TABLE event_rules (
                        rule_id TEXT NOT NULL,
                        event_rowid INTEGER NOT NULL,
                        PRIMARY KEY (rule_id, event_rowid)
                    ) WITHOUT ROWID;
                    CREATE INDEX event_rules_event ON event_rules(event_rowid);
                    """)
        }
        m.registerMigration("v1-incidents-sensors-snapshots") { db in
            try db.execute(
                sql: """
                    CREATE TABLE incidents (
                        id TEXT PRIMARY KEY,
                        rule_id TEXT NOT NULL,
                        title TEXT NOT NULL,
                        level TEXT NOT NULL,
                        rule_level TEXT NOT NULL,
                        stage TEXT,
                        category TEXT,
                        correlation TEXT,
                        group_json TEXT NOT NULL,
                        hits INTEGER NOT NULL,
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        samples_json TEXT NOT NULL,
                        observers_json TEXT NOT NULL,
                        dlp_count INTEGER NOT NULL,
                        status TEXT NOT NULL DEFAULT 'open'
                    );
                    CREATE INDEX incidents_last_seen ON incidents(last_seen);
                    CREATE TABLE sensors (
                        id TEXT PRIMARY KEY,
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        version TEXT NOT NULL,
                        counters_json TEXT NOT NULL
                    );
                    CREATE TABLE snapshots (
                        id INTEGER PRIMARY KEY,
                        taken INTEGER NOT NULL,
                        watermark INTEGER NOT NULL,
                        data BLOB NOT NULL
                    );
                    """)
        }
        m.registerMigration("v2-rule-hits-by-time") { db in
            // Rule hits keyed (rule, time, event): "events that hit rule R, newest first" reads this
            // index in order and joins each row to its event by rowid, instead of collecting every
            // hit of a busy rule and sorting them for each page.
            try db.execute(
                sql: """
                    CREATE TABLE rule_hits (
                        rule_id TEXT NOT NULL,
                        time INTEGER NOT NULL,
                        event_rowid INTEGER NOT NULL,
                        PRIMARY KEY (rule_id, time, event_rowid)
                    ) WITHOUT ROWID;
                    INSERT INTO rule_hits (rule_id, time, event_rowid)
                        SELECT r.rule_id, e.time, r.event_rowid FROM event_rules r JOIN events e ON e.rowid = r.event_rowid;
                    DROP TABLE event_rules;
                    CREATE INDEX rule_hits_event ON rule_hits(event_rowid);
                    """)
        }
        m.registerMigration("v2-incident-level-rank") { db in
            // The level as a number for "level ≥" filters (RuleLevel order), and the listing order
            // (last_seen, id) as one index so keyset pages need no sort.
            try db.execute(
                sql: """
                    ALTER TABLE incidents ADD COLUMN level_rank INTEGER NOT NULL DEFAULT 0;
                    UPDATE incidents SET level_rank = CASE level
                        WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'critical' THEN 4 ELSE 0 END;
                    DROP INDEX incidents_last_seen;
                    CREATE INDEX incidents_last_seen ON incidents(last_seen, id);
                    CREATE INDEX incidents_status ON incidents(status, last_seen, id);
                    """)
        }
        m.registerMigration("v2-tokens-audit") { db in
            // Tokens are looked up by the SHA-256 of the presented secret (UNIQUE index); the secret
            // itself is never stored. Revoked tokens stay, for the audit trail.
            // The audit log refuses UPDATE and DELETE: a guard against a code path rewriting
            // history, not against someone with the file (the ticket timeline's hash chain and the
            // copy of its head outside the database are what make tampering show, DESIGN §6).
            try db.execute(
                sql: """
                    CREATE TABLE api_tokens (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
                        secret_sha256 TEXT NOT NULL UNIQUE,
                        created INTEGER NOT NULL,
                        revoked INTEGER
                    );
                    CREATE TABLE audit_log (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        time INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        detail TEXT NOT NULL
                    );
                    CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        m.registerMigration("v3-events-dedup-by-time") { db in
            // Deduplicate on (time, event_id) instead of event_id alone. Event ids are hashes, so a
            // UNIQUE index on them alone takes each insert to a random leaf page: a batch of 1 000
            // events dirtied ~1 000 pages of that index, each written whole to the WAL and again at
            // checkpoint, and the cost grew with the table (28 k events/s at first, 17 k at 1 M rows).
            // With time first, a batch's keys land on the few pages at the index's right edge. A
            // retried event has the same time as well as the same id (both travel together in the
            // spool), so retries are still recognised. The columns most events lack (a log line has
            // no destination, a flow no user) get partial indexes: no entry to write for a NULL, and
            // `column = ?` still uses them. SQLite cannot drop a table constraint, hence the rebuild.
            try db.execute(
                sql: """
                    CREATE TABLE events_v3 (
                        rowid INTEGER PRIMARY KEY,
                        event_id TEXT NOT NULL,
                        time INTEGER NOT NULL,
                        dataset TEXT NOT NULL,
                        observer TEXT,
                        source_ip TEXT,
                        destination_ip TEXT,
                        host TEXT,
                        user TEXT,
                        ingested INTEGER NOT NULL,
                        json TEXT NOT NULL
                    );
                    INSERT INTO events_v3 (rowid, event_id, time, dataset, observer, source_ip, destination_ip, host,
                        user, ingested, json)
                        SELECT rowid, event_id, time, dataset, observer, source_ip, destination_ip, host, user,
                            ingested, json
                        FROM events;
                    DROP TABLE events;
                    ALTER TABLE events_v3 RENAME TO events;
                    CREATE UNIQUE INDEX events_dedup ON events(time, event_id);
                    CREATE INDEX events_time ON events(time);
                    CREATE INDEX events_dataset ON events(dataset, time);
                    CREATE INDEX events_observer ON events(observer, time);
                    CREATE INDEX events_source ON events(source_ip, time) WHERE source_ip IS NOT NULL;
                    CREATE INDEX events_destination ON events(destination_ip, time) WHERE destination_ip IS NOT NULL;
                    CREATE INDEX events_host ON events(host, time) WHERE host IS NOT NULL;
                    CREATE INDEX events_user ON events(user, time) WHERE user IS NOT NULL;
                    """)
        }
        ticketMigration(&m)
        outboxMigration(&m)
        incidentDataMigration(&m)
        return m
    }
}

import Testing
import VigilCore

@testable import VigilDecode

@Suite("PostgreSQL log decoder")
struct PostgresLogDecoderTests {
    func stderr(_ prefix: String = "%m [%p] ") throws -> PostgresLogDecoder {
        try PostgresLogDecoder(prefix: prefix, context: LogFeed.context)
    }

    @Test("log_statement lines with the default prefix become db.statement records when the next line starts")
    func defaultPrefix() throws {
        var d = try stderr()
        let lines = [
            "2026-11-23 17:03:01.123 UTC [4242] LOG:  statement: SELECT id, name FROM customers WHERE id = 42;",
            "2026-11-23 17:03:01.456 UTC [4242] LOG:  duration: 0.321 ms  statement: UPDATE accounts SET balance = "
                + "balance - 100 WHERE id = 7;",
        ]
        let pending = LogFeed.decode(&d, [lines[0]], flush: false)
        #expect(pending.isEmpty, "a statement may continue on the next line")
        var records = LogFeed.decode(&d, [lines[1]], flush: false)
        let first = try #require(records.first)
        #expect(first.dataset == .dbStatement)
        #expect(first.time == "2026-11-23T17:03:01.123000Z")
        #expect(first.string(Fields.eventAction) == "statement")
        #expect(first.string(Fields.eventOutcome) == "success")
        #expect(first.int(Fields.processPID) == 4242)
        #expect(first.string(Fields.logLevel) == "LOG")
        #expect(first.string(Fields.dbStatement) == "SELECT id, name FROM customers WHERE id = 42;")
        #expect(first.string(Fields.dbStatementClass) == "select")
        records = []
        d.flush(into: &records)
        let second = try #require(records.first)
        #expect(second.string(Fields.eventAction) == "statement")
        #expect(second.int(Fields.eventDuration) == 321_000)
        #expect(second.string(Fields.dbStatementClass) == "update")
    }

    @Test("TAB-continued lines belong to the statement, and STATEMENT attaches to the ERROR before it")
    func multiLineAndErrors() throws {
        var d = try stderr()
        let lines = [
            "2026-11-23 17:03:04.000 UTC [4242] LOG:  statement: SELECT a,",
            "\t\tb",
            "\tFROM t;",
            "2026-11-23 17:03:05.000 UTC [4242] ERROR:  relation \"nosuch\" does not exist at character 15",
            "2026-11-23 17:03:05.000 UTC [4242] STATEMENT:  SELECT * FROM nosuch",
            "\tWHERE x = 1;",
            "2026-11-23 17:03:06.000 UTC [4242] LOG:  execute <unnamed>: SELECT * FROM orders WHERE customer_id = $1",
            "2026-11-23 17:03:06.000 UTC [4242] DETAIL:  parameters: $1 = '42'",
        ]
        let offsets = LogFeed.offsets(lines)
        let r = LogFeed.decode(&d, lines)
        #expect(r.count == 3)
        #expect(r.map(\.offset) == [offsets[0], offsets[3], offsets[6]])
        #expect(r[0].string(Fields.dbStatement) == "SELECT a,\n\tb\nFROM t;")
        #expect(r[1].string(Fields.eventAction) == "error")
        #expect(r[1].string(Fields.eventOutcome) == "failure")
        #expect(r[1].string(Fields.errorMessage) == "relation \"nosuch\" does not exist at character 15")
        #expect(r[1].string(Fields.dbStatement) == "SELECT * FROM nosuch\nWHERE x = 1;")
        #expect(r[1].string(Fields.dbStatementClass) == "select")
        #expect(r[2].string(Fields.eventAction) == "execute")
        #expect(r[2].string(Fields.dbStatement) == "SELECT * FROM orders WHERE customer_id = $1")
    }

    @Test("a %q prefix gives user and database to session lines and stops for background processes")
    func sessionPrefix() throws {
        var d = try stderr("%m [%p] %q%u@%d ")
        let r = LogFeed.decode(
            &d,
            [
                "2026-11-23 17:03:01.123 +08 [4242] alice@appdb LOG:  statement: DELETE FROM audit_log;",
                "2026-11-23 17:03:01.123 CET [100] LOG:  checkpoint starting: time",
                "2026-11-23 17:03:02.000 UTC [4243] [unknown]@[unknown] LOG:  connection received: host=10.0.0.5 "
                    + "port=54321",
            ])
        #expect(r.count == 3)
        #expect(r[0].time == "2026-11-23T09:03:01.123000Z")
        #expect(r[0].string(Fields.userName) == "alice")
        #expect(r[0].string(Fields.dbName) == "appdb")
        #expect(r[0].string(Fields.dbStatementClass) == "delete")
        #expect(r[1].string(Fields.eventAction) == "log")
        #expect(r[1].string(Fields.message) == "checkpoint starting: time")
        #expect(r[1][Fields.userName] == nil)
        #expect(r[1].time == "2026-11-23T17:03:01.123000Z", "an ambiguous zone abbreviation uses the context offset")
        #expect(r[2].string(Fields.eventAction) == "connection_received")
        #expect(r[2][Fields.userName] == nil)
        #expect(r[2].ip(Fields.sourceIP) == "10.0.0.5")
        #expect(r[2].int(Fields.sourcePort) == 54321)
    }

    @Test("a key=value prefix fills user, database, application and client")
    func keyValuePrefix() throws {
        var d = try stderr("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ")
        let r = LogFeed.decode(
            &d,
            [
                "2026-11-23 17:03:01 UTC [4242]: [3-1] user=alice,db=appdb,app=psql,client=10.0.0.5 LOG:  statement: "
                    + "COPY customers TO '/tmp/c.csv' WITH CSV;",
                "2026-11-23 17:03:02 UTC [4243]: [1-1] user=mallory,db=appdb,app=[unknown],client=203.0.113.50 FATAL:  "
                    + "password authentication failed for user \"mallory\"",
                "2026-11-23 17:03:02 UTC [4243]: [2-1] user=mallory,db=appdb,app=[unknown],client=203.0.113.50 DETAIL: "
                    + " Connection matched pg_hba.conf line 99: \"host all all 0.0.0.0/0 scram-sha-256\"",
            ])
        #expect(r.count == 2)
        #expect(r[0].string(Fields.userName) == "alice")
        #expect(r[0].string(Fields.dbName) == "appdb")
        #expect(r[0].string(Fields.dbApplication) == "psql")
        #expect(r[0].ip(Fields.sourceIP) == "10.0.0.5")
        #expect(r[0].string(Fields.dbStatementClass) == "export")
        #expect(r[1].string(Fields.eventAction) == "auth_failure")
        #expect(r[1].string(Fields.eventOutcome) == "failure")
        #expect(r[1].string(Fields.userName) == "mallory")
        #expect(r[1][Fields.dbApplication] == nil)
    }

    @Test("unsupported prefix escapes are refused naming the escape")
    func badPrefix() {
        #expect(throws: LogFormatError.self) { try PostgresLogDecoder(prefix: "", context: LogFeed.context) }
        do {
            _ = try PostgresLogDecoder(prefix: "%m %z ", context: LogFeed.context)
            Issue.record("accepted %z")
        } catch {
            #expect(error.message.contains("%z"))
        }
        #expect((try? PostgresLogDecoder(prefix: "%m [%-6p] %c %x %e ", context: LogFeed.context)) != nil)
    }

    @Test("lines that match no prefix are unparsed and complete the pending record first")
    func unparsed() throws {
        var d = try stderr()
        let r = LogFeed.decode(
            &d, ["\torphan continuation", "2026-11-23 17:03:01.123 UTC [1] LOG:  statement: SELECT 1", "garbage"])
        #expect(r.count == 3)
        #expect(r[0].isUnparsed)
        #expect(r[1].string(Fields.dbStatement) == "SELECT 1")
        #expect(r[2].isUnparsed)
        #expect(r[2].string(Fields.logFormat) == "postgresql")
        #expect(r[2].string(Fields.errorMessage) == "line does not match log_line_prefix")
    }

    static let csvRow =
        #"2026-11-23 17:03:01.123 UTC,"alice","appdb",4242,"10.0.0.5:54321",655f8a1d.1092,3,"SELECT",2026-11-23 "#
        + #"17:02:59 UTC,3/7,0,LOG,00000,"statement: SELECT ""quoted"" FROM t"#

    @Test("a csvlog row spanning lines with doubled quotes decodes as one record")
    func csv() throws {
        var d = PostgresLogDecoder.csvlog(context: LogFeed.context)
        let lines = [
            Self.csvRow, #"WHERE x = 'a,b';",,,,,,,,,"psql","client backend",,0"#,
            #"2026-11-23 17:03:03.000 UTC,"alice","appdb",4242,"10.0.0.5:54321",655f8a1d.1092,5,"SELECT",2026-11-23 "#
                + #"17:02:59 UTC,3/9,0,ERROR,42P01,"relation ""nosuch"" does not exist",,,,,,"SELECT * FROM "#
                + #"nosuch;",15,,"psql","client backend",,0"#,
        ]
        let offsets = LogFeed.offsets(lines)
        let r = LogFeed.decode(&d, lines, flush: false)
        #expect(r.count == 2)
        #expect(r[0].offset == offsets[0])
        #expect(r[0].time == "2026-11-23T17:03:01.123000Z")
        #expect(r[0].string(Fields.userName) == "alice")
        #expect(r[0].string(Fields.dbName) == "appdb")
        #expect(r[0].int(Fields.processPID) == 4242)
        #expect(r[0].ip(Fields.sourceIP) == "10.0.0.5")
        #expect(r[0].int(Fields.sourcePort) == 54321)
        #expect(r[0].string(Fields.dbSession) == "655f8a1d.1092")
        #expect(r[0].string(Fields.dbApplication) == "psql")
        #expect(r[0].string(Fields.dbStatement) == "SELECT \"quoted\" FROM t\nWHERE x = 'a,b';")
        #expect(r[1].offset == offsets[2])
        #expect(r[1].string(Fields.eventAction) == "error")
        #expect(r[1].string(Fields.errorCode) == "42P01")
        #expect(r[1].string(Fields.errorMessage) == "relation \"nosuch\" does not exist")
        #expect(r[1].string(Fields.dbStatement) == "SELECT * FROM nosuch;")
    }

    @Test("csv rows over the cap become one unparsed record and the rest of the row is skipped")
    func csvCap() throws {
        var d = PostgresLogDecoder.csvlog(context: LogFeed.context, maxRecordBytes: 2048)
        let lines =
            [Self.csvRow] + Array(repeating: String(repeating: "x", count: 500), count: 10)
            + [#"end",,,,,,,,,"psql","client backend",,0"#, "2026-11-23 17:03:01.123 UTC,short row"]
        let r = LogFeed.decode(&d, lines)
        #expect(r.count == 2)
        #expect(r[0].string(Fields.errorMessage) == "csv record over size cap")
        #expect(r[0].string(Fields.eventOriginal)?.utf8.count == 2048)
        #expect(r[1].string(Fields.errorMessage) == "not a csvlog row of 23 to 26 columns")
        var open = PostgresLogDecoder.csvlog(context: LogFeed.context)
        let unterminated = LogFeed.decode(&open, [Self.csvRow])
        #expect(unterminated.map { $0.string(Fields.errorMessage) } == ["unterminated csv record"])
    }
}

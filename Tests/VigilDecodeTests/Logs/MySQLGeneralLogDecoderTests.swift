import Testing
import VigilCore

@testable import VigilDecode

@Suite("MySQL general log decoder")
struct MySQLGeneralLogDecoderTests {
    @Test("MySQL 8 entries carry the thread's user, client and database from its Connect line")
    func mysql8() throws {
        var d = MySQLGeneralLogDecoder(context: LogFeed.context)
        let lines = [
            "/usr/sbin/mysqld, Version: 8.0.35 (MySQL Community Server - GPL). started with:",
            "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock",
            "Time                 Id Command    Argument",
            "2026-11-23T17:03:01.123456Z\t   12 Connect\talice@10.0.0.5 on appdb using TCP/IP",
            "2026-11-23T17:03:01.200000Z\t   12 Query\tSELECT * FROM customers",
            "WHERE id = 42",
            "2026-11-23T17:03:02.000000Z\t   12 Query\tSELECT name INTO OUTFILE '/tmp/x' FROM customers",
            "2026-11-23T17:03:03.000000Z\t   12 Quit\t",
            "2026-11-23T17:03:04.000000Z\t   13 Connect\tAccess denied for user 'mallory'@'203.0.113.50' (using "
                + "password: YES)",
        ]
        let offsets = LogFeed.offsets(lines)
        let r = LogFeed.decode(&d, lines)
        #expect(r.count == 5)
        #expect(r.map(\.offset) == [offsets[3], offsets[4], offsets[6], offsets[7], offsets[8]])
        #expect(r[0].string(Fields.eventAction) == "connect")
        #expect(r[0].string(Fields.eventOutcome) == "success")
        #expect(r[0].time == "2026-11-23T17:03:01.123456Z")
        #expect(r[1].dataset == .dbStatement)
        #expect(r[1].string(Fields.eventAction) == "query")
        #expect(r[1].string(Fields.userName) == "alice")
        #expect(r[1].string(Fields.dbName) == "appdb")
        #expect(r[1].ip(Fields.sourceIP) == "10.0.0.5")
        #expect(r[1].string(Fields.dbSession) == "12")
        #expect(r[1].string(Fields.dbStatement) == "SELECT * FROM customers\nWHERE id = 42")
        #expect(r[1].string(Fields.dbStatementClass) == "select")
        #expect(r[2].string(Fields.dbStatementClass) == "export")
        #expect(r[3].string(Fields.eventAction) == "quit")
        #expect(r[3].string(Fields.userName) == "alice")
        #expect(r[4].string(Fields.eventOutcome) == "failure")
        #expect(r[4].string(Fields.userName) == "mallory")
        #expect(r[4].ip(Fields.sourceIP) == "203.0.113.50")
        #expect(
            r[4].string(Fields.errorMessage) == "Access denied for user 'mallory'@'203.0.113.50' (using password: YES)")
    }

    @Test("MariaDB's repeated-time lines reuse the last time, and Init DB / USE change the database")
    func mariadb() throws {
        var d = MySQLGeneralLogDecoder(
            context: LogContext(referenceTime: LogFeed.context.referenceTime, utcOffsetSeconds: 3600))
        let lines = [
            "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:",
            "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock",
            "Time\t\t    Id Command\tArgument",
            "261123 17:03:01\t    31 Connect\tbob@localhost on  using Socket",
            "\t\t    31 Query\tselect @@version_comment limit 1",
            "\t\t    31 Init DB\tshop",
            "261123  9:03:05\t    31 Query\tDELETE FROM orders",
            "\t\t    31 Query\tuse `crm`",
            "\t\t    31 Query\tGRANT ALL ON *.* TO 'x'@'%'",
            "\t\t    31 Quit\t",
        ]
        let r = LogFeed.decode(&d, lines)
        #expect(r.count == 7)
        #expect(r[0].time == "2026-11-23T16:03:01.000000Z")
        #expect(r[0][Fields.dbName] == nil)
        #expect(r[0].string(Fields.sourceAddress) == "localhost")
        #expect(r[1].time == "2026-11-23T16:03:01.000000Z")
        #expect(r[1].string(Fields.userName) == "bob")
        #expect(r[2].string(Fields.eventAction) == "init_db")
        #expect(r[3].string(Fields.dbName) == "shop")
        #expect(r[3].time == "2026-11-23T08:03:05.000000Z")
        #expect(r[3].string(Fields.dbStatementClass) == "delete")
        #expect(r[5].string(Fields.dbName) == "crm")
        #expect(r[5].string(Fields.dbStatementClass) == "dcl")
    }

    @Test("a thread whose Connect was not seen has no user; stray lines before any entry are unparsed")
    func unknownThread() {
        var d = MySQLGeneralLogDecoder(context: LogFeed.context, maxSessions: 1)
        let r = LogFeed.decode(
            &d,
            [
                "continuation without entry",
                "2026-11-23T17:03:01.000000Z\t    7 Query\tSELECT 1",
                "2026-11-23T17:03:01.000000Z\t    8 Connect\ta@h on d using TCP/IP",
                "2026-11-23T17:03:01.000000Z\t    9 Connect\tb@h on d using TCP/IP",
                "2026-11-23T17:03:01.000000Z\t    8 Query\tSELECT 2",
            ])
        #expect(r.count == 5)
        #expect(r[0].isUnparsed)
        #expect(r[0].string(Fields.logFormat) == "mysql.general")
        #expect(r[1][Fields.userName] == nil)
        #expect(r[4][Fields.userName] == nil, "thread 8 was evicted when thread 9 connected (maxSessions 1)")
    }

    @Test("hostile bytes and over-long statements never trap and are capped")
    func hostile() throws {
        var d = MySQLGeneralLogDecoder(context: LogFeed.context)
        let junk: [[UInt8]] = [
            Array("2026-11-23T17:03:01.000000Z\t".utf8), Array("2026-11-23T17:03:01.000000Z\t  1 Query".utf8),
            Array("261123 17:03:0".utf8), Array("\t\t".utf8), Array("\t\t 1 Connect\t@".utf8) + [0xFF],
            Array("2026-11-23T17:03:01Z\t 2 Query\t".utf8) + Array(repeating: 0x41, count: 70_000),
        ]
        let r = LogFeed.decode(&d, bytes: junk)
        #expect(r.count == 4)
        let long = try #require(r.last)
        #expect(long.string(Fields.dbStatement)?.utf8.count == 65_536)
    }
}

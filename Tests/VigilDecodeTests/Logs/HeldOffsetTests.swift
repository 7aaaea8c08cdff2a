import Testing
import VigilCore

@testable import VigilDecode

/// A tailer checkpoints no further than `heldOffset`: a record still waiting for its continuation
/// lines must be re-read after a restart, not lost.
@Suite("Multi-line decoders report what they hold")
struct HeldOffsetTests {
    @Test("a PostgreSQL statement continued on tab-led lines is held from its first line")
    func postgres() throws {
        var d = try PostgresLogDecoder(prefix: "%m [%p] %q%u@%d ", context: LogFeed.context)
        let lines = [
            "2026-11-23 17:45:20.378 UTC [8100] alice@vigil LOG:  statement: SELECT 1;",
            "2026-11-23 17:45:20.379 UTC [8100] alice@vigil LOG:  statement: SELECT name",
            "\tFROM citizens",
        ]
        let records = LogFeed.decode(&d, lines, flush: false)
        #expect(records.count == 1)
        #expect(d.heldOffset == LogFeed.offsets(lines)[1])
        var rest: [LogRecord] = []
        d.flush(into: &rest)
        #expect(d.heldOffset == nil)
    }

    @Test("a csvlog row spanning lines is held from its first line")
    func csv() {
        var d = PostgresLogDecoder.csvlog(context: LogFeed.context)
        let lines = [
            #"2026-11-23 17:45:20.378 UTC,"alice","vigil",8100,"127.0.0.1:5000",1,1,"SELECT",2026-11-23 17:45:20 UTC,3/1,0,LOG,00000,"statement: SELECT 'a"#
        ]
        _ = LogFeed.decode(&d, lines, flush: false)
        #expect(d.heldOffset == 0)
    }

    @Test("a MySQL query continued on the next line is held")
    func mysql() {
        var d = MySQLGeneralLogDecoder(context: LogFeed.context)
        let lines = ["2026-11-23T17:45:21.000000Z\t    4 Query\tSELECT *", "FROM citizens"]
        _ = LogFeed.decode(&d, lines, flush: false)
        #expect(d.heldOffset == 0)
    }

    @Test("an auditd syscall event waiting for EOE is held; EOE releases it")
    func auditd() {
        var d = AuditdDecoder()
        let syscall =
            #"type=SYSCALL msg=audit(1795435200.100:77): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 auid=1000 uid=0 comm="id" exe="/usr/bin/id" key=(null)"#
        var records = LogFeed.decode(&d, [syscall], flush: false)
        #expect(records.isEmpty)
        #expect(d.heldOffset == 0)
        let eoe = Array("type=EOE msg=audit(1795435200.100:77): ".utf8)
        eoe.withUnsafeBytes { d.decode(line: $0, offset: 200, into: &records) }
        #expect(records.count == 1)
        #expect(d.heldOffset == nil)
    }

    @Test("the MariaDB start-up banner is not an unparsed line")
    func mariadbBanner() {
        var d = MySQLGeneralLogDecoder(context: LogFeed.context)
        let records = LogFeed.decode(
            &d,
            [
                "mariadbd, Version: 10.11.19-MariaDB-0+deb12u1 (Debian 12). started with:",
                "Tcp port: 13306  Unix socket: /tmp/sock", "Time\t\t    Id Command\tArgument",
            ])
        #expect(records.isEmpty)
    }
}

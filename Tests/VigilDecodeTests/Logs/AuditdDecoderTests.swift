import Testing
import VigilCore

@testable import VigilDecode

@Suite("auditd log decoder")
struct AuditdDecoderTests {
    static let execve = [
        #"type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=59 success=yes exit=0 a0=55d5c1a0b2a0 "#
            + #"a1=55d5c1a0b2c8 a2=55d5c1a0b2e0 a3=8 items=2 ppid=1500 pid=1600 auid=1000 uid=0 gid=0 euid=0 suid=0 "#
            + #"fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="id" exe="/usr/bin/id" subj=unconfined key="exec""#,
        #"type=EXECVE msg=audit(1700000000.123:4567): argc=3 a0="id" a1="-u" a2=2F746D702F612062"#,
        #"type=CWD msg=audit(1700000000.123:4567): cwd="/home/alice""#,
        #"type=PATH msg=audit(1700000000.123:4567): item=0 name="/usr/bin/id" inode=1234 dev=fd:01 mode=0100755 "#
            + #"ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"#,
        #"type=PATH msg=audit(1700000000.123:4567): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=99 dev=fd:01 "#
            + #"mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 "#
            + #"cap_frootid=0"#,
        "type=PROCTITLE msg=audit(1700000000.123:4567): proctitle=6964002D75",
        "type=EOE msg=audit(1700000000.123:4567): ",
    ]

    @Test("the records of an execve join into one executed event at EOE")
    func execveEvent() throws {
        var d = AuditdDecoder()
        let records = LogFeed.decode(&d, Self.execve, flush: false)
        let r = try #require(records.first)
        #expect(records.count == 1)
        #expect(r.dataset == .audit)
        #expect(r.offset == 0)
        #expect(r.time == "2023-11-14T22:13:20.123000Z")
        #expect(r.string(Fields.eventAction) == "executed")
        #expect(r.string(Fields.eventOutcome) == "success")
        #expect(r.strings(Fields.eventCategory) == ["process"])
        #expect(r.int(Fields.auditSerial) == 4567)
        #expect(r.strings(Fields.auditTypes) == ["SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE", "EOE"])
        #expect(r.string(Fields.auditSyscall) == "execve")
        #expect(r.int(Fields.processPID) == 1600)
        #expect(r.int(Fields.processParentPID) == 1500)
        #expect(r.string(Fields.processName) == "id")
        #expect(r.string(Fields.processExecutable) == "/usr/bin/id")
        #expect(r.string(Fields.processCommandLine) == "id -u /tmp/a b")
        #expect(r.string(Fields.processWorkingDirectory) == "/home/alice")
        #expect(r.string(Fields.userID) == "0")
        #expect(r.string(Fields.auditAUID) == "1000")
        #expect(r.string(Fields.auditTerminal) == "pts0")
        #expect(r.string(Fields.auditKey) == "exec")
        #expect(r.strings(Fields.auditPaths) == ["/usr/bin/id", "/lib64/ld-linux-x86-64.so.2"])
    }

    @Test("proctitle is hex-decoded with NULs as spaces when there is no EXECVE record")
    func proctitle() throws {
        var d = AuditdDecoder()
        let lines = [
            #"type=SYSCALL msg=audit(1700000001.000:10): arch=c000003e syscall=42 success=no exit=-111 a0=3 a1=7ffd "#
                + #"a2=10 a3=0 items=0 ppid=1 pid=77 auid=4294967295 uid=33 gid=33 euid=33 suid=33 fsuid=33 egid=33 "#
                + #"sgid=33 fsgid=33 tty=(none) ses=4294967295 comm=6E632074657374 exe="/usr/bin/nc.openbsd" "#
                + #"subj=unconfined key=(null)"#,
            "type=PROCTITLE msg=audit(1700000001.000:10): proctitle=6E63002D7A0031302E302E302E3100343434",
            "type=EOE msg=audit(1700000001.000:10): ",
        ]
        let r = try #require(LogFeed.decode(&d, lines).first)
        #expect(r.string(Fields.eventAction) == "syscall")
        #expect(r.string(Fields.auditSyscall) == "connect")
        #expect(r.string(Fields.eventOutcome) == "failure")
        #expect(r.string(Fields.processName) == "nc test")
        #expect(r.string(Fields.processCommandLine) == "nc -z 10.0.0.1 444")
        #expect(r[Fields.auditAUID] == nil)
        #expect(r[Fields.auditKey] == nil)
        #expect(r[Fields.auditTerminal] == nil)
    }

    @Test("a PAM USER_AUTH record is a complete failed authentication event on its own")
    func userAuth() throws {
        var d = AuditdDecoder()
        let line =
            #"type=USER_AUTH msg=audit(1700000100.456:4600): pid=2000 uid=0 auid=4294967295 ses=4294967295 "#
            + #"subj=unconfined msg='op=PAM:authentication grantors=? acct="bob" exe="/usr/sbin/sshd" "#
            + #"hostname=198.51.100.23 addr=198.51.100.23 terminal=ssh res=failed'"#
        let records = LogFeed.decode(&d, [line], flush: false)
        let r = try #require(records.first)
        #expect(records.count == 1)
        #expect(r.string(Fields.eventAction) == "user_auth")
        #expect(r.string(Fields.eventOutcome) == "failure")
        #expect(r.strings(Fields.eventCategory) == ["authentication"])
        #expect(r.string(Fields.userName) == "bob")
        #expect(r.ip(Fields.sourceIP) == "198.51.100.23")
        #expect(r.string(Fields.auditOp) == "PAM:authentication")
        #expect(r.string(Fields.processExecutable) == "/usr/sbin/sshd")
        #expect(r.string(Fields.auditTerminal) == "ssh")
        #expect(r.int(Fields.processPID) == 2000)
    }

    @Test("the ENRICHED format adds user and syscall names after the 0x1D separator")
    func enriched() throws {
        var d = AuditdDecoder()
        let cmd =
            #"type=USER_CMD msg=audit(1700000200.789:4700): pid=3000 uid=1000 auid=1000 ses=3 subj=unconfined "#
            + #"msg='cwd="/home/alice" cmd=6964202D75 exe="/usr/bin/sudo" terminal=pts/0 res=success'"#
            + "\u{1D}UID=\"alice\" AUID=\"alice\""
        let r = try #require(LogFeed.decode(&d, [cmd]).first)
        #expect(r.string(Fields.eventAction) == "user_cmd")
        #expect(r.string(Fields.processCommandLine) == "id -u")
        #expect(r.string(Fields.userName) == "alice")
        #expect(r.string(Fields.auditAUIDName) == "alice")
        #expect(r.string(Fields.processWorkingDirectory) == "/home/alice")
        let syscall = [
            #"type=SYSCALL msg=audit(1700000300.000:4800): arch=c00000b7 syscall=221 success=yes exit=0 ppid=1 pid=2 "#
                + #"auid=1000 uid=1000 comm="sh" exe="/bin/dash" key=(null)"#
                + "\u{1D}ARCH=aarch64 SYSCALL=execve AUID=\"alice\" UID=\"alice\"",
            "type=EOE msg=audit(1700000300.000:4800): ",
        ]
        let s = try #require(LogFeed.decode(&d, syscall).first)
        #expect(s.string(Fields.auditSyscall) == "execve")
        #expect(s.string(Fields.eventAction) == "executed")
        #expect(s.string(Fields.userName) == "alice")
    }

    @Test("interleaved serials each complete at their own EOE, at the first line's offset")
    func interleaved() {
        var d = AuditdDecoder()
        let lines = [
            #"type=SYSCALL msg=audit(1700000000.100:1): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=10 "#
                + #"auid=1000 uid=0 comm="a" exe="/bin/a" key=(null)"#,
            #"type=SYSCALL msg=audit(1700000000.101:2): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=20 "#
                + #"auid=1000 uid=0 comm="b" exe="/bin/b" key=(null)"#,
            #"type=EXECVE msg=audit(1700000000.101:2): argc=1 a0="b""#,
            #"type=EXECVE msg=audit(1700000000.100:1): argc=2 a0="a" a1="x""#,
            "type=EOE msg=audit(1700000000.101:2): ",
            "type=EOE msg=audit(1700000000.100:1): ",
        ]
        let offsets = LogFeed.offsets(lines)
        let records = LogFeed.decode(&d, lines, flush: false)
        #expect(records.count == 2)
        #expect(records.map { $0.int(Fields.auditSerial) } == [2, 1])
        #expect(records.map(\.offset) == [offsets[1], offsets[0]])
        #expect(records.map { $0.string(Fields.processCommandLine) } == ["b", "a x"])
    }

    @Test("events without EOE complete when too many are open, when they are too old, and at flush")
    func bounds() {
        var d = AuditdDecoder(maxOpenEvents: 2, maxHoldSeconds: 2)
        func syscall(_ serial: Int, _ seconds: Int) -> String {
            "type=SYSCALL msg=audit(\(seconds).000:\(serial)): arch=c000003e syscall=2 success=yes exit=3 pid=\(serial)"
        }
        var records = LogFeed.decode(&d, [syscall(1, 1_700_000_000), syscall(2, 1_700_000_000)], flush: false)
        #expect(records.isEmpty)
        records = LogFeed.decode(&d, [syscall(3, 1_700_000_000)], flush: false)
        #expect(records.map { $0.int(Fields.auditSerial) } == [1])
        records = LogFeed.decode(&d, [syscall(4, 1_700_000_005)], flush: false)
        #expect(records.map { $0.int(Fields.auditSerial) } == [2, 3])
        records = LogFeed.decode(&d, [])
        #expect(records.map { $0.int(Fields.auditSerial) } == [4])
        #expect(records.first?.string(Fields.auditSyscall) == "open")
    }

    @Test("lines that are not audit records are unparsed and hostile input never traps")
    func hostile() {
        var d = AuditdDecoder()
        let junk: [[UInt8]] = [
            [], Array("type=".utf8), Array("type=SYSCALL msg=audit(".utf8), Array("type=SYSCALL msg=audit(1.2:3)".utf8),
            Array("type=SYSCALL msg=audit(99999999999999999999.000:1): pid=1".utf8),
            Array("node=h type=EXECVE msg=audit(1.000:1): a0=\"x a1=ZZ a2=ABC a9999=1 a3[0]=41 a3[1]=42 a".utf8),
            Array("type=USER_AUTH msg=audit(1.000:2): msg='acct=".utf8) + [0xFF, 0x1D, 0x1D],
            Array("type=PROCTITLE msg=audit(1.000:3): proctitle=".utf8) + Array(repeating: 0x41, count: 15_000),
        ]
        let records = LogFeed.decode(&d, bytes: junk)
        #expect(records.filter(\.isUnparsed).count == 5)
        #expect(records.filter(\.isUnparsed).allSatisfy { $0.string(Fields.errorMessage) == "not an audit record" })
        #expect(records.count == 8)
        let execve = records.first { $0.int(Fields.auditSerial) == 1 }
        #expect(execve?.string(Fields.processCommandLine) == "x a1=ZZ a2=ABC a9999=1 a3[0]=41 a3[1]=42 a")
    }
}

import Testing
import VigilCore

@testable import VigilDecode

@Suite("Syslog auth log decoder")
struct SyslogAuthDecoderTests {
    let decoder = SyslogAuthDecoder(context: LogFeed.context)

    func one(_ line: String) throws -> LogRecord {
        try #require(LogFeed.one(decoder, line))
    }

    @Test("an accepted public-key login carries user, client, method and key")
    func acceptedPublicKey() throws {
        let r = try one(
            "Nov 23 17:03:01 web01 sshd[1234]: Accepted publickey for alice from 203.0.113.9 port 50022 ssh2: ED25519 "
                + "SHA256:Zx1yq3c0Z2y8i0kJ4bV1m7Qx0b0lYxWmFQZ8c8m6p2E"
        )
        #expect(r.dataset == .auth)
        #expect(r.time == "2026-11-23T17:03:01.000000Z")
        #expect(r.string(Fields.eventAction) == "ssh_login")
        #expect(r.string(Fields.eventOutcome) == "success")
        #expect(r.strings(Fields.eventCategory) == ["authentication"])
        #expect(r.string(Fields.userName) == "alice")
        #expect(r.ip(Fields.sourceIP) == "203.0.113.9")
        #expect(r.int(Fields.sourcePort) == 50022)
        #expect(r.string(Fields.authMethod) == "publickey")
        #expect(r.string(Fields.authKeyType) == "ED25519")
        #expect(r.string(Fields.authKeyFingerprint) == "SHA256:Zx1yq3c0Z2y8i0kJ4bV1m7Qx0b0lYxWmFQZ8c8m6p2E")
        #expect(r.string(Fields.hostHostname) == "web01")
        #expect(r.string(Fields.processName) == "sshd")
        #expect(r.int(Fields.processPID) == 1234)
    }

    @Test("failed passwords, invalid users and PAM failures are failures")
    func failures() throws {
        let failed = try one(
            "Nov 23 17:03:05 web01 sshd[1240]: Failed password for invalid user admin from 45.155.205.1 port 41818 ssh2"
        )
        #expect(failed.string(Fields.eventAction) == "ssh_login")
        #expect(failed.string(Fields.eventOutcome) == "failure")
        #expect(failed.string(Fields.userName) == "admin")
        #expect(failed.string(Fields.eventReason) == "invalid user")
        #expect(failed.string(Fields.authMethod) == "password")
        let invalid = try one("Nov 23 17:03:05 web01 sshd[1240]: Invalid user admin from 45.155.205.1 port 41818")
        #expect(invalid.string(Fields.eventAction) == "ssh_invalid_user")
        #expect(invalid.string(Fields.userName) == "admin")
        #expect(invalid.int(Fields.sourcePort) == 41818)
        let pam = try one(
            "Nov 23 17:03:06 web01 sshd[1240]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                + "tty=ssh ruser= rhost=45.155.205.1  user=root"
        )
        #expect(pam.string(Fields.eventAction) == "pam_auth_failure")
        #expect(pam.string(Fields.eventOutcome) == "failure")
        #expect(pam.string(Fields.userName) == "root")
        #expect(pam.ip(Fields.sourceIP) == "45.155.205.1")
        #expect(pam.string(Fields.authTTY) == "ssh")
        let more = try one(
            "Nov 23 17:03:06 web01 sshd[1240]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh "
                + "ruser= rhost=45.155.205.1  user=root"
        )
        #expect(more.string(Fields.eventAction) == "pam_auth_failure")
        let max = try one(
            "Nov 23 17:03:06 web01 sshd[1240]: error: maximum authentication attempts exceeded for root from "
                + "45.155.205.1 port 41818 ssh2 [preauth]"
        )
        #expect(max.string(Fields.eventAction) == "ssh_max_auth_tries")
        #expect(max.string(Fields.userName) == "root")
    }

    @Test("a user name containing ' from ' does not hide the real client address")
    func hostileUserName() throws {
        let r = try one(
            "Nov 23 17:03:05 web01 sshd[1240]: Failed password for invalid user x from 1.2.3.4 port 1 from "
                + "45.155.205.1 port 41818 ssh2"
        )
        #expect(r.string(Fields.userName) == "x from 1.2.3.4 port 1")
        #expect(r.ip(Fields.sourceIP) == "45.155.205.1")
        #expect(r.int(Fields.sourcePort) == 41818)
    }

    @Test("pre-auth disconnects name the user when sshd knows it")
    func disconnects() throws {
        let closed = try one(
            "Nov 23 17:03:07 web01 sshd[1240]: Connection closed by invalid user admin 45.155.205.1 port 41818 "
                + "[preauth]"
        )
        #expect(closed.string(Fields.eventAction) == "ssh_disconnect_preauth")
        #expect(closed.string(Fields.eventOutcome) == "unknown")
        #expect(closed.string(Fields.userName) == "admin")
        #expect(closed.ip(Fields.sourceIP) == "45.155.205.1")
        #expect(closed.int(Fields.sourcePort) == 41818)
        let auth = try one(
            "Nov 23 17:03:07 web01 sshd[1241]: Disconnected from authenticating user root 45.155.205.1 port 41820 "
                + "[preauth]"
        )
        #expect(auth.string(Fields.userName) == "root")
        #expect(auth.string(Fields.eventAction) == "ssh_disconnect_preauth")
        let received = try one(
            "Nov 23 17:03:08 web01 sshd[1242]: Received disconnect from 45.155.205.1 port 41822:11: Bye Bye [preauth]")
        #expect(received.string(Fields.eventAction) == "ssh_disconnect_preauth")
        #expect(received.int(Fields.sourcePort) == 41822)
        #expect(received.string(Fields.eventReason) == "Bye Bye")
        let bare = try one("Nov 23 17:03:09 web01 sshd[1243]: Connection closed by 45.155.205.1 port 41824 [preauth]")
        #expect(bare.string(Fields.eventAction) == "ssh_disconnect_preauth")
        #expect(bare[Fields.userName] == nil)
        #expect(bare.ip(Fields.sourceIP) == "45.155.205.1")
        let after = try one("Nov 23 17:10:44 web01 sshd[1234]: Disconnected from user alice 203.0.113.9 port 50022")
        #expect(after.string(Fields.eventAction) == "ssh_disconnect")
        #expect(after.string(Fields.userName) == "alice")
        let noID = try one(
            "Nov 23 17:03:09 web01 sshd[1244]: Did not receive identification string from 45.155.205.1 port 41826")
        #expect(noID.string(Fields.eventAction) == "ssh_no_identification")
        #expect(noID.int(Fields.sourcePort) == 41826)
    }

    @Test("PAM sessions of any program open and close")
    func sessions() throws {
        let opened = try one(
            "Nov 23 17:03:01 web01 sshd[1234]: pam_unix(sshd:session): session opened for user alice(uid=1000) by "
                + "(uid=0)"
        )
        #expect(opened.string(Fields.eventAction) == "session_opened")
        #expect(opened.strings(Fields.eventCategory) == ["session"])
        #expect(opened.strings(Fields.eventType) == ["start"])
        #expect(opened.string(Fields.userName) == "alice")
        #expect(opened.string(Fields.userID) == "1000")
        #expect(opened[Fields.authByUser] == nil)
        let sudo = try one(
            "Nov 23 17:05:00 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)"
        )
        #expect(sudo.string(Fields.userName) == "root")
        #expect(sudo.string(Fields.authByUser) == "alice")
        #expect(sudo[Fields.processPID] == nil)
        let closed = try one("Nov 23 17:10:44 web01 sshd[1234]: pam_unix(sshd:session): session closed for user alice")
        #expect(closed.string(Fields.eventAction) == "session_closed")
        #expect(closed.strings(Fields.eventType) == ["end"])
        let cron = try one(
            "Nov 23 17:08:00 web01 CRON[3001]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")
        #expect(cron.string(Fields.eventAction) == "session_opened")
        #expect(cron.string(Fields.processName) == "CRON")
    }

    @Test("sudo commands record who ran what as whom, and refusals are failures")
    func sudo() throws {
        let ok = try one(
            "Nov 23 17:05:00 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u ; "
                + "echo"
        )
        #expect(ok.string(Fields.eventAction) == "sudo_command")
        #expect(ok.string(Fields.eventOutcome) == "success")
        #expect(ok.strings(Fields.eventCategory) == ["process"])
        #expect(ok.string(Fields.userName) == "alice")
        #expect(ok.string(Fields.userEffectiveName) == "root")
        #expect(ok.string(Fields.processCommandLine) == "/usr/bin/id -u ; echo")
        #expect(ok.string(Fields.authTTY) == "pts/0")
        #expect(ok.string(Fields.sudoPWD) == "/home/alice")
        let bad = try one(
            "Nov 23 17:06:00 web01 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; "
                + "USER=root ; COMMAND=/bin/bash"
        )
        #expect(bad.string(Fields.eventOutcome) == "failure")
        #expect(bad.string(Fields.eventReason) == "3 incorrect password attempts")
        #expect(bad.string(Fields.userName) == "bob")
        #expect(bad.string(Fields.processCommandLine) == "/bin/bash")
        let pam = try one(
            "Nov 23 17:06:00 web01 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1001 euid=0 "
                + "tty=/dev/pts/1 ruser=bob rhost=  user=bob"
        )
        #expect(pam.string(Fields.eventAction) == "pam_auth_failure")
        #expect(pam.string(Fields.userName) == "bob")
        #expect(pam[Fields.sourceIP] == nil)
        #expect(pam[Fields.sourceAddress] == nil)
    }

    @Test("su switches are successes and FAILED SU is a failure")
    func su() throws {
        let ok = try one("Nov 23 17:07:00 web01 su[2001]: (to root) alice on pts/0")
        #expect(ok.string(Fields.eventAction) == "su")
        #expect(ok.string(Fields.eventOutcome) == "success")
        #expect(ok.string(Fields.userName) == "alice")
        #expect(ok.string(Fields.userEffectiveName) == "root")
        #expect(ok.string(Fields.authTTY) == "pts/0")
        let bad = try one("Nov 23 17:07:00 web01 su[2002]: FAILED SU (to root) bob on pts/1")
        #expect(bad.string(Fields.eventOutcome) == "failure")
        #expect(bad.string(Fields.userName) == "bob")
    }

    @Test("other programs' lines are auth records with action other and the message text")
    func other() throws {
        let r = try one("Nov 23 17:08:00 web01 systemd-logind[512]: New session 7 of user alice.")
        #expect(r.dataset == .auth)
        #expect(r.string(Fields.eventAction) == "other")
        #expect(r.string(Fields.message) == "New session 7 of user alice.")
        #expect(r.string(Fields.processName) == "systemd-logind")
        #expect(r[Fields.eventOutcome] == nil)
        let untagged = try one("Nov 23 17:08:00 web01 last message repeated 2 times")
        #expect(untagged[Fields.processName] == nil)
        #expect(untagged.string(Fields.message) == "last message repeated 2 times")
        let repeated = try one(
            "Nov 23 17:03:05 web01 sshd[1240]: message repeated 2 times: [ Failed password for root from 45.155.205.1 "
                + "port 41818 ssh2]"
        )
        #expect(repeated.string(Fields.eventAction) == "ssh_login")
        #expect(repeated.string(Fields.userName) == "root")
    }

    @Test("RFC 3339 and RFC 5424 headers keep their zone and IPv6 clients parse")
    func preciseHeaders() throws {
        let file = try one(
            "2026-11-23T17:03:01.123456+08:00 web01 sshd[1234]: Failed password for root from 198.51.100.23 port 60000 "
                + "ssh2"
        )
        #expect(file.time == "2026-11-23T09:03:01.123456Z")
        #expect(file.string(Fields.hostHostname) == "web01")
        #expect(file.int(Fields.processPID) == 1234)
        let r5424 = try one(
            "<38>1 2026-11-23T17:03:01.123Z web01 sshd 1234 - - Accepted password for bob from 2001:db8::1 port 50022 "
                + "ssh2"
        )
        #expect(r5424.time == "2026-11-23T17:03:01.123000Z")
        #expect(r5424.int(Fields.logSyslogPriority) == 38)
        #expect(r5424.string(Fields.processName) == "sshd")
        #expect(r5424.int(Fields.processPID) == 1234)
        #expect(r5424.ip(Fields.sourceIP) == "2001:db8::1")
        #expect(r5424.string(Fields.eventOutcome) == "success")
        // rsyslog's RSYSLOG_SyslogProtocol23Format writes two spaces before a relayed RFC 3164 message.
        let relayed = try one(
            "<38>1 2026-11-23T17:44:56.960854+00:00 vigil-host sshd 6678 - -  Failed password for vigil-bob from "
                + "127.0.0.1 port 36064 ssh2")
        #expect(relayed.string(Fields.eventAction) == "ssh_login")
        #expect(relayed.string(Fields.eventOutcome) == "failure")
        let sd = try one(#"<86>1 2026-11-23T17:03:01Z h su - ID47 [x@1 k="v\]"][y@2] (to root) alice on pts/0"#)
        #expect(sd.string(Fields.eventAction) == "su")
    }

    @Test("year-less times take the reference year, or the year before across New Year")
    func newYear() throws {
        let january = SyslogAuthDecoder(
            context: LogContext(referenceTime: Timestamp(microseconds: 1_798_891_200_000_000)))  // 2027-01-02T12:00Z
        let dec = try #require(
            LogFeed.one(january, "Dec 31 23:59:59 web01 sshd[1]: Connection closed by 192.0.2.1 port 1"))
        #expect(dec.time == "2026-12-31T23:59:59.000000Z")
        let jan = try #require(
            LogFeed.one(january, "Jan  1 00:00:01 web01 sshd[1]: Connection closed by 192.0.2.1 port 1"))
        #expect(jan.time == "2027-01-01T00:00:01.000000Z")
        // One month ahead stays in the reference year (a clock slightly ahead of the file's mtime).
        let ahead = try one("Dec  1 00:00:00 web01 sshd[1]: x")
        #expect(ahead.time == "2026-12-01T00:00:00.000000Z")
        let local = SyslogAuthDecoder(
            context: LogContext(referenceTime: LogFeed.context.referenceTime, utcOffsetSeconds: 28_800))
        let shanghai = try #require(LogFeed.one(local, "Nov 23 17:03:01 web01 sshd[1]: x"))
        #expect(shanghai.time == "2026-11-23T09:03:01.000000Z")
        #expect(try one("Feb 29 00:00:00 web01 sshd[1]: x").dataset == .logUnparsed)  // 2026 is no leap year
    }

    @Test("lines without a syslog header are unparsed; hostile bytes never trap")
    func unparsed() throws {
        for line in [
            "", "hello", "Nov 23 17:03", "Nov 23 25:03:01 web01 sshd[1]: x", "<999>1 - - - - - -", "Nov 23 17:03:01",
        ] {
            let r = try one(line)
            #expect(r.dataset == .logUnparsed, "\(line)")
            #expect(r.string(Fields.errorMessage) == "no syslog header")
            #expect(r.string(Fields.logFormat) == "syslog")
        }
        var d = decoder
        let junk: [[UInt8]] = [
            Array("Nov 23 17:03:01 h sshd[".utf8), Array("Nov 23 17:03:01 h sshd[1]: Accepted ".utf8),
            Array("Nov 23 17:03:01 h sshd[1]: Accepted password for ".utf8) + [0xFF, 0xC0],
            Array("Nov 23 17:03:01 h sshd[1]: Connection closed by  port ".utf8),
            Array("Nov 23 17:03:01 h sudo: x : ".utf8),
            Array("Nov 23 17:03:01 h sshd[1]: ".utf8) + Array(repeating: 0x41, count: 15_000),
        ]
        let records = LogFeed.decode(&d, bytes: junk)
        #expect(records.count == junk.count)
        #expect(records.allSatisfy { $0.dataset == .auth })
    }
}

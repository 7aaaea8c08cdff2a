import Testing
import VigilCore

@testable import VigilDecode

@Suite("SSH identification strings")
struct SSHTests {
    typealias B = TestBytes

    func read(_ feeds: [[UInt8]]) -> (banner: SSHBanner?, reader: SSHBannerReader) {
        var reader = SSHBannerReader()
        var banner: SSHBanner?
        for f in feeds {
            if let b = f.withUnsafeBytes({ reader.feed($0) }) {
                #expect(banner == nil, "the banner is returned once")
                banner = b
            }
        }
        return (banner, reader)
    }

    @Test("an OpenSSH banner splits into protocol version, software and comments")
    func openSSH() throws {
        let b = try #require(SSHBanner(line: "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13"))
        #expect(b.raw == "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13")
        #expect(b.protocolVersion == "2.0")
        #expect(b.software == "OpenSSH_9.6p1")
        #expect(b.comments == "Ubuntu-3ubuntu13")
    }

    @Test("a 1.99 banner keeps dashes inside the software version")
    func compatBanner() throws {
        let b = try #require(SSHBanner(line: "SSH-1.99-Cisco-1.25"))
        #expect(b.protocolVersion == "1.99")
        #expect(b.software == "Cisco-1.25")
        #expect(b.comments == nil)
    }

    @Test("lines that are not valid identification strings are refused")
    func invalidBanners() {
        for line in ["SSH-2.0-", "SSH-", "SSH-2.0", "SSH--OpenSSH", "ssh-2.0-x", "HTTP/1.1 200 OK", ""] {
            #expect(SSHBanner(line: line) == nil, "\(line.debugDescription)")
        }
    }

    @Test("the reader returns the banner when its line ends, with CRLF or bare LF")
    func lineEndings() {
        #expect(read([B.ascii("SSH-2.0-OpenSSH_9.6\r\n")]).banner?.software == "OpenSSH_9.6")
        #expect(read([B.ascii("SSH-2.0-dropbear_2022.83\n")]).banner?.raw == "SSH-2.0-dropbear_2022.83")
        let unterminated = read([B.ascii("SSH-2.0-OpenSSH_9.6")])
        #expect(unterminated.banner == nil)
        #expect(!unterminated.reader.done)
    }

    @Test("a banner fed one byte at a time is the same as fed whole")
    func bytewise() {
        let line = B.ascii("SSH-2.0-OpenSSH_8.9p1 Debian\r\nbinary packet follows")
        let whole = read([line]).banner
        #expect(whole != nil)
        #expect(read(line.map { [$0] }).banner == whole)
    }

    @Test("a server's preamble lines before the banner are skipped")
    func preamble() {
        let text = "Welcome to host\r\nAuthorised use only\r\n\r\nSSH-2.0-OpenSSH_9.6 FreeBSD-20240104\r\n"
        let (banner, reader) = read([B.ascii(text)])
        #expect(banner?.software == "OpenSSH_9.6")
        #expect(banner?.comments == "FreeBSD-20240104")
        #expect(!reader.malformed)
    }

    @Test("up to seven preamble lines are allowed; an eighth non-banner line is malformed")
    func preambleLimit() {
        let seven = String(repeating: "hello\r\n", count: SSHBannerReader.maxPreambleLines - 1) + "SSH-2.0-x\r\n"
        #expect(read([B.ascii(seven)]).banner?.software == "x")
        let eight = String(repeating: "hello\r\n", count: SSHBannerReader.maxPreambleLines) + "SSH-2.0-x\r\n"
        let (banner, reader) = read([B.ascii(eight)])
        #expect(banner == nil)
        #expect(reader.done && reader.malformed)
    }

    @Test("an over-long line is refused without waiting for its end")
    func overLongLine() {
        let (banner, reader) = read([B.ascii("SSH-2.0-" + String(repeating: "A", count: 300))])
        #expect(banner == nil)
        #expect(reader.done)
        #expect(reader.malformed)
    }

    @Test("a 253-character banner with CRLF is accepted")
    func longestBanner() {
        let line = "SSH-2.0-" + String(repeating: "B", count: 245)
        #expect(line.count == 253)
        #expect(read([B.ascii(line + "\r\n")]).banner?.raw == line)
    }

    @Test("an SSH- line that is not a valid banner ends the reader as malformed")
    func badSSHLine() {
        let (banner, reader) = read([B.ascii("SSH-2.0-\r\nSSH-2.0-real\r\n")])
        #expect(banner == nil)
        #expect(reader.done && reader.malformed)
    }

    @Test("bytes after the banner are ignored")
    func afterBanner() {
        var reader = SSHBannerReader()
        _ = B.ascii("SSH-2.0-a\r\n").withUnsafeBytes { reader.feed($0) }
        let second = B.ascii("SSH-2.0-b\r\n").withUnsafeBytes { reader.feed($0) }
        #expect(second == nil)
        #expect(reader.done && !reader.malformed)
    }
}

import Testing
import VigilCore

@testable import VigilDecode

/// One TCP connection's two reassembled directions, driven into a `StreamAnalyzer`.
final class Connection {
    let analyzer: StreamAnalyzer
    var out = AppOutput()

    init(bodyLimit: Int = 1024) { analyzer = StreamAnalyzer(bodyLimit: bodyLimit) }

    func client(_ bytes: [UInt8], at t: Int64 = 1) {
        bytes.withUnsafeBytes { analyzer.data($0, fromOriginator: true, at: .at(t), into: &out) }
    }

    func server(_ bytes: [UInt8], at t: Int64 = 2) {
        bytes.withUnsafeBytes { analyzer.data($0, fromOriginator: false, at: .at(t), into: &out) }
    }

    func client(_ text: String, at t: Int64 = 1) { client(Array(text.utf8), at: t) }
    func server(_ text: String, at t: Int64 = 2) { server(Array(text.utf8), at: t) }

    func finish() { analyzer.finish(into: &out) }

    var http: [HTTPTransaction] { out.records.compactMap { if case .http(let t) = $0 { t } else { nil } } }
    var tls: [TLSHandshake] { out.records.compactMap { if case .tls(let t) = $0 { t } else { nil } } }
    var ssh: [SSHHandshake] { out.records.compactMap { if case .ssh(let t) = $0 { t } else { nil } } }
    var dns: [DNSTransaction] { out.records.compactMap { if case .dns(let t) = $0 { t } else { nil } } }
}

@Suite("Stream analysis: protocol detection by content and transaction pairing")
struct StreamAnalyzerTests {
    typealias B = TestBytes

    // MARK: - HTTP

    @Test("HTTP is recognised by content and a request is paired with its response")
    func httpExchange() throws {
        let c = Connection()
        c.client("GET /status HTTP/1.1\r\nHost: intranet:8081\r\n\r\n", at: 10)
        #expect(c.analyzer.appProtocol == .http)
        #expect(c.out.records.isEmpty, "nothing until the response")
        c.server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", at: 11)
        let t = try #require(c.http.first)
        #expect(c.http.count == 1)
        #expect(t.request?.head.target == "/status")
        #expect(t.response?.head.statusCode == 200)
        #expect(t.response?.bodyPrefix == B.ascii("ok"))
        #expect(AppRecord.http(t).start == .at(10))
        #expect(c.analyzer.wantsData)
    }

    @Test("a WebSocket upgrade (101) ends the transaction; the frames after it are not parsed or counted malformed")
    func upgrade() throws {
        let c = Connection()
        c.client("GET /feed HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", at: 1)
        c.server("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", at: 2)
        c.server([0x81, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F], at: 3)
        c.client([0x81, 0x85, 0x01, 0x02, 0x03, 0x04, 0x69, 0x67, 0x6F, 0x68, 0x6E], at: 4)
        c.finish()
        let t = try #require(c.http.first)
        #expect(c.http.count == 1)
        #expect(t.request?.head.target == "/feed")
        #expect(t.response?.head.statusCode == 101)
        #expect(c.out.issues.isEmpty)
        #expect(!c.analyzer.wantsData)
    }

    @Test("every request method Vigil knows starts HTTP detection")
    func methods() {
        for method in StreamAnalyzer.methods {
            let c = Connection()
            c.client(String(decoding: method, as: UTF8.self) + "/ HTTP/1.1\r\n\r\n")
            #expect(c.analyzer.appProtocol == .http, "\(String(decoding: method, as: UTF8.self))")
        }
    }

    @Test("pipelined requests are paired with responses in order, including a bodiless HEAD response")
    func pipelinedPairs() {
        let c = Connection()
        c.client("HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
        c.server(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope")
        #expect(c.http.map { $0.request?.head.target } == ["/a", "/b"])
        #expect(c.http.map { $0.response?.head.statusCode } == [200, 404])
        #expect(c.http.map { $0.response?.bodyLength } == [0, 4])
        #expect(c.out.issues.isEmpty)
    }

    @Test("an unanswered request is reported at finish with no response")
    func unanswered() {
        let c = Connection()
        c.client("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        c.finish()
        #expect(c.http.count == 1)
        #expect(c.http.first?.request?.bodyPrefix == B.ascii("abc"))
        #expect(c.http.first?.response == nil)
        #expect(!c.analyzer.wantsData)
    }

    @Test("a response seen without its request (capture started late) is still reported")
    func responseFirst() {
        let c = Connection()
        c.server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        #expect(c.analyzer.appProtocol == .http)
        #expect(c.http.count == 1)
        #expect(c.http.first?.request == nil)
        #expect(c.http.first?.response?.bodyPrefix == B.ascii("hello"))
    }

    @Test("a read-until-close response is reported when the connection ends")
    func untilCloseAtFinish() {
        let c = Connection()
        c.client("GET / HTTP/1.0\r\n\r\n")
        c.server("HTTP/1.0 200 OK\r\n\r\nall of it")
        #expect(c.http.isEmpty)
        c.finish()
        #expect(c.http.count == 1)
        #expect(c.http.first?.response?.bodyPrefix == B.ascii("all of it"))
        #expect(c.http.first?.response?.complete == true)
    }

    @Test("an HTTP exchange fed one byte per segment gives the same transactions as whole segments")
    func httpBytewise() {
        let request = B.ascii("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz")
        let response = B.ascii("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 201 Created\r\n\r\n")
        let whole = Connection()
        whole.client(request)
        whole.server(response)
        whole.finish()
        let bytewise = Connection()
        for b in request { bytewise.client([b]) }
        for b in response { bytewise.server([b]) }
        bytewise.finish()
        #expect(whole.http.count == 2)
        #expect(bytewise.http == whole.http)
        #expect(bytewise.out.issues.isEmpty)
    }

    @Test("a first segment shorter than the probe is not lost once the protocol is recognised")
    func shortFirstSegment() {
        let c = Connection()
        c.client("GE")
        c.client("T /short HTTP/1.1\r\n\r\n")
        c.server("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(c.http.first?.request?.head.method == "GET")
        #expect(c.http.first?.request?.head.target == "/short")
        #expect(c.out.issues.isEmpty)
    }

    @Test("a gap inside a response body of known length keeps the connection in sync")
    func gapInBody() {
        let c = Connection()
        c.client("GET /big HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n")
        c.server("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "a", count: 100))
        c.analyzer.gap(800, fromOriginator: false, into: &c.out)
        c.server(String(repeating: "a", count: 100) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(c.http.count == 2)
        #expect(c.http.first?.response?.bodyLength == 1000)
        #expect(c.http.first?.response?.bodyTruncated == true)
        #expect(c.http.last?.request?.head.target == "/next")
    }

    @Test("malformed HTTP is reported as one issue however much more data follows")
    func malformedHTTPOnce() {
        let c = Connection()
        c.client("GET / HTTP/1.1\r\n\r\n")
        c.server("HTTP/1.1 abc broken\r\n\r\n")
        for _ in 0..<5 { c.server("more bytes from the server\r\n\r\n") }
        #expect(c.out.issues == [.httpMalformed])
    }

    // MARK: - SSH

    @Test("SSH is recognised when the server speaks first, and both banners are reported")
    func sshServerFirst() throws {
        let c = Connection()
        c.server("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", at: 5)
        #expect(c.analyzer.appProtocol == .ssh)
        #expect(c.analyzer.wantsData)
        c.client("SSH-2.0-PuTTY_Release_0.80\r\n", at: 6)
        let h = try #require(c.ssh.first)
        #expect(h.server?.software == "OpenSSH_9.6p1")
        #expect(h.client?.software == "PuTTY_Release_0.80")
        #expect(h.start == .at(5))
        #expect(!c.analyzer.wantsData, "nothing more to read once both banners are in")
    }

    @Test("SSH on a client-first connection is recognised too, on whatever port")
    func sshClientFirst() {
        let c = Connection()
        c.client("SSH-2.0-Go\r\n")
        c.server("SSH-2.0-OpenSSH_8.0\r\n")
        #expect(c.ssh.count == 1)
        #expect(c.ssh.first?.client?.software == "Go")
    }

    @Test("a lone server banner is reported at finish")
    func sshLoneBanner() {
        let c = Connection()
        c.server("SSH-2.0-OpenSSH_9.6\r\n")
        c.finish()
        #expect(c.ssh.count == 1)
        #expect(c.ssh.first?.client == nil)
    }

    @Test("an over-long SSH line is one issue, however much more the peer sends")
    func sshMalformedOnce() {
        let c = Connection()
        c.server("SSH-2.0-" + String(repeating: "x", count: 400))
        for _ in 0..<3 { c.server("more") }
        #expect(c.out.issues == [.sshMalformed])
    }

    // MARK: - TLS

    @Test("TLS is recognised by its record header and both hellos become one record")
    func tlsExchange() throws {
        let c = Connection()
        c.client(B.tlsRecord(B.greasedClientHello()), at: 3)
        #expect(c.analyzer.appProtocol == .tls)
        c.server(B.tlsRecord(version: 0x0303, B.tls13ServerHello()) + B.tlsRecord(type: 20, [1]), at: 4)
        let h = try #require(c.tls.first)
        #expect(h.client?.serverName == "example.com")
        #expect(h.client?.ja3 == "63994690393d47d50076bae790927230")
        #expect(h.server?.ja3 == "f4febc55ea12b31ae17cfb7e614afda8")
        #expect(h.start == .at(3))
        #expect(!c.analyzer.wantsData)
    }

    @Test("a ClientHello split over many segments is still read")
    func tlsSplit() {
        let c = Connection()
        let stream = B.tlsRecord(B.greasedClientHello())
        for start in stride(from: 0, to: stream.count, by: 7) {
            c.client(Array(stream[start..<min(start + 7, stream.count)]))
        }
        c.finish()
        #expect(c.tls.first?.client?.serverName == "example.com")
    }

    @Test("a ClientHello with no answer is reported at finish")
    func tlsClientOnly() {
        let c = Connection()
        c.client(B.tlsRecord(B.greasedClientHello()))
        #expect(c.tls.isEmpty)
        c.finish()
        #expect(c.tls.count == 1)
        #expect(c.tls.first?.server == nil)
    }

    @Test("a malformed hello is one issue, however many segments follow")
    func tlsMalformedOnce() {
        let c = Connection()
        var bad = B.greasedClientHello()
        bad[4 + 2 + 32] = 250
        c.client(B.tlsRecord(bad))
        for _ in 0..<4 { c.client(B.tlsRecord(type: 23, [1, 2, 3])) }
        #expect(c.out.issues == [.tlsMalformed])
    }

    // MARK: - DNS over TCP

    static func framed(_ message: [UInt8]) -> [UInt8] { B.be16(UInt16(message.count)) + message }

    @Test("DNS over TCP is recognised by its two-byte length and paired by id")
    func dnsOverTCP() throws {
        let c = Connection()
        c.client(Self.framed(B.dnsQuery(id: 77)), at: 1)
        #expect(c.analyzer.appProtocol == .dns)
        c.server(Self.framed(B.dnsResponse(id: 77)), at: 2)
        let t = try #require(c.dns.first)
        #expect(t.query?.id == 77)
        #expect(t.response?.answers.first?.address == IPAddress("93.184.216.34"))
        #expect(t.queryTime == .at(1) && t.responseTime == .at(2))
    }

    @Test("several framed DNS messages in one segment, and one split across segments, are all read")
    func dnsFraming() {
        let c = Connection()
        c.client(Self.framed(B.dnsQuery(id: 1)) + Self.framed(B.dnsQuery(id: 2, "b.example")))
        let response = Self.framed(B.dnsResponse(id: 2, "b.example")) + Self.framed(B.dnsResponse(id: 1))
        c.server(Array(response[0..<5]))
        c.server(Array(response[5...]))
        #expect(c.dns.map { $0.query?.id } == [2, 1])
    }

    @Test("a malformed framed DNS message is reported and the next one is still read")
    func dnsMalformedMessage() {
        let c = Connection()
        c.client(Self.framed(B.dnsQuery(id: 1)))
        c.server(Self.framed(B.dnsResponse(id: 1) + [0xFF]) + Self.framed(B.dnsResponse(id: 1)))
        #expect(c.out.issues == [.dnsMalformed])
        #expect(c.dns.count == 1)
    }

    @Test("each malformed framed DNS message is one issue; later good segments add none")
    func dnsIssueCount() {
        let c = Connection()
        c.client(Self.framed(B.dnsQuery(id: 1)) + Self.framed([1, 2, 3]))
        c.client(Self.framed(B.dnsQuery(id: 2)))
        c.client(Self.framed(B.dnsQuery(id: 3) + [0]))
        c.client(Self.framed(B.dnsQuery(id: 4)))
        #expect(c.out.issues == [.dnsMalformed, .dnsMalformed])
        c.finish()
        #expect(c.dns.map { $0.query?.id } == [1, 2, 4])
    }

    @Test("a gap in a DNS stream stops that direction; unanswered queries come out at finish")
    func dnsGap() {
        let c = Connection()
        c.client(Self.framed(B.dnsQuery(id: 1)))
        c.analyzer.gap(10, fromOriginator: false, into: &c.out)
        c.server(Self.framed(B.dnsResponse(id: 1)))
        #expect(c.dns.isEmpty)
        c.finish()
        #expect(c.dns.count == 1)
        #expect(c.dns.first?.response == nil)
    }

    // MARK: - Giving up

    @Test("an unknown protocol in one large segment is given up at once")
    func unknownLargeSegment() {
        let c = Connection()
        c.client([0x00, 0x01, 0x02] + B.ascii("proprietary handshake bytes"))
        #expect(!c.analyzer.wantsData)
        #expect(c.analyzer.appProtocol == nil)
        // A later segment that happens to look like HTTP does not revive detection mid-stream.
        c.client("GET / HTTP/1.1\r\n\r\n")
        #expect(c.analyzer.appProtocol == nil)
        c.finish()
        #expect(c.out.records.isEmpty)
    }

    @Test("an unknown protocol in small segments is given up once the probe is full")
    func unknownSmallSegments() {
        let c = Connection()
        for chunk in ["HEL", "LO ", "THERE", " FRIEND!"] {
            #expect(c.analyzer.wantsData)
            c.client(chunk)
        }
        #expect(!c.analyzer.wantsData)
        #expect(c.analyzer.appProtocol == nil)
    }

    @Test("a server banner that is not SSH, TLS or HTTP gives up too (SMTP, FTP)")
    func unknownServerFirst() {
        let c = Connection()
        c.server("220 mail.example.com ESMTP Postfix\r\n")
        #expect(!c.analyzer.wantsData)
    }

    @Test("a gap before the protocol is known gives up")
    func gapWhileDetecting() {
        let c = Connection()
        c.client("GE")
        c.analyzer.gap(100, fromOriginator: true, into: &c.out)
        #expect(!c.analyzer.wantsData)
    }

    @Test("empty segments change nothing")
    func emptySegments() {
        let c = Connection()
        c.client([])
        c.server([])
        #expect(c.analyzer.wantsData)
        #expect(c.analyzer.appProtocol == nil)
    }

    @Test("DNS content detection needs a whole framed message with a question")
    func dnsLooks() {
        func looks(_ b: [UInt8]) -> Bool { b.withUnsafeBytes { DNSStreamFramer.looksLikeDNS($0) } }
        #expect(looks(Self.framed(B.dnsQuery())))
        #expect(!looks(Array(Self.framed(B.dnsQuery()).dropLast())))
        #expect(!looks(Self.framed(B.dnsHeader(id: 1, flags: 0, qd: 0) + [0, 0])))
        #expect(!looks([0, 5, 1, 2, 3, 4, 5]))
    }
}

import Testing
import VigilCore

@testable import VigilDecode

/// Drives one direction's parser over a sequence of feeds and gaps.
struct HTTPRun {
    enum Step {
        case bytes([UInt8])
        case gap(Int)
    }

    var parser: HTTPStreamParser
    var messages: [HTTPMessage] = []

    init(isRequest: Bool, bodyLimit: Int = 8192, headRequests: [Bool] = []) {
        parser = HTTPStreamParser(isRequest: isRequest, bodyLimit: bodyLimit)
        for isHead in headRequests { parser.requestSent(isHead: isHead) }
    }

    mutating func feed(_ bytes: [UInt8], at time: Timestamp = .at(1)) {
        bytes.withUnsafeBytes { parser.feed($0, at: time, into: &messages) }
    }

    mutating func feed(_ text: String, at time: Timestamp = .at(1)) { feed(Array(text.utf8), at: time) }

    mutating func gap(_ length: Int) { parser.gap(length, into: &messages) }

    /// Messages from feeding `bytes` whole, then `finish()`'s leftover.
    static func whole(
        _ bytes: [UInt8], isRequest: Bool, bodyLimit: Int = 8192, headRequests: [Bool] = []
    ) -> [HTTPMessage] {
        var run = HTTPRun(isRequest: isRequest, bodyLimit: bodyLimit, headRequests: headRequests)
        run.feed(bytes)
        if let last = run.parser.finish() { run.messages.append(last) }
        return run.messages
    }

    /// The same, one byte per feed.
    static func bytewise(
        _ bytes: [UInt8], isRequest: Bool, bodyLimit: Int = 8192, headRequests: [Bool] = []
    ) -> [HTTPMessage] {
        var run = HTTPRun(isRequest: isRequest, bodyLimit: bodyLimit, headRequests: headRequests)
        for b in bytes { run.feed([b]) }
        if let last = run.parser.finish() { run.messages.append(last) }
        return run.messages
    }
}

@Suite("HTTP/1.x stream parsing")
struct HTTPStreamParserTests {
    typealias B = TestBytes

    static func response(_ head: String, body: [UInt8]) -> [UInt8] { Array(head.utf8) + body }

    // MARK: - Requests

    @Test("a GET request yields method, target, version and headers with case-insensitive lookup")
    func simpleGET() throws {
        var run = HTTPRun(isRequest: true)
        run.feed(
            "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
            at: .at(7))
        let m = try #require(run.messages.first)
        #expect(run.messages.count == 1)
        #expect(m.head.isRequest)
        #expect(m.head.method == "GET")
        #expect(m.head.target == "/index.html?q=1")
        #expect(m.head.version == "1.1")
        #expect(m.head.header("host") == "example.com")
        #expect(m.head.header("user-agent") == "curl/8.5.0")
        #expect(m.head.headers.map(\.name) == ["Host", "User-Agent", "Accept"])
        #expect(m.head.header("cookie") == nil)
        #expect(m.head.header("User-Agent") == "curl/8.5.0", "the lookup name's case does not matter either")
        #expect(m.head.header("HOST") == "example.com")
        #expect(m.start == .at(7))
        #expect(m.complete)
        #expect(m.bodyLength == 0)
        #expect(!m.bodyTruncated)
        #expect(!run.parser.malformed)
    }

    @Test("a POST body of Content-Length bytes is captured and the next request follows it")
    func postWithBody() throws {
        var run = HTTPRun(isRequest: true)
        run.feed("POST /login HTTP/1.1\r\nContent-Length:  11 \r\n\r\nuser=alice&GET /next HTTP/1.1\r\n\r\n")
        #expect(run.messages.count == 2)
        let post = try #require(run.messages.first)
        #expect(post.bodyLength == 11)
        #expect(post.bodyPrefix == B.ascii("user=alice&"))
        #expect(post.complete && !post.bodyTruncated)
        #expect(run.messages.last?.head.target == "/next")
    }

    @Test("pipelined requests in one segment come out in order, stray CRLFs between them ignored")
    func pipelined() {
        let stream =
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n"
            + "POST /c HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc\r\n\r\nDELETE /d HTTP/1.1\r\n\r\n"
        let messages = HTTPRun.whole(B.ascii(stream), isRequest: true)
        #expect(messages.map(\.head.method) == ["GET", "HEAD", "POST", "DELETE"])
        #expect(messages.map(\.head.target) == ["/a", "/b", "/c", "/d"])
        #expect(messages[2].head.version == "1.0")
        #expect(messages[2].bodyPrefix == B.ascii("abc"))
        #expect(messages.allSatisfy { $0.complete })
    }

    @Test("each pipelined request is timed by the feed that brought its first byte")
    func pipelinedTiming() {
        var run = HTTPRun(isRequest: true)
        run.feed("GET /a HTTP/1.1\r\n\r\nGET /b HT", at: .at(1))
        run.feed("TP/1.1\r\n\r\n", at: .at(2))
        run.feed("GET /c HTTP/1.1\r\n\r\n", at: .at(3))
        #expect(run.messages.map(\.start) == [.at(1), .at(1), .at(3)])
    }

    @Test("bare LF line endings are accepted")
    func bareLF() throws {
        let m = try #require(HTTPRun.whole(B.ascii("GET / HTTP/1.0\nHost: a\n\n"), isRequest: true).first)
        #expect(m.head.header("host") == "a")
        #expect(m.complete)
    }

    /// Line ends are found eight bytes at a time: a head whose lines and blank line fall at every
    /// offset around those steps, with CRLF or bare LF, parses to the same headers and ends where
    /// it should (the request after it follows).
    @Test("heads whose line ends fall at every offset parse the same, CRLF or bare LF")
    func lineEndsAtEveryOffset() throws {
        for eol in ["\r\n", "\n"] {
            for pad in 0..<20 {
                let value = String(repeating: "v", count: pad)
                let text =
                    "GET /\(pad) HTTP/1.1\(eol)X-Pad: \(value)\(eol)Host: h\(eol)\(eol)GET /next HTTP/1.1\(eol)\(eol)"
                let messages = HTTPRun.whole(B.ascii(text), isRequest: true)
                try #require(messages.count == 2, "\(pad) \(eol == "\n" ? "LF" : "CRLF")")
                #expect(messages[0].head.target == "/\(pad)")
                #expect(messages[0].head.header("x-pad") == value)
                #expect(messages[0].head.header("host") == "h")
                #expect(messages[1].head.target == "/next")
                #expect(messages[1].head.headerCount == 0)
            }
        }
    }

    @Test("an obsolete folded header line continues the previous header's value")
    func obsFold() throws {
        let m = try #require(
            HTTPRun.whole(B.ascii("GET / HTTP/1.1\r\nX-Long: first\r\n \t second\r\nHost: h\r\n\r\n"), isRequest: true)
                .first)
        #expect(m.head.header("x-long") == "first second")
        #expect(m.head.header("host") == "h")

        // Several folded lines onto one header, and onto a later one: each joins its own header.
        let several = try #require(
            HTTPRun.whole(
                B.ascii(
                    "GET /f HTTP/1.1\r\nX-Long: first\r\n \t second\r\n third \r\nHost: h\r\nX-B: 1\r\n  2\r\n\r\n"),
                isRequest: true
            ).first)
        #expect(several.head.header("x-long") == "first second third")
        #expect(several.head.header("host") == "h")
        #expect(several.head.header("x-b") == "1 2")
        #expect(several.head.target == "/f")
        #expect(
            several.head.headers
                == [
                    HTTPHeader(name: "X-Long", value: "first second third"), HTTPHeader(name: "Host", value: "h"),
                    HTTPHeader(name: "X-B", value: "1 2"),
                ])
    }

    @Test("heads are equal when their start lines and headers are, however the bytes were spaced or folded")
    func headEquality() throws {
        func head(_ text: String) throws -> HTTPHead {
            try #require(HTTPRun.whole(B.ascii(text), isRequest: true).first).head
        }
        let plain = try head("GET /a HTTP/1.1\r\nHost: h\r\nX-V: 1 2\r\n\r\n")
        #expect(try head("GET  /a  HTTP/1.1\r\nHost:   h  \r\nX-V: 1\r\n 2\r\n\r\n") == plain)
        #expect(try head("GET /a HTTP/1.1\r\nHost: h\r\nX-V: 1 3\r\n\r\n") != plain)
        #expect(try head("GET /b HTTP/1.1\r\nHost: h\r\nX-V: 1 2\r\n\r\n") != plain)
        #expect(try head("GET /a HTTP/1.1\r\nhost: h\r\nX-V: 1 2\r\n\r\n") != plain, "names keep their case")
        var built = HTTPHead(
            version: "1.1", headers: [HTTPHeader(name: "Host", value: "h"), HTTPHeader(name: "X-V", value: "1 2")])
        built.method = "GET"
        #expect(built.headers == plain.headers)
        #expect(built != plain, "a built head has no target")
    }

    @Test("a request cut in its body is returned by finish as incomplete")
    func cutRequest() throws {
        var run = HTTPRun(isRequest: true)
        run.feed("PUT /f HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789")
        #expect(run.messages.isEmpty)
        let finished = run.parser.finish()
        let m = try #require(finished)
        #expect(!m.complete)
        #expect(m.bodyLength == 10)
        #expect(m.bodyPrefix == B.ascii("0123456789"))
        let leftover = run.parser.finish()
        #expect(leftover == nil)
    }

    @Test("a request cut inside its head produces nothing at finish")
    func cutHead() {
        var run = HTTPRun(isRequest: true)
        run.feed("GET /partial HTTP/1.1\r\nHost: exa")
        let leftover = run.parser.finish()
        #expect(leftover == nil)
        #expect(run.messages.isEmpty)
    }

    // MARK: - Malformed input

    @Test("garbage request lines make the parser lose sync and report malformed")
    func garbageRequestLines() {
        let garbage = [
            "HELLO\r\n\r\n",
            "GET / FTP/1.0\r\n\r\n",
            "GE(T / HTTP/1.1\r\n\r\n",
            "GET /a b HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.10\r\n\r\n",
            "\u{16}\u{3}\u{1}\u{0}\u{5}binary\n\n",
            String(repeating: "A", count: 40) + " / HTTP/1.1\r\n\r\n",
        ]
        for text in garbage {
            var run = HTTPRun(isRequest: true)
            run.feed(text + "GET /after HTTP/1.1\r\n\r\n")
            #expect(run.parser.malformed, "\(text.debugDescription)")
            #expect(run.parser.isLost)
            #expect(run.messages.isEmpty, "nothing after lost sync is parsed")
            let leftover = run.parser.finish()
            #expect(leftover == nil)
        }
    }

    @Test("garbage status lines are malformed")
    func garbageStatusLines() {
        for text in ["HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1\r\n\r\n", "SSH-2.0-x\r\n\r\n"] {
            var run = HTTPRun(isRequest: false)
            run.feed(text)
            #expect(run.parser.malformed, "\(text.debugDescription)")
            #expect(run.messages.isEmpty)
        }
    }

    @Test("a head that never ends is dropped once it passes the head limit")
    func oversizedHeadStreaming() {
        var run = HTTPRun(isRequest: true)
        run.feed("GET / HTTP/1.1\r\n")
        let line = B.ascii("X-Filler: " + String(repeating: "x", count: 1000) + "\r\n")
        for _ in 0...(HTTPStreamParser.maxHeadBytes / line.count) { run.feed(line) }
        #expect(run.parser.malformed)
        #expect(run.parser.isLost)
        run.feed("\r\n")
        #expect(run.messages.isEmpty)
    }

    @Test("a head over the limit is refused whether it arrives in one segment or many")
    func oversizedHeadWhole() {
        var head = "GET / HTTP/1.1\r\n"
        while head.utf8.count <= HTTPStreamParser.maxHeadBytes {
            head += "X-Filler: " + String(repeating: "y", count: 500) + "\r\n"
        }
        let bytes = B.ascii(head + "\r\n")
        var whole = HTTPRun(isRequest: true)
        whole.feed(bytes)
        var pieces = HTTPRun(isRequest: true)
        for start in stride(from: 0, to: bytes.count, by: 1460) {
            pieces.feed(Array(bytes[start..<min(start + 1460, bytes.count)]))
        }
        #expect(pieces.parser.malformed)
        #expect(whole.parser.malformed)
        #expect(whole.messages.count == 0)
    }

    @Test("a head just under the limit is accepted")
    func largeHeadAccepted() throws {
        var head = "GET / HTTP/1.1\r\n"
        while head.utf8.count < HTTPStreamParser.maxHeadBytes - 600 {
            head += "X-Filler: " + String(repeating: "y", count: 500) + "\r\n"
        }
        let m = try #require(HTTPRun.whole(B.ascii(head + "\r\n"), isRequest: true).first)
        #expect(m.head.headers.count > 100)
    }

    @Test("bad chunk sizes make the parser lose sync instead of misreading the body")
    func badChunkSizes() {
        for size in ["zz", "", "-5", "+5", "0x10", "1 0", "10000000000000000", "5\u{7}"] {
            var run = HTTPRun(isRequest: false)
            run.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\nhello\r\n0\r\n\r\n")
            #expect(run.parser.malformed, "\(size.debugDescription)")
            #expect(run.messages.isEmpty, "\(size.debugDescription)")
        }
    }

    @Test("chunk data not followed by CRLF is malformed")
    func chunkWithoutCRLF() {
        var run = HTTPRun(isRequest: false)
        run.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n")
        #expect(run.parser.malformed)
        #expect(run.messages.isEmpty)
    }

    @Test("a chunk-size line that never ends is dropped after 4 KiB")
    func endlessChunkLine() {
        var run = HTTPRun(isRequest: false)
        run.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        run.feed(String(repeating: "0", count: 5000))
        #expect(run.parser.malformed)
    }

    // MARK: - Responses

    @Test("a response with Content-Length yields status, reason and body")
    func responseWithLength() throws {
        var run = HTTPRun(isRequest: false, headRequests: [false])
        run.feed("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found")
        let m = try #require(run.messages.first)
        #expect(!m.head.isRequest)
        #expect(m.head.statusCode == 404)
        #expect(m.head.reason == "Not Found")
        #expect(m.bodyPrefix == B.ascii("not found"))
        #expect(m.bodyLength == 9)
        #expect(m.complete && !m.bodyTruncated)
    }

    @Test("a status line without a reason phrase has an empty reason")
    func noReason() throws {
        let m = try #require(
            HTTPRun.whole(B.ascii("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), isRequest: false).first)
        #expect(m.head.statusCode == 200)
        #expect(m.head.reason == "")
    }

    @Test("a response without length is read until the connection closes")
    func untilClose() throws {
        var run = HTTPRun(isRequest: false)
        run.feed("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nfirst part, ")
        run.feed("second part")
        #expect(run.messages.isEmpty)
        let finished = run.parser.finish()
        let m = try #require(finished)
        #expect(m.complete)
        #expect(m.bodyPrefix == B.ascii("first part, second part"))
        #expect(!m.bodyTruncated)
    }

    @Test("the response to a HEAD request has no body even with a Content-Length")
    func headResponse() {
        let stream = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let messages = HTTPRun.whole(B.ascii(stream), isRequest: false, headRequests: [true, false])
        #expect(messages.count == 2)
        #expect(messages.map(\.bodyLength) == [0, 2])
        #expect(messages.allSatisfy { $0.complete })
        #expect(messages.last?.bodyPrefix == B.ascii("ok"))
    }

    @Test("204 and 304 responses have no body even with a Content-Length")
    func noBodyStatuses() {
        let stream =
            "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
            + "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: \"x\"\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
        let messages = HTTPRun.whole(B.ascii(stream), isRequest: false, headRequests: [false, false, false])
        #expect(messages.map(\.head.statusCode) == [204, 304, 200])
        #expect(messages.map(\.bodyLength) == [0, 0, 3])
    }

    @Test("100 Continue is not a transaction and does not consume the pending request")
    func hundredContinue() {
        let stream =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
        let messages = HTTPRun.whole(B.ascii(stream), isRequest: false, headRequests: [false, true])
        #expect(messages.map(\.head.statusCode) == [201, 200])
        #expect(messages.map(\.bodyLength) == [2, 0], "the second is the HEAD response, with no body")
        #expect(messages.allSatisfy { $0.complete })
    }

    @Test("a chunked body is reassembled, with chunk extensions and trailers skipped")
    func chunked() throws {
        let stream =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: yes\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        let messages = HTTPRun.whole(B.ascii(stream), isRequest: false)
        let m = try #require(messages.first)
        #expect(m.bodyPrefix == B.ascii("hello, chunked!"))
        #expect(m.bodyLength == 15)
        #expect(m.complete && !m.bodyTruncated)
        #expect(messages.count == 2)
        #expect(messages.last?.head.statusCode == 204)
    }

    @Test("a chunked request body is reassembled")
    func chunkedRequest() throws {
        let stream = "POST /upload HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        let m = try #require(HTTPRun.whole(B.ascii(stream), isRequest: true).first)
        #expect(m.bodyPrefix == B.ascii("abc"))
        #expect(m.complete)
    }

    @Test("Transfer-Encoding names chunked in any case, as one of a list; another coding is not chunked")
    func chunkedNames() throws {
        for (value, chunked) in [
            ("chunked", true), ("CHUNKED", true), ("gzip, Chunked", true), ("gzip", false), ("chunke", false),
            ("", false),
        ] {
            let stream =
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: \(value)\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            let m = try #require(HTTPRun.whole(B.ascii(stream), isRequest: false).first, "\(value)")
            #expect(m.bodyPrefix == B.ascii(chunked ? "abc" : "3\r\n"), "\(value)")
        }
    }

    // MARK: - Content encoding

    static func gzipResponse(_ body: [UInt8], encoding: String = "gzip") -> [UInt8] {
        B.ascii("HTTP/1.1 200 OK\r\nContent-Encoding: \(encoding)\r\nContent-Length: \(body.count)\r\n\r\n") + body
    }

    @Test("a gzip body is decoded into the prefix, with the wire length kept")
    func gzip() throws {
        let m = try #require(HTTPRun.whole(Self.gzipResponse(B.gzipBody), isRequest: false).first)
        #expect(m.bodyPrefix == B.ascii(B.compressedText))
        #expect(m.bodyLength == B.gzipBody.count)
        #expect(!m.bodyTruncated)
    }

    @Test("deflate is decoded both zlib-wrapped and raw")
    func deflate() throws {
        for body in [B.zlibBody, B.rawDeflateBody] {
            let m = try #require(HTTPRun.whole(Self.gzipResponse(body, encoding: "Deflate"), isRequest: false).first)
            #expect(m.bodyPrefix == B.ascii(B.compressedText))
            #expect(!m.bodyTruncated)
        }
    }

    @Test("a chunked gzip body is de-chunked, then decoded")
    func chunkedGzip() throws {
        let body = B.gzipBody
        let stream =
            B.ascii("HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
            + B.ascii("a\r\n") + Array(body[0..<10]) + B.ascii("\r\n")
            + B.ascii(String(body.count - 10, radix: 16) + "\r\n") + Array(body[10...]) + B.ascii("\r\n0\r\n\r\n")
        let m = try #require(HTTPRun.whole(stream, isRequest: false).first)
        #expect(m.bodyPrefix == B.ascii(B.compressedText))
        #expect(m.bodyLength == body.count)
    }

    @Test("a body that is not valid gzip leaves an empty, truncated prefix")
    func badGzip() throws {
        let m = try #require(
            HTTPRun.whole(Self.gzipResponse(B.ascii("this is not compressed at all")), isRequest: false).first)
        #expect(m.complete)
        #expect(m.bodyTruncated)
        #expect(m.bodyPrefix.count < 29)
    }

    @Test("a decoded body beyond the limit is cut at the limit and marked truncated")
    func gzipLimit() throws {
        let m = try #require(HTTPRun.whole(Self.gzipResponse(B.gzipThousandAs), isRequest: false, bodyLimit: 100).first)
        #expect(m.bodyPrefix == [UInt8](repeating: 0x41, count: 100))
        #expect(m.bodyTruncated)
        #expect(m.complete)
        #expect(m.bodyLength == B.gzipThousandAs.count)
    }

    @Test("a gzip body read until close beyond the limit is marked truncated")
    func gzipUntilCloseLimit() throws {
        let stream = B.ascii("HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\n\r\n") + B.gzipThousandAs
        let m = try #require(HTTPRun.whole(stream, isRequest: false, bodyLimit: 100).first)
        #expect(m.bodyPrefix.count == 100)
        #expect(m.bodyTruncated)
    }

    @Test("a gzip body that decodes to exactly the limit is not truncated")
    func gzipExactlyLimit() throws {
        let m = try #require(
            HTTPRun.whole(Self.gzipResponse(B.gzipThousandAs), isRequest: false, bodyLimit: 1000).first)
        #expect(m.bodyPrefix.count == 1000)
        #expect(!m.bodyTruncated)
    }

    // MARK: - Body limit

    @Test("a plain body beyond the limit keeps only the first bytes and is marked truncated")
    func plainLimit() throws {
        let body = [UInt8]((0..<200).map { UInt8($0) })
        let stream =
            B.ascii("POST / HTTP/1.1\r\nContent-Length: 200\r\n\r\n") + body + B.ascii("GET /next HTTP/1.1\r\n\r\n")
        let messages = HTTPRun.whole(stream, isRequest: true, bodyLimit: 16)
        #expect(messages.count == 2)
        #expect(messages[0].bodyPrefix == Array(body.prefix(16)))
        #expect(messages[0].bodyLength == 200)
        #expect(messages[0].bodyTruncated)
        #expect(messages[1].head.target == "/next")
    }

    @Test("a body exactly at the limit is not truncated")
    func plainExactlyLimit() throws {
        let stream = B.ascii("POST / HTTP/1.1\r\nContent-Length: 16\r\n\r\n0123456789abcdef")
        let m = try #require(HTTPRun.whole(stream, isRequest: true, bodyLimit: 16).first)
        #expect(!m.bodyTruncated)
        #expect(m.bodyPrefix.count == 16)
    }

    @Test("a read-until-close body beyond the limit is marked truncated at finish")
    func untilCloseLimit() throws {
        let stream = B.ascii("HTTP/1.0 200 OK\r\n\r\n") + [UInt8](repeating: 0x7A, count: 50)
        let m = try #require(HTTPRun.whole(stream, isRequest: false, bodyLimit: 20).first)
        #expect(m.bodyPrefix.count == 20)
        #expect(m.bodyLength == 50)
        #expect(m.bodyTruncated)
    }

    // MARK: - One-byte feeds

    @Test("requests fed one byte at a time give the same messages as one feed")
    func bytewiseRequests() {
        let stream = B.ascii(
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                + "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n")
        let whole = HTTPRun.whole(stream, isRequest: true)
        #expect(whole.count == 3)
        #expect(HTTPRun.bytewise(stream, isRequest: true) == whole)
    }

    @Test("responses fed one byte at a time give the same messages as one feed")
    func bytewiseResponses() {
        let stream =
            B.ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            + B.ascii("4\r\nwiki\r\n5\r\npedia\r\n0\r\nX: y\r\n\r\n")
            + B.ascii("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            + B.ascii("HTTP/1.1 304 Not Modified\r\n\r\n")
            + Self.gzipResponse(B.gzipBody)
            + B.ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast")
        let heads = [false, true, false, false, false]
        let whole = HTTPRun.whole(stream, isRequest: false, headRequests: heads)
        #expect(whole.count == 5)
        #expect(whole[0].bodyPrefix == B.ascii("wikipedia"))
        #expect(whole[3].bodyPrefix == B.ascii(B.compressedText))
        #expect(HTTPRun.bytewise(stream, isRequest: false, headRequests: heads) == whole)
    }

    @Test("compressed bodies fed one byte at a time decode the same as one feed")
    func bytewiseCompressed() {
        for (name, body) in [("gzip", B.gzipBody), ("zlib", B.zlibBody), ("raw deflate", B.rawDeflateBody)] {
            let stream = Self.gzipResponse(body, encoding: name == "gzip" ? "gzip" : "deflate")
            let whole = HTTPRun.whole(stream, isRequest: false)
            #expect(whole.first?.bodyPrefix == B.ascii(B.compressedText), "\(name)")
            #expect(HTTPRun.bytewise(stream, isRequest: false) == whole, "\(name)")
        }
    }

    // MARK: - Gaps

    @Test("a gap inside a body of known length is skipped exactly and the next message parses")
    func gapInBody() throws {
        var run = HTTPRun(isRequest: true)
        run.feed("POST /up HTTP/1.1\r\nContent-Length: 10\r\n\r\n012")
        run.gap(4)
        run.feed("789GET /next HTTP/1.1\r\n\r\n")
        #expect(run.messages.count == 2)
        let post = run.messages[0]
        #expect(post.complete)
        #expect(post.bodyLength == 10)
        #expect(post.bodyTruncated)
        #expect(post.bodyPrefix == B.ascii("012"), "bytes after the hole are not spliced onto the prefix")
        #expect(run.messages[1].head.target == "/next")
        #expect(!run.parser.isLost)
    }

    @Test("a gap that ends a body exactly completes the message")
    func gapEndsBody() {
        var run = HTTPRun(isRequest: false)
        run.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234")
        run.gap(5)
        #expect(run.messages.count == 1)
        #expect(run.messages.first?.complete == true)
        #expect(run.messages.first?.bodyTruncated == true)
        run.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(run.messages.count == 2)
    }

    @Test("a gap inside chunk data is skipped exactly")
    func gapInChunk() {
        var run = HTTPRun(isRequest: false)
        run.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nab")
        run.gap(6)
        run.feed("\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(run.messages.count == 2)
        #expect(run.messages[0].bodyLength == 8)
        #expect(run.messages[0].bodyTruncated)
        #expect(run.messages[0].complete)
    }

    @Test("a gap longer than the rest of the body returns the message incomplete and stops")
    func gapPastBody() throws {
        var run = HTTPRun(isRequest: false)
        run.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        run.gap(100)
        let m = try #require(run.messages.first)
        #expect(!m.complete)
        #expect(m.bodyTruncated)
        #expect(m.bodyPrefix == B.ascii("abc"))
        #expect(run.parser.isLost)
        #expect(!run.parser.malformed, "a gap is lost data, not a protocol error")
    }

    @Test("a gap between messages stops the parser without inventing a message")
    func gapBetweenMessages() {
        var run = HTTPRun(isRequest: true)
        run.feed("GET / HTTP/1.1\r\n\r\n")
        run.gap(50)
        run.feed("GET /after HTTP/1.1\r\n\r\n")
        #expect(run.messages.count == 1)
        #expect(run.parser.isLost)
    }

    @Test("a gap inside a head stops the parser without emitting a headless message")
    func gapInHead() {
        var run = HTTPRun(isRequest: true)
        run.feed("GET /x HTTP/1.1\r\nHo")
        run.gap(20)
        #expect(run.messages.count == 0)
        #expect(run.parser.isLost)
        let leftover = run.parser.finish()
        #expect(leftover == nil)
    }

    @Test("a gap in a read-until-close body is counted and reading continues")
    func gapUntilClose() throws {
        var run = HTTPRun(isRequest: false)
        run.feed("HTTP/1.0 200 OK\r\n\r\nabc")
        run.gap(10)
        run.feed("xyz")
        let finished = run.parser.finish()
        let m = try #require(finished)
        #expect(m.bodyLength == 16)
        #expect(m.bodyTruncated)
        #expect(m.complete)
    }

    @Test("random bytes never crash the parser in either direction")
    func fuzz() {
        var rng = XorShift(state: 0x2545_F491_4F6C_DD1D)
        let seeds = [
            "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
        ]
        for i in 0..<600 {
            var run = HTTPRun(isRequest: i % 2 == 0, bodyLimit: 64)
            run.feed(seeds[i % seeds.count])
            for _ in 0..<4 {
                var chunk = rng.bytes(Int(rng.next() % 40))
                if rng.next() % 3 == 0 { chunk += B.ascii("\r\n") }
                run.feed(chunk)
                if rng.next() % 7 == 0 { run.gap(Int(rng.next() % 20) + 1) }
            }
            _ = run.parser.finish()
        }
    }
}

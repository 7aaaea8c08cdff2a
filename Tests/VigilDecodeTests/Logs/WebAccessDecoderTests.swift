import Testing
import VigilCore

@testable import VigilDecode

@Suite("Web access log decoder")
struct WebAccessDecoderTests {
    let combined = WebAccessDecoder.combined

    @Test("an nginx combined line yields every web.access field")
    func combinedLine() throws {
        let line =
            #"203.0.113.9 - alice [23/Nov/2026:17:03:01 +0800] "GET /api/v1/users?id=42&page=2 HTTP/1.1" 200 5120 "#
            + #""https://portal.example.com/home" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "#
            + #"Firefox/128.0""#
        let r = try #require(LogFeed.one(combined, line))
        #expect(r.dataset == .webAccess)
        #expect(r.offset == 0)
        #expect(r.time == "2026-11-23T09:03:01.000000Z")
        #expect(r.ip(Fields.sourceIP) == "203.0.113.9")
        #expect(r.string(Fields.userName) == "alice")
        #expect(r.string(Fields.httpRequestMethod) == "GET")
        #expect(r.string(Fields.urlOriginal) == "/api/v1/users?id=42&page=2")
        #expect(r.string(Fields.urlPath) == "/api/v1/users")
        #expect(r.string(Fields.urlQuery) == "id=42&page=2")
        #expect(r.string(Fields.httpVersion) == "1.1")
        #expect(r.int(Fields.httpResponseStatusCode) == 200)
        #expect(r.int(Fields.httpResponseBodyBytes) == 5120)
        #expect(r.string(Fields.httpRequestReferrer) == "https://portal.example.com/home")
        #expect(
            r.string(Fields.userAgentOriginal)
                == "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        #expect(r.string(Fields.eventOutcome) == "success")
        #expect(r.strings(Fields.eventCategory) == ["web"])
        #expect(r.strings(Fields.eventType) == ["access"])
        #expect(
            r.names == [
                "source.ip", "user.name", "http.request.method", "url.original", "url.path", "url.query",
                "http.version", "http.response.status_code", "http.response.body.bytes", "http.request.referrer",
                "user_agent.original", "event.outcome", "event.category", "event.type",
            ])
    }

    @Test("dashes are absent values and a 404 is a failure")
    func dashes() throws {
        let r = try #require(
            LogFeed.one(
                combined, #"198.51.100.7 - - [01/Jan/2027:00:00:00 +0000] "HEAD /missing HTTP/1.0" 404 0 "-" "-""#))
        #expect(r[Fields.userName] == nil)
        #expect(r[Fields.httpRequestReferrer] == nil)
        #expect(r[Fields.userAgentOriginal] == nil)
        #expect(r[Fields.urlQuery] == nil)
        #expect(r.string(Fields.urlPath) == "/missing")
        #expect(r.string(Fields.httpVersion) == "1.0")
        #expect(r.int(Fields.httpResponseBodyBytes) == 0)
        #expect(r.string(Fields.eventOutcome) == "failure")
        #expect(r.time == "2027-01-01T00:00:00.000000Z")
    }

    @Test("an IPv6 client parses as an IP")
    func ipv6() throws {
        let r = try #require(
            LogFeed.one(
                combined,
                #"2001:db8::8a2e:370:7334 - - [23/Nov/2026:17:03:01 -0500] "GET / HTTP/2.0" 301 169 "-" "curl/8.5.0""#))
        #expect(r.ip(Fields.sourceIP) == "2001:db8::8a2e:370:7334")
        #expect(r.time == "2026-11-23T22:03:01.000000Z")
        #expect(r.string(Fields.httpVersion) == "2.0")
    }

    @Test("nginx \\x22 and Apache \\\" escapes inside quoted fields are decoded and do not end the field")
    func escapedQuotes() throws {
        let nginx = try #require(
            LogFeed.one(
                combined,
                #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET /q?s=\x22x\x22 HTTP/1.1" 200 1 "-" "Mozilla "#
                    + #"\x22quoted\x22 \xE4\xB8\xAD""#
            ))
        #expect(nginx.string(Fields.userAgentOriginal) == "Mozilla \"quoted\" 中")
        #expect(nginx.string(Fields.urlOriginal) == "/q?s=\"x\"")
        #expect(nginx.string(Fields.urlQuery) == "s=\"x\"")
        let apache = try #require(
            LogFeed.one(
                combined,
                #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET / HTTP/1.1" 200 1 "-" "sqlmap \"payload\" \\ end""#))
        #expect(apache.string(Fields.userAgentOriginal) == #"sqlmap "payload" \ end"#)
    }

    @Test("a TLS handshake sent to a plain-text port keeps the escaped request text and has no method")
    func binaryRequest() throws {
        let r = try #require(
            LogFeed.one(
                combined,
                #"45.155.205.1 - - [23/Nov/2026:17:03:01 +0000] "\x16\x03\x01\x00\xCA\x01\x00\x00\xC6\x03\x03" 400 "#
                    + #"157 "-" "-""#
            ))
        #expect(r.dataset == .webAccess)
        #expect(r[Fields.httpRequestMethod] == nil)
        #expect(r.string(Fields.urlOriginal) == #"\x16\x03\x01\x00\xCA\x01\x00\x00\xC6\x03\x03"#)
        #expect(r.int(Fields.httpResponseStatusCode) == 400)
    }

    @Test("a dash or bare-path request line still yields a web.access record")
    func oddRequests() throws {
        let dash = try #require(LogFeed.one(combined, #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "-" 400 0 "-" "-""#))
        #expect(dash.dataset == .webAccess)
        #expect(dash[Fields.urlOriginal] == nil)
        let bare = try #require(
            LogFeed.one(combined, #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "/etc/passwd" 400 0 "-" "-""#))
        #expect(bare.string(Fields.urlOriginal) == "/etc/passwd")
        #expect(bare[Fields.httpRequestMethod] == nil)
        let http09 = try #require(
            LogFeed.one(combined, #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET /" 200 0 "-" "-""#))
        #expect(http09.string(Fields.httpRequestMethod) == "GET")
        #expect(http09.string(Fields.urlPath) == "/")
        #expect(http09[Fields.httpVersion] == nil)
        let absolute = try #require(
            LogFeed.one(
                combined,
                #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET http://evil.example/x?y=1 HTTP/1.1" 200 0 "-" "-""#))
        #expect(absolute.string(Fields.urlPath) == "/x")
        #expect(absolute.string(Fields.urlQuery) == "y=1")
    }

    @Test("a custom log_format with request and upstream times compiles and decodes")
    func customFormat() throws {
        let d = try WebAccessDecoder(
            format:
                #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "#
                + #""$http_user_agent" $request_time $upstream_response_time"#
        )
        let r = try #require(
            LogFeed.one(
                d,
                #"10.1.2.3 - - [23/Nov/2026:17:03:01 +0000] "POST /login HTTP/1.1" 502 0 "-" "k6/0.47" 0.250 0.100, "#
                    + #"0.050 : 0.025"#
            ))
        #expect(r.double(Fields.webRequestTime) == 0.25)
        #expect(r.double(Fields.webUpstreamResponseTime) == 0.175)
        let dash = try #require(
            LogFeed.one(d, #"10.1.2.3 - - [23/Nov/2026:17:03:01 +0000] "GET / HTTP/1.1" 200 0 "-" "k6/0.47" 0.000 -"#))
        #expect(dash[Fields.webUpstreamResponseTime] == nil)
        #expect(dash.double(Fields.webRequestTime) == 0)
    }

    @Test("$time_iso8601, ${braced} names and split request variables are understood")
    func isoAndSplitVariables() throws {
        let d = try WebAccessDecoder(
            format: #"${remote_addr}:$remote_port $time_iso8601 $request_method $request_uri $server_protocol $status"#)
        let r = try #require(LogFeed.one(d, "192.0.2.1:51234 2026-11-23T17:03:01+08:00 PUT /v2/x?y=z HTTP/1.1 201"))
        #expect(r.ip(Fields.sourceIP) == "192.0.2.1")
        #expect(r.int(Fields.sourcePort) == 51234)
        #expect(r.time == "2026-11-23T09:03:01.000000Z")
        #expect(r.string(Fields.httpRequestMethod) == "PUT")
        #expect(r.string(Fields.urlPath) == "/v2/x")
        #expect(r.string(Fields.urlQuery) == "y=z")
        #expect(r.string(Fields.httpVersion) == "1.1")
    }

    @Test("the common format has no referrer or user agent")
    func common() throws {
        let r = try #require(
            LogFeed.one(
                WebAccessDecoder.common,
                #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#))
        #expect(r.time == "2000-10-10T20:55:36.000000Z")
        #expect(r.string(Fields.userName) == "frank")
        #expect(r[Fields.userAgentOriginal] == nil)
        #expect(r.int(Fields.httpResponseBodyBytes) == 2326)
    }

    @Test("unknown variables and empty formats are refused with a message naming the problem")
    func badFormats() {
        #expect(throws: LogFormatError.self) { try WebAccessDecoder(format: "") }
        do {
            _ = try WebAccessDecoder(format: "$remote_addr $frobnicate")
            Issue.record("accepted an unknown variable")
        } catch {
            #expect(error.name == "unknown_variable")
            #expect(error.message.contains("$frobnicate"))
        }
        #expect(throws: LogFormatError.self) { try WebAccessDecoder(format: "$remote_addr$status") }
        #expect((try? WebAccessDecoder(format: "$remote_addr \"$http_x_custom_header\" $cookie_session")) != nil)
    }

    @Test("lines that do not match the format are unparsed with the raw text and a reason")
    func unparsed() throws {
        for line in ["", "hello world", #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET / HTTP/1.1"#] {
            let r = try #require(LogFeed.one(combined, line))
            #expect(r.dataset == .logUnparsed)
            #expect(r.string(Fields.eventOriginal) == line)
            #expect(r.string(Fields.errorMessage) == "line does not match the log format")
            #expect(r.string(Fields.logFormat) == "nginx")
        }
    }

    @Test("invalid UTF-8 and 15 000-byte lines decode without trapping")
    func hostile() throws {
        var bytes = Array(#"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET /"#.utf8)
        bytes += [0xFF, 0xFE, 0xC3]
        bytes += Array(#" HTTP/1.1" 200 1 "-" "ua""#.utf8)
        var d = combined
        let r = LogFeed.decode(&d, bytes: [bytes])
        #expect(r.count == 1)
        #expect(r[0].string(Fields.urlPath) == "/\u{FFFD}\u{FFFD}\u{FFFD}")
        let long =
            #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET /"# + String(repeating: "a", count: 15_000)
            + #" HTTP/1.1" 200 1 "-" "ua""#
        let l = try #require(LogFeed.one(combined, long))
        #expect(l.string(Fields.urlPath)?.utf8.count == 15_001)
        let truncated = try #require(LogFeed.one(combined, #"192.0.2.1 - - [23/Nov/2026:17:03:01 +0000] "GET / HT"#))
        #expect(truncated.dataset == .logUnparsed)
        // Every prefix of a valid line decodes to exactly one record.
        let full = Array(#"192.0.2.1 - bob [23/Nov/2026:17:03:01 +0000] "GET /a?b HTTP/1.1" 200 12 "r" "u""#.utf8)
        for n in 0...full.count {
            var dd = combined
            #expect(LogFeed.decode(&dd, bytes: [Array(full[0..<n])]).count == 1)
        }
    }
}

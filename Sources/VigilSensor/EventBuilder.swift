import VigilCore
import VigilDecode

/// Maps the typed records of the application analyzers to ECS fields. The decoders make no
/// judgement; this is the one place that says which record field becomes which event field.
enum EventBuilder {
    static func add(_ record: AppRecord, to event: inout some EventFieldSink) {
        switch record {
        case .http(let t): addHTTP(t, to: &event)
        case .dns(let t): addDNS(t, to: &event)
        case .tls(let t): addTLS(t, to: &event)
        case .ssh(let t): addSSH(t, to: &event)
        }
    }

    static let accessProtocol = FieldValue.list([.string("access"), .string("protocol")])
    static let protocolType = FieldValue.list([.string("protocol")])

    static func addHTTP(_ t: HTTPTransaction, to e: inout some EventFieldSink) {
        e.set(Fields.eventType, vocabulary: accessProtocol)
        if let req = t.request {
            let head = req.head
            e.set(Fields.httpRequestMethod, head.method)
            e.set(Fields.httpVersion, head.version)
            if let target = head.target {
                e.set(Fields.urlOriginal, target)
                let url = URLParts(target: target)
                e.set(Fields.urlPath, url.path)
                e.set(Fields.urlQuery, url.query)
                e.set(Fields.urlDomain, url.host ?? head.header(lowercased: "host").map(URLParts.stripPort))
            }
            setHeader(Fields.userAgentOriginal, head, "user-agent", to: &e)
            setHeader(Fields.httpRequestReferrer, head, "referer", to: &e)
            e.set(Fields.httpRequestMimeType, head.header(lowercased: "content-type").map(mimeType))
            e.set(Fields.httpRequestBodyBytes, .integer(req.bodyLength))
            setText(Fields.httpRequestBodyContent, req.bodyPrefix, to: &e)
        }
        if let resp = t.response {
            let head = resp.head
            if t.request == nil { e.set(Fields.httpVersion, head.version) }
            e.set(Fields.httpResponseStatusCode, head.statusCode.map { FieldValue.integer($0) })
            e.set(Fields.httpResponseMimeType, head.header(lowercased: "content-type").map(mimeType))
            e.set(Fields.httpResponseBodyBytes, .integer(resp.bodyLength))
            setHeader(Fields.httpContentEncoding, head, "content-encoding", to: &e)
            setText(Fields.httpResponseBodyContent, resp.bodyPrefix, to: &e)
            if let code = head.statusCode {
                e.set(Fields.eventOutcome, vocabulary: code >= 400 ? "failure" : "success")
            }
        }
        let truncated = (t.request?.bodyTruncated ?? false) || (t.response?.bodyTruncated ?? false)
        if truncated { e.set(Fields.httpBodyTruncated, .bool(true)) }
    }

    /// A header's value as it came: from the head's bytes when it is ASCII text (nearly always: a
    /// sink that writes bytes makes no `String` of a user agent), else as a `String`.
    static func setHeader(_ id: FieldID, _ head: HTTPHead, _ name: StaticString, to e: inout some EventFieldSink) {
        head.withValue(lowercased: name) { value in
            if !e.set(id, asciiText: value) { e.set(id, String(decoding: value, as: UTF8.self)) }
        }
    }

    /// The media type without parameters, lowercased (`text/html; charset=utf-8` → `text/html`).
    static func mimeType(_ header: String) -> String {
        // Runs for most HTTP events: bytes, not Characters, for an ASCII header (nearly all of them).
        let ascii = header.utf8.withContiguousStorageIfAvailable { p -> String? in
            guard p.first != UInt8(ascii: ";"), p.allSatisfy({ $0 < 0x80 }) else { return nil }
            var end = p.firstIndex(of: UInt8(ascii: ";")) ?? p.count
            var start = 0
            while start < end, p[start] == 0x20 || p[start] == 0x09 { start += 1 }
            while end > start, p[end - 1] == 0x20 || p[end - 1] == 0x09 { end -= 1 }
            return String(unsafeUninitializedCapacity: end - start) { out in
                for i in start..<end {
                    let b = p[i]
                    out[i - start] = b &- 0x41 < 26 ? b | 0x20 : b
                }
                return end - start
            }
        }
        if let ascii = ascii ?? nil { return ascii }
        return String(header.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters().lowercased()
    }

    /// Sets a body prefix as text, if it is UTF-8 (binary bodies are counted, not copied into
    /// events). An ASCII prefix (most) goes to the sink as bytes: no `String` is made of it.
    static func setText(_ id: FieldID, _ bytes: [UInt8], to e: inout some EventFieldSink) {
        guard !bytes.isEmpty, !bytes.withUnsafeBufferPointer({ e.set(id, asciiText: $0) }) else { return }
        // Binary, or UTF-8 beyond ASCII.
        guard let end = textEnd(bytes) else { return }
        e.set(id, String(validating: bytes[0..<end], as: UTF8.self))
    }

    /// Where a body prefix's text ends (an incomplete last character left out); nil when it is
    /// binary (control bytes other than whitespace).
    static func textEnd(_ bytes: [UInt8]) -> Int? {
        // A prefix may end inside a multi-byte character: drop an incomplete tail before validating.
        var end = bytes.count
        var back = 0
        while back < 3, end - back - 1 >= 0, bytes[end - back - 1] & 0xC0 == 0x80 { back += 1 }
        if end - back - 1 >= 0, bytes[end - back - 1] >= 0xC0 {
            let lead = bytes[end - back - 1]
            let needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1
            if back < needed { end = end - back - 1 }
        }
        // Control bytes other than whitespace mean binary.
        let text = bytes.withUnsafeBufferPointer {
            ByteScan.isText(UnsafeBufferPointer(rebasing: $0[0..<end]), asciiOnly: false)
        }
        return text ? end : nil
    }

    static func addDNS(_ t: DNSTransaction, to e: inout some EventFieldSink) {
        e.set(Fields.eventType, vocabulary: protocolType)
        let header = t.query ?? t.response!
        e.set(Fields.dnsID, .integer(header.id))
        e.set(Fields.dnsOpCode, vocabulary: DNSNames.opcode(header.opcode))
        // Questions and answers are read from the messages' bytes here, each message once.
        let response = t.response?.sections
        let answers = response?.answers ?? []
        if let q = (t.query.map { $0.sections.questions } ?? response?.questions)?.first {
            e.set(Fields.dnsQuestionName, q.name)
            e.set(Fields.dnsQuestionType, vocabulary: DNSNames.type(q.type))
            e.set(Fields.dnsQuestionClass, vocabulary: DNSNames.class(q.class))
        }
        guard let r = t.response else {
            e.set(Fields.dnsType, vocabulary: "query")
            e.set(Fields.dnsHeaderFlags, .list(header.headerFlags.map(FieldValue.string)))
            return
        }
        e.set(Fields.dnsType, vocabulary: "answer")
        e.set(Fields.dnsResponseCode, vocabulary: DNSNames.rcode(r.rcode))
        e.set(Fields.dnsHeaderFlags, .list(r.headerFlags.map(FieldValue.string)))
        e.set(Fields.eventOutcome, vocabulary: r.rcode == 0 ? "success" : "failure")
        if !answers.isEmpty {
            e.set(
                Fields.dnsAnswers,
                .list(
                    answers.map { a in
                        .object([
                            .init("name", .string(a.name)), .init("type", .string(DNSNames.type(a.type))),
                            .init("class", .string(DNSNames.class(a.class))), .init("ttl", .integer(a.ttl)),
                            .init("data", .string(a.data)),
                        ])
                    }))
        }
        let resolved = answers.compactMap(\.address)
        if !resolved.isEmpty { e.set(Fields.dnsResolvedIP, .list(resolved.map(FieldValue.ip))) }
        if let qt = t.queryTime, let rt = t.responseTime {
            e.set(Fields.eventDuration, .int((rt.microseconds - qt.microseconds) * 1000))
        }
    }

    static func addTLS(_ t: TLSHandshake, to e: inout some EventFieldSink) {
        e.set(Fields.eventType, vocabulary: protocolType)
        // Each hello decoded once, here (the capture thread only checked them).
        let client = t.client
        let server = t.server
        let version = server?.effectiveVersion ?? client?.effectiveVersion
        if let version {
            let (proto, number) = TLSNames.version(version)
            e.set(Fields.tlsVersionProtocol, proto)
            e.set(Fields.tlsVersion, number)
        }
        if let c = client {
            e.set(Fields.tlsClientServerName, c.serverName)
            e.set(Fields.tlsClientJA3, c.ja3)
            e.set(
                Fields.tlsClientSupportedCiphers,
                .list(
                    c.cipherSuites.filter { !TLSHello.isGREASE($0) }.map { .string(TLSNames.cipherSuite($0)) }))
            if !c.alpn.isEmpty { e.set(Fields.tlsClientALPN, .list(c.alpn.map(FieldValue.string))) }
        }
        if let s = server {
            if let suite = s.cipherSuites.first { e.set(Fields.tlsCipher, TLSNames.cipherSuite(suite)) }
            e.set(Fields.tlsNextProtocol, s.alpn.first)
            e.set(Fields.tlsServerJA3S, s.ja3)
        }
    }

    static func addSSH(_ t: SSHHandshake, to e: inout some EventFieldSink) {
        e.set(Fields.eventType, vocabulary: protocolType)
        e.set(Fields.sshVersion, t.client?.protocolVersion ?? t.server?.protocolVersion)
        e.set(Fields.sshClientBanner, t.client?.raw)
        e.set(Fields.sshClientSoftware, t.client?.software)
        e.set(Fields.sshServerBanner, t.server?.raw)
        e.set(Fields.sshServerSoftware, t.server?.software)
    }
}

/// The parts of a request target: origin form (`/p?q`) or absolute form (`http://h:80/p?q`).
struct URLParts {
    var host: String?
    var path: String?
    var query: String?

    init(target: String) {
        // Runs for every HTTP request: an ASCII target (nearly all) is split on its bytes.
        let ascii = target.utf8.withContiguousStorageIfAvailable { p -> URLParts? in
            guard p.allSatisfy({ $0 < 0x80 }) else { return nil }
            return URLParts(ascii: p)
        }
        if let ascii = ascii ?? nil {
            self = ascii
            return
        }
        var rest = Substring(target)
        if let schemeEnd = rest.firstRange(of: "://") {
            let afterScheme = rest[schemeEnd.upperBound...]
            let hostEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            host = Self.stripPort(String(afterScheme[..<hostEnd]))
            rest = afterScheme[hostEnd...]
        }
        if let q = rest.firstIndex(of: "?") {
            path = String(rest[..<q])
            query = String(rest[rest.index(after: q)...])
        } else {
            path = String(rest)
        }
        if path?.isEmpty == true { path = host != nil ? "/" : nil }
    }

    /// The same split as `init(target:)`, on the bytes of an ASCII target.
    private init(ascii p: UnsafeBufferPointer<UInt8>) {
        func text(_ from: Int, _ to: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: p[from..<to]), as: UTF8.self)
        }
        var rest = 0
        if let scheme = Self.find(p, "://") {
            let hostStart = scheme + 3
            var hostEnd = hostStart
            while hostEnd < p.count, p[hostEnd] != UInt8(ascii: "/"), p[hostEnd] != UInt8(ascii: "?") { hostEnd += 1 }
            host = Self.stripPort(text(hostStart, hostEnd))
            rest = hostEnd
        }
        if let q = p[rest...].firstIndex(of: UInt8(ascii: "?")) {
            path = text(rest, q)
            query = text(q + 1, p.count)
        } else {
            path = text(rest, p.count)
        }
        if path?.isEmpty == true { path = host != nil ? "/" : nil }
    }

    private static func find(_ p: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard p.count >= n else { return nil }
        let first = needle.utf8Start[0]
        var i = 0
        while i + n <= p.count {
            if p[i] == first, (1..<n).allSatisfy({ p[i + $0] == needle.utf8Start[$0] }) { return i }
            i += 1
        }
        return nil
    }

    static func stripPort(_ host: String) -> String {
        // Most hosts carry neither a port nor brackets.
        if !host.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "[") }) { return host }
        if host.hasPrefix("[") {
            return String(host.dropFirst().prefix(while: { $0 != "]" }))
        }
        if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            return String(host[..<colon])
        }
        return host
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}

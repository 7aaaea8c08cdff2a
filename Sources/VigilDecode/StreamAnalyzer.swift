import VigilCore

/// Application analysis for one TCP connection, fed the reassembled, in-order byte streams of both
/// directions. Picks the protocol by content (HTTP on 8080, SSH on 2222 work), then runs its parser.
///
/// A class so a flow record holds it by one reference and only connections with payload pay for it.
public final class StreamAnalyzer {
    enum Parser {
        case detecting
        /// A reference, so per-segment parsing mutates the parsers in place instead of copying them out.
        case http(HTTPConnection)
        case tls(client: TLSHelloReader, server: TLSHelloReader, handshake: TLSHandshake)
        case ssh(client: SSHBannerReader, server: SSHBannerReader, handshake: SSHHandshake)
        case dns(originator: DNSStreamFramer, responder: DNSStreamFramer, matcher: DNSTransactionMatcher)
        case done
    }

    public let bodyLimit: Int
    var parser: Parser = .detecting
    public private(set) var appProtocol: AppProtocol?
    var probe: [[UInt8]] = [[], []]
    /// When each side's probe began: its short segments are replayed to the parser once one is chosen.
    var probeStart: [Timestamp?] = [nil, nil]
    static let probeBytes = 16

    public init(bodyLimit: Int) { self.bodyLimit = bodyLimit }

    /// False once nothing more will be parsed: reassembly for the connection can stop.
    /// (A stored flag: testing `parser`'s case copied the whole enum, handshakes included, on every
    /// segment.)
    public private(set) var wantsData = true

    /// Nothing more to parse on this connection.
    func stop() {
        parser = .done
        wantsData = false
    }

    public func data(
        _ bytes: UnsafeRawBufferPointer, fromOriginator: Bool, at time: Timestamp, into out: inout AppOutput
    ) {
        guard bytes.count > 0 else { return }
        if case .detecting = parser {
            let side = fromOriginator ? 0 : 1
            // Both sides' earlier segments, all shorter than the probe: no parser has seen them yet.
            let earlier = probe
            let probed: Int
            if probe[side].isEmpty, bytes.count >= Self.probeBytes {
                detect(bytes, fromOriginator: fromOriginator, at: time)
                probed = bytes.count
            } else {
                if probe[side].isEmpty { probeStart[side] = time }
                probe[side].append(contentsOf: bytes.prefix(Self.probeBytes - probe[side].count))
                probe[side].withUnsafeBytes { detect($0, fromOriginator: fromOriginator, at: time) }
                probed = probe[side].count
            }
            if case .detecting = parser {
                if probed >= Self.probeBytes { stop() }
                return
            }
            // The probe copy only decided the protocol; the parser now reads the stream itself, from its start.
            probe = [[], []]
            for s in [1 - side, side] where !earlier[s].isEmpty {
                earlier[s].withUnsafeBytes { feed($0, fromOriginator: s == 0, at: probeStart[s] ?? time, into: &out) }
            }
        }
        feed(bytes, fromOriginator: fromOriginator, at: time, into: &out)
    }

    func detect(_ p: UnsafeRawBufferPointer, fromOriginator: Bool, at time: Timestamp) {
        if p.count >= 4, p[0] == UInt8(ascii: "S"), p[1] == UInt8(ascii: "S"), p[2] == UInt8(ascii: "H"),
            p[3] == UInt8(ascii: "-")
        {
            parser = .ssh(client: SSHBannerReader(), server: SSHBannerReader(), handshake: SSHHandshake(start: time))
            appProtocol = .ssh
        } else if TLSHelloReader.looksLikeTLS(p) {
            parser = .tls(client: TLSHelloReader(), server: TLSHelloReader(), handshake: TLSHandshake(start: time))
            appProtocol = .tls
        } else if fromOriginator ? Self.looksLikeHTTPRequest(p) : Self.startsWith(p, Self.responseStart) {
            var response = HTTPStreamParser(isRequest: false, bodyLimit: bodyLimit)
            if !fromOriginator { response.requestSent(isHead: false) }
            parser = .http(
                HTTPConnection(
                    request: HTTPStreamParser(isRequest: true, bodyLimit: bodyLimit), response: response))
            appProtocol = .http
        } else if DNSStreamFramer.looksLikeDNS(p) {
            parser = .dns(originator: DNSStreamFramer(), responder: DNSStreamFramer(), matcher: DNSTransactionMatcher())
            appProtocol = .dns
        }
    }

    /// Request methods with their space, as bytes (made once, not per connection).
    static let methods: [[UInt8]] = [
        "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
        "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ", "SEARCH ",
    ].map { Array($0.utf8) }

    static let responseStart: [UInt8] = Array("HTTP/1.".utf8)

    static func startsWith(_ p: UnsafeRawBufferPointer, _ u: [UInt8]) -> Bool {
        p.count >= u.count && zip(p, u).allSatisfy { $0 == $1 }
    }

    static func looksLikeHTTPRequest(_ p: UnsafeRawBufferPointer) -> Bool {
        methods.contains { startsWith(p, $0) }
    }

    func feed(_ bytes: UnsafeRawBufferPointer, fromOriginator: Bool, at time: Timestamp, into out: inout AppOutput) {
        switch parser {
        case .detecting, .done:
            return
        case .http(let c):
            if c.feed(bytes, fromOriginator: fromOriginator, at: time, into: &out) { stop() }
        case .tls(var client, var server, var handshake):
            parser = .done  // the payload copied out is now unique: mutated in place, put back
            let wasMalformed = fromOriginator ? client.malformed : server.malformed
            if fromOriginator {
                if let hello = client.feed(bytes) { handshake.client = hello }
                if client.malformed, !wasMalformed { out.issues.append(.tlsMalformed) }
            } else {
                if let hello = server.feed(bytes) { handshake.server = hello }
                if server.malformed, !wasMalformed { out.issues.append(.tlsMalformed) }
            }
            if client.done, server.done {
                if handshake.client != nil || handshake.server != nil { out.records.append(.tls(handshake)) }
                stop()
            } else {
                parser = .tls(client: client, server: server, handshake: handshake)
            }
        case .ssh(var client, var server, var handshake):
            parser = .done  // the payload copied out is now unique: mutated in place, put back
            let wasMalformed = fromOriginator ? client.malformed : server.malformed
            if fromOriginator {
                if let b = client.feed(bytes) { handshake.client = b }
                if client.malformed, !wasMalformed { out.issues.append(.sshMalformed) }
            } else {
                if let b = server.feed(bytes) { handshake.server = b }
                if server.malformed, !wasMalformed { out.issues.append(.sshMalformed) }
            }
            if client.done, server.done {
                out.records.append(.ssh(handshake))
                stop()
            } else {
                parser = .ssh(client: client, server: server, handshake: handshake)
            }
        case .dns(var originator, var responder, var matcher):
            parser = .done  // the payload copied out is now unique: mutated in place, put back
            var messages: [DNSMessage] = []
            // One issue per malformed message, not one per later segment.
            let malformedBefore = originator.malformedMessages + responder.malformedMessages
            if fromOriginator {
                originator.feed(bytes, into: &messages)
            } else {
                responder.feed(bytes, into: &messages)
            }
            messages.takeEach { matcher.message($0, at: time, into: &out) }
            let malformedNow = originator.malformedMessages + responder.malformedMessages
            for _ in malformedBefore..<malformedNow { out.issues.append(.dnsMalformed) }
            parser = .dns(originator: originator, responder: responder, matcher: matcher)
        }
    }

    /// A hole of `length` bytes in one direction (lost packets): counted by the caller; parsers that
    /// can skip it exactly do, the others stop.
    public func gap(_ length: Int, fromOriginator: Bool, into out: inout AppOutput) {
        switch parser {
        case .http(let c):
            var messages: [HTTPMessage] = []
            if fromOriginator {
                c.request.gap(length, into: &messages)
                c.pending.append(contentsOf: messages)
            } else {
                c.response.gap(length, into: &messages)
                messages.takeEach { m in
                    out.records.append(.http(HTTPTransaction(request: c.pending.takeFirst(), response: m)))
                }
            }
        case .dns(var originator, var responder, let matcher):
            if fromOriginator { originator.lost = true } else { responder.lost = true }
            parser = .dns(originator: originator, responder: responder, matcher: matcher)
        case .detecting:
            stop()
        default:
            break  // TLS and SSH only need the first bytes; a gap later changes nothing
        }
    }

    /// The connection ended: report what is still open (unanswered requests, lone hellos).
    public func finish(into out: inout AppOutput) {
        switch parser {
        case .http(let c):
            if let m = c.request.finish() { c.pending.append(m) }
            if let last = c.response.finish() {
                out.records.append(.http(HTTPTransaction(request: c.pending.takeFirst(), response: last)))
            }
            while let req = c.pending.takeFirst() {
                out.records.append(.http(HTTPTransaction(request: req, response: nil)))
            }
        case .tls(_, _, let handshake):
            if handshake.client != nil || handshake.server != nil { out.records.append(.tls(handshake)) }
        case .ssh(_, _, let handshake):
            if handshake.client != nil || handshake.server != nil { out.records.append(.ssh(handshake)) }
        case .dns(_, _, var matcher):
            matcher.finish(into: &out)
        case .detecting, .done:
            break
        }
        stop()
    }
}

/// An HTTP connection's state, held by reference (`StreamAnalyzer.Parser.http`) so each segment
/// mutates it in place. Behind an owned pointer, not in stored properties: each access to a class's
/// stored property in place is checked for exclusivity at run time (2 % of the capture thread).
final class HTTPConnection {
    private let sides: UnsafeMutablePointer<HTTPSides>

    init(request: HTTPStreamParser, response: HTTPStreamParser) {
        sides = .allocate(capacity: 1)
        sides.initialize(to: HTTPSides(request: request, response: response))
    }

    deinit {
        sides.deinitialize(count: 1)
        sides.deallocate()
    }

    var request: HTTPStreamParser {
        get { sides.pointee.request }
        _modify { yield &sides.pointee.request }
    }
    var response: HTTPStreamParser {
        get { sides.pointee.response }
        _modify { yield &sides.pointee.response }
    }
    var pending: [HTTPMessage] {
        get { sides.pointee.pending }
        _modify { yield &sides.pointee.pending }
    }

    /// `HTTPSides.feed`.
    func feed(
        _ bytes: UnsafeRawBufferPointer, fromOriginator: Bool, at time: Timestamp, into out: inout AppOutput
    ) -> Bool {
        sides.pointee.feed(bytes, fromOriginator: fromOriginator, at: time, into: &out)
    }
}

/// Both directions of an HTTP connection and the requests still waiting for their responses.
struct HTTPSides {
    var request: HTTPStreamParser
    var response: HTTPStreamParser
    var pending: [HTTPMessage] = []
    /// The messages one `feed` completed, taken out before it returns (kept for its storage: a
    /// fresh array per segment allocated one per message).
    private var completed: [HTTPMessage] = []

    init(request: HTTPStreamParser, response: HTTPStreamParser) {
        self.request = request
        self.response = response
    }

    /// Parses a segment of one direction: requests wait in `pending`, each response is paired with
    /// the oldest. Returns true when neither side can be read any more (what is pending was
    /// reported).
    mutating func feed(
        _ bytes: UnsafeRawBufferPointer, fromOriginator: Bool, at time: Timestamp, into out: inout AppOutput
    ) -> Bool {
        // Issues are counted when a side goes bad, not again for every later segment.
        if fromOriginator {
            let wasMalformed = request.malformed
            request.feed(bytes, at: time, into: &completed)
            // Read in place (iterating copies each message).
            for i in completed.indices { response.requestSent(isHead: completed[i].head.method == "HEAD") }
            // Moved, not copied (a copy retains every string and array of the message).
            if pending.isEmpty {
                swap(&pending, &completed)
            } else {
                completed.takeEach { pending.append($0) }
            }
            if request.malformed, request.isLost, !wasMalformed { out.issues.append(.httpMalformed) }
        } else {
            let wasMalformed = response.malformed
            response.feed(bytes, at: time, into: &completed)
            while let m = completed.takeFirst() {
                // After 101 Switching Protocols neither side speaks HTTP any more. (Read before
                // the message is moved into its transaction: a later read made that a copy.)
                let switched = m.head.statusCode == 101
                out.records.append(.http(HTTPTransaction(request: pending.takeFirst(), response: m)))
                if switched { request = HTTPStreamParser.finished(isRequest: true) }
            }
            if response.malformed, response.isLost, !wasMalformed { out.issues.append(.httpMalformed) }
        }
        guard request.isLost, response.isLost else { return false }
        while let req = pending.takeFirst() { out.records.append(.http(HTTPTransaction(request: req, response: nil))) }
        return true
    }
}

/// Splits a TCP DNS stream into messages (RFC 1035 §4.2.2: a two-byte length before each).
public struct DNSStreamFramer: Sendable {
    var buffer: [UInt8] = []
    var lost = false
    public private(set) var malformed = false
    var malformedMessages = 0

    public init() {}

    public mutating func feed(_ data: UnsafeRawBufferPointer, into out: inout [DNSMessage]) {
        guard !lost else { return }
        buffer.append(contentsOf: data)
        while buffer.count >= 2 {
            let length = Int(buffer[0]) << 8 | Int(buffer[1])
            guard buffer.count >= 2 + length else { return }
            let parsed = buffer.withUnsafeBytes {
                try? DNSMessage.parse(UnsafeRawBufferPointer(rebasing: $0[2..<(2 + length)]))
            }
            buffer.removeFirst(2 + length)
            if let parsed {
                out.append(parsed)
            } else {
                malformed = true
                malformedMessages += 1
            }
        }
    }

    /// A first segment that holds a whole length-prefixed DNS message with a question.
    public static func looksLikeDNS(_ p: UnsafeRawBufferPointer) -> Bool {
        guard p.count >= 14 else { return false }
        let length = Int(p.loadBigEndianUInt16(at: 0))
        guard length + 2 <= p.count else { return false }
        return DNSTransactionMatcher.looksLikeDNS(UnsafeRawBufferPointer(rebasing: p[2..<(2 + length)])) != nil
    }
}

import VigilCore

/// Application analysis for one TCP connection, fed the reassembled, in-order byte streams of both
/// directions. Picks the protocol by content (HTTP on 8080, SSH on 2222 work), then runs its parser.
///
/// A class so a flow record holds it by one reference and only connections with payload pay for it.
public final class StreamAnalyzer {
    enum Parser {
        case detecting
        /// References, so per-segment parsing mutates the parsers in place instead of copying them out.
        case http(InPlace<HTTPSides>)
        case tls(InPlace<HandshakeSides<TLSHelloReader, TLSHandshake>>)
        case ssh(InPlace<HandshakeSides<SSHBannerReader, SSHHandshake>>)
        case dns(originator: DNSStreamFramer, responder: DNSStreamFramer, matcher: DNSTransactionMatcher)
        case done
    }

    public let bodyLimit: Int
    var parser: Parser = .detecting
    public private(set) var appProtocol: AppProtocol?
    /// Each side's segments shorter than the probe, and when they began: replayed to the parser
    /// once one is chosen. A pair, not arrays: array literals allocated twice per connection.
    var probes = (originator: Probe(), responder: Probe())

    struct Probe {
        var bytes: [UInt8] = []
        var start: Timestamp?

        /// Keeps the segment's first bytes, up to the probe's length.
        mutating func add(_ segment: UnsafeRawBufferPointer, at time: Timestamp) {
            if bytes.isEmpty { start = time }
            bytes.append(contentsOf: segment.prefix(StreamAnalyzer.probeBytes - bytes.count))
        }
    }
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
            // Both sides' earlier segments, all shorter than the probe: no parser has seen them yet.
            let earlier = probes
            let probed: Int
            let started = fromOriginator ? !probes.originator.bytes.isEmpty : !probes.responder.bytes.isEmpty
            if !started, bytes.count >= Self.probeBytes {
                detect(bytes, fromOriginator: fromOriginator, at: time)
                probed = bytes.count
            } else {
                if fromOriginator {
                    probes.originator.add(bytes, at: time)
                } else {
                    probes.responder.add(bytes, at: time)
                }
                let probe = fromOriginator ? probes.originator : probes.responder
                probe.bytes.withUnsafeBytes { detect($0, fromOriginator: fromOriginator, at: time) }
                probed = probe.bytes.count
            }
            if case .detecting = parser {
                if probed >= Self.probeBytes { stop() }
                return
            }
            // The probe copy only decided the protocol; the parser now reads the stream itself, from
            // its start: the other side's earlier segments first, then this side's.
            probes = (Probe(), Probe())
            func replay(originator: Bool) {
                let probe = originator ? earlier.originator : earlier.responder
                guard !probe.bytes.isEmpty else { return }
                probe.bytes.withUnsafeBytes {
                    feed($0, fromOriginator: originator, at: probe.start ?? time, into: &out)
                }
            }
            replay(originator: !fromOriginator)
            replay(originator: fromOriginator)
        }
        feed(bytes, fromOriginator: fromOriginator, at: time, into: &out)
    }

    func detect(_ p: UnsafeRawBufferPointer, fromOriginator: Bool, at time: Timestamp) {
        if p.count >= 4, p[0] == UInt8(ascii: "S"), p[1] == UInt8(ascii: "S"), p[2] == UInt8(ascii: "H"),
            p[3] == UInt8(ascii: "-")
        {
            parser = .ssh(
                InPlace.make(
                    HandshakeSides(
                        client: SSHBannerReader(), server: SSHBannerReader(), handshake: SSHHandshake(start: time))))
            appProtocol = .ssh
        } else if TLSHelloReader.looksLikeTLS(p) {
            parser = .tls(
                InPlace.make(
                    HandshakeSides(
                        client: TLSHelloReader(), server: TLSHelloReader(), handshake: TLSHandshake(start: time))))
            appProtocol = .tls
        } else if fromOriginator ? Self.looksLikeHTTPRequest(p) : Self.startsWith(p, Self.responseStart) {
            var response = HTTPStreamParser(isRequest: false, bodyLimit: bodyLimit)
            if !fromOriginator { response.requestSent(isHead: false) }
            parser = .http(
                InPlace.make(
                    HTTPSides(request: HTTPStreamParser(isRequest: true, bodyLimit: bodyLimit), response: response))
            )
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
            if c.value.feed(bytes, fromOriginator: fromOriginator, at: time, into: &out) { stop() }
        case .tls(let t):
            if t.value.feed(bytes, fromOriginator: fromOriginator, malformed: .tlsMalformed, into: &out) {
                let handshake = t.value.handshake
                if handshake.clientMessage != nil || handshake.serverMessage != nil {
                    out.records.append(.tls(handshake))
                }
                stop()
            }
        case .ssh(let t):
            if t.value.feed(bytes, fromOriginator: fromOriginator, malformed: .sshMalformed, into: &out) {
                out.records.append(.ssh(t.value.handshake))
                stop()
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
                c.value.request.gap(length, into: &messages)
                c.value.pending.append(contentsOf: messages)
            } else {
                c.value.response.gap(length, into: &messages)
                messages.takeEach { m in
                    out.records.append(.http(HTTPTransaction(request: c.value.pending.takeFirst(), response: m)))
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
            if let m = c.value.request.finish() { c.value.pending.append(m) }
            if let last = c.value.response.finish() {
                out.records.append(.http(HTTPTransaction(request: c.value.pending.takeFirst(), response: last)))
            }
            while let req = c.value.pending.takeFirst() {
                out.records.append(.http(HTTPTransaction(request: req, response: nil)))
            }
        case .tls(let t):
            let handshake = t.value.handshake
            if handshake.clientMessage != nil || handshake.serverMessage != nil { out.records.append(.tls(handshake)) }
        case .ssh(let t):
            let handshake = t.value.handshake
            if handshake.client != nil || handshake.server != nil { out.records.append(.ssh(handshake)) }
        case .dns(_, _, var matcher):
            matcher.finish(into: &out)
        case .detecting, .done:
            break
        }
        stop()
    }
}

/// A reader of a handshake's first message from each side (TLS hellos, SSH banners).
protocol HandshakeReader {
    associatedtype Message
    var done: Bool { get }
    var malformed: Bool { get }
    mutating func feed(_ data: UnsafeRawBufferPointer) -> Message?
}

extension TLSHelloReader: HandshakeReader {}
extension SSHBannerReader: HandshakeReader {}

/// A handshake that records each side's first message.
protocol SidedHandshake {
    associatedtype Message
    var clientMessage: Message? { get set }
    var serverMessage: Message? { get set }
}

extension TLSHandshake: SidedHandshake {}
extension SSHHandshake: SidedHandshake {
    var clientMessage: SSHBanner? {
        get { client }
        set { client = newValue }
    }
    var serverMessage: SSHBanner? {
        get { server }
        set { server = newValue }
    }
}

/// Both sides' readers of a TLS or SSH connection and the handshake they fill in.
struct HandshakeSides<Reader: HandshakeReader, Handshake: SidedHandshake> where Reader.Message == Handshake.Message {
    var client: Reader
    var server: Reader
    var handshake: Handshake

    /// Reads a segment of one side; an issue (`malformed`) when that side goes bad, once. Returns
    /// true when both sides are done.
    mutating func feed(
        _ bytes: UnsafeRawBufferPointer, fromOriginator: Bool, malformed issue: DecodeIssue, into out: inout AppOutput
    ) -> Bool {
        if fromOriginator {
            let wasMalformed = client.malformed
            if let m = client.feed(bytes) { handshake.clientMessage = m }
            if client.malformed, !wasMalformed { out.issues.append(issue) }
        } else {
            let wasMalformed = server.malformed
            if let m = server.feed(bytes) { handshake.serverMessage = m }
            if server.malformed, !wasMalformed { out.issues.append(issue) }
        }
        return client.done && server.done
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

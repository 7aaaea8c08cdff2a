import VigilCore

/// A header field as sent (name case preserved).
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The start line and headers of an HTTP/1.x request or response.
///
/// A parsed head keeps its bytes as they came, copied once, with each header's name and trimmed value
/// marked in them (a folded value, rare, is joined after them): two allocations per message, no
/// copy per header, and only the parts an event uses ever become strings (the request target
/// too, made by the thread that builds events rather than the capture thread).
public struct HTTPHead: Sendable, Equatable {
    public var method: String?
    /// The request target (request line's second part).
    public var target: String? {
        targetEnd >= targetStart && targetStart >= 0 ? text(targetStart, targetEnd) : nil
    }
    public var statusCode: Int?
    public var reason: String?
    /// `1.0` or `1.1`.
    public var version: String
    /// The head's bytes (or, for a head made from `HTTPHeader`s, each name followed by its value),
    /// then any folded values.
    private var storage: [UInt8] = []
    /// Where each header's name and value are in `storage`.
    private var bounds: [Bounds] = []
    /// The request target's bytes in `storage` (none when `targetStart` is negative).
    private var targetStart: Int32 = -1
    private var targetEnd: Int32 = -1
    /// Where the head's own bytes end in `storage`: a value from here on was joined from folded lines.
    private var rawCount: Int32 = 0

    struct Bounds: Sendable, Equatable {
        var nameStart: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
    }

    public init(version: String, headers: [HTTPHeader]) {
        self.version = version
        for h in headers {
            Array(h.name.utf8).withUnsafeBytes { startHeader(name: $0) }
            Array(h.value.utf8).withUnsafeBytes { appendValue($0) }
        }
    }

    /// A head read from `bytes` (its start line and header lines): they are copied once and marked
    /// by `setTarget` and `addHeader`.
    init(bytes: UnsafeBufferPointer<UInt8>, headerEstimate: Int) {
        version = ""
        storage = Array(bytes)
        rawCount = Int32(bytes.count)
        bounds.reserveCapacity(headerEstimate)
    }

    /// Same start line parts and the same headers (names and values, in order), however they are kept.
    public static func == (a: HTTPHead, b: HTTPHead) -> Bool {
        guard a.method == b.method, a.target == b.target, a.statusCode == b.statusCode, a.reason == b.reason,
            a.version == b.version, a.bounds.count == b.bounds.count
        else { return false }
        for (x, y) in zip(a.bounds, b.bounds) {
            guard a.storage[Int(x.nameStart)..<Int(x.nameEnd)] == b.storage[Int(y.nameStart)..<Int(y.nameEnd)],
                a.storage[Int(x.valueStart)..<Int(x.valueEnd)] == b.storage[Int(y.valueStart)..<Int(y.valueEnd)]
            else { return false }
        }
        return true
    }

    public var isRequest: Bool { method != nil }

    public var headerCount: Int { bounds.count }

    /// Every header, in order (builds strings: for tests and tools, not the per-message path).
    public var headers: [HTTPHeader] {
        bounds.map { HTTPHeader(name: text($0.nameStart, $0.nameEnd), value: text($0.valueStart, $0.valueEnd)) }
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        var key = name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? name.lowercased() : name
        return key.withUTF8 { k in valueBounds(lowercasedName: k).map { text($0.valueStart, $0.valueEnd) } }
    }

    /// `header` for a name already in lower case (the names events and framing look up): no
    /// case check or copy of the name per lookup, several per message.
    public func header(lowercased name: StaticString) -> String? {
        name.withUTF8Buffer { k in valueBounds(lowercasedName: k).map { text($0.valueStart, $0.valueEnd) } }
    }

    /// Hands `body` the first value of a header, by a name already in lower case, read in place (no
    /// `String` made); false when there is no such header. Not generic: the event builder, in
    /// another module, would call it unspecialized.
    @discardableResult
    public func withValue(lowercased name: StaticString, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        name.withUTF8Buffer { k -> Bool in
            guard let h = valueBounds(lowercasedName: k) else { return false }
            storage.withUnsafeBufferPointer {
                body(UnsafeBufferPointer(rebasing: $0[Int(h.valueStart)..<Int(h.valueEnd)]))
            }
            return true
        }
    }

    /// The bounds of the first header whose name, in ASCII lower case, is `k`.
    private func valueBounds(lowercasedName k: UnsafeBufferPointer<UInt8>) -> Bounds? {
        storage.withUnsafeBufferPointer { b -> Bounds? in
            for h in bounds where Int(h.nameEnd - h.nameStart) == k.count {
                var i = 0
                let start = Int(h.nameStart)
                while i < k.count {
                    let c = b[start + i]
                    if (c >= 0x41 && c <= 0x5A ? c | 0x20 : c) != k[i] { break }
                    i += 1
                }
                if i == k.count { return h }
            }
            return nil
        }
    }

    private func text(_ from: Int32, _ to: Int32) -> String {
        String(decoding: storage[Int(from)..<Int(to)], as: UTF8.self)
    }

    /// Starts a header: appends its name; the value is appended next.
    mutating func startHeader(name: UnsafeRawBufferPointer) {
        let start = Int32(storage.count)
        storage.append(contentsOf: name)
        let end = Int32(storage.count)
        bounds.append(Bounds(nameStart: start, nameEnd: end, valueStart: end, valueEnd: end))
    }

    /// Appends to the last header's value.
    mutating func appendValue(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
        bounds[bounds.count - 1].valueEnd = Int32(storage.count)
    }

    /// Marks the request target, `from..<to` of the head's bytes.
    mutating func setTarget(_ from: Int, _ to: Int) {
        targetStart = Int32(from)
        targetEnd = Int32(to)
    }

    /// Marks a header whose name and value are in the head's bytes.
    mutating func addHeader(name: Range<Int>, value: Range<Int>) {
        bounds.append(
            Bounds(
                nameStart: Int32(name.lowerBound), nameEnd: Int32(name.upperBound),
                valueStart: Int32(value.lowerBound), valueEnd: Int32(value.upperBound)))
    }

    /// Continues the last header's value with a folded line's `from..<to` of the head's bytes,
    /// after one space. The value is first moved after the head's bytes (once per header), then
    /// each folded line is appended to it there.
    mutating func foldIntoLastValue(_ from: Int, _ to: Int) {
        let last = bounds.count - 1
        let b = bounds[last]
        // Parts are copied out first: appending a slice of the array to itself copied all of it.
        if b.valueStart < rawCount {
            let value = Array(storage[Int(b.valueStart)..<Int(b.valueEnd)])
            bounds[last].valueStart = Int32(storage.count)
            storage.append(contentsOf: value)
        }
        let part = Array(storage[from..<to])
        storage.append(UInt8(ascii: " "))
        storage.append(contentsOf: part)
        bounds[last].valueEnd = Int32(storage.count)
    }
}

/// One complete (or, at end of stream, cut) HTTP message.
public struct HTTPMessage: Sendable, Equatable {
    public var head: HTTPHead
    /// When the first byte of the head was seen.
    public var start: Timestamp
    /// Entity body bytes on the wire after undoing chunked framing, before content decoding.
    public var bodyLength: Int
    /// The body's first bytes with chunking and gzip/deflate content encoding undone, at most the limit.
    public var bodyPrefix: [UInt8]
    /// True when the prefix is not the whole decoded body (limit reached, gap, or decoding failed).
    public var bodyTruncated: Bool
    /// False when the stream ended (or a gap hit) before the message did.
    public var complete: Bool
}

/// An HTTP/1.x message parser for one direction of a reassembled TCP stream, with pipelining,
/// chunked transfer coding and content decoding of a bounded body prefix. Pure: bytes in, messages out.
public struct HTTPStreamParser {
    public static let maxHeadBytes = 65_536

    enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        /// Lost sync (garbage, or a gap where framing was unknown): the rest of the stream is skipped.
        case lost
    }

    public let isRequest: Bool
    public let bodyLimit: Int
    var state: State = .head
    var buffer: [UInt8] = []
    var current: HTTPMessage?
    var rawPrefix: [UInt8] = []
    var inflater: Inflater?
    /// Set by a gap inside a body: later bytes are counted but kept out of the prefix, so it stays a prefix.
    var prefixEnded = false
    /// For a response parser: whether each outstanding request was HEAD (its response has no body).
    var pendingHeadRequests: [Bool] = []
    public private(set) var malformed = false

    public init(isRequest: Bool, bodyLimit: Int = 8192) {
        self.isRequest = isRequest
        self.bodyLimit = bodyLimit
    }

    /// Whether a message is open. (`current != nil` copied the whole message, retaining every
    /// string and array it holds, on every body segment.)
    var hasCurrent: Bool {
        if case .none = current { return false }
        return true
    }

    public var isLost: Bool {
        if case .lost = state { return true }
        return false
    }

    /// A parser that reads nothing more (the connection left HTTP, e.g. after 101 Switching Protocols).
    static func finished(isRequest: Bool) -> HTTPStreamParser {
        var parser = HTTPStreamParser(isRequest: isRequest, bodyLimit: 0)
        parser.state = .lost
        return parser
    }

    /// Tells a response parser that a request was sent, so a HEAD's response is read without a body.
    public mutating func requestSent(isHead: Bool) { pendingHeadRequests.append(isHead) }

    public mutating func feed(_ data: UnsafeRawBufferPointer, at now: Timestamp, into out: inout [HTTPMessage]) {
        var i = 0
        while i < data.count {
            switch state {
            case .lost:
                return
            case .head:
                if !hasCurrent, buffer.isEmpty {
                    // Stray CRLFs between pipelined messages are allowed (RFC 9112 §2.2).
                    while i < data.count, data[i] == 0x0D || data[i] == 0x0A { i += 1 }
                    if i == data.count { return }
                    current = HTTPMessage(
                        head: HTTPHead(version: "", headers: []), start: now, bodyLength: 0, bodyPrefix: [],
                        bodyTruncated: false, complete: false)
                }
                let startsHead = buffer.isEmpty
                if startsHead,
                    let end = Self.findHeadEnd(UnsafeRawBufferPointer(rebasing: data[i..<data.count]), from: 0)
                {
                    // The whole head is in this segment (the usual case): parse it in place, without
                    // copying the segment (and the body bytes after the head) into the buffer.
                    guard end <= Self.maxHeadBytes else { return fail() }
                    let head = UnsafeRawBufferPointer(rebasing: data[i..<(i + end)])
                    i += end
                    startMessage(head.assumingMemoryBound(to: UInt8.self), into: &out)
                    continue
                }
                let searchFrom = max(0, buffer.count - 3)
                let take = data.count - i
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[i..<data.count]))
                // A head that starts in this segment was just searched in full: no end in it.
                if !startsHead, let end = Self.findHeadEnd(buffer, from: searchFrom) {
                    // The limit holds however the head was segmented, not only while it is still open.
                    guard end <= Self.maxHeadBytes else { return fail() }
                    let consumedFromData = end - (buffer.count - take)
                    i += consumedFromData
                    let headBytes = Array(buffer[0..<end])
                    buffer.removeAll(keepingCapacity: true)
                    headBytes.withUnsafeBufferPointer { startMessage($0, into: &out) }
                } else {
                    if buffer.count > Self.maxHeadBytes { fail() }
                    return
                }
            case .body(let remaining):
                let n = min(remaining, data.count - i)
                body(UnsafeRawBufferPointer(rebasing: data[i..<(i + n)]))
                i += n
                if n == remaining { finishMessage(into: &out) } else { state = .body(remaining: remaining - n) }
            case .untilClose:
                body(UnsafeRawBufferPointer(rebasing: data[i..<data.count]))
                i = data.count
            case .chunkData(let remaining):
                let n = min(remaining, data.count - i)
                body(UnsafeRawBufferPointer(rebasing: data[i..<(i + n)]))
                i += n
                state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            case .chunkSize, .chunkDataEnd, .trailers:
                guard let line = takeLine(data, &i) else {
                    if buffer.count > 4096 { fail() }
                    return
                }
                lineInChunkedBody(line, into: &out)
            }
        }
    }

    /// A hole in the stream of `length` bytes. Inside a body of known length the hole is skipped
    /// exactly; anywhere else the parser cannot know where the next message starts and stops.
    public mutating func gap(_ length: Int, into out: inout [HTTPMessage]) {
        switch state {
        case .body(let remaining) where length < remaining:
            current?.bodyLength += length
            current?.bodyTruncated = true
            prefixEnded = true
            state = .body(remaining: remaining - length)
        case .body(let remaining) where length == remaining:
            current?.bodyLength += length
            current?.bodyTruncated = true
            finishMessage(into: &out)
        case .chunkData(let remaining) where length <= remaining:
            current?.bodyLength += length
            current?.bodyTruncated = true
            prefixEnded = true
            state = length == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - length)
        case .untilClose:
            current?.bodyLength += length
            current?.bodyTruncated = true
            prefixEnded = true
        case .head where !hasCurrent && buffer.isEmpty:
            state = .lost
        default:
            // A message whose head was never complete is not reported: its fields would be guesses.
            if var message = current, !message.head.version.isEmpty {
                message.bodyTruncated = true
                message.bodyPrefix = decodedPrefix()
                out.append(message)
            }
            current = nil
            state = .lost
        }
    }

    /// End of stream: a message still open (read-until-close bodies, or cut ones) is returned.
    public mutating func finish() -> HTTPMessage? {
        guard var message = current.take() else { return nil }
        // A head that never completed has nothing trustworthy to report.
        if message.head.version.isEmpty { return nil }
        if case .untilClose = state { message.complete = true }
        message.bodyPrefix = decodedPrefix()
        if message.bodyPrefix.count < message.bodyLength, inflater == nil { message.bodyTruncated = true }
        if let inflater, inflater.failed || (inflater.isFull && !inflater.finished) { message.bodyTruncated = true }
        state = .lost
        return message
    }

    // MARK: - internals

    mutating func fail() {
        malformed = true
        state = .lost
        current = nil
        buffer = []
    }

    static func findHeadEnd(_ b: [UInt8], from: Int) -> Int? {
        b.withUnsafeBytes { findHeadEnd($0, from: from) }
    }

    /// Index just past the blank line that ends a head (LF LF or LF CR LF), searching from `from`.
    static func findHeadEnd(_ b: UnsafeRawBufferPointer, from: Int) -> Int? {
        var j = from
        // Line ends found eight bytes at a time: a header line is tens of bytes.
        while let lf = LogBytes.find(0x0A, b, j, b.count) {
            if lf + 1 < b.count, b[lf + 1] == 0x0A { return lf + 2 }
            if lf + 2 < b.count, b[lf + 1] == 0x0D, b[lf + 2] == 0x0A { return lf + 3 }
            j = lf + 1
        }
        return nil
    }

    mutating func takeLine(_ data: UnsafeRawBufferPointer, _ i: inout Int) -> [UInt8]? {
        while i < data.count {
            let b = data[i]
            i += 1
            if b == 0x0A {
                var line = buffer
                buffer.removeAll(keepingCapacity: true)
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            buffer.append(b)
        }
        return nil
    }

    mutating func startMessage(_ headBytes: UnsafeBufferPointer<UInt8>, into out: inout [HTTPMessage]) {
        guard let head = Self.parseHead(headBytes, isRequest: isRequest) else { return fail() }
        current?.head = head
        rawPrefix = []
        inflater = nil
        prefixEnded = false
        switch head.header(lowercased: "content-encoding")?.lowercased() {
        case "gzip", "x-gzip", "deflate": inflater = Inflater(format: .gzipOrZlib, limit: bodyLimit)
        default: break
        }
        let chunked = head.header(lowercased: "transfer-encoding").map { Self.containsChunked($0) } ?? false
        let contentLength = head.header(lowercased: "content-length").flatMap { Int($0) }
        if isRequest {
            if chunked {
                state = .chunkSize
            } else if let n = contentLength, n > 0 {
                state = .body(remaining: n)
            } else {
                finishMessage(into: &out)
            }
            return
        }
        let status = head.statusCode ?? 0
        if status == 101 {
            // Switching Protocols: the transaction ends here and the connection stops being HTTP
            // (WebSocket, h2c); what follows is not parsed, and not counted as malformed either.
            if !pendingHeadRequests.isEmpty { pendingHeadRequests.removeFirst() }
            finishMessage(into: &out)
            state = .lost
            return
        }
        if (100..<200).contains(status) {
            // Interim responses (100 Continue) are not transactions; wait for the final one.
            current?.head = HTTPHead(version: "", headers: [])
            current = nil
            state = .head
            return
        }
        let wasHead = pendingHeadRequests.isEmpty ? false : pendingHeadRequests.removeFirst()
        if wasHead || status == 204 || status == 304 {
            finishMessage(into: &out)
        } else if chunked {
            state = .chunkSize
        } else if let n = contentLength {
            if n > 0 { state = .body(remaining: n) } else { finishMessage(into: &out) }
        } else {
            state = .untilClose
        }
    }

    /// Whether a Transfer-Encoding value names `chunked`, in any ASCII case (bytes: `contains` on
    /// a lowercased copy cost a tenth of parsing a response head).
    static func containsChunked(_ value: String) -> Bool {
        let word: StaticString = "chunked"
        var value = value
        return value.withUTF8 { v in
            word.withUTF8Buffer { w in
                guard v.count >= w.count else { return false }
                for start in 0...(v.count - w.count) {
                    var k = 0
                    while k < w.count, v[start + k] | 0x20 == w[k] { k += 1 }
                    if k == w.count { return true }
                }
                return false
            }
        }
    }

    mutating func lineInChunkedBody(_ line: [UInt8], into out: inout [HTTPMessage]) {
        switch state {
        case .chunkSize:
            let digits = line.prefix(while: { $0 != UInt8(ascii: ";") && $0 != 0x20 && $0 != 0x09 })
            // Hex digits only: `Int(_:radix:)` alone would take a sign, and a negative size traps.
            guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ Self.hexDigits.contains($0) }),
                let size = Int(String(decoding: digits, as: UTF8.self), radix: 16)
            else { return fail() }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkDataEnd:
            guard line.isEmpty else { return fail() }
            state = .chunkSize
        case .trailers:
            if line.isEmpty { finishMessage(into: &out) }
        default:
            break
        }
    }

    mutating func body(_ bytes: UnsafeRawBufferPointer) {
        guard hasCurrent else { return }
        current!.bodyLength += bytes.count
        if prefixEnded { return }
        if let inflater {
            inflater.feed(bytes)
        } else if rawPrefix.count < bodyLimit {
            if rawPrefix.capacity == 0 {
                // One allocation for the whole prefix (growing it by doubling copied it ~10 times).
                let expected: Int
                switch state {
                case .body(let remaining): expected = remaining
                default: expected = bodyLimit
                }
                rawPrefix.reserveCapacity(min(bodyLimit, expected))
            }
            let n = min(bytes.count, bodyLimit - rawPrefix.count)
            rawPrefix.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
        }
    }

    func decodedPrefix() -> [UInt8] { inflater?.output ?? rawPrefix }

    mutating func finishMessage(into out: inout [HTTPMessage]) {
        // Completed in place, then taken into `out`: a copy retains every string and array the
        // message holds (a `var` bound to it was still copied into the array).
        guard hasCurrent else { return }
        current!.complete = true
        if let inflater {
            current!.bodyPrefix = inflater.output
            current!.bodyTruncated =
                current!.bodyTruncated || inflater.failed || (inflater.isFull && !inflater.finished)
        } else {
            swap(&current!.bodyPrefix, &rawPrefix)
            current!.bodyTruncated = current!.bodyTruncated || current!.bodyLength > current!.bodyPrefix.count
        }
        out.append(current.take()!)
        inflater = nil
        rawPrefix = []
        state = .head
    }

    static let hexDigits: Set<UInt8> = Set(Array("0123456789abcdefABCDEF".utf8))

    static let tokenChars: Set<UInt8> = Set(
        Array("!#$%&'*+-.^_`|~".utf8) + Array(UInt8(ascii: "0")...UInt8(ascii: "9"))
            + Array(UInt8(ascii: "A")...UInt8(ascii: "Z")) + Array(UInt8(ascii: "a")...UInt8(ascii: "z")))

    /// `tokenChars` as a bitmap of the 128 ASCII bytes (a set lookup hashes the byte).
    static let tokenBits: (UInt64, UInt64) = tokenChars.reduce(into: (0, 0)) { bits, b in
        if b < 64 { bits.0 |= 1 << UInt64(b) } else if b < 128 { bits.1 |= 1 << UInt64(b - 64) }
    }

    @inline(__always)
    static func isTokenChar(_ b: UInt8) -> Bool {
        b < 64 ? tokenBits.0 >> UInt64(b) & 1 != 0 : b < 128 && tokenBits.1 >> UInt64(b - 64) & 1 != 0
    }

    /// Parses a start line and header block; nil when it is not HTTP/1.x.
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// `from..<to` without leading and trailing spaces and tabs.
    static func trimmedRange(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> (Int, Int) {
        var start = from, end = to
        while start < end, isSpace(b[start]) { start += 1 }
        while end > start, isSpace(b[end - 1]) { end -= 1 }
        return (start, end)
    }

    /// Parses a start line and header block on bytes (this runs for every message); nil when it is
    /// not HTTP/1.x.
    static func parseHead(_ b: UnsafeBufferPointer<UInt8>, isRequest: Bool) -> HTTPHead? {
        // Lines are [start, end) without the CR/LF, found as they are read (no array of them).
        func lineEnd(from start: Int) -> (end: Int, next: Int) {
            guard let i = LogBytes.find(0x0A, UnsafeRawBufferPointer(b), start, b.count) else {
                return (b.count, b.count)
            }
            return (i > start && b[i - 1] == 0x0D ? i - 1 : i, i + 1)
        }
        // The start line is the first line (an empty one has no parts: not HTTP).
        let (firstEnd, headersStart) = lineEnd(from: 0)
        let firstStart = 0
        // Start line: up to three space-separated parts, the last one taking the rest.
        var parts = ((0, 0), (0, 0), (0, 0))
        var partCount = 0
        var i = firstStart
        while i < firstEnd, partCount < 3 {
            while i < firstEnd, b[i] == 0x20 { i += 1 }
            if i == firstEnd { break }
            let partStart = i
            if partCount == 2 {
                i = firstEnd
            } else {
                while i < firstEnd, b[i] != 0x20 { i += 1 }
            }
            switch partCount {
            case 0: parts.0 = (partStart, i)
            case 1: parts.1 = (partStart, i)
            default: parts.2 = (partStart, i)
            }
            partCount += 1
        }
        func text(_ part: (Int, Int)) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: b[part.0..<part.1]), as: UTF8.self)
        }
        func version(_ part: (Int, Int)) -> String? {
            let prefix: [UInt8] = [0x48, 0x54, 0x54, 0x50, 0x2F]  // "HTTP/"
            guard part.1 - part.0 == 8, (0..<5).allSatisfy({ b[part.0 + $0] == prefix[$0] }) else { return nil }
            return text((part.0 + 5, part.1))
        }
        // The head's bytes copied once, with room for an estimate of its header lines (a header
        // line is rarely under 16 bytes; more grow the array): counting them was a second pass.
        var head = HTTPHead(bytes: b, headerEstimate: (b.count - firstEnd) / 16 + 1)
        if isRequest {
            guard partCount == 3, parts.0.1 - parts.0.0 <= 32,
                (parts.0.0..<parts.0.1).allSatisfy({ isTokenChar(b[$0]) }),
                let v = version(parts.2)
            else { return nil }
            head.method = text(parts.0)
            head.setTarget(parts.1.0, parts.1.1)
            head.version = v
        } else {
            guard partCount >= 2, let v = version(parts.0), parts.1.1 - parts.1.0 == 3,
                let code = Int(text(parts.1))
            else { return nil }
            head.version = v
            head.statusCode = code
            head.reason = partCount > 2 ? text(parts.2) : ""
        }
        var start = headersStart
        while start < b.count {
            let (end, next) = lineEnd(from: start)
            defer { start = next }
            if start < end, isSpace(b[start]), head.headerCount > 0 {
                // A folded line (obs-fold) continues the previous value after one space.
                let (from, to) = trimmedRange(b, start, end)
                head.foldIntoLastValue(from, to)
                continue
            }
            guard let colon = LogBytes.find(UInt8(ascii: ":"), UnsafeRawBufferPointer(b), start, end) else { continue }
            let (from, to) = trimmedRange(b, colon + 1, end)
            head.addHeader(name: start..<colon, value: from..<to)
        }
        return head
    }
}

import FuzzSupport
import VigilDecode

/// Input: [config][split selector][stream...]. The stream is fed, cut at positions derived from the
/// selector byte, to both a request and a response parser, then both are finished.
/// config bits 0-1: bodyLimit (0, 7, 512, 8192); bit 2: response parser told of a HEAD request first;
/// bit 3: a gap of (config >> 4) * 97 bytes after the first feed. Checks the decoded body prefix
/// never exceeds bodyLimit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let config = input.byte()
    let selector = input.byte()
    let stream = input.rest()
    let bodyLimit = [0, 7, 512, 8192][Int(config & 3)]

    for isRequest in [true, false] {
        var parser = HTTPStreamParser(isRequest: isRequest, bodyLimit: bodyLimit)
        if !isRequest {
            parser.requestSent(isHead: config & 4 != 0)
            parser.requestSent(isHead: false)
        }
        var messages: [HTTPMessage] = []
        var splitter = Splitter(selector: selector)
        splitter.split(stream) { chunk, index in
            parser.feed(chunk, at: fuzzTime(index), into: &messages)
            if index == 0, config & 8 != 0 { parser.gap(Int(config >> 4) * 97, into: &messages) }
        }
        if let last = parser.finish() { messages.append(last) }
        consume(parser.malformed)
        consume(parser.isLost)
        for m in messages {
            consume(m.head.method ?? "")
            consume(m.head.target ?? "")
            consume(m.head.statusCode ?? 0)
            consume(m.head.header("content-type") ?? "")
            consume(m.head.headers.count)
            consume(m.bodyLength &+ m.bodyPrefix.count)
            precondition(m.bodyPrefix.count <= bodyLimit, "bodyPrefix of \(m.bodyPrefix.count) bytes over bodyLimit \(bodyLimit)")
        }
    }
    return 0
}

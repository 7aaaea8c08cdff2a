import FuzzSupport
import VigilDecode

/// Input: [split selector][stream...]. Feeds the stream in pieces to an SSHBannerReader and parses the
/// whole stream as one identification line with SSHBanner(line:).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var splitter = Splitter(selector: input.byte())
    let stream = input.rest()
    var reader = SSHBannerReader()
    splitter.split(stream) { chunk, _ in
        if let banner = reader.feed(chunk) {
            consume(banner.raw)
            consume(banner.protocolVersion)
            consume(banner.software)
            consume(banner.comments ?? "")
        }
    }
    consume(reader.done)
    consume(reader.malformed)
    if let banner = SSHBanner(line: String(decoding: stream, as: UTF8.self)) { consume(banner.software) }
    return 0
}

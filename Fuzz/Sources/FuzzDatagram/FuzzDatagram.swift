import FuzzSupport
import VigilDecode

/// Input: [2-byte length][datagram] repeated (the TCP DNS framing). The datagrams go one by one to a
/// DatagramAnalyzer (UDP flow: detection, parsing, query/response matching), and the whole input
/// also goes, cut into feeds by its first byte, to a DNSStreamFramer (DNS over TCP).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var analyzer = DatagramAnalyzer()
    var out = AppOutput()
    var index = 0
    while !input.isEmpty, analyzer.wantsData {
        let length = Int(input.byte()) << 8 | Int(input.byte())
        withExactCopy(input.take(length)) { analyzer.datagram($0, at: fuzzTime(index), into: &out) }
        index += 1
    }
    analyzer.finish(into: &out)
    consume(out.records.count &+ out.issues.count)
    for r in out.records {
        if case .dns(let t) = r { consume(t.start.description) }
    }

    let whole = UnsafeRawBufferPointer(start: data, count: size)
    var splitter = Splitter(selector: size > 0 ? data[0] : 0)
    var framer = DNSStreamFramer()
    var messages: [DNSMessage] = []
    _ = DNSStreamFramer.looksLikeDNS(whole)
    splitter.split(whole) { chunk, _ in framer.feed(chunk, into: &messages) }
    consume(messages.count)
    return 0
}

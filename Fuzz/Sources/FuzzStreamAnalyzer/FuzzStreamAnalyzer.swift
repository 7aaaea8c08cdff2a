import FuzzSupport
import VigilDecode

/// Input: [config] then a script of steps, each starting with a control byte c:
///   c & 0x80: direction (0 = from the originator, 1 = from the responder)
///   c & 0x40: a gap of (c & 0x3F) * 13 + 1 bytes in that direction; otherwise a data segment of
///             (c & 0x3F) bytes, or if that is 0x3F, of the length in the next two bytes (big endian).
/// Then finish(into:). config bits 0-1 pick bodyLimit (0, 16, 1024, 8192). Segments usually
/// alternate (request, response, ...) but the script may send several in a row from one side.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let config = input.byte()
    let analyzer = StreamAnalyzer(bodyLimit: [0, 16, 1024, 8192][Int(config & 3)])
    var out = AppOutput()
    var step = 0
    while !input.isEmpty {
        let c = input.byte()
        let fromOriginator = c & 0x80 == 0
        if c & 0x40 != 0 {
            analyzer.gap(Int(c & 0x3F) * 13 + 1, fromOriginator: fromOriginator, into: &out)
        } else {
            var length = Int(c & 0x3F)
            if length == 0x3F { length = Int(input.byte()) << 8 | Int(input.byte()) }
            withExactCopy(input.take(length)) {
                analyzer.data($0, fromOriginator: fromOriginator, at: fuzzTime(step), into: &out)
            }
        }
        consume(analyzer.wantsData)
        step += 1
    }
    analyzer.finish(into: &out)
    consume(analyzer.appProtocol?.rawValue ?? "")
    consume(out.issues.count)
    for record in out.records {
        consume(record.start.description)
        switch record {
        case .http(let t):
            consume(t.request?.head.target ?? "")
            consume(t.response?.head.statusCode ?? 0)
        case .dns(let t):
            consume(t.query?.questions.first?.name ?? "")
        case .tls(let t):
            consume(t.client?.ja3 ?? "")
            consume(t.server?.ja3String ?? "")
        case .ssh(let t):
            consume(t.client?.software ?? "")
            consume(t.server?.software ?? "")
        }
    }
    return 0
}

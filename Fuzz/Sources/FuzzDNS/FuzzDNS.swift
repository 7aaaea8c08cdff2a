import FuzzSupport
import VigilDecode

/// Input: one DNS message as carried in a UDP datagram. Parses it, renders everything a log line
/// would, and runs content detection.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withExactCopy(UnsafeRawBufferPointer(start: data, count: size)) { p in
        if let m = try? DNSMessage.parse(p) {
            consume(m.headerFlags.joined(separator: ","))
            consume(DNSNames.opcode(m.opcode))
            consume(DNSNames.rcode(m.rcode))
            for q in m.questions {
                consume(q.name)
                consume(DNSNames.type(q.type))
                consume(DNSNames.class(q.class))
            }
            for a in m.answers {
                consume(a.name)
                consume(a.data)
                consume(DNSNames.type(a.type))
                consume(a.address?.description ?? "")
            }
        }
        if let m = DNSTransactionMatcher.looksLikeDNS(p) { consume(m.questions.count) }
    }
    return 0
}

import FuzzSupport
import VigilDecode

// LinkType is not CaseIterable; keep this list in step with Sources/VigilDecode/LinkType.swift.
let linkTypes: [LinkType] = [.null, .loop, .ethernet, .raw, .ipv4, .ipv6, .linuxSLL, .linuxSLL2]

/// Input: [link type selector] [frame...]. Decodes the frame and checks the offsets the flow table
/// will slice with stay inside the captured bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let linkType = linkTypes[Int(input.byte()) % linkTypes.count]
    withExactCopy(input.rest()) { frame in
        switch PacketDecoder.decode(frame, linkType: linkType) {
        case .decoded(let packet):
            precondition(packet.link.payloadOffset >= 0 && packet.link.payloadOffset <= frame.count,
                "link payloadOffset \(packet.link.payloadOffset) outside frame of \(frame.count)")
            precondition(packet.payloadOffset >= 0 && packet.payloadLength >= 0 && packet.payloadMissing >= 0,
                "negative payload offset/length/missing")
            precondition(packet.payloadOffset + packet.payloadLength <= frame.count,
                "payload \(packet.payloadOffset)+\(packet.payloadLength) past frame of \(frame.count)")
            // Touch the payload the way the flow table does.
            let payload = UnsafeRawBufferPointer(
                rebasing: frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)])
            var sum = 0
            for b in payload { sum &+= Int(b) }
            consume(sum)
            consume(packet.source.description)
            consume(packet.destination.description)
            consume(Int(packet.sourcePort) &+ Int(packet.destinationPort))
        case .notIP(let etherType):
            consume(etherType)
        case .malformed(let issue):
            consume(issue.description)
        }
    }
    return 0
}

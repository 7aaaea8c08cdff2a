import VigilDecode

/// One tracked flow. Kept compact (under 160 bytes, a test holds it there) because a sensor holds
/// hundreds of thousands; application state lives behind `app`, allocated only once a flow carries
/// payload.
struct FlowRecord {
    var key: FlowKey
    /// Whether the originator (who sent the first packet, or the SYN) is endpoint `a` of the key.
    var originatorIsA: Bool
    /// Which inactivity list the flow is on (see `FlowTable.TimeoutClass`).
    var timeoutClass: UInt8
    var icmpType: UInt8
    var icmpCode: UInt8
    var hash: UInt32
    /// Flow number in order of creation within this source: the basis of uid and event ids.
    var serial: UInt32
    var missedBytes: UInt32
    /// Initial sequence numbers from the SYNs, kept here so a flow without payload needs no `app`.
    var origISN: UInt32
    var respISN: UInt32
    var start: Int64
    var last: Int64
    var origPackets: UInt32
    var respPackets: UInt32
    var origBytes: UInt64
    var respBytes: UInt64
    var state: ConnectionState
    var prev: Int32
    var next: Int32
    var app: FlowApp?
}

/// Application-layer state of a flow: reassembly and the analyzer.
final class FlowApp {
    var stream: StreamAnalyzer?
    var datagram: DatagramAnalyzer?
    var origStream = TCPReassembler()
    var respStream = TCPReassembler()
    /// App events emitted so far (their index in event ids).
    var events: UInt32 = 0
    var appProtocol: AppProtocol? { stream?.appProtocol ?? datagram?.appProtocol }

    init(stream: StreamAnalyzer?, datagram: DatagramAnalyzer?) {
        self.stream = stream
        self.datagram = datagram
    }
}

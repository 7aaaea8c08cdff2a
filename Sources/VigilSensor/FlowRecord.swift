import VigilCore
import VigilDecode

/// One tracked flow. Kept compact (under 160 bytes, a test holds it there) because a sensor holds
/// hundreds of thousands; application state lives behind `app`, allocated only once a flow carries
/// payload.
struct FlowRecord {
    /// What the flow's events report; copied out whole when an output is produced.
    var flow: FlowSnapshot
    /// Which inactivity list the flow is on (see `FlowTable.TimeoutClass`).
    var timeoutClass: UInt8
    /// The flow's stream analyzer wants no more data (a TLS or SSH handshake seen, or nothing it
    /// knows): later packets update the counters only, without touching `app` (one object each,
    /// read from memory per packet, for most packets of an encrypted connection). Fills padding.
    var streamDone = false
    var hash: UInt32
    /// Initial sequence numbers from the SYNs, kept here so a flow without payload needs no `app`.
    var origISN: UInt32
    var respISN: UInt32
    var prev: Int32
    var next: Int32
    var app: FlowApp?
}

/// Application-layer state of a flow: reassembly and the analyzer, changed in place on every
/// packet with payload (`InPlace`: no run-time exclusivity check per access, one allocation).
typealias FlowApp = InPlace<FlowAppState>

struct FlowAppState {
    var stream: StreamAnalyzer?
    var datagram: DatagramAnalyzer?
    var origStream = TCPReassembler()
    var respStream = TCPReassembler()
    /// App events emitted so far (their index in event ids).
    var events: UInt32 = 0
}

extension InPlace where Value == FlowAppState {
    static func make(stream: StreamAnalyzer?, datagram: DatagramAnalyzer?) -> FlowApp {
        make(FlowAppState(stream: stream, datagram: datagram))
    }

    var stream: StreamAnalyzer? { value.stream }
    var datagram: DatagramAnalyzer? {
        _read { yield value.datagram }
        _modify { yield &value.datagram }
    }
    var origStream: TCPReassembler {
        _read { yield value.origStream }
        _modify { yield &value.origStream }
    }
    var respStream: TCPReassembler {
        _read { yield value.respStream }
        _modify { yield &value.respStream }
    }
    var events: UInt32 {
        get { value.events }
        _modify { yield &value.events }
    }
    var appProtocol: AppProtocol? { value.stream?.appProtocol ?? value.datagram?.appProtocol }
}

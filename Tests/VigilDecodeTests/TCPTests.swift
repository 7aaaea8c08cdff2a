import Testing
import VigilCore

@testable import VigilDecode

@Suite("TCP header and options")
struct TCPTests {
    typealias B = TestBytes

    @Test("ports, sequence numbers, flags and window are read in network order")
    func basic() throws {
        let segment = B.tcp(
            source: 443, destination: 51234, sequence: 0xDEADBEEF, acknowledgment: 0x01020304, flags: 0x12,
            window: 29200)
        let h = try decode(segment) { try TCPHeader.parse($0, at: 0) }
        #expect(h.sourcePort == 443)
        #expect(h.destinationPort == 51234)
        #expect(h.sequence == 0xDEADBEEF)
        #expect(h.acknowledgment == 0x01020304)
        #expect(h.flags == [.syn, .ack])
        #expect(h.window == 29200)
        #expect(h.headerLength == 20)
        #expect(h.mss == nil && h.windowScale == nil && h.timestamp == nil && !h.sackPermitted)
        #expect(!h.optionsMalformed)
    }

    @Test("every flag bit maps to its own flag")
    func flags() throws {
        let all = try decode(B.tcp(flags: 0xFF)) { try TCPHeader.parse($0, at: 0) }.flags
        #expect(all == [.fin, .syn, .rst, .psh, .ack, .urg, .ece, .cwr])
        let finAck = try decode(B.tcp(flags: 0x11)) { try TCPHeader.parse($0, at: 0) }.flags
        #expect(finAck == [.fin, .ack])
    }

    @Test("a Linux SYN's MSS, SACK-permitted, timestamp and window scale options are all read")
    func synOptions() throws {
        let options: [UInt8] = [2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0x00, 0x01, 0xE2, 0x40, 0, 0, 0, 0, 1, 3, 3, 7]
        let h = try decode(B.tcp(flags: 0x02, options: options)) { try TCPHeader.parse($0, at: 0) }
        #expect(h.headerLength == 40)
        #expect(h.mss == 1460)
        #expect(h.sackPermitted)
        #expect(h.timestamp == 123_456)
        #expect(h.windowScale == 7)
        #expect(!h.optionsMalformed)
    }

    @Test("options after end-of-list are not read")
    func endOfList() throws {
        let options: [UInt8] = [0, 0, 0, 0, 2, 4, 0x05, 0xB4]
        let h = try decode(B.tcp(options: options)) { try TCPHeader.parse($0, at: 0) }
        #expect(h.mss == nil)
        #expect(!h.optionsMalformed)
    }

    @Test("unknown options are skipped by their length and known ones after them still read")
    func unknownOption() throws {
        let options: [UInt8] = [30, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x18]  // MPTCP-like, then MSS 536
        let h = try decode(B.tcp(options: options + [1, 1])) { try TCPHeader.parse($0, at: 0) }
        #expect(h.mss == 536)
        #expect(!h.optionsMalformed)
    }

    @Test("an option with the wrong fixed length is ignored, not misread")
    func wrongLengthKnownOption() throws {
        let options: [UInt8] = [2, 6, 0x05, 0xB4, 0, 0, 1, 1]
        let h = try decode(B.tcp(options: options)) { try TCPHeader.parse($0, at: 0) }
        #expect(h.mss == nil)
        #expect(!h.optionsMalformed)
    }

    @Test("an option running past the header, or with a length below 2, marks options malformed")
    func malformedOptions() throws {
        let overrun = try decode(B.tcp(options: [1, 1, 8, 10])) { try TCPHeader.parse($0, at: 0) }
        #expect(overrun.optionsMalformed)
        let zeroLength = try decode(B.tcp(options: [2, 0, 2, 4, 2, 4, 5, 0xB4])) { try TCPHeader.parse($0, at: 0) }
        #expect(zeroLength.optionsMalformed)
        #expect(zeroLength.mss == nil)
        let kindOnly = try decode(B.tcp(options: [1, 1, 1, 2])) { try TCPHeader.parse($0, at: 0) }
        #expect(kindOnly.optionsMalformed)
    }

    @Test("fewer than 20 bytes is truncated at every length")
    func truncated() {
        let segment = B.tcp()
        for n in 0..<20 {
            #expect(issue(Array(segment.prefix(n))) { try TCPHeader.parse($0, at: 0) } == .tcpTruncated)
        }
    }

    @Test("a data offset below 5 words is rejected")
    func badDataOffset() {
        for words in 0..<5 {
            let segment = B.tcp(dataOffsetWords: words, payload: [UInt8](repeating: 0, count: 40))
            #expect(issue(segment) { try TCPHeader.parse($0, at: 0) } == .tcpBadDataOffset)
        }
    }

    @Test("a data offset beyond the captured bytes is truncated")
    func dataOffsetPastCapture() {
        let segment = B.tcp(dataOffsetWords: 15, payload: [UInt8](repeating: 1, count: 39))
        #expect(issue(segment) { try TCPHeader.parse($0, at: 0) } == .tcpTruncated)
        let exact = B.tcp(dataOffsetWords: 15, payload: [UInt8](repeating: 1, count: 40))
        #expect(issue(exact) { try TCPHeader.parse($0, at: 0) } == nil)
    }
}

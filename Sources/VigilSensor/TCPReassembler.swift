/// In-order delivery of one direction of a TCP stream. Out-of-order segments wait (bounded);
/// holes that do not fill are reported as gaps with their size, never guessed at.
struct TCPReassembler: Sendable {
    static let maxBufferedBytes = 1 << 18
    static let maxBufferedSegments = 64

    var started = false
    var nextSeq: UInt32 = 0
    var pending: [(seq: UInt32, data: [UInt8], missing: Int)] = []
    var pendingBytes = 0

    enum Delivery {
        case data(UnsafeRawBufferPointer)
        case gap(Int)
    }

    /// Sets the initial sequence number from a SYN (the data then starts at seq + 1).
    mutating func syn(_ seq: UInt32) {
        if !started {
            started = true
            nextSeq = seq &+ 1
        }
    }

    /// Handles a segment's payload; returns true if it was (at least partly) a retransmission.
    /// `missing` is payload the capture cut (snaplen): delivered as a gap after the captured bytes.
    @discardableResult
    mutating func segment(
        seq: UInt32, payload: UnsafeRawBufferPointer, missing: Int, deliver: (Delivery) -> Void
    ) -> Bool {
        let length = payload.count + missing
        guard length > 0 else { return false }
        if !started {
            started = true
            nextSeq = seq
        }
        let diff = Int(Int32(bitPattern: seq &- nextSeq))
        if diff > 0 {
            // Ahead of what we have: keep it until the hole fills, within bounds.
            if pending.count >= Self.maxBufferedSegments || pendingBytes + payload.count > Self.maxBufferedBytes {
                flushOne(deliver)
                return segment(seq: seq, payload: payload, missing: missing, deliver: deliver)
            }
            if !pending.contains(where: { $0.seq == seq }) {
                let data = Array(payload)
                let index = pending.firstIndex(where: { Int32(bitPattern: $0.seq &- seq) > 0 }) ?? pending.count
                pending.insert((seq, data, missing), at: index)
                pendingBytes += data.count
            }
            return false
        }
        let skip = -diff
        if skip >= length { return true }
        if skip < payload.count {
            deliver(.data(UnsafeRawBufferPointer(rebasing: payload[skip...])))
        }
        let gapBytes = missing - max(0, skip - payload.count)
        if gapBytes > 0 { deliver(.gap(gapBytes)) }
        nextSeq = nextSeq &+ UInt32(length - skip)
        drain(deliver)
        return skip > 0
    }

    /// Delivers buffered segments that now continue the stream.
    mutating func drain(_ deliver: (Delivery) -> Void) {
        while let first = pending.first {
            let diff = Int(Int32(bitPattern: first.seq &- nextSeq))
            if diff > 0 { return }
            pending.removeFirst()
            pendingBytes -= first.data.count
            let skip = -diff
            let length = first.data.count + first.missing
            guard skip < length else { continue }
            if skip < first.data.count {
                first.data.withUnsafeBytes { deliver(.data(UnsafeRawBufferPointer(rebasing: $0[skip...]))) }
            }
            let gapBytes = first.missing - max(0, skip - first.data.count)
            if gapBytes > 0 { deliver(.gap(gapBytes)) }
            nextSeq = nextSeq &+ UInt32(length - skip)
        }
    }

    /// Gives up on the hole before the first buffered segment: reports it as a gap and moves on.
    mutating func flushOne(_ deliver: (Delivery) -> Void) {
        guard let first = pending.first else { return }
        let hole = Int(Int32(bitPattern: first.seq &- nextSeq))
        if hole > 0 {
            deliver(.gap(hole))
            nextSeq = first.seq
        }
        drain(deliver)
    }

    /// End of the connection: everything buffered is delivered, holes as gaps.
    mutating func flush(_ deliver: (Delivery) -> Void) {
        while !pending.isEmpty { flushOne(deliver) }
    }
}

import VigilCore

/// TCP/UDP connection summary in Zeek's terms: `conn_state` and the `history` string.
/// Pure value type updated per packet; rendered when the flow ends.
struct ConnectionState: Sendable {
    struct Seen: OptionSet, Sendable {
        let rawValue: UInt16
        static let origSYN = Seen(rawValue: 1 << 0)
        static let respSYN = Seen(rawValue: 1 << 1)
        static let origFIN = Seen(rawValue: 1 << 2)
        static let respFIN = Seen(rawValue: 1 << 3)
        static let origRST = Seen(rawValue: 1 << 4)
        static let respRST = Seen(rawValue: 1 << 5)
        static let origData = Seen(rawValue: 1 << 6)
        static let respData = Seen(rawValue: 1 << 7)
    }

    var seen: Seen = []
    /// Up to 16 history letters, in order, packed as ASCII.
    var history: (UInt64, UInt64) = (0, 0)

    /// Adds a history letter (uppercase for the originator) unless that direction already has it.
    /// Runs for every TCP packet: the sixteen letters are searched a word at a time.
    mutating func note(_ letter: UInt8, originator: Bool) {
        let c = originator ? letter & ~0x20 : letter | 0x20
        // A byte of `w` equals `c` exactly when that byte of `w ^ pattern` is zero (letters are
        // never zero, so empty places never match).
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = ones &* UInt64(c)
        @inline(__always) func contains(_ w: UInt64) -> Bool {
            let x = w ^ pattern
            return (x &- ones) & ~x & (ones << 7) != 0
        }
        if contains(history.0) || contains(history.1) { return }
        // Letters fill each word from its low byte up, with no gaps.
        let count = (71 - history.0.leadingZeroBitCount) / 8 + (71 - history.1.leadingZeroBitCount) / 8
        guard count < 16 else { return }
        if count < 8 {
            history.0 |= UInt64(c) << UInt64(count * 8)
        } else {
            history.1 |= UInt64(c) << UInt64((count - 8) * 8)
        }
    }

    /// The history letters as inline text (no heap storage: written out on the writer thread).
    var historyText: InlineText {
        InlineText(unsafeUninitializedCapacity: 16) { out in
            var n = 0
            var w = history.0
            while w != 0 {
                out[n] = UInt8(truncatingIfNeeded: w)
                n += 1
                w >>= 8
            }
            w = history.1
            while w != 0 {
                out[n] = UInt8(truncatingIfNeeded: w)
                n += 1
                w >>= 8
            }
            return n
        }
    }

    /// True once both sides have closed (FIN each way) or either reset: the flow can end soon.
    var isClosed: Bool {
        seen.contains(.origRST) || seen.contains(.respRST) || seen.isSuperset(of: [.origFIN, .respFIN])
    }

    /// Zeek's conn_state for TCP.
    var tcpState: String {
        let synO = seen.contains(.origSYN), synR = seen.contains(.respSYN)
        let finO = seen.contains(.origFIN), finR = seen.contains(.respFIN)
        let rstO = seen.contains(.origRST), rstR = seen.contains(.respRST)
        switch (synO, synR) {
        case (true, false):
            if rstO { return "RSTOS0" }
            if rstR { return "REJ" }
            if finO { return "SH" }
            return "S0"
        case (false, true):
            if rstR { return "RSTRH" }
            if finR { return "SHR" }
            return "OTH"
        case (true, true):
            if rstO { return "RSTO" }
            if rstR { return "RSTR" }
            if finO && finR { return "SF" }
            if finO { return "S2" }
            if finR { return "S3" }
            return "S1"
        case (false, false):
            return "OTH"
        }
    }

    /// Zeek's conn_state for UDP and ICMP: a reply makes it SF.
    var datagramState: String {
        seen.contains(.respData) ? "SF" : "S0"
    }
}

/// An Aho-Corasick automaton over ASCII-lower-cased bytes, reporting for each needle found the
/// rules (local indices) that need it.
///
/// The transitions are a full DFA over byte classes: every byte that occurs in no needle shares
/// class 0, and an upper-case ASCII letter shares its lower-case letter's class, so scanning lowers
/// ASCII for free and each byte costs one table load. Immutable after `init`, so shared freely.
/// A class so that handing it around retains one object, not its four tables (as a struct it was
/// a quarter of stateless matching's time in retain/release and array copies).
final class PrefilterAutomaton: Sendable {
    private let classOf: [UInt8]
    private let classCount: Int
    private let delta: [Int32]
    /// `outputs[outputStart[s] ..< outputStart[s + 1]]` are the rules a match ending in state s marks.
    private let outputStart: [Int32]
    private let outputs: [Int32]

    /// `needles` are lower-cased already (ASCII); each maps to the local rule indices it marks.
    init(needles: [[UInt8]: Set<Int32>]) {
        var classOf = [UInt8](repeating: 0, count: 256)
        let used = Set(needles.keys.joined())
        let width: Int
        if used.count < 255 {
            for (offset, byte) in used.sorted().enumerated() { classOf[Int(byte)] = UInt8(offset + 1) }
            width = used.count + 1
        } else {
            for byte in 0..<256 { classOf[byte] = UInt8(byte) }
            width = 256
        }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { classOf[Int(byte)] = classOf[Int(byte | 0x20)] }
        var delta: [Int32] = Array(repeating: -1, count: width)
        var stateOutputs: [Set<Int32>] = [[]]
        for (needle, rules) in needles {
            var state = 0
            for byte in needle {
                let slot = state * width + Int(classOf[Int(byte)])
                if delta[slot] < 0 {
                    delta[slot] = Int32(stateOutputs.count)
                    stateOutputs.append([])
                    delta += repeatElement(-1, count: width)
                }
                state = Int(delta[slot])
            }
            stateOutputs[state].formUnion(rules)
        }
        var failure = [Int](repeating: 0, count: stateOutputs.count)
        var queue: [Int] = [0]
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            for symbol in 0..<width {
                let slot = state * width + symbol
                let child = Int(delta[slot])
                if child >= 0 {
                    let fallback = state == 0 ? 0 : Int(delta[failure[state] * width + symbol])
                    failure[child] = fallback
                    stateOutputs[child].formUnion(stateOutputs[fallback])
                    queue.append(child)
                } else {
                    delta[slot] = state == 0 ? 0 : delta[failure[state] * width + symbol]
                }
            }
        }
        var outputStart: [Int32] = [0]
        var outputs: [Int32] = []
        for rules in stateOutputs {
            outputs += rules.sorted()
            outputStart.append(Int32(outputs.count))
        }
        self.classOf = classOf
        self.classCount = width
        self.delta = delta
        self.outputStart = outputStart
        self.outputs = outputs
    }

    /// Marks in `bits` the rules of every needle found in `text` (ASCII case ignored).
    @inline(__always)
    func scan(_ text: UnsafeBufferPointer<UInt8>, into bits: UnsafeMutableBufferPointer<UInt64>) {
        classOf.withUnsafeBufferPointer { classOf in
            delta.withUnsafeBufferPointer { delta in
                outputStart.withUnsafeBufferPointer { outputStart in
                    var state = 0
                    for byte in text {
                        state = Int(delta[state &* classCount &+ Int(classOf[Int(byte)])])
                        var start = Int(outputStart[state])
                        let end = Int(outputStart[state &+ 1])
                        while start < end {
                            let rule = Int(outputs[start])
                            bits[rule >> 6] |= 1 << UInt64(rule & 63)
                            start += 1
                        }
                    }
                }
            }
        }
    }
}

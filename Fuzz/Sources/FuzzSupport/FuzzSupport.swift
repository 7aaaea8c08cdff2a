import CLibFuzzer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VigilCore

/// Sequential reader over the libFuzzer input. Every read is clipped to what is left, so a harness
/// never needs to validate the input itself.
public struct FuzzInput {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = UnsafeRawBufferPointer(start: data, count: size)
    }

    public var remaining: Int { bytes.count - offset }
    public var isEmpty: Bool { remaining == 0 }

    /// The next byte, or 0 once the input is exhausted (so short inputs still run).
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `n` bytes (fewer at the end).
    public mutating func take(_ n: Int) -> UnsafeRawBufferPointer {
        let n = max(0, min(n, remaining))
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    public mutating func rest() -> UnsafeRawBufferPointer { take(remaining) }
}

/// Runs `body` on a copy of `bytes` in its own exactly-sized heap block, so AddressSanitizer reports
/// a read even one byte past (or before) the slice the decoder was given, not only past the whole input.
@inline(never)
public func withExactCopy<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows
    -> R
{
    let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    defer { block.deallocate() }
    if bytes.count > 0 { block.copyMemory(from: bytes) }
    return try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(block)[0..<bytes.count]))
}

/// Cuts a payload into feeds whose sizes derive from a selector byte: the fuzzer mutating that byte
/// explores different segmentations of the same stream (byte-at-a-time, small, medium, whole).
public struct Splitter {
    var state: UInt32
    let maxChunk: Int

    public init(selector: UInt8) {
        state = 0x9E37_79B9 ^ (UInt32(selector) &* 0x0101_0101)
        if state == 0 { state = 1 }
        switch selector & 0x07 {
        case 0: maxChunk = 1
        case 1: maxChunk = 3
        case 2: maxChunk = 8
        case 3: maxChunk = 17
        case 4: maxChunk = 64
        case 5: maxChunk = 300
        case 6: maxChunk = 1500
        default: maxChunk = Int.max  // one feed
        }
    }

    mutating func next() -> UInt32 {
        // xorshift32
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return state
    }

    public mutating func nextSize() -> Int {
        maxChunk == Int.max ? Int.max : 1 + Int(next() % UInt32(min(maxChunk, 1 << 30)))
    }

    /// Calls `body` with each consecutive feed (each an exact heap copy) and its index.
    public mutating func split(_ payload: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) -> Void) {
        var offset = 0
        var index = 0
        while offset < payload.count {
            let n = min(nextSize(), payload.count - offset)
            withExactCopy(UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + n)])) { body($0, index) }
            offset += n
            index += 1
        }
    }
}

/// A timestamp that moves forward with each feed.
public func fuzzTime(_ index: Int) -> Timestamp { Timestamp(microseconds: 1_700_000_000_000_000 + Int64(index) * 1_000) }

/// Results are folded in here so the optimizer cannot drop the work that produced them.
nonisolated(unsafe) public var fuzzSink = 0

@inline(never)
public func consume<T: Hashable>(_ value: T) { fuzzSink &+= value.hashValue }

@inline(never)
public func consume(_ s: String) { fuzzSink &+= s.utf8.count }

/// Runs libFuzzer's driver on the process's command line with `testOneInput` (the target's
/// `LLVMFuzzerTestOneInput`), then exits with its status. Called from each target's main.swift.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

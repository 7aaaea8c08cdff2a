import CZlib

/// Streaming zlib inflate for HTTP `Content-Encoding: gzip/deflate`, with the output capped so a
/// compression bomb costs at most `limit` bytes.
///
/// A class because `z_stream` must keep a stable address while zlib holds pointers into it.
final class Inflater {
    enum Format { case gzipOrZlib, raw }

    private let stream: UnsafeMutablePointer<z_stream>
    private var open = false
    private(set) var failed = false
    private(set) var finished = false
    private let limit: Int
    private var triedRaw = false
    /// All input so far, while no output has come: replayed as raw deflate if the zlib/gzip header check
    /// fails, however the first bytes were split across feeds. Nil once it would exceed `replayLimit`.
    private var replay: [UInt8]? = []
    private static let replayLimit = 65_536
    private(set) var output: [UInt8] = []

    init(format: Format, limit: Int) {
        self.limit = limit
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        start(format)
    }

    deinit {
        if open { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    private func start(_ format: Format) {
        if open { inflateEnd(stream) }
        stream.pointee = z_stream()
        // 32 + 15: detect a gzip or zlib header; -15: raw deflate.
        let bits: Int32 = format == .gzipOrZlib ? 47 : -15
        open = vigil_inflateInit2(stream, bits) == Z_OK
        failed = !open
    }

    var isFull: Bool { output.count >= limit }

    /// Inflates `input`, appending to `output` until the limit; returns false once decoding failed.
    @discardableResult
    func feed(_ input: UnsafeRawBufferPointer) -> Bool {
        guard open, !failed, !finished, !isFull, input.count > 0 else { return !failed }
        if !triedRaw, replay != nil {
            if replay!.count + input.count <= Self.replayLimit {
                replay!.append(contentsOf: input)
            } else {
                replay = nil
            }
        }
        var result: Int32 = Z_OK
        input.withMemoryRebound(to: UInt8.self) { buf in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: buf.baseAddress)
            stream.pointee.avail_in = UInt32(buf.count)
            // Inflate straight into `output`: no scratch buffer, no copy. A small limit (an HTTP body
            // prefix) is reserved at once; a large one (an ingest batch) grows as output comes.
            if output.capacity == 0 { output.reserveCapacity(min(limit, 65_536)) }
            while stream.pointee.avail_in > 0, output.count < limit {
                let before = output.count
                let room = min(16_384, limit - before)
                output.append(contentsOf: repeatElement(0, count: room))
                result = output.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress! + before
                    stream.pointee.avail_out = UInt32(room)
                    return inflate(stream, Z_NO_FLUSH)
                }
                let produced = room - Int(stream.pointee.avail_out)
                output.removeLast(room - produced)
                if result == Z_STREAM_END { finished = true; break }
                if result != Z_OK && result != Z_BUF_ERROR { break }
                if result == Z_BUF_ERROR && produced == 0 { break }
            }
        }
        if result == Z_DATA_ERROR, !triedRaw, output.isEmpty, let saved = replay {
            // "deflate" is sent both zlib-wrapped (as specified) and raw (as some servers do).
            triedRaw = true
            replay = nil
            start(.raw)
            return saved.withUnsafeBytes { feed($0) }
        }
        if !output.isEmpty { replay = nil }
        if result != Z_OK, result != Z_STREAM_END, result != Z_BUF_ERROR { failed = true }
        return !failed
    }
}

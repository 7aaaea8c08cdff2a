import Foundation

/// Reads a file ahead, in order, on a thread of its own, into a few buffers that are handed over and
/// back: the thread that decodes the bytes makes no system call and spends no time on the kernel's
/// copy (about a tenth of the capture thread's time on a large capture, Benchmarks/README.md).
///
/// Each buffer keeps `headroom` bytes free in front of the `chunkSize` bytes read into it, so the
/// consumer can put the unread tail of the previous buffer (part of a record) right before the new
/// bytes and read on without copying the rest.
final class ReadAheadFile: @unchecked Sendable {
    // @unchecked: every mutable property (`free`, `filled`, `stopping`, `finished`) is read and
    // written only under `condition`'s lock. A buffer's bytes are written by the reading thread only
    // between taking it from `free` and putting it in `filled`, and touched by the consumer only
    // between `take()` and `release(_:)`: a buffer is never in both hands.

    /// A buffer of read bytes: `count` bytes at `headroom`; fewer than `chunkSize` means the file
    /// ended (or `error` happened) after them.
    struct Chunk {
        let index: Int
        let count: Int
        /// `errno` of a failed read, or 0.
        let error: Int32
    }

    let chunkSize: Int
    let headroom: Int
    private let buffers: [UnsafeMutableRawPointer]
    private let condition = NSCondition()
    private var free: [Int]
    private var filled: [Chunk] = []
    private var stopping = false
    private var finished = false

    /// Starts reading `fd` at `offset` (with `pread`: the descriptor's own offset is left alone).
    /// `fd` must stay open until `stop()` returns.
    init(fd: Int32, from offset: Int64, chunkSize: Int, headroom: Int, buffers count: Int = 4) {
        self.chunkSize = chunkSize
        self.headroom = headroom
        buffers = (0..<count).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: headroom + chunkSize, alignment: 16)
        }
        free = Array(0..<count)
        let thread = Thread { [self] in run(fd, from: offset) }
        thread.name = "vigil-read-ahead"
        thread.start()
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// The start of buffer `index` (its bytes begin at `headroom`).
    func buffer(_ index: Int) -> UnsafeMutableRawPointer { buffers[index] }

    /// The next buffer of the file, waiting for it if need be. Not to be called again after a chunk
    /// shorter than `chunkSize`.
    func take() -> Chunk {
        condition.lock()
        defer { condition.unlock() }
        while filled.isEmpty, !finished { condition.wait() }
        // `finished` with nothing filled only after a misuse (a call past the end): an empty end.
        return filled.isEmpty ? Chunk(index: -1, count: 0, error: 0) : filled.removeFirst()
    }

    /// Gives a buffer from `take()` back to be read into again.
    func release(_ index: Int) {
        guard index >= 0 else { return }
        condition.lock()
        free.append(index)
        condition.signal()
        condition.unlock()
    }

    /// Stops the reading thread and waits until it has left (and no longer reads `fd`).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run(_ fd: Int32, from start: Int64) {
        var offset = off_t(start)
        while true {
            condition.lock()
            while free.isEmpty, !stopping { condition.wait() }
            if stopping {
                finish()
                return
            }
            let index = free.removeFirst()
            condition.unlock()

            // The whole chunk unless the file ends first: a short chunk marks the end.
            let target = buffers[index] + headroom
            var count = 0
            var error: Int32 = 0
            while count < chunkSize {
                let n = pread(fd, target + count, chunkSize - count, offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    error = errno
                    break
                }
                if n == 0 { break }
                count += n
                offset += off_t(n)
            }

            condition.lock()
            filled.append(Chunk(index: index, count: count, error: error))
            condition.broadcast()
            if count < chunkSize || error != 0 {
                finish()
                return
            }
            condition.unlock()
        }
    }

    /// Marks the thread gone; called with the lock held, releases it.
    private func finish() {
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}

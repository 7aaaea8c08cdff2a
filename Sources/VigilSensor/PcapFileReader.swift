import Glibc
import VigilCore

/// Reads the records of a classic pcap file (the format `tcpdump -w` writes) in native byte order,
/// version 2.4, from a regular file: one `pread(2)` per 128 KiB instead of libpcap's two stdio `fread`s
/// per packet, which cost about as much as the rest of reading (Benchmarks/README.md, session 15).
/// 128 KiB rather than 1 MiB: the packets are decoded while the bytes just read are still in cache.
///
/// libpcap still opens and validates the file (`PcapSource.open(file:)`) and compiles filters;
/// anything else — pcapng, swapped byte order, older versions, pipes — is read by libpcap. The
/// records come out as libpcap hands them over: a record longer than the file's snapshot length is
/// cut to it, a nanosecond file's times are scaled to microseconds, and a file that ends inside a
/// record or gives an impossible length reports the same reason libpcap would.
final class PcapFileReader {
    /// libpcap's largest sane record for the link types Vigil decodes (`max_snaplen_for_dlt`).
    static let maximumCaptureLength = 262_144
    /// The file header that comes before the first record.
    static let fileHeaderLength = 24
    static let recordHeaderLength = 16
    private static let chunk = 1 << 17

    private let fd: Int32
    private let snapshot: Int
    private let nanoseconds: Bool
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    /// Unread bytes are `buffer[start..<end]`.
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// Where the next read starts in the file.
    private var offset = off_t(fileHeaderLength)

    /// Reads the file libpcap opened as `libpcapFile` (the descriptor of `pcap_file`), or returns nil
    /// when libpcap should read it: not a regular file, or not a native-order version 2.4 classic
    /// pcap. The path is never opened again, so the file read is the one libpcap checked, even if
    /// the path is swapped meanwhile. `snapshot` is libpcap's snapshot length for the file
    /// (`pcap_snapshot`), which can differ from the header's for some old files.
    init?(libpcapFile: Int32, snapshot: Int) {
        // A copy of the descriptor, read at explicit offsets (`pread`): libpcap's stdio buffer has
        // moved the offset the two share, and it reads nothing more once this reader is used. Only a
        // regular file: libpcap is reading a pipe or a FIFO as a stream that must stay whole.
        var info = stat()
        guard libpcapFile >= 0, fstat(libpcapFile, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let fd = fcntl(libpcapFile, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { return nil }
        var header = [UInt8](repeating: 0, count: Self.fileHeaderLength)
        guard
            header.withUnsafeMutableBytes({ Self.readFully(fd, $0.baseAddress!, $0.count, at: 0) })
                == Self.fileHeaderLength,
            let format = Self.format(header)
        else {
            Glibc.close(fd)
            return nil
        }
        self.fd = fd
        self.snapshot = max(0, min(snapshot, Int(Int32.max)))
        nanoseconds = format
        capacity = Self.chunk + Self.recordHeaderLength + Self.maximumCaptureLength
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit {
        buffer.deallocate()
        Glibc.close(fd)
    }

    /// Whether the file header is a native-order classic pcap 2.4 header: nil if not, else whether
    /// its times are in nanoseconds.
    static func format(_ header: [UInt8]) -> Bool? {
        guard header.count >= fileHeaderLength else { return nil }
        let magic = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let major = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt16.self) }
        let minor = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 6, as: UInt16.self) }
        guard major == 2, minor == 4 else { return nil }
        switch magic {
        case 0xA1B2_C3D4: return false
        case 0xA1B2_3C4D: return true
        default: return nil
        }
    }

    /// The next record; its bytes are valid until the following call.
    func next() -> PcapSource.Next {
        if let failure = fill(Self.recordHeaderLength) { return failure }
        let available = end - start
        if available == 0 { return .end }
        if available < Self.recordHeaderLength {
            start = end
            return .truncated(
                "truncated dump file; tried to read \(Self.recordHeaderLength) header bytes, only got \(available)")
        }
        let header = buffer + start
        let seconds = Int64(Int32(bitPattern: header.loadUnaligned(as: UInt32.self)))
        var fraction = Int64(Int32(bitPattern: header.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        let captured = Int(header.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let wire = Int(header.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        if nanoseconds { fraction /= 1000 }
        if captured > Self.maximumCaptureLength {
            start = end
            return .failed(
                captured > snapshot
                    ? "invalid packet capture length \(captured), bigger than snaplen of \(snapshot)"
                    : "invalid packet capture length \(captured), bigger than maximum of \(Self.maximumCaptureLength)")
        }
        // A record longer than the snapshot length is cut to it (libpcap reads and discards the rest).
        let kept = min(captured, snapshot)
        if let failure = fill(Self.recordHeaderLength + captured) { return failure }
        let body = end - start - Self.recordHeaderLength
        if body < captured {
            start = end
            let wanted = body < kept ? kept : captured
            return .truncated("truncated dump file; tried to read \(wanted) captured bytes, only got \(body)")
        }
        let data = buffer + start + Self.recordHeaderLength
        start += Self.recordHeaderLength + captured
        return .packet(
            time: Timestamp(seconds: seconds, microseconds: fraction),
            bytes: UnsafeRawBufferPointer(start: data, count: kept), wireLength: wire)
    }

    /// Makes at least `count` unread bytes available unless the file ends first; nil, or the read
    /// error.
    private func fill(_ count: Int) -> PcapSource.Next? {
        guard end - start < count, !atEOF else { return nil }
        if start > 0 {
            buffer.copyMemory(from: buffer + start, byteCount: end - start)
            end -= start
            start = 0
        }
        while end < count, !atEOF {
            let n = pread(fd, buffer + end, min(Self.chunk, capacity - end), offset)
            if n < 0 {
                if errno == EINTR { continue }
                return .failed("error reading dump file: \(String(cString: strerror(errno)))")
            }
            if n == 0 { atEOF = true }
            end += n
            offset += off_t(n)
        }
        return nil
    }

    private static func readFully(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, at offset: off_t) -> Int {
        var got = 0
        while got < count {
            let n = pread(fd, p + got, count - got, offset + off_t(got))
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return got
    }
}

import CPcap
import Glibc
import VigilCore
import VigilDecode

/// A libpcap capture handle: an offline file (pcap or pcapng) or a live interface, with an
/// optional BPF filter. Blocking: drive it from a dedicated thread (`CaptureThread`), never from
/// the Swift concurrency pool.
public final class PcapSource {
    public enum Next {
        case packet(time: Timestamp, bytes: UnsafeRawBufferPointer, wireLength: Int)
        /// Live capture: the read timeout passed with no packet.
        case idle
        case end
        /// The file ended mid-record (a capture cut short); the reason is libpcap's.
        case truncated(String)
        case failed(String)
    }

    public struct Stats: Sendable, Equatable {
        public var received: UInt32
        public var dropped: UInt32
        public var interfaceDropped: UInt32
    }

    /// Options for a live capture.
    public struct LiveOptions: Sendable {
        public var snaplen: Int32 = 262_144
        public var promiscuous = false
        public var bufferSize: Int32 = 8 << 20
        public var readTimeoutMs: Int32 = 100
        /// Off (the default), libpcap on Linux uses a TPACKET_V3 ring of blocks that packets fill
        /// back to back, handed over when a block is full or `readTimeoutMs` has passed. On, it uses
        /// TPACKET_V2 with one slot per packet sized for the interface's largest frame: on `lo`
        /// (64 KiB frames) a 32 MiB ring then holds about 500 packets, and the sensor dropped at
        /// 100 Mbps with CPU to spare; off, it captured all of 400 Mbps (Benchmarks/README.md, "Live
        /// capture"). Immediate mode only saves the read timeout's latency.
        public var immediate = false
        public init() {}
    }

    private let handle: OpaquePointer
    public let linkType: LinkType
    public let isLive: Bool
    public let name: String
    private var pollFD: Int32 = -1
    private var pollTimeoutMs: Int32 = 100
    /// Reads a classic pcap file's records itself (libpcap opened and validated it); nil for other
    /// formats and for live captures.
    private let fileReader: PcapFileReader?
    /// `fileReader`, reached per packet without a retain and release each time (a `let` still got
    /// them, ≈ 1 % of the capture thread); `fileReader` keeps it alive as long as the source.
    private let unretainedFileReader: Unmanaged<PcapFileReader>?
    /// The installed filter, kept to run on `fileReader`'s records (libpcap runs its own copy).
    private var program: bpf_program?

    private init(
        handle: OpaquePointer, name: String, isLive: Bool, fileReader: PcapFileReader? = nil
    ) throws(VigilError) {
        self.handle = handle
        self.fileReader = fileReader
        unretainedFileReader = fileReader.map { Unmanaged.passUnretained($0) }
        self.name = name
        self.isLive = isLive
        let dlt = pcap_datalink(handle)
        guard let type = LinkType(dlt: dlt) else {
            pcap_close(handle)
            let dltName = pcap_datalink_val_to_name(dlt).map { String(cString: $0) as String } ?? "DLT \(dlt)"
            throw VigilError(.notACapture, "\(name): unsupported link type \(dltName) (\(dlt))")
        }
        linkType = type
    }

    deinit {
        if var program { pcap_freecode(&program) }
        pcap_close(handle)
    }

    /// Opens a capture file; a file that is not a capture gets `.notACapture` naming it and why.
    /// - Parameter ownReader: read a classic pcap file's records with `PcapFileReader` (faster);
    ///   false reads every record through libpcap (tests compare the two).
    public static func open(file path: String, ownReader: Bool = true) throws(VigilError) -> PcapSource {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &errbuf) else {
            let reason = String(errorBuffer: errbuf)
            let code: VigilError.Code =
                reason.contains("No such file") || reason.contains("Permission denied")
                    || reason.contains("Is a directory") ? .io : .notACapture
            let prefix = "\(path): "
            let message = reason.hasPrefix(prefix) ? String(reason.dropFirst(prefix.count)) : reason
            return try fail(VigilError(code, "\(path): \(code == .io ? "" : "not a capture file: ")\(message)"))
        }
        return try PcapSource(
            handle: h, name: path, isLive: false,
            fileReader: ownReader
                ? PcapFileReader(libpcapFile: pcap_file(h).map(fileno) ?? -1, snapshot: Int(pcap_snapshot(h))) : nil)
    }

    /// Whether records come from `PcapFileReader` rather than libpcap.
    public var readsRecordsItself: Bool { fileReader != nil }

    private static func fail(_ error: VigilError) throws(VigilError) -> PcapSource { throw error }

    /// Opens a live interface (root or CAP_NET_RAW). Packets arrive within `readTimeoutMs` at most.
    public static func open(interface: String, options: LiveOptions = LiveOptions()) throws(VigilError) -> PcapSource {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_create(interface, &errbuf) else {
            throw VigilError(.captureOpen, "\(interface): \(String(errorBuffer: errbuf))")
        }
        pcap_set_snaplen(h, options.snaplen)
        pcap_set_promisc(h, options.promiscuous ? 1 : 0)
        pcap_set_timeout(h, options.readTimeoutMs)
        pcap_set_buffer_size(h, options.bufferSize)
        pcap_set_immediate_mode(h, options.immediate ? 1 : 0)
        let status = pcap_activate(h)
        if status < 0 {
            let reason = String(cString: pcap_geterr(h))
            pcap_close(h)
            let hint = status == PCAP_ERROR_PERM_DENIED ? " (needs root or CAP_NET_RAW)" : ""
            throw VigilError(.captureOpen, "\(interface): cannot capture: \(reason)\(hint)")
        }
        // Non-blocking reads plus our own poll with a timeout: libpcap's TPACKET_V3 reader keeps
        // polling past the read timeout, so a blocking pcap_next_ex would never let us check for stop.
        guard pcap_setnonblock(h, 1, &errbuf) == 0 else {
            pcap_close(h)
            throw VigilError(.captureOpen, "\(interface): \(String(errorBuffer: errbuf))")
        }
        let source = try PcapSource(handle: h, name: interface, isLive: true)
        source.pollFD = pcap_get_selectable_fd(h)
        source.pollTimeoutMs = options.readTimeoutMs
        return source
    }

    /// Compiles and installs a tcpdump-syntax filter; a bad expression names the problem.
    public func setFilter(_ expression: String) throws(VigilError) {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw VigilError(.badFilter, "bad --bpf filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        guard pcap_setfilter(handle, &program) == 0 else {
            pcap_freecode(&program)
            throw VigilError(.badFilter, "cannot set filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        if var old = self.program { pcap_freecode(&old) }
        self.program = program
    }

    /// The next packet. The bytes are valid only until the following call.
    public func next() -> Next {
        if let unretainedFileReader {
            return unretainedFileReader._withUnsafeGuaranteedRef { nextFromFile($0) }
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var result = pcap_next_ex(handle, &header, &data)
        if result == 0, pollFD >= 0 {
            var fd = pollfd(fd: pollFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&fd, 1, pollTimeoutMs)
            result = pcap_next_ex(handle, &header, &data)
        }
        switch result {
        case 1:
            let h = header!.pointee
            let time = Timestamp(seconds: Int64(h.ts.tv_sec), microseconds: Int64(h.ts.tv_usec))
            return .packet(
                time: time, bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)),
                wireLength: Int(h.len))
        case 0: return .idle
        case PCAP_ERROR_BREAK: return .end
        default:
            let reason = String(cString: pcap_geterr(handle))
            if !isLive, reason.contains("truncated") { return .truncated(reason) }
            if reason.isEmpty { return .end }
            return .failed(reason)
        }
    }

    private func nextFromFile(_ reader: PcapFileReader) -> Next {
        guard var program else { return reader.next() }
        while true {
            let next = reader.next()
            guard case .packet(_, let bytes, let wireLength) = next else { return next }
            // The filter reads only the lengths and the bytes.
            var header = pcap_pkthdr()
            header.caplen = UInt32(bytes.count)
            header.len = UInt32(truncatingIfNeeded: wireLength)
            let pass = pcap_offline_filter(&program, &header, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
            if pass != 0 { return next }
        }
    }

    /// Makes a blocked `next()` return; safe from another thread.
    public func breakLoop() { pcap_breakloop(handle) }

    /// Kernel counters of a live capture (nil for files).
    public func stats() -> Stats? {
        guard isLive else { return nil }
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return nil }
        return Stats(received: s.ps_recv, dropped: s.ps_drop, interfaceDropped: s.ps_ifdrop)
    }
}

extension String {
    init(errorBuffer: [CChar]) {
        let bytes = errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}

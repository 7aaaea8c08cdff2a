import Foundation
import FuzzSupport
import VigilCore
import VigilSensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Snapshot lengths the file header can give: the usual ones, then 0 and two above libpcap's maximum
/// of 262 144 (libpcap uses its maximum for those, `pcap_snapshot` says which).
let snaplens: [UInt32] = [64, 100, 1514, 65_535, 262_144, 0, 262_145, 0xFFFF_FFFF]
/// Ethernet, RAW, LINUX_SLL (file link types), Ethernet again to fill two bits.
let linkTypes: [UInt32] = [1, 101, 113, 1]
let filters = ["udp", "tcp port 80"]
/// More records than a 4 KiB input can hold (16 bytes each at least).
let maxRecords = 10_000
/// `PcapFileReader` reads the record area in chunks of this size; a lead-in of records puts the fuzzed
/// records across the first chunk's end, so its refill (keep the unread part, read on) is compared too.
let chunk = 1 << 20

/// One file per process, rewritten for every input; removed at exit.
let path: String = {
    atexit { removeFile() }
    return FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-pcap-\(getpid()).pcap").path
}()

func removeFile() { unlink(path) }

/// Input: [config][lead][record area...]. Writes a classic pcap file: a 24-byte header built from
/// config, then the record area as it is (the fuzzer mutates record headers, lengths and data), and
/// reads it with Vigil's own reader (`PcapSource.open(file:)`) and through libpcap (`ownReader: false`).
/// Both must give the same records (time, bytes, wire length) and end the same way (end, or the same
/// truncated/failed reason). config bit 0: nanosecond magic 0xA1B23C4D (else 0xA1B2C3D4); bits 1-3:
/// snaplen (`snaplens`); bits 4-5: link type (`linkTypes`); bit 6: install a BPF filter on both,
/// bit 7 picks which (`filters`). lead >= 0xF0: four all-zero records (a sparse MiB) come first, so
/// the record area starts `(lead & 0x0F) * 101` bytes before the reader's first 1 MiB chunk ends
/// (slower: 1/16 of lead values).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let config = input.byte()
    let magic: UInt32 = config & 1 != 0 ? 0xA1B2_3C4D : 0xA1B2_C3D4
    let snaplen = snaplens[Int(config >> 1) & 7]
    let linkType = linkTypes[Int(config >> 4) & 3]
    let filter = config & 0x40 != 0 ? filters[Int(config >> 7)] : nil
    let lead = input.byte()
    let leadIn = lead >= 0xF0 ? chunk - Int(lead & 0x0F) * 101 : 0
    let records = input.rest()
    writeFile(magic: magic, snaplen: snaplen, linkType: linkType, leadIn: leadIn, records: records)

    // Only built for a failure message.
    func what() -> String {
        "magic \(String(magic, radix: 16)) snaplen \(snaplen) link \(linkType) filter \(filter ?? "none"), "
            + "\(leadIn) bytes of lead-in records, \(records.count) record bytes"
    }
    let own: PcapSource
    let libpcap: PcapSource
    switch (Result { () throws(VigilError) in try PcapSource.open(file: path) },
        Result { () throws(VigilError) in try PcapSource.open(file: path, ownReader: false) })
    {
    case (.success(let a), .success(let b)):
        own = a
        libpcap = b
    case (.failure(let a), .failure(let b)):
        consume(a.description)
        consume(b.description)
        return 0
    case (.success, .failure(let e)), (.failure(let e), .success):
        fatalError("FuzzPcapFile: only one open failed (\(what())): \(e)")
    }
    check(own.readsRecordsItself, "own reader not used (\(what()))")
    check(!libpcap.readsRecordsItself, "ownReader: false still read records itself (\(what()))")
    if let filter {
        let a = Result { () throws(VigilError) in try own.setFilter(filter) }
        let b = Result { () throws(VigilError) in try libpcap.setFilter(filter) }
        switch (a, b) {
        case (.success, .success): break
        case (.failure, .failure): return 0
        default: fatalError("FuzzPcapFile: filter '\(filter)' installed on one source only (\(what()))")
        }
    }

    // Both in lockstep: each record is compared as it comes (its bytes are valid until the next call).
    for index in 0..<maxRecords {
        let a = own.next()
        let b = libpcap.next()
        if case .packet(let ta, let ba, let wa) = a, case .packet(let tb, let bb, let wb) = b {
            if ta.microseconds != tb.microseconds || wa != wb || ba.count != bb.count
                || (ba.count > 0 && memcmp(ba.baseAddress!, bb.baseAddress!, ba.count) != 0)
            {
                mismatch(index, a, b, what())
            }
            consume(wa &+ ba.count &+ Int(truncatingIfNeeded: ta.microseconds))
            continue
        }
        if !sameEnding(a, b) { mismatch(index, a, b, what()) }
        return 0
    }
    return 0
}

/// Writes the file header, `leadIn` bytes of four all-zero records (none when 0) and `records` to
/// `path`, replacing what was there.
func writeFile(magic: UInt32, snaplen: UInt32, linkType: UInt32, leadIn: Int, records: UnsafeRawBufferPointer) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    check(fd >= 0, "cannot create \(path): \(String(cString: strerror(errno)))")
    defer { close(fd) }
    withUnsafeTemporaryAllocation(byteCount: 24, alignment: 4) { header in
        // Native byte order, version 2.4, thiszone 0, sigfigs 0.
        header.storeBytes(of: magic, toByteOffset: 0, as: UInt32.self)
        header.storeBytes(of: 2, toByteOffset: 4, as: UInt16.self)
        header.storeBytes(of: 4, toByteOffset: 6, as: UInt16.self)
        header.storeBytes(of: 0, toByteOffset: 8, as: UInt32.self)
        header.storeBytes(of: 0, toByteOffset: 12, as: UInt32.self)
        header.storeBytes(of: snaplen, toByteOffset: 16, as: UInt32.self)
        header.storeBytes(of: linkType, toByteOffset: 20, as: UInt32.self)
        writeAll(fd, UnsafeRawBufferPointer(header), at: 0)
    }
    var offset = 24
    if leadIn > 0 {
        // Only the record headers are written: the bytes between them are a hole, read as zeros.
        var left = leadIn - 4 * 16
        for i in 0..<4 {
            let captured = i == 3 ? left : min(left, 262_144)
            left -= captured
            withUnsafeTemporaryAllocation(byteCount: 16, alignment: 4) { header in
                header.storeBytes(of: 0, toByteOffset: 0, as: UInt32.self)
                header.storeBytes(of: UInt32(i), toByteOffset: 4, as: UInt32.self)
                header.storeBytes(of: UInt32(captured), toByteOffset: 8, as: UInt32.self)
                header.storeBytes(of: UInt32(captured), toByteOffset: 12, as: UInt32.self)
                writeAll(fd, UnsafeRawBufferPointer(header), at: offset)
            }
            offset += 16 + captured
        }
        if records.isEmpty { check(ftruncate(fd, off_t(offset)) == 0, "cannot extend \(path)") }
    }
    writeAll(fd, records, at: offset)
}

func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) {
    var done = 0
    while done < bytes.count {
        let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
        if n < 0, errno == EINTR { continue }
        check(n > 0, "cannot write \(path): \(String(cString: strerror(errno)))")
        done += n
    }
}

/// `precondition` that also prints its message in release builds (where precondition's is dropped).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("FuzzPcapFile: \(message())") }
}

/// Whether two results that are not both packets end the same way (a packet and an ending do not).
func sameEnding(_ a: PcapSource.Next, _ b: PcapSource.Next) -> Bool {
    switch (a, b) {
    case (.end, .end), (.idle, .idle): return true
    case (.truncated(let x), .truncated(let y)), (.failed(let x), .failed(let y)):
        consume(x)
        return x == y
    default: return false
    }
}

func describe(_ next: PcapSource.Next) -> String {
    switch next {
    case .packet(let time, let bytes, let wireLength):
        let head = bytes.prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
        return "packet @\(time.microseconds) \(bytes.count)/\(wireLength) bytes [\(head)\(bytes.count > 16 ? " ..." : "")]"
    case .idle: return "idle"
    case .end: return "end"
    case .truncated(let reason): return "truncated: \(reason)"
    case .failed(let reason): return "failed: \(reason)"
    }
}

func mismatch(_ index: Int, _ own: PcapSource.Next, _ libpcap: PcapSource.Next, _ what: String) -> Never {
    var detail = ""
    if case .packet(_, let a, _) = own, case .packet(_, let b, _) = libpcap, a.count == b.count,
        let at = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
    {
        detail = "; bytes differ first at offset \(at)"
    }
    fatalError(
        "FuzzPcapFile: own reader and libpcap differ at record \(index) (lead-in records count) (\(what)):\n  own:     \(describe(own))\n"
            + "  libpcap: \(describe(libpcap))\(detail)")
}

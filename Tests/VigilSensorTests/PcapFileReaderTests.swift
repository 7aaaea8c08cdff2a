import Foundation
import Testing
import VigilCore

@testable import VigilSensor

/// Vigil's own reader of classic pcap files must hand over exactly what libpcap does: the same
/// records, times and lengths, and the same ending (clean end, cut record, impossible length).
@Suite("PcapFileReader")
struct PcapFileReaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pcap")

    /// One record as a test sees it.
    struct Record: Equatable, CustomStringConvertible {
        var time: Int64
        var bytes: [UInt8]
        var wireLength: Int
        var description: String { "@\(time) \(bytes.count)/\(wireLength) bytes" }
    }

    /// Every record of a source, and how it ended (`end`, `truncated: …`, `failed: …`); bounded.
    static func drain(_ source: PcapSource, limit: Int = 100_000) -> (records: [Record], ending: String) {
        var records: [Record] = []
        for _ in 0..<limit {
            switch source.next() {
            case .packet(let time, let bytes, let wireLength):
                records.append(Record(time: time.microseconds, bytes: Array(bytes), wireLength: wireLength))
            case .idle: return (records, "idle")
            case .end: return (records, "end")
            case .truncated(let reason): return (records, "truncated: \(reason)")
            case .failed(let reason): return (records, "failed: \(reason)")
            }
        }
        return (records, "limit")
    }

    /// Reads `path` both ways, checks the fast path was taken, and returns both results.
    static func both(_ path: String, filter: String? = nil) throws -> (
        own: [Record], ownEnding: String, libpcap: [Record], libpcapEnding: String
    ) {
        let own = try PcapSource.open(file: path)
        let reference = try PcapSource.open(file: path, ownReader: false)
        #expect(own.readsRecordsItself)
        #expect(!reference.readsRecordsItself)
        if let filter {
            try own.setFilter(filter)
            try reference.setFilter(filter)
        }
        let a = drain(own)
        let b = drain(reference)
        return (a.records, a.ending, b.records, b.ending)
    }

    /// A classic pcap file: header (native order) and records given as (seconds, fraction, captured
    /// length field, wire length, bytes actually present).
    static func write(
        magic: UInt32 = 0xA1B2_C3D4, snaplen: UInt32 = 65_535, linkType: UInt32 = 1,
        records: [(UInt32, UInt32, UInt32, UInt32, [UInt8])], tail: [UInt8] = []
    ) throws -> String {
        var data: [UInt8] = []
        func put32(_ v: UInt32) { withUnsafeBytes(of: v) { data.append(contentsOf: $0) } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v) { data.append(contentsOf: $0) } }
        put32(magic)
        put16(2)
        put16(4)
        put32(0)
        put32(0)
        put32(snaplen)
        put32(linkType)
        for (sec, frac, cap, wire, bytes) in records {
            put32(sec)
            put32(frac)
            put32(cap)
            put32(wire)
            data.append(contentsOf: bytes)
        }
        data.append(contentsOf: tail)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vigil-reader-\(UUID().uuidString).pcap"
        ).path
        try Data(data).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func frame(_ size: Int, seed: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }

    @Test("every classic fixture gives libpcap's records and ending; pcapng stays with libpcap")
    func fixturesMatchLibpcap() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).sorted()
        var compared = 0
        for name in names where name.hasSuffix(".pcap") {
            let path = Self.fixtures.appendingPathComponent(name).path
            guard let own = try? PcapSource.open(file: path) else { continue }  // not a capture
            #expect(own.readsRecordsItself, "\(name)")
            let r = try Self.both(path)
            #expect(r.own == r.libpcap, "\(name)")
            #expect(r.ownEnding == r.libpcapEnding, "\(name)")
            compared += 1
        }
        #expect(compared >= 12)
        #expect(try !PcapSource.open(file: Self.fixtures.appendingPathComponent("http.pcapng").path).readsRecordsItself)
        // The cut fixture really ends inside a record.
        let cut = try Self.both(Self.fixtures.appendingPathComponent("truncated.pcap").path)
        #expect(cut.ownEnding.hasPrefix("truncated: truncated dump file"))
    }

    @Test("records across read chunks arrive whole and in order")
    func acrossChunks() throws {
        // 1 200 records of 1 514 bytes: about 1.8 MB, so records straddle the first chunk's end.
        let records = (0..<1200).map { i in
            (UInt32(1_700_000_000 + i), UInt32(i * 7), UInt32(1514), UInt32(1514), Self.frame(1514, seed: i))
        }
        let path = try Self.write(records: records)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try Self.both(path)
        #expect(r.own.count == 1200)
        #expect(r.own == r.libpcap)
        #expect(r.ownEnding == "end")
        #expect(r.own[1199].bytes == Self.frame(1514, seed: 1199))
        #expect(r.own[1199].time == Int64(1_700_001_199) * 1_000_000 + 1199 * 7)
    }

    @Test("records larger than a read chunk arrive whole, among small ones")
    func largerThanChunk() throws {
        // 200 KB records span two or three 128 KiB reads; the small ones between shift the cuts.
        let records = (0..<12).map { i in
            let size = i % 3 == 2 ? 60 : 200_000 + i
            return (UInt32(1_700_000_000 + i), UInt32(i), UInt32(size), UInt32(size), Self.frame(size, seed: i))
        }
        let path = try Self.write(snaplen: 262_144, records: records)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try Self.both(path)
        #expect(r.own.count == 12)
        #expect(r.own == r.libpcap)
        #expect(r.ownEnding == "end")
    }

    @Test("a source dropped in the middle of a file closes both descriptors of it")
    func droppedMidFile() throws {
        let records = (0..<2000).map { i in
            (UInt32(1_700_000_000 + i), UInt32(0), UInt32(1514), UInt32(1514), Self.frame(1514, seed: i))
        }
        let path = try Self.write(records: records)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // This file's descriptors (other tests open and close files meanwhile).
        func openCopies() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
            }
            .count
        }
        for _ in 0..<20 {
            let source = try PcapSource.open(file: path)
            #expect(source.readsRecordsItself)
            guard case .packet = source.next() else {
                Issue.record("no first record")
                return
            }
            #expect(openCopies() == 2, "libpcap's and the reader's copy")
        }
        #expect(openCopies() == 0, "every copy is closed")
    }

    @Test("the file read is the one libpcap opened, even when the path is replaced right after")
    func pathReplacedAfterOpen() throws {
        let first = (0..<300).map { i in
            (UInt32(1_700_000_000 + i), UInt32(0), UInt32(600), UInt32(600), Self.frame(600, seed: i))
        }
        let second = (0..<5).map { i in
            (UInt32(1_600_000_000 + i), UInt32(0), UInt32(60), UInt32(60), Self.frame(60, seed: 99))
        }
        let path = try Self.write(records: first)
        let other = try Self.write(linkType: 101, records: second)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try PcapSource.open(file: path)
        #expect(source.readsRecordsItself)
        #expect(rename(other, path) == 0)
        let got = Self.drain(source)
        #expect(got.ending == "end")
        #expect(got.records.count == 300)
        #expect(got.records.last?.bytes == Self.frame(600, seed: 299))
    }

    @Test("a nanosecond file's times come in microseconds")
    func nanoseconds() throws {
        let path = try Self.write(
            magic: 0xA1B2_3C4D, records: [(1_700_000_000, 123_456_789, 60, 60, Self.frame(60, seed: 1))])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try Self.both(path)
        #expect(r.own == r.libpcap)
        let micros: Int64 = 1_700_000_000 * 1_000_000 + 123_456
        #expect(r.own.first?.time == micros)
    }

    @Test("a record longer than the snapshot length is cut to it, and the next record follows")
    func longerThanSnapshot() throws {
        let path = try Self.write(
            snaplen: 100,
            records: [(1, 0, 150, 150, Self.frame(150, seed: 2)), (2, 0, 60, 60, Self.frame(60, seed: 3))])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try Self.both(path)
        #expect(r.own == r.libpcap)
        #expect(r.own.map(\.bytes.count) == [100, 60])
        #expect(r.own.first?.wireLength == 150)
        #expect(r.own.last?.bytes == Self.frame(60, seed: 3))
    }

    @Test("an impossible captured length fails with libpcap's reason")
    func impossibleLength() throws {
        let path = try Self.write(
            records: [(1, 0, 60, 60, Self.frame(60, seed: 4)), (2, 0, 300_000, 300_000, Self.frame(64, seed: 5))])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try Self.both(path)
        #expect(r.own == r.libpcap)
        #expect(r.own.count == 1)
        #expect(r.ownEnding == "failed: invalid packet capture length 300000, bigger than snaplen of 65535")
        #expect(r.ownEnding == r.libpcapEnding)
    }

    @Test("a file cut in a record header or in record data reports the cut like libpcap")
    func cuts() throws {
        let header = try Self.write(records: [(1, 0, 60, 60, Self.frame(60, seed: 6))], tail: [1, 2, 3, 4, 5])
        let data = try Self.write(records: [
            (1, 0, 60, 60, Self.frame(60, seed: 6)), (2, 0, 500, 500, Self.frame(200, seed: 7)),
        ])
        let cutSnap = try Self.write(snaplen: 100, records: [(1, 0, 300, 300, Self.frame(250, seed: 8))])
        defer { for p in [header, data, cutSnap] { try? FileManager.default.removeItem(atPath: p) } }
        let h = try Self.both(header)
        #expect(h.own.count == 1)
        #expect(h.ownEnding == "truncated: truncated dump file; tried to read 16 header bytes, only got 5")
        #expect(h.ownEnding == h.libpcapEnding)
        let d = try Self.both(data)
        #expect(d.own == d.libpcap)
        #expect(d.ownEnding == "truncated: truncated dump file; tried to read 500 captured bytes, only got 200")
        #expect(d.ownEnding == d.libpcapEnding)
        let s = try Self.both(cutSnap)
        #expect(s.own.isEmpty && s.libpcap.isEmpty)
        #expect(s.ownEnding == s.libpcapEnding)
    }

    @Test("a FIFO is left to libpcap, which reads it whole (a second reader would take its bytes)")
    func fifo() throws {
        // Far larger than stdio's and the pipe's buffers, so most of it is still to come when the
        // FIFO is opened.
        let records = (0..<400).map { i in
            (UInt32(1_700_000_000 + i), UInt32(i), UInt32(1514), UInt32(1514), Self.frame(1514, seed: i))
        }
        let fixture = try Self.write(records: records)
        defer { try? FileManager.default.removeItem(atPath: fixture) }
        let expected = try Self.both(fixture).libpcap
        #expect(expected.count == 400)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The writer side: opening a FIFO blocks until both ends are open.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "exec timeout 20 cat \"$0\" > \"$1\"", fixture, path]
        try writer.run()
        let source = try PcapSource.open(file: path)
        #expect(!source.readsRecordsItself)
        let got = Self.drain(source)
        writer.waitUntilExit()
        #expect(got.records == expected)
        #expect(got.ending == "end")
    }

    @Test("a BPF filter selects the same records on both paths")
    func filter() throws {
        let path = Self.fixtures.appendingPathComponent("sample.pcap").path
        let all = try Self.both(path)
        let udp = try Self.both(path, filter: "udp")
        #expect(udp.own == udp.libpcap)
        #expect(!udp.own.isEmpty)
        #expect(udp.own.count < all.own.count)
    }
}

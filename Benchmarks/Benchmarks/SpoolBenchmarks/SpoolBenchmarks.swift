// The sensor's spool (issue 8): "a durable on-disk queue (SQLite WAL or segment files — justify the
// choice with a measurement)". Each iteration is one durable operation on a batch:
//
// - `Spool.append` of 1 024 event lines (avg 729 B of web.access JSON each) in one fsynced
//   transaction — what the capture writer thread and the log tailer do per batch/commit;
// - the baseline: the same bytes as length-prefixed records appended to a segment file with one
//   write(2) + fsync(2) per batch (a new 64 MiB segment when full, the directory fsynced then);
// - the shipper's side: `Spool.batch(after:maxEvents:2000, maxBytes: 4 MiB)` + `acknowledge` of
//   that batch (a read, then a DELETE in an fsynced transaction), and the same for the segment
//   baseline (read 2 000 records, then write + fsync the acknowledged position to an offset file,
//   unlinking segments read past).
//
// events/s = lines per iteration / wall-clock time per iteration. Files go to Benchmarks/data/
// (a real disk, like /var/lib/vigil), never to a tmpfs.
//
//   swift package --package-path Benchmarks --scratch-path Benchmarks/.build-benchmarks \
//       benchmark --target SpoolBenchmarks

import Benchmark
import Foundation
import VigilCore
import VigilSensor

// MARK: - test data (built in code: same lines on every machine)

/// A deterministic xorshift stream for picking line parts.
private struct Picker {
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> Int {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return Int(truncatingIfNeeded: x >> 1)
    }
    mutating func pick<T>(_ options: [T]) -> T { options[next() % options.count] }
}

private let userAgents = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        + "Version/17.1 Mobile/15E148 Safari/604.1",
    "curl/8.5.0", "python-requests/2.31.0",
]

private let paths: [(String, String?)] = [
    ("/", nil), ("/index.html", nil), ("/api/v1/users", "id=42&page=2"), ("/static/js/app.3f9a1c.js", nil),
    ("/api/v2/orders/918273/items", nil), ("/login", nil), ("/api/v1/search", "q=report+2026&lang=zh"),
    ("/images/banner-1920x1080.webp", nil), ("/service", "id=12&from=portal"),
]

private let referrers = ["-", "https://portal.example.gov.cn/", "https://www.example.gov.cn/service?id=12"]

/// web.access events as the sensor spools them (the nginx decoder's fields, the profile's labels,
/// the sensor's observer.id; JSON as `Event.writeJSON` writes it): 1 024 lines of avg 729 B (the real
/// sensor spools ~735 B per make-access-log.py line).
private let eventLines: [[UInt8]] = {
    var r = Picker()
    return (0..<1024).map { i in
        let (path, query) = r.pick(paths)
        let method = r.pick(["GET", "GET", "GET", "POST"])
        let status = r.pick([200, 200, 200, 304, 404, 500])
        let referrer = r.pick(referrers)
        let id = String(format: "%016llx%016llx", UInt64(truncatingIfNeeded: r.next()), UInt64(i))
        var json = "{\"@timestamp\":\"2026-11-23T17:\(two(i / 60 % 60)):\(two(i % 60)).000000Z\","
        json += "\"event.id\":\"\(id)\","
        json += "\"event.dataset\":\"web.access\",\"observer.id\":\"web-01\",\"event.kind\":\"event\","
        json += "\"log.file.path\":\"/var/log/nginx/access.log\",\"log.offset\":\(i * 187),"
        json += "\"source.ip\":\"10.\(r.next() % 256).\(r.next() % 256).\(r.next() % 254 + 1)\","
        json += "\"http.request.method\":\"\(method)\",\"url.original\":\"\(path)\(query.map { "?" + $0 } ?? "")\","
        json += "\"url.path\":\"\(path)\",\(query.map { "\"url.query\":\"\($0)\"," } ?? "")\"http.version\":\"1.1\","
        json += "\"http.response.status_code\":\(status),\"http.response.body.bytes\":\(r.next() % 20_000),"
        if referrer != "-" { json += "\"http.request.referrer\":\"\(referrer)\"," }
        json += "\"user_agent.original\":\"\(r.pick(userAgents))\","
        json += "\"event.outcome\":\"\(status < 400 ? "success" : "failure")\",\"event.category\":[\"web\"],"
        json += "\"event.type\":[\"access\"],\"labels.department\":\"大数据管理局\","
        json += "\"data.classification\":\"important\"}"
        return Array(json.utf8)
    }
}()

private func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

/// Benchmarks/data/spool-bench/<name>, emptied.
private func freshDirectory(_ name: String) -> String {
    let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/spool-bench/\(name)").path
    try? FileManager.default.removeItem(atPath: data)
    try! FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    return data
}

// MARK: - the segment-file baseline

/// The minimal alternative to the SQLite spool: records `[UInt32 little-endian length][line]`
/// appended to numbered segment files, one write + fsync per batch; the reader's acknowledged
/// position (segment, offset) in a 16-byte file, written and fsynced per acknowledgement.
/// No checksums, no drop-oldest-flows policy, no counters: the cheapest a segment spool can be.
private final class SegmentSpool {
    let directory: String
    let segmentBytes: Int
    private var fd: Int32 = -1
    private var segment = 0
    private var size = 0
    private var buffer: [UInt8] = []
    // Reader side.
    private var readSegment = 0
    private var readOffset = 0
    private var readFD: Int32 = -1
    private var ackFD: Int32 = -1
    private var readBuffer = [UInt8](repeating: 0, count: 256 << 10)

    init(directory: String, segmentBytes: Int = 64 << 20) {
        self.directory = directory
        self.segmentBytes = segmentBytes
        openSegment(0)
        ackFD = open(directory + "/acked", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        precondition(ackFD >= 0)
    }

    deinit {
        close(fd)
        if readFD >= 0 { close(readFD) }
        close(ackFD)
    }

    private func path(_ n: Int) -> String { directory + "/" + String(format: "%08d.seg", n) }

    private func openSegment(_ n: Int) {
        if fd >= 0 { close(fd) }
        segment = n
        size = 0
        fd = open(path(n), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot open \(path(n))")
        // The new name must survive a power cut too.
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        fsync(dir)
        close(dir)
    }

    /// Appends the lines as one durable batch.
    func append(_ lines: [[UInt8]]) {
        buffer.removeAll(keepingCapacity: true)
        for line in lines {
            withUnsafeBytes(of: UInt32(line.count).littleEndian) { buffer.append(contentsOf: $0) }
            buffer.append(contentsOf: line)
        }
        if size > 0 && size + buffer.count > segmentBytes { openSegment(segment + 1) }
        buffer.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0, "write failed")
                done += n
            }
        }
        precondition(fsync(fd) == 0)
        size += buffer.count
    }

    /// Reads up to `maxEvents` records after the acknowledged position, 256 KiB at a time; returns
    /// them (copied out, as the shipper needs them for the request body) and the position after the last.
    func batch(maxEvents: Int) -> (lines: [[UInt8]], segment: Int, offset: Int) {
        var lines: [[UInt8]] = []
        lines.reserveCapacity(maxEvents)
        var seg = readSegment
        var offset = readOffset
        while lines.count < maxEvents {
            if readFD < 0 {
                readFD = open(path(seg), O_RDONLY | O_CLOEXEC)
                if readFD < 0 { break }
            }
            let n = readBuffer.withUnsafeMutableBytes { pread(readFD, $0.baseAddress, $0.count, off_t(offset)) }
            var at = 0
            while lines.count < maxEvents, at + 4 <= n {
                let length = readBuffer.withUnsafeBytes {
                    Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                }
                guard at + 4 + length <= n else { break }
                lines.append(Array(readBuffer[(at + 4)..<(at + 4 + length)]))
                at += 4 + length
            }
            offset += at
            if at == 0 && lines.count < maxEvents {
                // The end of this segment: move on when the writer has.
                guard seg < segment else { break }
                close(readFD)
                readFD = -1
                seg += 1
                offset = 0
            }
        }
        return (lines, seg, offset)
    }

    /// Records the position as acknowledged (fsynced); unlinks segments wholly behind it.
    func acknowledge(segment seg: Int, offset: Int) {
        var record = (UInt64(seg).littleEndian, UInt64(offset).littleEndian)
        let n = withUnsafeBytes(of: &record) { pwrite(ackFD, $0.baseAddress, $0.count, 0) }
        precondition(n == 16 && fsync(ackFD) == 0)
        for old in readSegment..<seg { unlink(path(old)) }
        readSegment = seg
        readOffset = offset
    }
}

// MARK: - the benchmarks

/// State kept across iterations of one benchmark (the runner calls the closures on one thread).
private final class ShipperSide<Store> {
    var store: Store?
    var cursor: Int64 = 0
    var waiting = 0
}

let benchmarks: @Sendable () -> Void = {
    // Each iteration fsyncs at least once: p50 over a few hundred batches is stable, and the files
    // stay a few hundred MB.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(4),
        maxIterations: 400
    )

    let lines = eventLines
    let average = lines.reduce(0) { $0 + $1.count } / lines.count
    let spoolLines = lines.map { Spool.Line(bytes: $0, lowValue: false) }
    var limits = Spool.Limits()
    limits.minFreeBytes = 0

    let appendSpool = ShipperSide<Spool>()
    Benchmark(
        "Spool.append (SQLite WAL, synchronous=FULL): \(lines.count) lines of avg \(average) B per fsynced transaction",
        closure: { _ in
            _ = try! appendSpool.store!.append(spoolLines)
        },
        setup: { appendSpool.store = try Spool(path: freshDirectory("append") + "/spool.db", limits: limits) },
        teardown: {
            appendSpool.store = nil
            _ = freshDirectory("append")
        })

    let appendSegments = ShipperSide<SegmentSpool>()
    Benchmark(
        "Segment file append (baseline): \(lines.count) lines of avg \(average) B, write + fsync per batch",
        closure: { _ in
            appendSegments.store!.append(lines)
        },
        setup: { appendSegments.store = SegmentSpool(directory: freshDirectory("segments-append")) },
        teardown: {
            appendSegments.store = nil
            _ = freshDirectory("segments-append")
        })

    // The shipper's side: 2 000-line batches (shipping.batch_events) read and acknowledged, oldest
    // first, from a spool refilled (outside the measurement) whenever fewer than a batch wait.
    let batchEvents = 2000
    let refill = 100 * batchEvents
    let shipSpool = ShipperSide<Spool>()
    Benchmark(
        "Spool.batch + acknowledge (SQLite WAL): \(batchEvents)-line batches of avg \(average) B",
        closure: { benchmark in
            if shipSpool.waiting < batchEvents {
                for _ in 0..<(refill / lines.count) { _ = try! shipSpool.store!.append(spoolLines) }
                shipSpool.waiting += refill / lines.count * lines.count
                benchmark.startMeasurement()
            }
            let batch = try! await shipSpool.store!.batch(
                after: shipSpool.cursor, maxEvents: batchEvents, maxBytes: 4096 << 10)!
            try! await shipSpool.store!.acknowledge(batch)
            blackHole(batch.body.count)
            shipSpool.cursor = batch.last
            shipSpool.waiting -= batch.count
        },
        setup: { shipSpool.store = try Spool(path: freshDirectory("ship") + "/spool.db", limits: limits) },
        teardown: {
            shipSpool.store = nil
            _ = freshDirectory("ship")
        })

    let shipSegments = ShipperSide<SegmentSpool>()
    Benchmark(
        "Segment file read + acknowledge (baseline): \(batchEvents)-record batches of avg \(average) B",
        closure: { benchmark in
            if shipSegments.waiting < batchEvents {
                for _ in 0..<(refill / lines.count) { shipSegments.store!.append(lines) }
                shipSegments.waiting += refill / lines.count * lines.count
                benchmark.startMeasurement()
            }
            let (batch, segment, offset) = shipSegments.store!.batch(maxEvents: batchEvents)
            precondition(batch.count == batchEvents)
            shipSegments.store!.acknowledge(segment: segment, offset: offset)
            var body: [UInt8] = []
            body.reserveCapacity(batch.reduce(0) { $0 + $1.count + 1 })
            for line in batch {
                body.append(contentsOf: line)
                body.append(0x0A)
            }
            blackHole(body.count)
            shipSegments.waiting -= batch.count
        },
        setup: { shipSegments.store = SegmentSpool(directory: freshDirectory("segments-ship")) },
        teardown: {
            shipSegments.store = nil
            _ = freshDirectory("segments-ship")
        })
}

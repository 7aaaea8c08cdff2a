import Foundation
import Testing
import VigilConfig
import VigilCore
import VigilDecode

@testable import VigilSensor

/// A spool file in a fresh temporary folder.
func temporarySpool(_ limits: Spool.Limits = Spool.Limits()) throws -> (Spool, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-spool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var limits = limits
    limits.minFreeBytes = 0
    return (try Spool(path: dir.appendingPathComponent("spool.db").path, limits: limits), dir)
}

/// A spool capped at `maxBytes`, in a fresh temporary folder.
func temporarySpool(maxBytes: Int64) throws -> (Spool, URL) {
    var limits = Spool.Limits()
    limits.maxBytes = maxBytes
    return try temporarySpool(limits)
}

/// `count` lines of `size` bytes: `{"n":<number>,"pad":"xxx…"}`.
func lines(_ range: Range<Int>, size: Int = 100, flow: Bool = false) -> [Spool.Line] {
    range.map { n in
        var text = "{\"n\":\(n),\"flow\":\(flow),\"pad\":\""
        text += String(repeating: "x", count: max(0, size - text.utf8.count - 2)) + "\"}"
        return Spool.Line(bytes: Array(text.utf8), lowValue: flow)
    }
}

func numbers(_ batch: Spool.Batch?) -> [Int] {
    guard let batch else { return [] }
    return batch.lines.compactMap { line in
        let text = String(decoding: line, as: UTF8.self)
        guard let start = text.range(of: "\"n\":"),
            let end = text.range(of: ",", range: start.upperBound..<text.endIndex)
        else { return nil }
        return Int(text[start.upperBound..<end.lowerBound])
    }
}

@Suite("The sensor's spool: a SQLite WAL queue with a size cap")
struct SpoolTests {
    @Test(
        "lines come out oldest first in batches bounded by count and bytes; acknowledged ones are gone, also after reopening"
    )
    func roundTrip() async throws {
        let (spool, dir) = try temporarySpool()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spool.append(lines(0..<10))
        try spool.append(lines(10..<25))
        let first = try await spool.batch(after: 0, maxEvents: 8, maxBytes: 1 << 20)
        #expect(numbers(first) == Array(0..<8))
        // Bytes bound the batch too (at least one line always goes).
        let small = try await spool.batch(after: 0, maxEvents: 100, maxBytes: 350)
        #expect(numbers(small) == [0, 1, 2])
        #expect(numbers(try await spool.batch(after: 0, maxEvents: 100, maxBytes: 10)) == [0])
        #expect(first?.body.split(separator: 0x0A).count == 8, "NDJSON body")
        try await spool.acknowledge(first!)
        #expect(spool.snapshot.rows == 17)
        #expect(spool.snapshot.bytes == 1700)
        // A second connection's batch starts after the first one's last line.
        let second = try await spool.batch(after: first!.last, maxEvents: 100, maxBytes: 1 << 20)
        #expect(numbers(second) == Array(8..<25))
        let reopened = try Spool(path: spool.path, limits: spool.limits)
        #expect(reopened.snapshot.rows == 17 && reopened.snapshot.bytes == 1700)
        #expect(numbers(try await reopened.batch(after: 0, maxEvents: 100, maxBytes: 1 << 20)) == Array(8..<25))
    }

    @Test("a full spool drops the oldest flows first, then the oldest other events; losses are counted and kept")
    func capDropsFlowsFirst() async throws {
        let (spool, dir) = try temporarySpool(maxBytes: 5000)
        defer { try? FileManager.default.removeItem(at: dir) }
        try spool.append(lines(0..<20, flow: true))  // 2 000 bytes of flows
        try spool.append(lines(100..<120))  // 2 000 bytes of other events
        // 1 500 more bytes: 500 over the cap, so the 5 oldest flows go.
        let outcome = try spool.append(lines(200..<215))
        #expect(outcome.droppedFlows == 5 && outcome.droppedOther == 0)
        #expect(outcome.reason?.contains("cap") == true)
        #expect(spool.snapshot.bytes == 5000 && spool.snapshot.lostFlows == 5)
        let all = numbers(try await spool.batch(after: 0, maxEvents: 1000, maxBytes: 1 << 20))
        #expect(all == Array(5..<20) + Array(100..<120) + Array(200..<215))
        // 2 000 more: the 15 remaining flows and then the 5 oldest other events go.
        let second = try spool.append(lines(300..<320))
        #expect(second.droppedFlows == 15 && second.droppedOther == 5)
        let rest = numbers(try await spool.batch(after: 0, maxEvents: 1000, maxBytes: 1 << 20))
        #expect(rest == Array(105..<120) + Array(200..<215) + Array(300..<320))
        // The loss survives a restart: an operator sees it in the next heartbeat too.
        let reopened = try Spool(path: spool.path, limits: spool.limits)
        #expect(reopened.snapshot.lostFlows == 20 && reopened.snapshot.lostOther == 5)
        #expect(reopened.snapshot.bytes == 5000)
    }

    @Test("a batch waiting to be sent again loses the lines the cap dropped meanwhile; nothing left is nil")
    func surviving() async throws {
        let (spool, dir) = try temporarySpool(maxBytes: 1000)
        defer { try? FileManager.default.removeItem(at: dir) }
        try spool.append(lines(0..<10))
        let read = try #require(try await spool.batch(after: 0, maxEvents: 100, maxBytes: 1 << 20))
        let claimed = try #require(try await spool.claim(read))
        #expect(numbers(try await spool.surviving(claimed)) == Array(0..<10), "untouched: the same batch")
        try spool.append(lines(10..<14))  // the 4 oldest go
        // Dropped while in flight: not lost until the retry trims them.
        #expect(spool.snapshot.lost == 0 && spool.snapshot.inFlightDropped == 4)
        let rest = try #require(try await spool.surviving(claimed))
        #expect(numbers(rest) == Array(4..<10) && rest.bytes == 600)
        #expect(spool.snapshot.lost == 4 && spool.snapshot.inFlightDropped == 0)
        try spool.append(lines(14..<24))
        #expect(try await spool.surviving(claimed) == nil)
        #expect(spool.snapshot.lost == 14, "4 trimmed before, 4 never sent, 6 trimmed now")
    }

    @Test(
        "rows the cap drops while their batch is being sent count as lost only if the batch is not delivered"
    )
    func droppedInFlight() async throws {
        let (spool, dir) = try temporarySpool(maxBytes: 1000)
        defer { try? FileManager.default.removeItem(at: dir) }
        try spool.append(lines(0..<10, flow: true))
        let readSent = try #require(try await spool.batch(after: 0, maxEvents: 6, maxBytes: 1 << 20))
        let sent = try #require(try await spool.claim(readSent))
        // 8 more: the 8 oldest go; 6 of them are in the batch being sent, 2 were not sent yet.
        let outcome = try spool.append(lines(10..<18))
        #expect(outcome.droppedFlows == 8 && outcome.droppedInFlight == 6)
        #expect(spool.snapshot.lostFlows == 2 && spool.snapshot.inFlightDropped == 6)
        // The correlator acknowledges the batch: those 6 arrived, nothing more is lost.
        try await spool.acknowledge(sent)
        #expect(spool.snapshot.lost == 2 && spool.snapshot.inFlightDropped == 0)
        #expect(spool.snapshot.rows == 10 && spool.snapshot.bytes == 1000)
        // A batch in flight when the sensor stops: its dropped rows are lost at the next start.
        let readNext = try #require(try await spool.batch(after: sent.last, maxEvents: 3, maxBytes: 1 << 20))
        let next = try #require(try await spool.claim(readNext))
        #expect(numbers(next) == [8, 9, 10])
        try spool.append(lines(18..<23))  // drops 8…12: 3 in flight, 2 not sent
        #expect(spool.snapshot.lost == 4 && spool.snapshot.inFlightDropped == 3)
        let reopened = try Spool(path: spool.path, limits: spool.limits)
        #expect(reopened.snapshot.lost == 7 && reopened.snapshot.inFlightDropped == 0)
        #expect(reopened.snapshot.rows == 10)
    }

    @Test("a batch read but not yet claimed is not in flight: rows dropped before the claim are lost and not sent")
    func claimTrims() async throws {
        let (spool, dir) = try temporarySpool(maxBytes: 1000)
        defer { try? FileManager.default.removeItem(at: dir) }
        try spool.append(lines(0..<10))
        // Read (a partial batch the shipper may still wait on), then the cap drops its 3 oldest.
        let read = try #require(try await spool.batch(after: 0, maxEvents: 5, maxBytes: 1 << 20))
        let outcome = try spool.append(lines(10..<13))
        #expect(outcome.droppedOther == 3 && outcome.droppedInFlight == 0)
        #expect(spool.snapshot.lost == 3)
        let claimed = try #require(try await spool.claim(read))
        #expect(numbers(claimed) == [3, 4], "only what is still spooled is sent")
        // Everything dropped from the spool is gone for good: nothing claimed is past the batch.
        #expect(try await spool.claim(read.halves()!.0) == nil)
    }

    @Test("a batch too large for the correlator splits into halves that cover it exactly")
    func halves() async throws {
        let (spool, dir) = try temporarySpool()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spool.append(lines(0..<7))
        let batch = try #require(try await spool.batch(after: 0, maxEvents: 100, maxBytes: 1 << 20))
        let (a, b) = try #require(batch.halves())
        #expect(numbers(a) == [0, 1, 2] && numbers(b) == [3, 4, 5, 6])
        #expect(a.bytes + b.bytes == batch.bytes)
        try await spool.acknowledge(b)
        #expect(numbers(try await spool.batch(after: 0, maxEvents: 100, maxBytes: 1 << 20)) == [0, 1, 2])
        let one = try #require(try await spool.batch(after: 0, maxEvents: 1, maxBytes: 1 << 20))
        #expect(one.halves() == nil)
    }

    @Test("gzip batches decompress to the same bytes")
    func gzip() throws {
        let body = Array(String(repeating: "{\"event.dataset\":\"web.access\",\"n\":1}\n", count: 500).utf8)
        let compressed = GzipEncoder.compress(body)
        #expect(compressed.count < body.count / 10)
        #expect(compressed.prefix(2) == [0x1F, 0x8B], "a gzip header")
        #expect(try Gzip.decompress(compressed, limit: 1 << 20).get() == body)
    }
}

@Suite("vigil-sensor's configuration")
struct SensorConfigTests {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("deploy/config/sensor.yaml parses with the documented defaults")
    func example() throws {
        let path = repo.appendingPathComponent("deploy/config/sensor.yaml").path
        var diagnostics: [ConfigDiagnostic] = []
        let config = try #require(
            SensorConfig.parse(try String(contentsOfFile: path, encoding: .utf8), file: path, diagnostics: &diagnostics)
        )
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let defaults = SensorConfig()
        #expect(config.spool == defaults.spool && config.shipping == defaults.shipping)
        #expect(config.maxFlows == defaults.maxFlows && config.interface == nil)
        #expect(config.metricsPath == config.stateDir + "/vigil-sensor.prom")
    }

    @Test("problems name the line and key; unknown keys and bad values are errors")
    func problems() {
        let text = """
            profile: /etc/vigil/sensors/web-node.yaml
            correlator:
              url: ftp://example
              ca: /x
            spool:
              max_mib: 0
            shiping:
              connections: 2

            """
        var diagnostics: [ConfigDiagnostic] = []
        #expect(SensorConfig.parse(text, file: "s.yaml", diagnostics: &diagnostics) == nil)
        let shown = diagnostics.map(\.description)
        #expect(shown.contains { $0.hasPrefix("s.yaml:3: correlator.url:") }, "\(shown)")
        #expect(shown.contains { $0.hasPrefix("s.yaml:6: spool.max_mib:") }, "\(shown)")
        #expect(shown.contains { $0.hasPrefix("s.yaml:7:") && $0.contains("shiping") }, "\(shown)")
    }
}

@Suite("The spool's cap on one large append")
struct SpoolLargeAppendTests {
    @Test("one append larger than the cap keeps only its newest lines, up to the cap")
    func largerThanCap() async throws {
        let (spool, dir) = try temporarySpool(maxBytes: 1000)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outcome = try spool.append(lines(0..<25))
        #expect(outcome.droppedOther == 15)
        #expect(spool.snapshot.rows == 10 && spool.snapshot.bytes == 1000 && spool.snapshot.lostOther == 15)
        #expect(numbers(try await spool.batch(after: 0, maxEvents: 100, maxBytes: 1 << 20)) == Array(15..<25))
    }
}

@Suite("SpoolSink: events into the spool")
struct SpoolSinkTests {
    @Test("a source catching up holds at most a few MiB: past them lines are spooled before the commit")
    func boundedHold() throws {
        let (spool, dir) = try temporarySpool()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sink = SpoolSink(spool: spool, report: { _, _, _ in })
        var event = Event(timestamp: .now(), id: "x", dataset: .webAccess, observerID: "node-1")
        event.set(Fields.urlOriginal, String(repeating: "a", count: 1000))
        for n in 0..<3000 {
            event.id = "e\(n)"
            sink.write(event)
        }
        // About 3 MB: nothing spooled until the commit.
        #expect(spool.snapshot.rows == 0)
        for n in 3000..<10_000 {
            event.id = "e\(n)"
            sink.write(event)
        }
        let early = spool.snapshot.rows
        #expect(early > 0 && early < 10_000, "spooled in steps of about 4 MiB: \(early)")
        #expect(sink.commit())
        #expect(spool.snapshot.rows == 10_000)
    }
}

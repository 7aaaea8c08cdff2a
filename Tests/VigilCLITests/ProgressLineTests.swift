import Foundation
import Testing
import VigilSensor

@testable import VigilCLI

@Suite("vigil analyze progress on a terminal")
struct ProgressLineTests {
    @Test("the line shows bytes read of the file, packets, rate and the time left")
    func text() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(UUID().uuidString).pcap")
        try Data(count: 10_000_000).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var stats = PipelineStats()
        stats.packets = 100_000
        stats.bytes = 2_399_976  // + 16 per packet header + 24: 4.0 MB read
        let line = ProgressLine(file: file.path).text(stats, elapsed: 2)
        #expect(line == "  4.0 MB of 10.0 MB (40%), 100000 packets, 2.0 MB/s, about 3 s left", "\(line)")
        stats.bytes = 20_000_000
        let done = ProgressLine(file: file.path).text(stats, elapsed: 5)
        #expect(done.contains("10.0 MB of 10.0 MB (100%)") && !done.contains("left"), "\(done)")
    }
}

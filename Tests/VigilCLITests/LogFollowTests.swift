import Foundation
import Testing

/// The built `vigil` executable, next to the test bundle.
enum VigilBinary {
    static var url: URL? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("vigil")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}

/// Lines of an NDJSON file written by a process that may have been killed mid-write: the last line
/// may be cut, so only complete JSON objects count.
func completeEvents(_ path: String) -> [[String: Any]] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

func nginxLine(_ i: Int) -> String {
    "127.0.0.1 - - [23/Nov/2026:10:00:00 +0000] \"GET /item/\(i) HTTP/1.1\" 200 5 \"-\" \"load/1.0\"\n"
}

@Suite("Following logs with the real binary", .serialized)
struct LogFollowTests {
    @Test("after kill -9 the restarted follower loses nothing and replays only what was not checkpointed")
    func killNine() async throws {
        let binary = try #require(VigilBinary.url, "the vigil executable is built beside the tests")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-follow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("access.log").path
        let checkpoint = dir.appendingPathComponent("tail.json").path
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? writer.close() }

        func start(_ output: String) throws -> Process {
            let p = Process()
            p.executableURL = binary
            p.arguments = [
                "analyze", "--log", "nginx:\(log)", "--follow", "--checkpoint", checkpoint, "--output", output,
                "--observer-id", "t", "--quiet",
            ]
            try p.run()
            return p
        }
        // The waits sleep without holding one of the concurrency pool's few threads.
        func waitFor(_ path: String, count: Int, seconds: Double) async {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline && completeEvents(path).count < count {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }

        let total = 4000
        let out1 = dir.appendingPathComponent("out1.ndjson").path
        let first = try start(out1)
        for i in 0..<2000 {
            writer.write(Data(nginxLine(i).utf8))
            if i % 50 == 0 { usleep(5_000) }
        }
        try await Task.sleep(for: .milliseconds(1_500))  // at least one commit of the checkpoint
        for i in 2000..<2500 { writer.write(Data(nginxLine(i).utf8)) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let checkpointText = try String(contentsOfFile: checkpoint, encoding: .utf8)
        let committed =
            try #require(
                (try JSONSerialization.jsonObject(with: Data(checkpointText.utf8)) as? [String: Any])?["cursors"]
                    as? [[String: Any]]
            ).first?["offset"] as? Int ?? 0
        #expect(committed > 0, "the first run checkpointed before it was killed")

        for i in 2500..<total { writer.write(Data(nginxLine(i).utf8)) }
        let out2 = dir.appendingPathComponent("out2.ndjson").path
        let second = try start(out2)
        await waitFor(out2, count: 1, seconds: 20)
        try await Task.sleep(for: .milliseconds(1_500))  // let it commit (flush) what it read
        second.terminate()  // SIGTERM: flush and checkpoint, then exit 0
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)

        let before = completeEvents(out1)
        let after = completeEvents(out2)
        func paths(_ events: [[String: Any]]) -> [String] { events.compactMap { $0["url.original"] as? String } }
        let all = Set(paths(before) + paths(after))
        let missing = (0..<total).filter { !all.contains("/item/\($0)") }
        #expect(missing.isEmpty, "lost \(missing.count) lines, first \(missing.prefix(5))")
        // The restart re-reads from the checkpoint, never from before it.
        let replayedFrom = after.compactMap { $0["log.offset"] as? Int }.min() ?? .max
        #expect(replayedFrom >= committed)
        // Replayed events carry the same ids, so the store deduplicates them.
        var idOf: [String: String] = [:]
        for e in before { idOf[e["url.original"] as! String] = e["event.id"] as? String }
        for e in after {
            if let id = idOf[e["url.original"] as! String] { #expect(id == e["event.id"] as? String) }
        }
        let duplicates = Set(paths(before)).intersection(paths(after)).count
        #expect(duplicates <= total - committed / nginxLine(0).utf8.count)
    }
}

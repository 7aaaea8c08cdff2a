import Foundation
import Testing

/// The monitor must not become a new copy of the citizens' data it protects (DESIGN §4): every
/// resident ID and mobile number in the fixtures is found, counted and masked, and none of them
/// reaches the event stream or the process's own messages.
@Suite("No raw personal data leaves vigil analyze", .serialized)
struct NoLeakTests {
    /// `type,value` lines of the synthetic values planted in the fixtures by their scripts.
    static func values(_ relative: String) throws -> [(type: String, value: String)] {
        let text = try String(contentsOf: Repo.root.appendingPathComponent(relative), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap {
            let parts = $0.split(separator: ",", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
    }

    func run(_ arguments: [String]) throws -> (stdout: String, stderr: String, status: Int32) {
        let binary = try #require(VigilBinary.url)
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes to the end before waiting: a full pipe would block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self), p.terminationStatus)
    }

    @Test("a cleartext JSON API capture: every planted ID and phone is counted and none appears raw")
    func capture() throws {
        let planted = try Self.values("Tests/Fixtures/pii-values.txt")
        #expect(planted.count == 14)
        let (stdout, stderr, status) = try run([
            "analyze", "--pcap", Repo.pcap("pii-api.pcap"), "--dlp-key-file", GoldenTests.key,
        ])
        #expect(status == 0)
        for (_, value) in planted {
            #expect(!stdout.contains(value), "raw \(value) in the events")
            #expect(!stderr.contains(value), "raw \(value) in vigil's messages")
        }
        var counts: [String: Int] = [:]
        var hashes = Set<String>()
        for line in stdout.split(separator: "\n") {
            let e = try json(String(line))
            for (k, v) in e["dlp.counts"] as? [String: Int] ?? [:] { counts[k, default: 0] += v }
            hashes.formUnion(e["dlp.hashes"] as? [String] ?? [])
        }
        #expect(counts["cn_resident_id"] == 7)
        #expect(counts["cn_mobile"] == 7)
        #expect(hashes.count == 14, "one keyed hash per distinct value")
        #expect(stderr.contains("cn_mobile 7, cn_resident_id 7"))
    }

    @Test("access, database and query logs: planted values are masked in every field, raw lines included")
    func logs() throws {
        let planted = try Self.values("Tests/Fixtures/logs/pii-values.txt")
        let logs = Repo.root.appendingPathComponent("Tests/Fixtures/logs").path
        let (stdout, stderr, status) = try run([
            "analyze", "--log", "nginx:\(logs)/nginx-combined.log", "--log", "postgres:\(logs)/postgres-stderr.log",
            "--log", "postgres-csv:\(logs)/postgres-csv.csv", "--log", "mysql:\(logs)/mysql-general.log",
            "--log", "nginx:\(logs)/nginx-custom.log", "--dlp-key-file", GoldenTests.key,
        ])
        #expect(status == 0)
        for (_, value) in planted {
            #expect(!stdout.contains(value), "raw \(value) in the events")
            #expect(!stderr.contains(value), "raw \(value) in vigil's messages")
        }
        #expect(stdout.contains("110105********6329"), "masked samples keep region and check digits")
        #expect(stdout.contains("138****3575"))
    }
}

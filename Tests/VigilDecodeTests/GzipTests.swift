import Foundation
import Testing

@testable import VigilDecode

@Suite("Gzip request bodies")
struct GzipTests {
    /// gzip-compresses with the system's gzip (a real producer), so the test does not check the
    /// decoder against itself.
    static func gzip(_ data: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let writer = Thread {
            input.fileHandleForWriting.write(Data(data))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](result)
    }

    @Test("a gzip body decompresses to the original bytes")
    func roundTrip() throws {
        let text = Array((0..<2000).map { "{\"event.id\":\"e\($0)\"}\n" }.joined().utf8)
        #expect(try Gzip.decompress(Self.gzip(text), limit: 1 << 20).get() == text)
    }

    @Test("a compression bomb stops at the limit and says so")
    func bomb() throws {
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        let bomb = try Self.gzip(zeros)
        #expect(bomb.count < 20_000)
        #expect(Gzip.decompress(bomb, limit: 1 << 20) == .failure(.tooLarge(limit: 1 << 20)))
    }

    @Test("garbage and a cut-short stream are corrupt, not a crash")
    func corrupt() throws {
        #expect(Gzip.decompress(Array("not gzip at all".utf8), limit: 1000) == .failure(.corrupt))
        let good = try Self.gzip(Array(String(repeating: "abc", count: 1000).utf8))
        #expect(Gzip.decompress(Array(good.prefix(good.count / 2)), limit: 100_000) == .failure(.corrupt))
        #expect(Gzip.decompress([], limit: 1000) == .failure(.corrupt))
    }
}

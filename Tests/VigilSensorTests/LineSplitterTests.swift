import Testing

@testable import VigilSensor

@Suite("Line splitting")
struct LineSplitterTests {
    /// Feeds `text` cut into pieces of `chunk` bytes; returns (line, offset) pairs.
    func split(_ text: String, chunk: Int, maxLine: Int = 64) -> (lines: [(String, UInt64)], splitter: LineSplitter) {
        var splitter = LineSplitter(maxLine: maxLine)
        var out: [(String, UInt64)] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let piece = Array(bytes[i..<min(bytes.count, i + chunk)])
            piece.withUnsafeBytes { raw in
                splitter.feed(raw) { line, offset in out.append((String(decoding: line, as: UTF8.self), offset)) }
            }
            i += chunk
        }
        splitter.finish { line, offset in out.append((String(decoding: line, as: UTF8.self), offset)) }
        return (out, splitter)
    }

    @Test("lines cut by any chunk boundary come out whole with their file offsets")
    func chunkBoundaries() {
        let text = "alpha\nbeta\r\n\ngamma delta\nlast"
        for chunk in 1...text.utf8.count {
            let (lines, splitter) = split(text, chunk: chunk)
            #expect(lines.map(\.0) == ["alpha", "beta", "", "gamma delta", "last"], "chunk \(chunk)")
            #expect(lines.map(\.1) == [0, 6, 12, 13, 25], "chunk \(chunk)")
            #expect(splitter.consumed == UInt64(text.utf8.count))
        }
    }

    @Test("a line over the cap is cut, counted, and the next line keeps its offset")
    func oversized() {
        let long = String(repeating: "x", count: 100)
        for chunk in [1, 7, 64, 200] {
            let (lines, splitter) = split("\(long)\nshort\n", chunk: chunk, maxLine: 10)
            #expect(lines.map(\.0) == ["xxxxxxxxxx", "short"], "chunk \(chunk)")
            #expect(lines.map(\.1) == [0, 101])
            #expect(splitter.oversized == 1)
        }
    }

    @Test("an unterminated last line waits until finish")
    func unterminated() {
        var splitter = LineSplitter(maxLine: 64)
        var lines: [String] = []
        Array("one\ntw".utf8).withUnsafeBytes { raw in
            splitter.feed(raw) { line, _ in lines.append(String(decoding: line, as: UTF8.self)) }
        }
        #expect(lines == ["one"])
        #expect(splitter.consumed == 4)
        #expect(splitter.fed == 6)
        splitter.finish { line, _ in lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == ["one", "tw"])
        #expect(splitter.consumed == 6)
    }
}

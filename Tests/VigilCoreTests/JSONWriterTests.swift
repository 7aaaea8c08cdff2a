import Foundation
import Testing
import VigilCore

@Suite("JSON writer")
struct JSONWriterTests {
    /// Integers as Foundation's JSON parser reads them back, at every digit count and both ends of
    /// the range.
    @Test("integers of every width, signs and the extremes are written as their decimal text")
    func integers() throws {
        var values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, .max, .min, .max - 1, .min + 1]
        var p: Int64 = 1
        for _ in 0..<18 {
            p *= 10
            values += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
        }
        for v in values {
            var w = JSONWriter()
            w.int(v)
            #expect(String(decoding: w.bytes, as: UTF8.self) == String(v))
        }
    }

    /// Text far beyond the first block (and one escaped over several steps) is all there, in order,
    /// after the writer grew; `truncate` drops exactly what was written after a mark.
    @Test("the buffer grows without losing text, and truncate returns to a mark")
    func growthAndTruncate() throws {
        var w = JSONWriter(capacity: 8)
        w.raw("[")
        var expected: [String] = []
        for i in 0..<300 {
            let text = String(repeating: "a\"\n", count: i) + "é\(i)"
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(text)
            expected.append(text)
        }
        let mark = w.byteCount
        w.raw(",\"dropped\"")
        w.int(12345)
        w.truncate(to: mark)
        w.raw("]")
        #expect(w.byteCount == w.bytes.count)
        let back = try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String]
        #expect(back == expected)
        w.removeAll()
        #expect(w.bytes.isEmpty)
        w.raw("true")
        #expect(String(decoding: w.bytes, as: UTF8.self) == "true")
    }
}

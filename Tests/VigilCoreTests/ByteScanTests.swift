import Foundation
import Testing
import VigilCore

@Suite("Word-at-a-time byte tests and JSON escaping")
struct ByteScanTests {
    /// Every byte value at every position of a word, among neighbours that never match (plain
    /// ASCII and UTF-8 continuation bytes): the word test agrees with a bytewise test.
    @Test("each word test agrees with a bytewise test for every byte at every position")
    func exhaustive() {
        for filler in [UInt8(ascii: "a"), 0x80, 0xE4, 0xFF, 0x20, 0x7E] {
            for position in 0..<8 {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[position] = UInt8(value)
                    let word = bytes.withUnsafeBufferPointer { ByteScan.word($0.baseAddress!, 0) }
                    let control = bytes.contains { $0 < 0x20 }
                    #expect(ByteScan.hasByte(below: 0x20, in: word) == control, "\(bytes)")
                    #expect(ByteScan.hasByte(0x22, in: word) == bytes.contains(0x22), "\(bytes)")
                    let escape = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }
                    #expect(ByteScan.needsJSONEscape(word) == escape, "\(bytes)")
                }
            }
        }
    }

    @Test("random words: the word tests agree with bytewise tests")
    func random() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Bytes biased towards the edges of the ranges the tests look for.
            let bytes = (0..<8).map { _ -> UInt8 in
                let pick = [UInt8.random(in: 0...255, using: &generator), 0x1F, 0x20, 0x21, 0x22, 0x5C, 0x7F, 0x80]
                return pick[Int.random(in: 0..<pick.count, using: &generator)]
            }
            let word = bytes.withUnsafeBufferPointer { ByteScan.word($0.baseAddress!, 0) }
            #expect(ByteScan.hasByte(below: 0x20, in: word) == bytes.contains { $0 < 0x20 }, "\(bytes)")
            let escape = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }
            #expect(ByteScan.needsJSONEscape(word) == escape, "\(bytes)")
        }
    }

    @Test("the first byte to escape is found at every offset from every start, and none past the end")
    func firstEscape() {
        for length in 0..<40 {
            for at in 0...length {
                // A quote at `at` (none when at == length) among plain and non-ASCII bytes.
                var bytes: [UInt8] = (0..<length).map { (i: Int) -> UInt8 in i % 3 == 0 ? 0xC3 : UInt8(0x61 + i % 26) }
                let escapes: [UInt8] = [0x22, 0x0A, 0x5C, 0x7F, 0x00]
                if at < length { bytes[at] = escapes[at % 5] }
                bytes.append(0x22)  // past `end`: must not be reported
                bytes.withUnsafeBufferPointer { buf in
                    for from in 0...at {
                        #expect(ByteScan.firstJSONEscape(buf.baseAddress!, from: from, end: length) == at)
                    }
                }
            }
        }
    }

    /// The sixteen-byte scans: every byte value at every position of a 40-byte run of plain text
    /// (so inside, across and after the steps) is found exactly where a bytewise search finds it.
    @Test("the JSON escape scans find every byte value at every position, as a bytewise search does")
    func escapeScanEveryPosition() {
        for filler in [UInt8(ascii: "a"), 0x20, 0x7E] {
            for position in 0..<40 {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: filler, count: 40)
                    bytes[position] = UInt8(value)
                    let escapes = value < 0x20 || value == 0x22 || value == 0x5C || value == 0x7F
                    bytes.withUnsafeBufferPointer { p in
                        let base = p.baseAddress!
                        #expect(ByteScan.firstJSONEscape(base, from: 0, end: 40) == (escapes ? position : 40))
                        #expect(
                            ByteScan.firstJSONEscapeOrHigh(base, from: 0, end: 40)
                                == (escapes || value >= 0x80 ? position : 40))
                        // Starting past it, or ending before it, finds nothing.
                        #expect(ByteScan.firstJSONEscape(base, from: position + 1, end: 40) == 40)
                        #expect(ByteScan.firstJSONEscapeOrHigh(base, from: 0, end: position) == position)
                    }
                }
            }
        }
    }

    /// Escaped output read back by Foundation's JSON parser gives the text again, for texts with
    /// escapes at every offset around the eight-byte steps, and multi-byte characters.
    @Test("an escaped string parses back to the same text for escapes at every offset")
    func roundTrip() throws {
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "中", "😀"]
        for length in 0..<24 {
            for offset in 0...length {
                for special in specials {
                    var text = String(repeating: "x", count: length)
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: offset))
                    var writer = JSONWriter()
                    writer.string(text)
                    let json = Data("[".utf8 + writer.bytes + "]".utf8)
                    let back = try JSONSerialization.jsonObject(with: json) as? [String]
                    #expect(back == [text], "\(String(decoding: writer.bytes, as: UTF8.self))")
                }
            }
        }
    }

    /// A JSON body of ~20 KB (quotes every few bytes, control bytes, non-ASCII) crosses the
    /// escaper's internal steps several times: it still parses back to itself.
    @Test("a long text full of quotes, controls and non-ASCII parses back to itself")
    func longText() throws {
        var text = ""
        for i in 0..<700 {
            text += #"{"id":\#(i),"name":"张三\#(i)","note":"a\#u{01}b\#tc\\d\#u{7F}"},"#
        }
        #expect(text.utf8.count > 20_000)
        var writer = JSONWriter()
        writer.string(text)
        let back = try JSONSerialization.jsonObject(with: Data("[".utf8 + writer.bytes + "]".utf8)) as? [String]
        #expect(back == [text])
        #expect(!writer.bytes.contains { $0 < 0x20 || $0 == 0x7F }, "no raw control byte is written")
    }

    /// Body prefixes go out through `appendASCIIText`, which checks and escapes in one pass: ASCII
    /// text is written as `string` writes it; a byte from 0x80 on or a control byte but tab, LF
    /// and CR, at any offset around the eight-byte steps and the escaper's chunks, writes nothing.
    @Test("ASCII text is escaped as strings are; non-ASCII or binary bytes anywhere write nothing")
    func asciiText() {
        let plain: [UInt8] = Array(#"<p>a "quoted" \ line</p>"#.utf8) + [0x0A, 0x09, 0x0D, 0x7F]
        for length in [0, 1, 7, 8, 9, 31, 2047, 2048, 2049, 4095, 4096, 4097, 9000] {
            let text = (0..<length).map { plain[$0 % plain.count] }
            var expected = JSONWriter()
            expected.string(String(decoding: text, as: UTF8.self))
            var writer = JSONWriter()
            writer.raw("{")
            #expect(text.withUnsafeBufferPointer { writer.appendASCIIText($0) })
            #expect(writer.bytes == Array("{".utf8) + expected.bytes, "\(length)")
            #expect(text.withUnsafeBufferPointer { ByteScan.isText($0, asciiOnly: true) })
            for offset in Set([0, length / 2, max(0, length - 1)]) where offset < length {
                for bad: UInt8 in [0x00, 0x01, 0x1F, 0x80, 0xC3, 0xFF] {
                    var broken = text
                    broken[offset] = bad
                    var writer = JSONWriter()
                    writer.raw("{")
                    #expect(
                        !broken.withUnsafeBufferPointer { writer.appendASCIIText($0) }, "\(length) \(offset) \(bad)")
                    #expect(writer.bytes == Array("{".utf8), "nothing written: \(length) \(offset) \(bad)")
                    #expect(!broken.withUnsafeBufferPointer { ByteScan.isText($0, asciiOnly: true) })
                    // Bytes from 0x80 on are text when not only ASCII is asked for; control bytes never.
                    #expect(broken.withUnsafeBufferPointer { ByteScan.isText($0, asciiOnly: false) } == (bad >= 0x80))
                }
            }
        }
    }
}

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
                    #expect(ByteScan.hasByte(0x5C, in: word) == bytes.contains(0x5C), "\(bytes)")
                    #expect(ByteScan.hasByte(0x7F, in: word) == bytes.contains(0x7F), "\(bytes)")
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
            #expect(ByteScan.hasByte(0x5C, in: word) == bytes.contains(0x5C), "\(bytes)")
            #expect(ByteScan.hasByte(0x7F, in: word) == bytes.contains(0x7F), "\(bytes)")
        }
    }

    /// JSON string escaping done bytewise, the plain way: what the writer's sixteen-byte steps must match.
    static func referenceEscaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for b in bytes {
            switch b {
            case 0x22, 0x5C: out += [0x5C, b]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        return out + [0x22]
    }

    /// Whether `appendASCIIText` takes the bytes: nothing from 0x80 on, no control byte but tab, LF, CR.
    static func isASCIIText(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 < 0x80 && ($0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
    }

    /// Both ways of writing a string, checked against the bytewise reference.
    static func expectEscaped(_ bytes: [UInt8], _ comment: @autoclosure () -> String) {
        var w = JSONWriter()
        w.raw("[")
        bytes.withUnsafeBufferPointer { w.appendEscaped($0) }
        #expect(w.bytes == Array("[".utf8) + referenceEscaped(bytes), "\(comment())")
        var t = JSONWriter()
        t.raw("[")
        let taken = bytes.withUnsafeBufferPointer { t.appendASCIIText($0) }
        #expect(taken == isASCIIText(bytes), "\(comment())")
        #expect(t.bytes == Array("[".utf8) + (taken ? referenceEscaped(bytes) : []), "\(comment())")
    }

    @Test("texts of every length up to 40 with an escape at every offset are written as bytewise escaping writes them")
    func escapeEveryOffset() {
        for length in 0..<40 {
            for at in 0...length {
                // A byte to escape at `at` (none when at == length) among plain and non-ASCII bytes.
                var bytes: [UInt8] = (0..<length).map { (i: Int) -> UInt8 in i % 3 == 0 ? 0xC3 : UInt8(0x61 + i % 26) }
                let escapes: [UInt8] = [0x22, 0x0A, 0x5C, 0x7F, 0x00]
                if at < length { bytes[at] = escapes[at % 5] }
                Self.expectEscaped(bytes, "length \(length), escape at \(at)")
                Self.expectEscaped(bytes.map { $0 == 0xC3 ? 0x2E : $0 }, "ASCII, length \(length), escape at \(at)")
            }
        }
    }

    /// The sixteen-byte steps: every byte value at every position of a 40-byte run of plain text
    /// (so inside, across and after the steps) is written as bytewise escaping writes it, and only
    /// ASCII text is taken as such.
    @Test("every byte value at every position is escaped as bytewise escaping does it, by both writers")
    func escapeEveryByteEveryPosition() {
        for filler in [UInt8(ascii: "a"), 0x20, 0x7E] {
            for position in 0..<40 {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: filler, count: 40)
                    bytes[position] = UInt8(value)
                    Self.expectEscaped(bytes, "byte \(value) at \(position)")
                }
            }
        }
    }

    @Test("long texts are escaped whole across the writer's 4 KiB steps, escapes at and around each boundary")
    func escapeAcrossSteps() {
        for length in [4095, 4096, 4097, 8191, 8192, 9000] {
            for at in [0, 15, 16, 4080, 4095, 4096, 4097, length - 1] where at < length {
                var bytes = [UInt8](repeating: UInt8(ascii: "b"), count: length)
                bytes[at] = 0x0A
                bytes[length - 1] = 0x22
                Self.expectEscaped(bytes, "length \(length), escape at \(at)")
                var high = bytes
                high[at] = 0xE9
                Self.expectEscaped(high, "length \(length), non-ASCII at \(at)")
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

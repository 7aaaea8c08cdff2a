import Testing

@testable import VigilInspect

@Suite("JSON, URL-encoded and CSV text")
struct EncodingTests {
    @Test("JSON values are found by key context and masked in place")
    func json() {
        let text = #"{"name":"张三","id_card":"11010519491231002X","mobile":"13812345678","email":"zs@example.com"}"#
        let result = inspector.inspect(text: text)
        #expect(result.detections.map(\.kind) == [.residentID, .mobile, .email])
        #expect(result.detections.map(\.confidence) == [.high, .high, .high])
        #expect(
            result.masked
                == #"{"name":"张三","id_card":"110105********002X","mobile":"138****5678","email":"z*@example.com"}"#)
        #expect(result.masked.utf8.count == text.utf8.count)
    }

    @Test("percent-encoded separators do not hide a number, and masking rewrites the encoded bytes")
    func percentEncoded() throws {
        let text = "/api/user?sfzh=11010519491231002X&mobile=%2B8613812345678&tel=%2B86%20138%201234%205678"
        let result = inspector.inspect(text: text)
        #expect(result.detections.map(\.kind) == [.residentID, .mobile, .mobile])
        #expect(
            result.masked
                == "/api/user?sfzh=110105********002X&mobile=%2B86138****5678&tel=%2B86%20138%20****%205678")
        let second = result.detections[1]
        #expect(second.masked == "+86138****5678")
        #expect(Array(text.utf8)[second.range].elementsEqual("%2B8613812345678".utf8))
    }

    @Test("percent-encoded digits are masked as %2A so the value survives in no form")
    func encodedDigits() {
        let text = "phone=%31%33%38%31%32%33%34%35%36%37%38&x=1"
        let result = inspector.inspect(text: text)
        #expect(result.detections.map(\.kind) == [.mobile])
        #expect(result.masked == "phone=%31%33%38%2A%2A%2A%2A%35%36%37%38&x=1")
        #expect(result.masked.utf8.count == text.utf8.count)
    }

    @Test("a percent-encoded Chinese label is context")
    func encodedLabel() {
        // %E6%89%8B%E6%9C%BA is 手机.
        #expect(only("%E6%89%8B%E6%9C%BA=13812345678")?.confidence == .high)
    }

    @Test("a stray percent sign is text, not an escape")
    func strayPercent() {
        #expect(masked("50% off for 13812345678, 100%") == "50% off for 138****5678, 100%")
        #expect(masked("%2") == "%2")
    }

    @Test("CSV rows are found field by field")
    func csv() {
        let text = "name,id,phone,mail\n张三,11010519491231002X,13812345678,zs@example.com\n李四,,010-12345678,\n"
        #expect(kinds(text) == [.residentID, .mobile, .email, .landline])
        #expect(
            masked(text)
                == "name,id,phone,mail\n张三,110105********002X,138****5678,z*@example.com\n李四,,010-****5678,\n")
    }

    @Test("JSON escapes before a number separate it: \\n, \\t and \\uXXXX labels")
    func jsonEscapes() {
        #expect(kinds(#""\u8eab\u4efd\u8bc1\uff1a11010519491231002X""#) == [.residentID])
        #expect(only(#""\u624b\u673a\uff1a13812345678""#)?.confidence == .high)
        #expect(kinds(#"line one\n13812345678\tend"#) == [.mobile])
        #expect(kinds(#"C:\Users\13812345678\x"#) == [.mobile])
    }

    @Test("detection ranges are UTF-8 offsets in the original text")
    func ranges() {
        let text = "身份证：11010519491231002X"
        let d = inspector.inspect(text: text).detections
        #expect(d.map(\.range) == [12..<30])
    }
}

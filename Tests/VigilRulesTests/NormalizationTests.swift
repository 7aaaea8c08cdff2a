import Testing
import VigilCore

@testable import VigilRules

@Suite("Normalisation against evasion")
struct NormalizationTests {
    @Test(
        "encoded traversal in every common disguise decodes to ../",
        arguments: [
            "/static/%2e%2e%2f%2e%2e%2fetc/passwd", "/static/..%252f..%252fetc/passwd",
            "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/static/..\\..\\etc\\passwd",
            "/static/..;/..;/etc/passwd", "/static/%252e%252e%252f%252e%252e%252fetc/passwd",
            "/static/%u002e%u002e/%u002e%u002e/etc/passwd", "/static/.%2e/.%2e/etc/passwd",
        ])
    func traversal(path: String) {
        #expect(Normalization.decodePath(path) == "/static/../../etc/passwd")
    }

    @Test("ordinary paths are unchanged; dot segments and doubled slashes collapse, .. stays")
    func ordinary() {
        #expect(Normalization.decodePath("/api/v1/items") == "/api/v1/items")
        #expect(Normalization.decodePath("/a//b/./c/") == "/a/b/c/")
        #expect(Normalization.decodePath("/a/b;jsessionid=42/c") == "/a/b/c")
        #expect(Normalization.decodePath("/%E5%8C%97%E4%BA%AC") == "/北京")
    }

    @Test("queries decode + and repeated escapes; SQL injection becomes plain text")
    func query() {
        #expect(Normalization.decodeQuery("id=1%2527%2520OR%25201%3D1--") == "id=1' OR 1=1--")
        #expect(Normalization.decodeQuery("q=vigil+security") == "q=vigil security")
    }

    @Test("enrichment adds the decoded fields once, beside the originals")
    func enrich() {
        var e = Event(timestamp: Timestamp(microseconds: 0), id: "e", dataset: .webAccess)
        e.set(Fields.urlPath, "/x/%2e%2e%2fetc/passwd")
        e.set(Fields.urlQuery, "a=%2527")
        Normalization.enrich(&e)
        Normalization.enrich(&e)
        #expect(e[Fields.urlPath] == .string("/x/%2e%2e%2fetc/passwd"))
        #expect(e[Normalization.pathDecoded] == .string("/x/../etc/passwd"))
        #expect(e[Normalization.queryDecoded] == .string("a='"))
        #expect(e.fields.count == 4)
    }
}

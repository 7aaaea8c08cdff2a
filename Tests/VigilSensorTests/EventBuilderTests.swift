import Testing

@testable import VigilSensor

@Suite("HTTP request targets and media types as events report them")
struct EventBuilderTests {
    @Test(
        "a request target splits into host, path and query; ASCII and non-ASCII targets alike",
        arguments: [
            ("/index.html", nil, "/index.html", nil),
            ("/search?q=network+monitor", nil, "/search", "q=network+monitor"),
            ("/a?b?c", nil, "/a", "b?c"),
            ("?only", nil, nil, "only"),
            ("", nil, nil, nil),
            ("http://example.com", "example.com", "/", nil),
            ("http://example.com:8080/p?x=1", "example.com", "/p", "x=1"),
            ("https://[2001:db8::1]:443/v1", "2001:db8::1", "/v1", nil),
            ("http://h?q", "h", "/", "q"),
            ("/文档/报告.pdf?名字=张三", nil, "/文档/报告.pdf", "名字=张三"),
            ("http://例子.测试:80/路径", "例子.测试", "/路径", nil),
        ] as [(String, String?, String?, String?)])
    func target(_ target: String, host: String?, path: String?, query: String?) {
        let parts = URLParts(target: target)
        #expect(parts.host == host)
        #expect(parts.path == path)
        #expect(parts.query == query)
    }

    @Test(
        "a media type loses its parameters and blanks and is lowercased",
        arguments: [
            ("text/html; charset=utf-8", "text/html"),
            ("Application/JSON", "application/json"),
            ("  text/plain  ;q=1", "text/plain"),
            ("\ttext/css\t", "text/css"),
            (";odd", "odd"),
            ("", ""),
            ("TEXT/ÉTÉ; x", "text/été"),
        ])
    func mime(_ header: String, expected: String) {
        #expect(EventBuilder.mimeType(header) == expected)
    }
}

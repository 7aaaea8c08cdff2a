import Foundation
import Testing

@testable import VigilCLI

@Suite("vigil events search: the query language")
struct EventFilterTests {
    let event: [String: Any] = [
        "@timestamp": "2026-12-04T07:00:00.000000Z", "source.ip": "10.1.2.3", "http.response.status_code": 503,
        "user_agent.original": "curl/8.1", "event.category": ["web", "network"], "message": "GET /admin HTTP/1.1",
    ]

    func matches(_ query: String) throws -> Bool { try EventFilter.parse(query).matches(event) }

    @Test(
        "the issue's example, and each operator",
        arguments: [
            ("source.ip=10.1.2.3 and http.response.status_code>=500 and not user_agent.original:*curl*", false),
            ("source.ip=10.1.2.3 and http.response.status_code>=500 and not user_agent.original:*wget*", true),
            ("http.response.status_code>503", false), ("http.response.status_code<=503", true),
            ("http.response.status_code=503.0", true), ("source.ip!=10.1.2.3", false),
            ("message:\"get /ADMIN*\"", true), ("message:*adm?n*", true), ("event.category=network", true),
            ("@timestamp>=2026-12-04T06:59:59Z", true), ("@timestamp<2026-12-04T07:00:00Z", false),
            ("missing.field=x", false), ("not missing.field=x", true),
        ])
    func operators(query: String, expected: Bool) throws {
        #expect(try matches(query) == expected, "\(query)")
    }

    @Test("not binds tighter than and, and tighter than or; parentheses override")
    func precedence() throws {
        #expect(try matches("source.ip=9.9.9.9 and source.ip=10.1.2.3 or http.response.status_code=503"))
        #expect(try !matches("source.ip=9.9.9.9 and (source.ip=10.1.2.3 or http.response.status_code=503)"))
        #expect(try matches("not source.ip=9.9.9.9 and source.ip=10.1.2.3"))
        #expect(try !matches("not (source.ip=9.9.9.9 or source.ip=10.1.2.3)"))
        #expect(try !matches("SOURCE.IP=10.1.2.3"), "field names are exact")
        #expect(try matches("source.ip=x OR source.ip=10.1.2.3"), "keywords are any case")
    }

    @Test(
        "errors point at the column",
        arguments: [
            ("source.ip=", 11, "expected a value after '='"),
            ("source.ip 10.1.2.3", 11, "expected an operator"),
            ("(source.ip=1 or user.name=a", 28, "expected ')'"),
            ("status>=high", 9, "compares numbers or RFC 3339 times"),
            ("message:\"unclosed", 9, "never closed"),
            ("source.ip=1 user.name=a", 13, "expected 'and', 'or' or the end"),
            ("and source.ip=1", 1, "expected a field name"),
        ])
    func errors(query: String, column: Int, message: String) {
        do {
            _ = try EventFilter.parse(query)
            Issue.record("'\(query)' must not parse")
        } catch {
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.description.hasSuffix(String(repeating: " ", count: column + 1) + "^"), "\(error)")
        }
    }

    @Test("indexed equalities of the top-level and-chain go to the server; nothing under or/not does")
    func serverParameters() throws {
        let f = try EventFilter.parse("source.ip=10.1.2.3 and event.dataset=web and http.response.status_code>=500")
        #expect(f.serverParameters.map { "\($0.0)=\($0.1)" } == ["source.ip=10.1.2.3", "dataset=web"])
        #expect(try EventFilter.parse("source.ip=1 or user.name=a").serverParameters.isEmpty)
        #expect(try EventFilter.parse("not source.ip=1").serverParameters.isEmpty)
    }

    @Test(
        "glob handles stars anywhere, with backtracking",
        arguments: [
            ("*curl*", "curl/8.1", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false), ("*", "", true),
            ("?", "", false), ("*a", "banana", true), ("a*a*a", "aaa", true),
        ])
    func glob(pattern: String, text: String, expected: Bool) {
        #expect(EventFilter.glob(pattern, text) == expected)
    }
}

import Foundation
import VigilCore

/// The small query language of `vigil events search`:
///
///     source.ip=10.1.2.3 and http.response.status_code>=500 and not user_agent.original:*curl*
///
/// Comparisons `field=value`, `!=`, `>`, `>=`, `<`, `<=` (numbers, or times for RFC 3339 values),
/// and `field:pattern` (case-insensitive glob: `*` any run, `?` one character); `and`, `or`,
/// `not` (tightest first: not, and, or) and parentheses. Values with spaces or operators go in
/// double quotes (`message:"*Failed password*"`, `\"` inside). A list field matches when any
/// element does; a missing field matches nothing (so `not f=x` matches events without `f`).
indirect enum EventFilter: Equatable {
    enum Op: String, Equatable, CaseIterable {
        case eq = "="
        case ne = "!="
        case gt = ">"
        case ge = ">="
        case lt = "<"
        case le = "<="
        case glob = ":"
    }

    case compare(field: String, op: Op, value: String)
    case not(EventFilter)
    case and(EventFilter, EventFilter)
    case or(EventFilter, EventFilter)

    /// A parse error, with the 1-based column it points at.
    struct ParseError: Error, Equatable, CustomStringConvertible {
        let column: Int
        let message: String
        let query: String
        var description: String {
            "column \(column): \(message)\n  \(query)\n  \(String(repeating: " ", count: column - 1))^"
        }
    }

    // MARK: Parsing

    static func parse(_ text: String) throws(ParseError) -> EventFilter {
        var parser = Parser(text: text)
        let filter = try parser.expression()
        guard parser.peek() == nil else {
            throw parser.error("expected 'and', 'or' or the end, found '\(parser.peek()!.text)'")
        }
        return filter
    }

    private struct Token {
        enum Kind { case word, quoted, op, open, close }
        var kind: Kind
        var text: String
        var column: Int
    }

    private struct Parser {
        let text: String
        var tokens: [Token] = []
        var index = 0
        var lexError: ParseError?

        init(text: String) {
            self.text = text
            let chars = Array(text)
            var i = 0
            func isOpChar(_ c: Character) -> Bool { "=!<>:".contains(c) }
            while i < chars.count {
                let c = chars[i]
                if c == " " || c == "\t" {
                    i += 1
                } else if c == "(" || c == ")" {
                    tokens.append(Token(kind: c == "(" ? .open : .close, text: String(c), column: i + 1))
                    i += 1
                } else if c == "\"" {
                    let start = i
                    var value = ""
                    i += 1
                    var closed = false
                    while i < chars.count {
                        if chars[i] == "\\", i + 1 < chars.count {
                            value.append(chars[i + 1])
                            i += 2
                        } else if chars[i] == "\"" {
                            closed = true
                            i += 1
                            break
                        } else {
                            value.append(chars[i])
                            i += 1
                        }
                    }
                    if !closed && lexError == nil {
                        lexError = ParseError(column: start + 1, message: "this quote is never closed", query: text)
                    }
                    tokens.append(Token(kind: .quoted, text: value, column: start + 1))
                } else if isOpChar(c) {
                    let start = i
                    var op = String(c)
                    if i + 1 < chars.count, chars[i + 1] == "=", c != "=", c != ":" { op.append("=") }
                    i += op.count
                    tokens.append(Token(kind: .op, text: op, column: start + 1))
                    // A bare value runs to the next space or parenthesis: times and URLs hold ':'.
                    if i < chars.count, !" \t()\"".contains(chars[i]) {
                        let valueStart = i
                        var value = ""
                        while i < chars.count, !" \t()".contains(chars[i]) {
                            value.append(chars[i])
                            i += 1
                        }
                        tokens.append(Token(kind: .word, text: value, column: valueStart + 1))
                    }
                } else {
                    let start = i
                    var word = ""
                    while i < chars.count, !" \t()\"".contains(chars[i]), !isOpChar(chars[i]) {
                        word.append(chars[i])
                        i += 1
                    }
                    tokens.append(Token(kind: .word, text: word, column: start + 1))
                }
            }
        }

        func peek() -> Token? { index < tokens.count ? tokens[index] : nil }

        func error(_ message: String) -> ParseError {
            ParseError(column: peek()?.column ?? text.count + 1, message: message, query: text)
        }

        func isKeyword(_ word: String) -> Bool {
            guard let t = peek(), t.kind == .word else { return false }
            return t.text.lowercased() == word
        }

        mutating func expression() throws(ParseError) -> EventFilter {
            if let lexError { throw lexError }
            var left = try conjunction()
            while isKeyword("or") {
                index += 1
                left = .or(left, try conjunction())
            }
            return left
        }

        mutating func conjunction() throws(ParseError) -> EventFilter {
            var left = try negation()
            while isKeyword("and") {
                index += 1
                left = .and(left, try negation())
            }
            return left
        }

        mutating func negation() throws(ParseError) -> EventFilter {
            if isKeyword("not") {
                index += 1
                return .not(try negation())
            }
            return try primary()
        }

        mutating func primary() throws(ParseError) -> EventFilter {
            guard let t = peek() else { throw error("expected a condition such as source.ip=10.1.2.3") }
            if t.kind == .open {
                index += 1
                let inner = try expression()
                guard peek()?.kind == .close else { throw error("expected ')' to close the '(' at column \(t.column)") }
                index += 1
                return inner
            }
            guard t.kind == .word, !["and", "or"].contains(t.text.lowercased()) else {
                throw error("expected a field name, found '\(t.text)'")
            }
            guard t.text.allSatisfy({ $0.isLetter || $0.isNumber || "._@-".contains($0) }) else {
                throw error("'\(t.text)' is not a field name")
            }
            index += 1
            guard let opToken = peek(), opToken.kind == .op, let op = Op(rawValue: opToken.text) else {
                let found = peek().map { "'\($0.text)'" } ?? "the end"
                throw error("expected an operator (= != > >= < <= :) after '\(t.text)', found \(found)")
            }
            index += 1
            guard let v = peek(), v.kind == .word || v.kind == .quoted else {
                throw error("expected a value after '\(op.rawValue)'")
            }
            if [.gt, .ge, .lt, .le].contains(op), Double(v.text) == nil, Timestamp(rfc3339: v.text) == nil {
                throw error("'\(op.rawValue)' compares numbers or RFC 3339 times, not '\(v.text)'")
            }
            index += 1
            return .compare(field: t.text, op: op, value: v.text)
        }
    }

    // MARK: Matching

    /// Whether the event (a JSON object with ECS field names as keys) matches.
    func matches(_ event: [String: Any]) -> Bool {
        switch self {
        case .not(let f): return !f.matches(event)
        case .and(let a, let b): return a.matches(event) && b.matches(event)
        case .or(let a, let b): return a.matches(event) || b.matches(event)
        case .compare(let field, let op, let value):
            guard let raw = event[field] else { return false }
            let values = (raw as? [Any]) ?? [raw]
            return values.contains { Self.compare($0, op, value) }
        }
    }

    static func compare(_ actual: Any, _ op: Op, _ value: String) -> Bool {
        let text: String
        if let s = actual as? String {
            text = s
        } else if let n = actual as? NSNumber {
            text = n.stringValue
        } else {
            return false
        }
        switch op {
        case .eq: return text == value || (Double(text).map { $0 == Double(value) } ?? false)
        case .ne: return !(text == value || (Double(text).map { $0 == Double(value) } ?? false))
        case .glob: return glob(value.lowercased(), text.lowercased())
        case .gt, .ge, .lt, .le:
            let order: Int
            if let a = Double(text), let b = Double(value) {
                order = a < b ? -1 : (a > b ? 1 : 0)
            } else if let a = Timestamp(rfc3339: text), let b = Timestamp(rfc3339: value) {
                order = a < b ? -1 : (a > b ? 1 : 0)
            } else {
                return false
            }
            switch op {
            case .gt: return order > 0
            case .ge: return order >= 0
            case .lt: return order < 0
            default: return order <= 0
            }
        }
    }

    /// `*` and `?` glob over characters, iterative with backtracking to the last star.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var (pi, ti) = (0, 0)
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Equality conditions on indexed columns that every match must satisfy (the top-level `and`
    /// chain), as query API parameters: the server narrows, the CLI checks the rest.
    var serverParameters: [(String, String)] {
        switch self {
        case .and(let a, let b): return a.serverParameters + b.serverParameters
        case .compare(let field, .eq, let value):
            let names = [
                "source.ip": "source.ip", "destination.ip": "destination.ip", "event.dataset": "dataset",
                "host.name": "host", "user.name": "user", "observer.id": "observer",
            ]
            return names[field].map { [($0, value)] } ?? []
        default: return []
        }
    }
}

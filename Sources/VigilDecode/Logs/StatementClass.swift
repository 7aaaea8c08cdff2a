/// The kind of a SQL statement, from its leading keyword, for `vigil.db.statement_class`.
///
/// Leading whitespace, `--` and `/* */` comments and `(` are skipped. `WITH` resolves to the verb after
/// its common table expressions; `COPY ... TO` (and psql's `\copy ... to`) is `export`, `COPY ... FROM`
/// and `LOAD DATA` are `copy`; `SELECT ... INTO OUTFILE|DUMPFILE` is `export`; user and role management
/// (`GRANT`, `REVOKE`, `CREATE|ALTER|DROP USER|ROLE`, `SET PASSWORD`) is `dcl`.
enum StatementClass: String, Sendable {
    case select, insert, update, delete, ddl, copy, export, dcl, tcl, other

    init(_ text: String) {
        var text = text
        self = text.withUTF8 { Self.classify(UnsafeRawBufferPointer($0)) }
    }

    static func classify(_ p: UnsafeRawBufferPointer) -> StatementClass {
        var s = Scanner(p: p, i: 0)
        let verb = s.word()
        switch verb {
        case "SELECT", "VALUES", "TABLE":
            return s.containsWord("OUTFILE") || s.containsWord("DUMPFILE") ? .export : .select
        case "INSERT", "REPLACE": return .insert
        case "UPDATE", "MERGE", "UPSERT": return .update
        case "DELETE": return .delete
        case "TRUNCATE", "RENAME", "COMMENT", "REINDEX", "CLUSTER": return .ddl
        case "CREATE", "ALTER", "DROP":
            var t = s
            var next = t.word()
            if next == "OR" {  // CREATE OR REPLACE
                _ = t.word()
                next = t.word()
            }
            return next == "USER" || next == "ROLE" || next == "GROUP" ? .dcl : .ddl
        case "GRANT", "REVOKE": return .dcl
        case "SET":
            var t = s
            return t.word() == "PASSWORD" ? .dcl : .other
        case "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END", "ABORT", "XA": return .tcl
        case "COPY", "\\COPY": return s.copyDirection()
        case "LOAD": return .copy
        case "WITH":
            guard s.skipCommonTableExpressions() else { return .other }
            var t = s
            switch t.word() {
            case "SELECT", "VALUES", "TABLE": return .select
            case "INSERT": return .insert
            case "UPDATE", "MERGE": return .update
            case "DELETE": return .delete
            default: return .other
            }
        default: return .other
        }
    }

    /// A cursor over SQL text that skips comments, quoted strings and identifiers.
    struct Scanner {
        let p: UnsafeRawBufferPointer
        var i: Int

        static let maxWordLength = 16

        mutating func skipTrivia() {
            let end = p.count
            while i < end {
                let c = p[i]
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: "(") || c == UInt8(ascii: ";")
                {
                    i += 1
                } else if c == UInt8(ascii: "-"), i + 1 < end, p[i + 1] == UInt8(ascii: "-") {
                    while i < end, p[i] != 0x0A { i += 1 }
                } else if c == UInt8(ascii: "/"), i + 1 < end, p[i + 1] == UInt8(ascii: "*") {
                    i += 2
                    while i + 1 < end, !(p[i] == UInt8(ascii: "*") && p[i + 1] == UInt8(ascii: "/")) { i += 1 }
                    i = min(i + 2, end)
                } else {
                    return
                }
            }
        }

        /// The next word uppercased (letters, digits, `_`, a leading `\`), or "" when none.
        mutating func word() -> String {
            skipTrivia()
            let start = i
            let end = p.count
            while i < end {
                let c = p[i]
                let isWord =
                    (c | 0x20) &- 0x61 < 26 || c &- 0x30 < 10 || c == UInt8(ascii: "_")
                    || (c == UInt8(ascii: "\\") && i == start)
                guard isWord else { break }
                i += 1
            }
            guard i > start, i - start <= Self.maxWordLength else { return "" }
            return String(decoding: p[start..<i].map(LogBytes.upper), as: UTF8.self)
        }

        /// Skips a quoted string or identifier starting at `i` (`'...'` with `''`, `"..."`, `` `...` ``).
        mutating func skipQuoted() {
            let q = p[i]
            i += 1
            while i < p.count {
                if p[i] == q {
                    if i + 1 < p.count, p[i + 1] == q {
                        i += 2
                        continue
                    }
                    i += 1
                    return
                }
                if p[i] == UInt8(ascii: "\\"), q == UInt8(ascii: "'") { i += 1 }
                i += 1
            }
        }

        /// Advances past the parenthesised group starting at `i` (which must be `(`).
        mutating func skipGroup() -> Bool {
            var depth = 0
            while i < p.count {
                let c = p[i]
                if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                    skipQuoted()
                    continue
                }
                if c == UInt8(ascii: "(") { depth += 1 }
                if c == UInt8(ascii: ")") {
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                }
                i += 1
            }
            return false
        }

        /// `name [(cols)] AS [NOT] [MATERIALIZED] (query) [, ...]` after `WITH [RECURSIVE]`.
        mutating func skipCommonTableExpressions() -> Bool {
            var t = self
            if t.word() == "RECURSIVE" { self = t }
            for _ in 0..<64 {
                skipSpaces()
                if i < p.count, p[i] == UInt8(ascii: "\"") { skipQuoted() } else if word().isEmpty { return false }
                skipSpaces()
                if i < p.count, p[i] == UInt8(ascii: "(") { guard skipGroup() else { return false } }
                guard word() == "AS" else { return false }
                skipSpaces()
                while i < p.count, p[i] != UInt8(ascii: "(") {
                    guard ["NOT", "MATERIALIZED"].contains(word()) else { return false }
                    skipSpaces()
                }
                guard skipGroup() else { return false }
                skipSpaces()
                guard i < p.count, p[i] == UInt8(ascii: ",") else { return true }
                i += 1
            }
            return false
        }

        mutating func skipSpaces() {
            while i < p.count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0A || p[i] == 0x0D { i += 1 }
        }

        /// `COPY table [(cols)] TO|FROM ...` or `COPY (query) TO ...`.
        mutating func copyDirection() -> StatementClass {
            skipSpaces()
            if i < p.count, p[i] == UInt8(ascii: "(") {
                guard skipGroup() else { return .other }
            }
            for _ in 0..<16 {
                skipSpaces()
                guard i < p.count else { break }
                if p[i] == UInt8(ascii: "(") {
                    guard skipGroup() else { break }
                    continue
                }
                if p[i] == UInt8(ascii: "\"") {
                    skipQuoted()
                    continue
                }
                let w = word()
                if w == "TO" { return .export }
                if w == "FROM" { return .copy }
                if w.isEmpty { i += 1 }
            }
            return .other
        }

        /// Whether the word occurs, outside quotes, anywhere after the cursor.
        func containsWord(_ target: StaticString) -> Bool {
            var t = self
            let end = p.count
            while t.i < end {
                let c = p[t.i]
                if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                    t.skipQuoted()
                    continue
                }
                let isWordByte = (c | 0x20) &- 0x61 < 26 || c == UInt8(ascii: "_")
                if isWordByte {
                    let before = t.i == 0 ? 0x20 : p[t.i - 1]
                    let boundary = !((before | 0x20) &- 0x61 < 26 || before == UInt8(ascii: "_") || before &- 0x30 < 10)
                    let n = target.utf8CodeUnitCount
                    if boundary, LogBytes.matchesUppercased(p, t.i, end, target) {
                        let after = t.i + n < end ? p[t.i + n] : 0x20
                        if !((after | 0x20) &- 0x61 < 26 || after == UInt8(ascii: "_") || after &- 0x30 < 10) {
                            return true
                        }
                    }
                }
                t.i += 1
            }
            return false
        }
    }
}

import Testing
import VigilConfig
import VigilCore
import VigilRules

/// Conformance of values and modifiers with the Sigma specification and pySigma's documentation.
struct DetectionModifierTests {
    @Test("a plain value matches the whole field, ignoring case")
    func plainValue() {
        let rule = CompiledDetection("sel:\n  url.path: /Admin\ncondition: sel")
        #expect(rule.detection != nil)
        #expect(rule.matches(["url.path": .string("/admin")]))
        #expect(!rule.matches(["url.path": .string("/admin/x")]))
        #expect(!rule.matches(["url.query": .string("/admin")]))
    }

    @Test("* and ? are wildcards, and a backslash makes them literal")
    func wildcards() {
        let star = CompiledDetection("sel:\n  f: 'a*c?e'\ncondition: sel")
        #expect(star.matches(["f": .string("abbbcde")]))
        #expect(star.matches(["f": .string("acxe")]))
        #expect(!star.matches(["f": .string("acxxe")]))
        let escaped = CompiledDetection("sel:\n  f: 'a\\*c\\?'\ncondition: sel")
        #expect(escaped.matches(["f": .string("a*c?")]))
        #expect(!escaped.matches(["f": .string("abc?")]))
        let backslash = CompiledDetection("sel:\n  f: 'C:\\Windows\\\\*'\ncondition: sel")
        #expect(backslash.matches(["f": .string("C:\\Windows\\system32")]))
        #expect(!backslash.matches(["f": .string("C:Windowssystem32")]))
    }

    @Test("? matches one character even when it is several UTF-8 bytes")
    func singleCharacterWildcard() {
        let rule = CompiledDetection("sel:\n  f: 'caf?'\ncondition: sel")
        #expect(rule.matches(["f": .string("café")]))
        #expect(!rule.matches(["f": .string("caf")]))
    }

    @Test("cased makes matching case-sensitive")
    func cased() {
        let rule = CompiledDetection("sel:\n  f|cased: 'CMD'\ncondition: sel")
        #expect(rule.matches(["f": .string("CMD")]))
        #expect(!rule.matches(["f": .string("cmd")]))
        let contains = CompiledDetection("sel:\n  f|contains|cased: 'Évil'\ncondition: sel")
        #expect(contains.matches(["f": .string("an Évil one")]))
        #expect(!contains.matches(["f": .string("an évil one")]))
    }

    @Test("non-ASCII needles fold case too")
    func unicodeCase() {
        let rule = CompiledDetection("sel:\n  f|contains: 'ÉVIL'\ncondition: sel")
        #expect(rule.matches(["f": .string("very évil")]))
        #expect(!rule.matches(["f": .string("very evil")]))
    }

    @Test("contains, startswith and endswith place the value in the field")
    func positions() {
        let rule = CompiledDetection(
            """
            sel:
              a|contains: union select
              b|startswith: /wp-
              c|endswith: .php
            condition: sel
            """)
        #expect(rule.matches(["a": .string("id=1 UNION SELECT x"), "b": .string("/wp-login"), "c": .string("/x.PHP")]))
        #expect(
            !rule.matches(["a": .string("id=1 UNION SELECT x"), "b": .string("/x/wp-login"), "c": .string("/x.php")]))
        #expect(
            !rule.matches(["a": .string("id=1 UNION SELECT x"), "b": .string("/wp-login"), "c": .string("/x.php5")]))
    }

    @Test("a list of values is an OR, and all makes it an AND")
    func lists() {
        let any = CompiledDetection("sel:\n  f|contains:\n    - wget\n    - curl\ncondition: sel")
        #expect(any.matches(["f": .string("curl http://x")]))
        #expect(!any.matches(["f": .string("fetch http://x")]))
        let all = CompiledDetection("sel:\n  f|contains|all:\n    - wget\n    - chmod\ncondition: sel")
        #expect(all.matches(["f": .string("wget x; chmod +x x")]))
        #expect(!all.matches(["f": .string("wget x")]))
    }

    @Test("the fields of a mapping are an AND, a list of mappings an OR")
    func mappingsAndLists() {
        let rule = CompiledDetection(
            """
            sel:
              - method: POST
                status: 200
              - method: PUT
            condition: sel
            """)
        #expect(rule.matches(["method": .string("post"), "status": .int(200)]))
        #expect(!rule.matches(["method": .string("post"), "status": .int(404)]))
        #expect(rule.matches(["method": .string("PUT")]))
        #expect(!rule.matches(["method": .string("GET")]))
    }

    @Test("null matches an absent or empty field")
    func null() {
        let rule = CompiledDetection("sel:\n  user: null\ncondition: sel")
        #expect(rule.matches([:]))
        #expect(rule.matches(["user": .string("")]))
        #expect(!rule.matches(["user": .string("root")]))
        let tilde = CompiledDetection("sel:\n  user: ~\ncondition: not sel")
        #expect(tilde.matches(["user": .string("root")]))
    }

    @Test("exists tests whether the field is present")
    func exists() {
        let present = CompiledDetection("sel:\n  user|exists: true\ncondition: sel")
        #expect(present.matches(["user": .string("")]))
        #expect(!present.matches(["other": .string("x")]))
        let absent = CompiledDetection("sel:\n  user|exists: false\ncondition: sel")
        #expect(absent.matches(["other": .string("x")]))
        #expect(!absent.matches(["user": .string("x")]))
    }

    @Test("keywords search the keyword fields for the text anywhere, ignoring case")
    func keywords() {
        let rule = CompiledDetection("keywords:\n  - 'Failed password'\n  - 'Invalid user'\ncondition: keywords")
        #expect(rule.matches(["message": .string("sshd: FAILED PASSWORD for root")]))
        #expect(!rule.matches(["message": .string("Accepted password for root")]))
        #expect(!rule.matches(["other": .string("Failed password")]))
        let single = CompiledDetection("keywords: 'segfault'\ncondition: keywords")
        #expect(single.matches(["message": .string("kernel: app[1] segfault at 0")]))
        #expect(!single.matches(["message": .string("kernel: ok")]))
        let all = CompiledDetection("keywords:\n  '|all':\n    - foo\n    - bar\ncondition: keywords")
        #expect(all.matches(["message": .string("bar and foo")]))
        #expect(!all.matches(["message": .string("foo only")]))
    }

    @Test("numbers compare numerically with numbers and as text with strings")
    func numbers() {
        let rule = CompiledDetection("sel:\n  status: 404\ncondition: sel")
        #expect(rule.matches(["status": .int(404)]))
        #expect(rule.matches(["status": .double(404)]))
        #expect(rule.matches(["status": .string("404")]))
        #expect(!rule.matches(["status": .int(4040)]))
        #expect(!rule.matches(["status": .string("0404")]))
        let text = CompiledDetection("sel:\n  status: '40*'\ncondition: sel")
        #expect(text.matches(["status": .int(403)]))
        #expect(!text.matches(["status": .int(500)]))
    }

    @Test("booleans match booleans and their text")
    func booleans() {
        let rule = CompiledDetection("sel:\n  tls.established: false\ncondition: sel")
        #expect(rule.matches(["tls.established": .bool(false)]))
        #expect(rule.matches(["tls.established": .string("False")]))
        #expect(!rule.matches(["tls.established": .bool(true)]))
    }

    @Test("gt, gte, lt and lte compare numbers")
    func comparisons() {
        let rule = CompiledDetection(
            "sel:\n  a|gt: 10\n  b|gte: 10\n  c|lt: 2.5\n  d|lte: 3\ncondition: sel")
        #expect(rule.matches(["a": .int(11), "b": .int(10), "c": .double(2.4), "d": .string("3")]))
        #expect(!rule.matches(["a": .int(10), "b": .int(10), "c": .double(2.4), "d": .int(3)]))
        #expect(!rule.matches(["a": .int(11), "b": .int(9), "c": .double(2.4), "d": .int(3)]))
        #expect(!rule.matches(["a": .int(11), "b": .int(10), "c": .double(2.5), "d": .int(3)]))
        #expect(!rule.matches(["a": .int(11), "b": .int(10), "c": .double(2.4), "d": .int(4)]))
    }

    @Test("re searches with PCRE, case-sensitive unless i; m and s set multiline and dotall")
    func regex() {
        let plain = CompiledDetection("sel:\n  f|re: 'union\\s+select'\ncondition: sel")
        #expect(plain.matches(["f": .string("1 union   select 2")]))
        #expect(!plain.matches(["f": .string("1 UNION SELECT 2")]))
        let caseless = CompiledDetection("sel:\n  f|re|i: '^union\\s+select'\ncondition: sel")
        #expect(caseless.matches(["f": .string("UNION SELECT 2")]))
        #expect(!caseless.matches(["f": .string("x UNION SELECT 2")]))
        let multiline = CompiledDetection("sel:\n  f|re|m: '^b$'\ncondition: sel")
        #expect(multiline.matches(["f": .string("a\nb\nc")]))
        #expect(!CompiledDetection("sel:\n  f|re: '^b$'\ncondition: sel").matches(["f": .string("a\nb\nc")]))
        let dotAll = CompiledDetection("sel:\n  f|re|s: 'a.b'\ncondition: sel")
        #expect(dotAll.matches(["f": .string("a\nb")]))
        #expect(!CompiledDetection("sel:\n  f|re: 'a.b'\ncondition: sel").matches(["f": .string("a\nb")]))
    }

    @Test("cidr tests IPv4 and IPv6 membership of addresses and address text")
    func cidr() {
        let rule = CompiledDetection("sel:\n  source.ip|cidr:\n    - 10.0.0.0/8\n    - 'fd00::/8'\ncondition: sel")
        #expect(rule.matches(["source.ip": .ip(IPAddress("10.20.30.40")!)]))
        #expect(rule.matches(["source.ip": .string("10.1.2.3")]))
        #expect(rule.matches(["source.ip": .ip(IPAddress("fd12:3456::1")!)]))
        #expect(!rule.matches(["source.ip": .ip(IPAddress("11.0.0.1")!)]))
        #expect(!rule.matches(["source.ip": .ip(IPAddress("fe80::1")!)]))
        #expect(!rule.matches(["source.ip": .string("not an address")]))
    }

    @Test("an IP field compares as its text")
    func addressText() {
        let rule = CompiledDetection("sel:\n  source.ip:\n    - 192.168.1.1\n    - '10.0.*'\ncondition: sel")
        #expect(rule.matches(["source.ip": .ip(IPAddress("192.168.1.1")!)]))
        #expect(rule.matches(["source.ip": .ip(IPAddress("10.0.3.4")!)]))
        #expect(!rule.matches(["source.ip": .ip(IPAddress("192.168.1.10")!)]))
    }

    @Test("base64 matches the encoded value, base64offset its encodings at the three offsets")
    func base64() {
        let whole = CompiledDetection("sel:\n  f|base64: 'http://'\ncondition: sel")
        #expect(whole.matches(["f": .string("aHR0cDovLw==")]))
        #expect(!whole.matches(["f": .string("aHR0cDovLw")]))
        let offsets = CompiledDetection("sel:\n  f|base64offset|contains: 'http://'\ncondition: sel")
        #expect(offsets.matches(["f": .string("echo aHR0cDovL2V2aWwuZXhhbXBsZS8= | base64 -d")]))
        #expect(offsets.matches(["f": .string("eGh0dHA6Ly9ldmlsLmV4YW1wbGUv")]))
        #expect(offsets.matches(["f": .string("eHlodHRwOi8vZXZpbC5leGFtcGxlLw==")]))
        #expect(!offsets.matches(["f": .string("ZnRwOi8vZXZpbC5leGFtcGxl")]))
        // Base64 is case-sensitive: other letter case is other bytes.
        #expect(!offsets.matches(["f": .string("AHR0CDOVL2V2AWWUZXHHBXBSZS8=")]))
    }

    @Test("wide, utf16le, utf16be and utf16 encode before base64")
    func utf16() {
        let command = "cABvAHcAZQByAHMAaABlAGwAbAAgAC0AYwAgAHAAaQBuAGcAIABlAHYAaQBsAA=="
        let shifted = "WnAAbwB3AGUAcgBzAGgAZQBsAGwAIAAtAGMAIABwAGkAbgBnACAAZQB2AGkAbAA="
        for modifier in ["wide", "utf16le"] {
            let rule = CompiledDetection("sel:\n  f|\(modifier)|base64offset|contains: 'ping'\ncondition: sel")
            #expect(rule.matches(["f": .string(command)]))
            #expect(rule.matches(["f": .string(shifted)]))
            #expect(!rule.matches(["f": .string("cABpAG4AZgA=")]))
        }
        let plain = CompiledDetection("sel:\n  f|wide|base64offset|contains: 'ping'\ncondition: sel")
        #expect(!plain.matches(["f": .string("cGluZw==")]))
        let bigEndian = CompiledDetection("sel:\n  f|utf16be|base64: 'ping'\ncondition: sel")
        #expect(bigEndian.matches(["f": .string("AHAAaQBuAGc=")]))
        #expect(!bigEndian.matches(["f": .string("cABpAG4AZwA=")]))
        let bom = CompiledDetection("sel:\n  f|utf16|base64: 'ping'\ncondition: sel")
        #expect(bom.matches(["f": .string("//5wAGkAbgBnAA==")]))
        #expect(!bom.matches(["f": .string("cABpAG4AZwA=")]))
    }

    @Test("windash matches a flag written with -, /, en dash, em dash or horizontal bar")
    func windash() {
        let rule = CompiledDetection("sel:\n  f|windash|contains: ' -exec bypass'\ncondition: sel")
        for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
            #expect(rule.matches(["f": .string("powershell \(dash)exec bypass")]))
        }
        #expect(!rule.matches(["f": .string("powershell +exec bypass")]))
        // A dash inside a word is not a flag and keeps its meaning.
        let inner = CompiledDetection("sel:\n  f|windash: 'a-b'\ncondition: sel")
        #expect(inner.matches(["f": .string("a-b")]))
        #expect(!inner.matches(["f": .string("a/b")]))
    }

    @Test("fieldref compares a field with another field's value")
    func fieldReference() {
        let rule = CompiledDetection("sel:\n  user.name|fieldref: user.target.name\ncondition: sel")
        #expect(rule.matches(["user.name": .string("Root"), "user.target.name": .string("root")]))
        #expect(!rule.matches(["user.name": .string("alice"), "user.target.name": .string("root")]))
        #expect(!rule.matches(["user.name": .string("alice")]))
        let numbers = CompiledDetection("sel:\n  a|fieldref: b\ncondition: sel")
        #expect(numbers.matches(["a": .int(5), "b": .double(5)]))
        let contains = CompiledDetection("sel:\n  url.path|fieldref|contains: user.name\ncondition: sel")
        #expect(contains.matches(["url.path": .string("/home/bob/x"), "user.name": .string("bob")]))
        #expect(!contains.matches(["url.path": .string("/home/eve/x"), "user.name": .string("bob")]))
    }

    @Test("a list in the event matches when any element does")
    func eventLists() {
        let rule = CompiledDetection("sel:\n  dns.answers.data|endswith: .onion\ncondition: sel")
        #expect(rule.matches(["dns.answers.data": .list([.string("a.com"), .string("x.onion")])]))
        #expect(!rule.matches(["dns.answers.data": .list([.string("a.com"), .string("b.org")])]))
    }

    @Test("neq negates a field's match")
    func notEqual() {
        let rule = CompiledDetection("sel:\n  method|neq: GET\ncondition: sel")
        #expect(rule.matches(["method": .string("POST")]))
        #expect(!rule.matches(["method": .string("get")]))
    }

    @Test("a mapped Sigma name matches any of its fields")
    func mappedFields() {
        let resolver = FieldResolver(mapping: ["c-ip": [FieldID("source.ip"), FieldID("client.ip")]])
        let rule = CompiledDetection("sel:\n  c-ip: 10.0.0.1\ncondition: sel", fields: resolver)
        #expect(rule.matches(["client.ip": .ip(IPAddress("10.0.0.1")!)]))
        #expect(!rule.matches(["client.ip": .ip(IPAddress("10.0.0.2")!)]))
        #expect(rule.detection?.fields == [FieldID("source.ip"), FieldID("client.ip")])
    }
}

@Suite("Non-ASCII case folding")
struct NonASCIIFoldingTests {
    @Test("a non-ASCII needle matches its other case in an event field, as Sigma's default case-insensitivity says")
    func folds() {
        let detection = CompiledDetection(
            """
            selection:
              message|contains: 'éclair'
            condition: selection
            """)
        #expect(detection.matches(["message": .string("UN ÉCLAIR AU CAFÉ")]))
        #expect(!detection.matches(["message": .string("un eclair")]))
    }
}

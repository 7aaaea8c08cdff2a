import Foundation
import Testing
import VigilCore

@testable import VigilRules

/// A hand-written excerpt of the list, with both sections and the rule kinds the algorithm treats
/// differently; the tests that use it run everywhere.
private let excerpt = """
    // ===BEGIN ICANN DOMAINS===
    com
    uk
    co.uk
    cn
    com.cn
    gov.cn
    bj.cn
    公司.cn
    中国
    // ck : wildcard with an exception
    *.ck
    !www.ck
    jp
    *.kawasaki.jp
    !city.kawasaki.jp
    // ===END ICANN DOMAINS===
    // ===BEGIN PRIVATE DOMAINS===
    github.io
    // ===END PRIVATE DOMAINS===
    """

private let small = PublicSuffixList(text: excerpt)

/// The list Debian's `publicsuffix` package installs, when this machine has it.
private let system = try? PublicSuffixList.load(path: PublicSuffixList.systemPath)

/// `checkPublicSuffix` vectors from the PSL project's tests/test_psl.txt (the null-input case left
/// out): a name and its registrable domain, or nil.
private let pslVectors: [(String, String?)] = [
    // Mixed case.
    ("COM", nil), ("example.COM", "example.com"), ("WwW.example.COM", "example.com"),
    // Leading dot.
    (".com", nil), (".example", nil), (".example.com", nil), (".example.example", nil),
    // Unlisted TLD.
    ("example", nil), ("example.example", "example.example"), ("b.example.example", "example.example"),
    ("a.b.example.example", "example.example"),
    // TLD with only 1 rule.
    ("biz", nil), ("domain.biz", "domain.biz"), ("b.domain.biz", "domain.biz"), ("a.b.domain.biz", "domain.biz"),
    // TLD with some 2-level rules.
    ("com", nil), ("example.com", "example.com"), ("b.example.com", "example.com"),
    ("a.b.example.com", "example.com"), ("uk.com", nil), ("example.uk.com", "example.uk.com"),
    ("b.example.uk.com", "example.uk.com"), ("a.b.example.uk.com", "example.uk.com"), ("test.ac", "test.ac"),
    // TLD with only 1 (wildcard) rule.
    ("mm", nil), ("c.mm", nil), ("b.c.mm", "b.c.mm"), ("a.b.c.mm", "b.c.mm"),
    // More complex TLD.
    ("jp", nil), ("test.jp", "test.jp"), ("www.test.jp", "test.jp"), ("ac.jp", nil), ("test.ac.jp", "test.ac.jp"),
    ("www.test.ac.jp", "test.ac.jp"), ("kyoto.jp", nil), ("test.kyoto.jp", "test.kyoto.jp"), ("ide.kyoto.jp", nil),
    ("b.ide.kyoto.jp", "b.ide.kyoto.jp"), ("a.b.ide.kyoto.jp", "b.ide.kyoto.jp"), ("c.kobe.jp", nil),
    ("b.c.kobe.jp", "b.c.kobe.jp"), ("a.b.c.kobe.jp", "b.c.kobe.jp"), ("city.kobe.jp", "city.kobe.jp"),
    ("www.city.kobe.jp", "city.kobe.jp"),
    // TLD with a wildcard rule and exceptions.
    ("ck", nil), ("test.ck", nil), ("b.test.ck", "b.test.ck"), ("a.b.test.ck", "b.test.ck"), ("www.ck", "www.ck"),
    ("www.www.ck", "www.ck"),
    // US K12.
    ("us", nil), ("test.us", "test.us"), ("www.test.us", "test.us"), ("ak.us", nil), ("test.ak.us", "test.ak.us"),
    ("www.test.ak.us", "test.ak.us"), ("k12.ak.us", nil), ("test.k12.ak.us", "test.k12.ak.us"),
    ("www.test.k12.ak.us", "test.k12.ak.us"),
    // IDN labels.
    ("食狮.com.cn", "食狮.com.cn"), ("食狮.公司.cn", "食狮.公司.cn"), ("www.食狮.公司.cn", "食狮.公司.cn"),
    ("shishi.公司.cn", "shishi.公司.cn"), ("公司.cn", nil), ("食狮.中国", "食狮.中国"), ("www.食狮.中国", "食狮.中国"),
    ("shishi.中国", "shishi.中国"), ("中国", nil),
    // Same as above, but punycoded.
    ("xn--85x722f.com.cn", "xn--85x722f.com.cn"), ("xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"),
    ("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"), ("shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn"),
    ("xn--55qx5d.cn", nil), ("xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s"),
    ("www.xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s"), ("shishi.xn--fiqs8s", "shishi.xn--fiqs8s"),
    ("xn--fiqs8s", nil),
]

private func dnsEvent(_ name: String) -> Event {
    var event = Event(timestamp: Timestamp(microseconds: 0), id: "e", dataset: .dns)
    event.set(Fields.dnsQuestionName, name)
    return event
}

@Suite("Public Suffix List")
struct PublicSuffixTests {
    @Test(
        "punycode encodes IDNA labels and the RFC 3492 samples",
        arguments: [
            ("公司", "55qx5d"), ("政务", "zfr164b"), ("中国", "fiqs8s"), ("食狮", "85x722f"), ("bücher", "bcher-kva"),
            ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),
            ("安室奈美恵-with-SUPER-MONKEYS", "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
            ("Pročprostěnemluvíčesky", "Proprostnemluvesky-uyb24dma41a"),
        ])
    func punycode(label: String, encoded: String) {
        #expect(Punycode.encode(label.unicodeScalars).map { String(decoding: $0, as: UTF8.self) } == encoded)
    }

    @Test("Chinese government and commercial names resolve to the owner under gov.cn and com.cn")
    func chineseNames() {
        #expect(small.publicSuffix(of: "www.beijing.gov.cn") == "gov.cn")
        #expect(small.registeredDomain(of: "www.beijing.gov.cn") == "beijing.gov.cn")
        #expect(small.registeredDomain(of: "a.b.c.example.com.cn") == "example.com.cn")
        #expect(small.publicSuffix(of: "a.b.c.example.com.cn") == "com.cn")
        #expect(small.registeredDomain(of: "www.example.bj.cn") == "example.bj.cn")
        #expect(small.registeredDomain(of: "gov.cn") == nil)
        #expect(small.publicSuffix(of: "gov.cn") == "gov.cn")
        #expect(small.registeredDomain(of: "www.gov.cn") == "www.gov.cn")
    }

    @Test("Unicode rules match punycode names, and Unicode names answer in Unicode")
    func idn() {
        #expect(small.publicSuffix(of: "xn--55qx5d.cn") == "xn--55qx5d.cn")
        #expect(small.registeredDomain(of: "xn--55qx5d.cn") == nil)
        #expect(small.registeredDomain(of: "a.example.xn--55qx5d.cn") == "example.xn--55qx5d.cn")
        #expect(small.registeredDomain(of: "a.XN--85X722F.XN--FIQS8S") == "xn--85x722f.xn--fiqs8s")
        #expect(small.registeredDomain(of: "www.食狮.公司.cn") == "食狮.公司.cn")
        #expect(small.registeredDomain(of: "www.食狮.xn--55qx5d.cn") == "食狮.xn--55qx5d.cn")
        #expect(small.publicSuffix(of: "食狮.中国") == "中国")
    }

    @Test("case is folded and one trailing dot is ignored; empty labels have no suffix")
    func normalisation() {
        #expect(small.registeredDomain(of: "WWW.Example.COM.") == "example.com")
        #expect(small.publicSuffix(of: "Example.CO.UK.") == "co.uk")
        #expect(small.registeredDomain(of: "com.") == nil)
        for bad in ["", ".", "..", ".com", "a..com", "example.com..", ".example.com"] {
            #expect(small.publicSuffix(of: bad) == nil, "\(bad)")
            #expect(small.registeredDomain(of: bad) == nil, "\(bad)")
        }
    }

    @Test("wildcards and exceptions: *.ck with !www.ck, *.kawasaki.jp with !city.kawasaki.jp")
    func wildcardsAndExceptions() {
        #expect(small.registeredDomain(of: "test.ck") == nil)
        #expect(small.registeredDomain(of: "a.b.test.ck") == "b.test.ck")
        #expect(small.registeredDomain(of: "www.ck") == "www.ck")
        #expect(small.publicSuffix(of: "www.www.ck") == "ck")
        #expect(small.publicSuffix(of: "x.kawasaki.jp") == "x.kawasaki.jp")
        #expect(small.registeredDomain(of: "a.b.x.kawasaki.jp") == "b.x.kawasaki.jp")
        #expect(small.registeredDomain(of: "city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(small.registeredDomain(of: "www.city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(small.publicSuffix(of: "kawasaki.jp") == "jp")
    }

    @Test("unlisted TLDs fall back to the default rule; PRIVATE rules separate owners")
    func defaultRuleAndPrivate() {
        #expect(small.publicSuffix(of: "host.corp.internal") == "internal")
        #expect(small.registeredDomain(of: "host.corp.internal") == "corp.internal")
        #expect(small.registeredDomain(of: "internal") == nil)
        #expect(small.registeredDomain(of: "x1.alice.github.io") == "alice.github.io")
        #expect(small.registeredDomain(of: "github.io") == nil)
    }

    @Test("a malformed list line is skipped, not a crash, and the rules around it still load")
    func malformedLines() {
        let list = PublicSuffixList(
            text: """
                com
                a..b
                !only
                *bar.foo
                .leading
                trailing.
                !*.wild
                <html>
                   net    trailing words are ignored
                \u{1}ctl
                cn\r
                com.cn
                """)
        #expect(list.skippedLines == [2, 3, 4, 5, 6, 7, 8, 10])
        #expect(list.ruleCount == 4)
        #expect(list.registeredDomain(of: "www.example.net") == "example.net")
        #expect(list.registeredDomain(of: "a.example.com.cn") == "example.com.cn")
        #expect(PublicSuffixList(text: "").publicSuffix(of: "a.b") == "b")
    }

    @Test("enrich adds registered domain, subdomain and suffix to DNS events only")
    func enrich() {
        var event = dnsEvent("a.b.c.Example.com.cn.")
        small.enrich(&event)
        small.enrich(&event)
        #expect(event[Fields.dnsQuestionRegisteredDomain] == .string("example.com.cn"))
        #expect(event[Fields.dnsQuestionSubdomain] == .string("a.b.c"))
        #expect(event[Fields.dnsQuestionTopLevelDomain] == .string("com.cn"))
        #expect(event.fields.count == 4)

        var bare = dnsEvent("example.com")
        small.enrich(&bare)
        #expect(bare[Fields.dnsQuestionRegisteredDomain] == .string("example.com"))
        #expect(bare[Fields.dnsQuestionSubdomain] == nil)
        #expect(bare[Fields.dnsQuestionTopLevelDomain] == .string("com"))

        var suffix = dnsEvent("co.uk")
        small.enrich(&suffix)
        #expect(suffix[Fields.dnsQuestionRegisteredDomain] == nil)
        #expect(suffix[Fields.dnsQuestionTopLevelDomain] == .string("co.uk"))

        var web = Event(timestamp: Timestamp(microseconds: 0), id: "w", dataset: .http)
        web.set(Fields.urlDomain, "www.example.com")
        let before = web
        small.enrich(&web)
        #expect(web == before)
    }

    @Test("load reports a missing or wrong file as an io error naming the path")
    func loadErrors() throws {
        let missing = "/nonexistent/vigil/public_suffix_list.dat"
        #expect(throws: VigilError(.io, "\(missing): cannot open: No such file or directory")) {
            try PublicSuffixList.load(path: missing)
        }
        let path = NSTemporaryDirectory() + "vigil-psl-\(UUID().uuidString).dat"
        try "// only a comment\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: VigilError(.io, "\(path): not a public suffix list (no rules found)")) {
            try PublicSuffixList.load(path: path)
        }
    }

    @Test(
        "the PSL project's test vectors hold against the system list",
        .enabled(if: system != nil, "\(PublicSuffixList.systemPath) absent: apt-get install publicsuffix"),
        arguments: pslVectors)
    func pslTestVectors(name: String, registered: String?) throws {
        let list = try #require(system)
        #expect(list.registeredDomain(of: name) == registered)
    }

    @Test(
        "the system list: both sections load, gov.cn owners and private suffixes separate",
        .enabled(if: system != nil, "\(PublicSuffixList.systemPath) absent: apt-get install publicsuffix"))
    func systemList() throws {
        let list = try #require(system)
        #expect(list.ruleCount > 9000)
        #expect(list.skippedLines.isEmpty)
        #expect(list.registeredDomain(of: "www.beijing.gov.cn") == "beijing.gov.cn")
        #expect(list.registeredDomain(of: "a.b.c.example.com.cn") == "example.com.cn")
        #expect(list.registeredDomain(of: "x.y.example.xn--zfr164b") == "example.xn--zfr164b")
        #expect(list.registeredDomain(of: "alice.github.io") == "alice.github.io")
        #expect(list.registeredDomain(of: "www.city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(list.publicSuffix(of: "x.kawasaki.jp") == "x.kawasaki.jp")
        #expect(list.registeredDomain(of: "www.example.co.uk") == "example.co.uk")
    }
}

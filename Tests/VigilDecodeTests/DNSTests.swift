import Testing
import VigilCore

@testable import VigilDecode

@Suite("DNS message parsing")
struct DNSTests {
    typealias B = TestBytes

    func parse(_ bytes: [UInt8]) throws -> DNSMessage { try decode(bytes) { try DNSMessage.parse($0) } }
    func failure(_ bytes: [UInt8]) -> DecodeIssue? { issue(bytes) { try DNSMessage.parse($0) } }

    @Test("a query yields its id, flags and question")
    func query() throws {
        let m = try parse(B.dnsQuery(id: 0x1234, "www.example.com", type: 28))
        #expect(m.id == 0x1234)
        #expect(!m.isResponse)
        #expect(m.opcode == 0)
        #expect(m.recursionDesired)
        #expect(m.headerFlags == ["RD"])
        #expect(m.questions == [DNSMessage.Question(name: "www.example.com", type: 28, class: 1)])
        #expect(m.answers.isEmpty)
    }

    @Test("a response's A record with a compressed owner name expands to the question name")
    func compressedAnswer() throws {
        let m = try parse(B.dnsResponse(id: 7, "example.org", address: [10, 1, 2, 3]))
        #expect(m.isResponse)
        #expect(m.recursionAvailable)
        #expect(m.rcode == 0)
        #expect(m.headerFlags == ["RD", "RA"])
        #expect(m.answers.count == 1)
        let a = try #require(m.answers.first)
        #expect(a.name == "example.org")
        #expect(a.type == 1)
        #expect(a.class == 1)
        #expect(a.ttl == 300)
        #expect(a.data == "10.1.2.3")
        #expect(a.address == IPAddress("10.1.2.3"))
    }

    @Test("all header flag bits, opcode and rcode are decoded")
    func flags() throws {
        // QR, opcode 5 (UPDATE), AA, TC, RD, RA, AD, CD, rcode 3
        let flags: UInt16 = 0x8000 | 5 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 | 3
        let m = try parse(B.dnsHeader(id: 1, flags: flags, qd: 0))
        #expect(m.opcode == 5)
        #expect(m.rcode == 3)
        #expect(m.headerFlags == ["AA", "TC", "RD", "RA", "AD", "CD"])
        #expect(DNSNames.rcode(m.rcode) == "NXDOMAIN")
        #expect(DNSNames.opcode(m.opcode) == "UPDATE")
    }

    @Test("AAAA, CNAME, MX, TXT, SRV, PTR and SOA records are shown in presentation form")
    func recordTypes() throws {
        let q = B.dnsQuestion("example.com", type: 255)
        let ptr: [UInt8] = [0xC0, 12]  // the question name
        var records: [UInt8] = []
        records += B.dnsRecord(
            name: ptr, type: 28, rdata: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [5])
        records += B.dnsRecord(name: ptr, type: 5, rdata: [3] + B.ascii("www") + ptr)
        records += B.dnsRecord(name: ptr, type: 15, rdata: B.be16(10) + [4] + B.ascii("mail") + ptr)
        records += B.dnsRecord(name: ptr, type: 16, rdata: [5] + B.ascii("hello") + [0] + [5] + B.ascii("world"))
        records += B.dnsRecord(
            name: ptr, type: 33, rdata: B.be16(1) + B.be16(2) + B.be16(5060) + [3] + B.ascii("sip") + ptr)
        records += B.dnsRecord(name: ptr, type: 12, rdata: B.dnsName("host.example.net"))
        records += B.dnsRecord(
            name: ptr, type: 6,
            rdata: [2] + B.ascii("ns") + ptr + [10] + B.ascii("hostmaster") + ptr + B.be32(2024010101)
                + [UInt8](repeating: 0, count: 16))
        let m = try parse(B.dnsHeader(id: 9, flags: 0x8400, qd: 1, an: 7) + q + records)
        #expect(
            m.answers.map(\.data) == [
                "2001:db8::5",
                "www.example.com",
                "10 mail.example.com",
                "hello  world",
                "1 2 5060 sip.example.com",
                "host.example.net",
                "ns.example.com hostmaster.example.com 2024010101",
            ])
        #expect(m.answers[0].address == IPAddress("2001:db8::5"))
        #expect(m.answers[1].address == nil)
        #expect(m.authoritative)
    }

    @Test("unknown types, and known types with the wrong length, use the RFC 3597 generic form")
    func genericRData() throws {
        let q = B.dnsQuestion("example.com")
        let records =
            B.dnsRecord(name: [0xC0, 12], type: 99, rdata: [0xDE, 0xAD, 0x01])
            + B.dnsRecord(name: [0xC0, 12], type: 1, rdata: [1, 2, 3])
            + B.dnsRecord(name: [0xC0, 12], type: 65, rdata: [])
        let m = try parse(B.dnsHeader(id: 9, flags: 0x8180, qd: 1, an: 3) + q + records)
        #expect(m.answers.map(\.data) == ["\\# 3 dead01", "\\# 3 010203", "\\# 0 "])
        #expect(m.answers[1].address == nil)
    }

    @Test("authority and additional records are validated and counted but not returned as answers")
    func authorityAndAdditional() throws {
        let q = B.dnsQuestion("example.com")
        let ns = B.dnsRecord(name: [0xC0, 12], type: 2, rdata: [2] + B.ascii("ns") + [0xC0, 12])
        let opt = B.dnsRecord(name: [0], type: 41, class: 1232, ttl: 0, rdata: [])
        let m = try parse(B.dnsHeader(id: 3, flags: 0x8180, qd: 1, an: 0, ns: 1, ar: 1) + q + ns + opt)
        #expect(m.answers.isEmpty)
        #expect(m.authorityCount == 1)
        #expect(m.additionalCount == 1)
        // A malformed record in the additional section still makes the message malformed.
        let badOpt = B.dnsRecord(name: [0], type: 41, rdata: [1, 2, 3, 4])
        #expect(
            failure(B.dnsHeader(id: 3, flags: 0x8180, qd: 1, ns: 1, ar: 1) + q + ns + Array(badOpt.dropLast()))
                == .dnsMalformed)
    }

    @Test("the root name reads as a single dot")
    func rootName() throws {
        let m = try parse(B.dnsHeader(id: 1, flags: 0, qd: 1) + [0] + B.be16(2) + B.be16(1))
        #expect(m.questions.first?.name == ".")
    }

    @Test("label bytes that are not printable, dots and backslashes are escaped as \\DDD")
    func escaping() throws {
        let name: [UInt8] = [5, 0x61, 0x2E, 0x62, 0x20, 0x5C, 3, 0x63, 0xFF, 0x00, 0]
        let m = try parse(B.dnsHeader(id: 1, flags: 0, qd: 1) + name + B.be16(1) + B.be16(1))
        #expect(m.questions.first?.name == "a\\046b\\032\\092.c\\255\\000")
    }

    @Test("answers that point at the question name read it, escapes included; other owners read their own")
    func answersPointingAtQuestion() throws {
        let name: [UInt8] = [5, 0x61, 0x2E, 0x62, 0x20, 0x5C, 3, 0x63, 0xFF, 0x00, 0]
        let question = name + B.be16(1) + B.be16(1)
        let other = B.dnsRecord(name: B.dnsName("other.test"), type: 1, rdata: [9, 9, 9, 9])
        let message =
            B.dnsHeader(id: 1, flags: 0x8180, qd: 1, an: 3) + question
            + B.dnsRecord(name: [0xC0, 12], type: 1, rdata: [1, 2, 3, 4]) + other
            + B.dnsRecord(name: [1, 0x78, 0xC0, 12], type: 1, rdata: [5, 6, 7, 8])
        let m = try parse(message)
        #expect(
            m.answers.map(\.name) == ["a\\046b\\032\\092.c\\255\\000", "other.test", "x.a\\046b\\032\\092.c\\255\\000"])
        #expect(m.answers.map(\.data) == ["1.2.3.4", "9.9.9.9", "5.6.7.8"])
    }

    @Test("a pointer chain through earlier names is followed")
    func pointerChain() throws {
        // Answer 1 owner: "www" + pointer to the question; answer 2 owner: pointer to answer 1's owner.
        let q = B.dnsQuestion("example.com")
        let firstOwner = 12 + q.count
        let a1 = B.dnsRecord(name: [3] + B.ascii("www") + [0xC0, 12], type: 1, rdata: [1, 1, 1, 1])
        let a2 = B.dnsRecord(name: [0xC0, UInt8(firstOwner)], type: 1, rdata: [2, 2, 2, 2])
        let m = try parse(B.dnsHeader(id: 1, flags: 0x8180, qd: 1, an: 2) + q + a1 + a2)
        #expect(m.answers.map(\.name) == ["www.example.com", "www.example.com"])
    }

    @Test("a pointer to itself is a loop and is rejected")
    func selfPointer() {
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + [0xC0, 12] + B.be16(1) + B.be16(1)) == .dnsMalformed)
    }

    @Test("two names pointing at each other are rejected instead of looping")
    func mutualPointers() {
        // Name at 12: "a" then a pointer to 18; name at 18: "b" then a pointer back to 12.
        let q1: [UInt8] = [1, 0x61, 0xC0, 18] + B.be16(1) + B.be16(1)
        let q2: [UInt8] = [1, 0x62, 0xC0, 12] + B.be16(1) + B.be16(1)
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 2) + q1 + q2) == .dnsMalformed)
    }

    @Test("a pointer back into the middle of its own name is rejected")
    func pointerIntoOwnName() {
        // Answer owner at offset X is "a" + pointer to X: it would expand forever.
        let q = B.dnsQuestion("example.com")
        let owner = 12 + q.count
        let record = B.dnsRecord(name: [1, 0x61, 0xC0, UInt8(owner)], type: 1, rdata: [1, 1, 1, 1])
        #expect(failure(B.dnsHeader(id: 1, flags: 0x8180, qd: 1, an: 1) + q + record) == .dnsMalformed)
    }

    @Test("a forward pointer is rejected")
    func forwardPointer() {
        let q: [UInt8] = [0xC0, 18] + B.be16(1) + B.be16(1) + B.dnsName("x")
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + q) == .dnsMalformed)
    }

    @Test("a pointer past the end of the message, or cut after one byte, is rejected")
    func badPointers() {
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + [0xC0]) == .dnsMalformed)
        let q = B.dnsQuestion("a")
        let record = B.dnsRecord(name: [0xFF, 0xFF], type: 1, rdata: [1, 1, 1, 1])
        #expect(failure(B.dnsHeader(id: 1, flags: 0x8000, qd: 1, an: 1) + q + record) == .dnsMalformed)
    }

    @Test("the reserved 0x40 and 0x80 label types are rejected")
    func reservedLabelTypes() {
        for first: UInt8 in [0x41, 0x81] {
            #expect(
                failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + [first, 0x61, 0] + B.be16(1) + B.be16(1)) == .dnsMalformed
            )
        }
    }

    func nameOfWireLength(_ wire: Int) -> [UInt8] {
        // Labels of 63 bytes, then one shorter label, then the root's zero byte.
        var out: [UInt8] = []
        var left = wire - 1
        while left > 0 {
            let label = min(63, left - 1)
            out += [UInt8(label)] + [UInt8](repeating: 0x61, count: label)
            left -= label + 1
        }
        return out + [0]
    }

    @Test("a name of 255 bytes on the wire is accepted, 256 is rejected")
    func nameLengthLimit() throws {
        let maximal = nameOfWireLength(255)
        #expect(maximal.count == 255)
        let m = try parse(B.dnsHeader(id: 1, flags: 0, qd: 1) + maximal + B.be16(1) + B.be16(1))
        #expect(m.questions.first?.name.utf8.count == 253)
        let tooLong = nameOfWireLength(256)
        #expect(tooLong.count == 256)
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + tooLong + B.be16(1) + B.be16(1)) == .dnsMalformed)
    }

    @Test("a name made longer than 255 bytes through compression is rejected")
    func compressedNameTooLong() {
        // The question is 200 bytes of labels; the answer owner adds 100 more and points at it.
        let long = nameOfWireLength(200)
        let q = long + B.be16(1) + B.be16(1)
        var prefix: [UInt8] = []
        for _ in 0..<2 { prefix += [49] + [UInt8](repeating: 0x62, count: 49) }
        let record = B.dnsRecord(name: prefix + [0xC0, 12], type: 1, rdata: [1, 1, 1, 1])
        #expect(failure(B.dnsHeader(id: 1, flags: 0x8000, qd: 1, an: 1) + q + record) == .dnsMalformed)
    }

    @Test("a label running past the end of the message is rejected")
    func labelOverrun() {
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + [10, 0x61, 0x62]) == .dnsMalformed)
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + [1, 0x61]) == .dnsMalformed)
    }

    @Test("a message shorter than the 12-byte header is rejected at every length")
    func shortHeader() {
        let header = B.dnsHeader(id: 1, flags: 0, qd: 0)
        for n in 0..<12 { #expect(failure(Array(header.prefix(n))) == .dnsMalformed) }
        #expect(failure(header) == nil)
    }

    @Test("every truncation of a response is rejected")
    func truncatedEverywhere() {
        let response = B.dnsResponse()
        for n in 12..<response.count {
            #expect(failure(Array(response.prefix(n))) == .dnsMalformed, "length \(n)")
        }
    }

    @Test("trailing bytes after the last record make the message malformed")
    func trailingGarbage() {
        #expect(failure(B.dnsQuery() + [0]) == .dnsMalformed)
        #expect(failure(B.dnsResponse() + [1, 2, 3]) == .dnsMalformed)
    }

    @Test("a TC response may stop before its counted records")
    func truncatedFlagAllowsEarlyEnd() throws {
        // Claims two answers but carries only the question.
        let m = try parse(B.dnsHeader(id: 1, flags: 0x8380, qd: 1, an: 0) + B.dnsQuestion("a.b") + [0xAB])
        #expect(m.truncated)
        #expect(m.headerFlags.contains("TC"))
    }

    @Test("section counts above the record limit are refused before any parsing")
    func tooManyRecords() {
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 0, an: 200, ns: 57)) == .dnsMalformed)
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 0xFFFF)) == .dnsMalformed)
    }

    @Test("an RDATA length beyond the message, and a TXT string beyond its RDATA, are rejected")
    func rdataOverruns() {
        let q = B.dnsQuestion("example.com")
        var record = B.dnsRecord(name: [0xC0, 12], type: 1, rdata: [1, 2, 3, 4])
        record[record.count - 5] = 5  // rdlength 5 with 4 bytes left
        #expect(failure(B.dnsHeader(id: 1, flags: 0x8000, qd: 1, an: 1) + q + record) == .dnsMalformed)
        let txt = B.dnsRecord(name: [0xC0, 12], type: 16, rdata: [6] + B.ascii("short"))
        #expect(failure(B.dnsHeader(id: 1, flags: 0x8000, qd: 1, an: 1) + q + txt) == .dnsMalformed)
        let soa = B.dnsRecord(
            name: [0xC0, 12], type: 6, rdata: [0xC0, 12, 0xC0, 12] + [UInt8](repeating: 0, count: 19))
        #expect(failure(B.dnsHeader(id: 1, flags: 0x8000, qd: 1, an: 1) + q + soa) == .dnsMalformed)
    }

    @Test("a question cut before its type and class is rejected")
    func questionCut() {
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 1) + B.dnsName("a.b") + [0, 1, 0]) == .dnsMalformed)
        #expect(failure(B.dnsHeader(id: 1, flags: 0, qd: 2) + B.dnsQuestion("a.b")) == .dnsMalformed)
    }

    @Test("type, class, rcode and opcode mnemonics follow the registries, with generic fallbacks")
    func mnemonics() {
        #expect(DNSNames.type(1) == "A")
        #expect(DNSNames.type(28) == "AAAA")
        #expect(DNSNames.type(65) == "HTTPS")
        #expect(DNSNames.type(4242) == "TYPE4242")
        #expect(DNSNames.class(1) == "IN")
        #expect(DNSNames.class(3) == "CH")
        #expect(DNSNames.class(7) == "CLASS7")
        #expect(DNSNames.rcode(0) == "NOERROR")
        #expect(DNSNames.rcode(15) == "RCODE15")
        #expect(DNSNames.opcode(0) == "QUERY")
        #expect(DNSNames.opcode(9) == "OPCODE9")
    }

    @Test("random bytes after a valid header never crash the parser")
    func fuzz() {
        var rng = XorShift(state: 0xD1B5_4A32_D192_ED03)
        for i in 0..<5000 {
            var bytes = B.dnsHeader(id: 1, flags: 0x8180, qd: 1 + i % 2, an: i % 3, ns: i % 2, ar: 0)
            bytes += rng.bytes(Int(rng.next() % 80))
            // Sprinkle compression pointers so name decoding is exercised.
            if bytes.count > 20, i % 3 == 0 { bytes[14] = 0xC0 }
            _ = failure(bytes)
        }
    }

    /// A response with every record type the parser formats, then mutated at random: the checking
    /// walk of `parse` (on the capture thread) and the reading walk of `sections` (where events are
    /// built) must accept exactly the same messages, or a message would lose its answers in output.
    @Test("checking a message and reading its sections accept exactly the same bytes")
    func checkAndReadAgree() throws {
        let name = B.dnsName("example.org")
        let pointer: [UInt8] = [0xC0, 12]
        let records: [[UInt8]] = [
            B.dnsRecord(name: pointer, type: 1, rdata: [10, 0, 0, 1]),
            B.dnsRecord(name: pointer, type: 28, rdata: [UInt8](repeating: 1, count: 16)),
            B.dnsRecord(name: pointer, type: 5, rdata: B.dnsName("cdn.example.net")),
            B.dnsRecord(name: name, type: 15, rdata: B.be16(10) + pointer),
            B.dnsRecord(name: pointer, type: 16, rdata: [3] + B.ascii("v=1") + [2] + B.ascii("ok")),
            B.dnsRecord(name: pointer, type: 33, rdata: B.be16(1) + B.be16(2) + B.be16(443) + pointer),
            B.dnsRecord(name: pointer, type: 6, rdata: pointer + pointer + [UInt8](repeating: 0, count: 20)),
            B.dnsRecord(name: pointer, type: 99, rdata: [1, 2, 3]),
        ]
        let valid =
            B.dnsHeader(id: 9, flags: 0x8180, qd: 1, an: 6, ns: 1, ar: 1) + B.dnsQuestion("example.org")
            + records.joined()
        let message = try parse(valid)
        #expect(message.answers.count == 6)
        #expect(message.questionCount == 1 && message.answerCount == 6)
        #expect(message.wire == valid)
        var rng = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0...(rng.next() % 3) {
                bytes[12 + Int(rng.next() % UInt64(bytes.count - 12))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let checked = failure(bytes) == nil
            let read = bytes.withUnsafeBytes { (try? DNSMessage.walk($0, building: true)) != nil }
            #expect(checked == read, "bytes \(bytes)")
            if checked { accepted += 1 }
        }
        // Both outcomes were exercised.
        #expect(accepted > 100 && accepted < 19_900)
    }
}

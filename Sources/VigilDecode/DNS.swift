import VigilCore

/// A DNS message (RFC 1035) as the wire carries it: header, questions and answers, with compressed
/// names expanded. Authority and additional sections are walked (to validate the message) and counted.
///
/// `parse` checks the whole message and keeps its bytes; questions and answers are read from them
/// when asked for. The capture thread parses every DNS datagram, but only the thread that builds
/// events needs the names and record data as strings: made there, they are also freed by the thread
/// that made them.
public struct DNSMessage: Sendable, Equatable {
    public struct Question: Sendable, Equatable {
        public var name: String
        public var type: UInt16
        public var `class`: UInt16
    }

    public struct Record: Sendable, Equatable {
        public var name: String
        public var type: UInt16
        public var `class`: UInt16
        public var ttl: UInt32
        /// Presentation form of the RDATA: an address, a name, `10 mail.example`, TXT strings joined
        /// by a space; unknown types as RFC 3597 `\# <length> <hex>`.
        public var data: String { address?.description ?? otherData }
        /// The address, for A and AAAA records (their `data` is its text, made only when asked for:
        /// event output writes the address straight into its buffer).
        public var address: IPAddress?
        /// `data` of the records that are not addresses.
        var otherData: String
    }

    /// The question and answer sections, read from the message's bytes.
    public struct Sections: Sendable, Equatable {
        public var questions: [Question] = []
        public var answers: [Record] = []
    }

    public var id: UInt16
    public var isResponse: Bool
    public var opcode: UInt8
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    public var authenticData: Bool
    public var checkingDisabled: Bool
    public var rcode: UInt8
    public var questionCount: Int
    public var answerCount: Int
    public var authorityCount: Int
    public var additionalCount: Int
    /// The whole message as it came, checked by `parse`.
    public let wire: [UInt8]

    /// Questions and answers, read from `wire` on every call: read them once per use.
    public var sections: Sections {
        // `parse` walked these bytes with the same code: reading them again cannot fail.
        wire.withUnsafeBytes { p in (try? Self.walk(p, building: true)) ?? Sections() }
    }
    public var questions: [Question] { sections.questions }
    public var answers: [Record] { sections.answers }

    /// The header flags ECS names in `dns.header_flags`.
    public var headerFlags: [String] {
        var flags: [String] = []
        if authoritative { flags.append("AA") }
        if truncated { flags.append("TC") }
        if recursionDesired { flags.append("RD") }
        if recursionAvailable { flags.append("RA") }
        if authenticData { flags.append("AD") }
        if checkingDisabled { flags.append("CD") }
        return flags
    }

    static let maxRecords = 256

    /// Parses a whole message; trailing bytes after the last record make it malformed, which is what
    /// lets content-based detection tell DNS from other UDP. Every record is checked here; the
    /// strings are made later, by `sections`.
    public static func parse(_ p: UnsafeRawBufferPointer) throws(DecodeIssue) -> DNSMessage {
        _ = try walk(p, building: false)
        let flags = p.loadBigEndianUInt16(at: 2)
        return DNSMessage(
            id: p.loadBigEndianUInt16(at: 0),
            isResponse: flags & 0x8000 != 0,
            opcode: UInt8((flags >> 11) & 0xF),
            authoritative: flags & 0x0400 != 0,
            truncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0,
            recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0,
            checkingDisabled: flags & 0x0010 != 0,
            rcode: UInt8(flags & 0xF),
            questionCount: Int(p.loadBigEndianUInt16(at: 4)),
            answerCount: Int(p.loadBigEndianUInt16(at: 6)),
            authorityCount: Int(p.loadBigEndianUInt16(at: 8)),
            additionalCount: Int(p.loadBigEndianUInt16(at: 10)),
            wire: Array(p)
        )
    }

    /// Walks every section, checking each name and record; with `building`, returns the questions
    /// and answers (without, two empty lists and no string made).
    static func walk(_ p: UnsafeRawBufferPointer, building: Bool) throws(DecodeIssue) -> Sections {
        guard p.count >= 12 else { throw .dnsMalformed }
        let qd = Int(p.loadBigEndianUInt16(at: 4))
        let an = Int(p.loadBigEndianUInt16(at: 6))
        let ns = Int(p.loadBigEndianUInt16(at: 8))
        let ar = Int(p.loadBigEndianUInt16(at: 10))
        guard qd + an + ns + ar <= maxRecords else { throw .dnsMalformed }
        var sections = Sections()
        if building {
            // Sized once: growing from empty reallocated an answer list of four twice.
            sections.questions.reserveCapacity(qd)
            sections.answers.reserveCapacity(an)
        }
        var cursor = 12
        for _ in 0..<qd {
            let name = try readName(p, at: &cursor, building: building)
            guard cursor + 4 <= p.count else { throw .dnsMalformed }
            if building {
                sections.questions.append(
                    Question(
                        name: name, type: p.loadBigEndianUInt16(at: cursor),
                        class: p.loadBigEndianUInt16(at: cursor + 2)))
            }
            cursor += 4
        }
        // The name at offset 12 (the first question's), which answers nearly always point at:
        // shared rather than decoded into a new string per answer.
        let firstName = sections.questions.first?.name
        for index in 0..<(an + ns + ar) {
            let record = try readRecord(p, at: &cursor, nameAt12: firstName, building: building && index < an)
            if let record { sections.answers.append(record) }
        }
        // A truncated (TC) UDP answer may legitimately stop early; anything else must end exactly.
        guard cursor == p.count || p.loadBigEndianUInt16(at: 2) & 0x0200 != 0 else { throw .dnsMalformed }
        return sections
    }

    /// `nameAt12`: the name that starts at offset 12, already read (what a pointer to it reads).
    /// Without `building`, checks the record and returns nil.
    static func readRecord(
        _ p: UnsafeRawBufferPointer, at cursor: inout Int, nameAt12: String? = nil, building: Bool = true
    ) throws(DecodeIssue) -> Record? {
        let name: String
        if let nameAt12, cursor + 1 < p.count, p[cursor] == 0xC0, p[cursor + 1] == 12, cursor > 12 {
            name = nameAt12
            cursor += 2
        } else {
            name = try readName(p, at: &cursor, building: building)
        }
        guard cursor + 10 <= p.count else { throw .dnsMalformed }
        let type = p.loadBigEndianUInt16(at: cursor)
        let cls = p.loadBigEndianUInt16(at: cursor + 2)
        let ttl = p.loadBigEndianUInt32(at: cursor + 4)
        let length = Int(p.loadBigEndianUInt16(at: cursor + 8))
        cursor += 10
        guard cursor + length <= p.count else { throw .dnsMalformed }
        let start = cursor
        cursor += length
        var address: IPAddress?
        var data = ""
        switch (type, length) {
        case (1, 4):
            if building { address = IPAddress(bytes: p, offset: start, v6: false) }
        case (28, 16):
            if building { address = IPAddress(bytes: p, offset: start, v6: true) }
        case (2, _), (5, _), (12, _), (39, _):
            var c = start
            data = try readName(p, at: &c, building: building)
        case (15, 3...):
            var c = start + 2
            let exchange = try readName(p, at: &c, building: building)
            if building { data = "\(p.loadBigEndianUInt16(at: start)) " + exchange }
        case (16, _):
            var strings: [String] = []
            var c = start
            while c < cursor {
                let n = Int(p[c])
                guard c + 1 + n <= cursor else { throw .dnsMalformed }
                if building {
                    strings.append(
                        String(decoding: UnsafeRawBufferPointer(rebasing: p[(c + 1)..<(c + 1 + n)]), as: UTF8.self))
                }
                c += 1 + n
            }
            if building { data = strings.joined(separator: " ") }
        case (33, 7...):
            var c = start + 6
            let target = try readName(p, at: &c, building: building)
            if building {
                data =
                    "\(p.loadBigEndianUInt16(at: start)) \(p.loadBigEndianUInt16(at: start + 2)) \(p.loadBigEndianUInt16(at: start + 4)) \(target)"
            }
        case (6, _):
            var c = start
            let mname = try readName(p, at: &c, building: building)
            let rname = try readName(p, at: &c, building: building)
            guard c + 20 <= cursor else { throw .dnsMalformed }
            if building { data = "\(mname) \(rname) \(p.loadBigEndianUInt32(at: c))" }
        default:
            if building { data = "\\# \(length) " + Hex.encode(UnsafeRawBufferPointer(rebasing: p[start..<cursor])) }
        }
        guard building else { return nil }
        return Record(name: name, type: type, class: cls, ttl: ttl, address: address, otherData: data)
    }

    /// Reads a possibly compressed name. Pointers must point backwards (no loops), names stay within
    /// 255 bytes; label bytes outside printable ASCII are escaped as `\DDD`.
    /// Without `building`, only checks the name and returns an empty string.
    static func readName(
        _ p: UnsafeRawBufferPointer, at cursor: inout Int, building: Bool = true
    ) throws(DecodeIssue) -> String {
        // Written into a buffer on the stack, then one `String` (none for a name of up to 15 bytes):
        // at most 255 bytes on the wire, each written as up to four (`\DDD`), plus the dots.
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer throws(DecodeIssue) -> String in
            let out = buffer.baseAddress!
            var count = 0
            var position = cursor
            var jumped = false
            var nameLength = 0
            var lowestPointerTarget = position
            while true {
                guard position < p.count else { throw .dnsMalformed }
                let length = Int(p[position])
                switch length & 0xC0 {
                case 0x00:
                    if length == 0 {
                        if !jumped { cursor = position + 1 }
                        guard building else { return "" }
                        return count == 0
                            ? "." : String(decoding: UnsafeBufferPointer(start: out, count: count), as: UTF8.self)
                    }
                    guard position + 1 + length <= p.count else { throw .dnsMalformed }
                    nameLength += length + 1
                    // RFC 1035 §3.1: 255 bytes on the wire, counting the root label's zero byte still to come.
                    guard nameLength < 255 else { throw .dnsMalformed }
                    if count > 0 {
                        out[count] = UInt8(ascii: ".")
                        count += 1
                    }
                    if building {
                        for b in p[(position + 1)..<(position + 1 + length)] {
                            if b > 0x20, b < 0x7F, b != UInt8(ascii: "."), b != UInt8(ascii: "\\") {
                                out[count] = b
                                count += 1
                            } else {
                                out[count] = UInt8(ascii: "\\")
                                out[count + 1] = 0x30 + b / 100
                                out[count + 2] = 0x30 + b / 10 % 10
                                out[count + 3] = 0x30 + b % 10
                                count += 4
                            }
                        }
                    }
                    position += 1 + length
                case 0xC0:
                    guard position + 1 < p.count else { throw .dnsMalformed }
                    let target = Int(p.loadBigEndianUInt16(at: position) & 0x3FFF)
                    guard target < lowestPointerTarget else { throw .dnsMalformed }
                    lowestPointerTarget = target
                    if !jumped { cursor = position + 2 }
                    jumped = true
                    position = target
                default:
                    throw .dnsMalformed
                }
            }
        }
    }
}

/// Mnemonics for DNS codes, as Zeek and ECS print them.
public enum DNSNames {
    public static func type(_ t: UInt16) -> String {
        switch t {
        case 1: "A"
        case 2: "NS"
        case 5: "CNAME"
        case 6: "SOA"
        case 12: "PTR"
        case 13: "HINFO"
        case 15: "MX"
        case 16: "TXT"
        case 28: "AAAA"
        case 33: "SRV"
        case 35: "NAPTR"
        case 39: "DNAME"
        case 41: "OPT"
        case 43: "DS"
        case 46: "RRSIG"
        case 47: "NSEC"
        case 48: "DNSKEY"
        case 64: "SVCB"
        case 65: "HTTPS"
        case 99: "SPF"
        case 251: "IXFR"
        case 252: "AXFR"
        case 255: "ANY"
        case 257: "CAA"
        default: "TYPE\(t)"
        }
    }

    public static func `class`(_ c: UInt16) -> String {
        switch c {
        case 1: "IN"
        case 3: "CH"
        case 4: "HS"
        case 254: "NONE"
        case 255: "ANY"
        default: "CLASS\(c)"
        }
    }

    public static func rcode(_ r: UInt8) -> String {
        switch r {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 6: "YXDOMAIN"
        case 7: "YXRRSET"
        case 8: "NXRRSET"
        case 9: "NOTAUTH"
        case 10: "NOTZONE"
        default: "RCODE\(r)"
        }
    }

    public static func opcode(_ o: UInt8) -> String {
        switch o {
        case 0: "QUERY"
        case 1: "IQUERY"
        case 2: "STATUS"
        case 4: "NOTIFY"
        case 5: "UPDATE"
        default: "OPCODE\(o)"
        }
    }
}

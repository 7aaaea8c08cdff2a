import VigilCore

/// A TLS ClientHello or ServerHello (RFC 8446 §4.1.2–4.1.3; RFC 5246), with what JA3/JA3S hash.
public struct TLSHello: Sendable, Equatable {
    public var isClient: Bool
    /// `legacy_version` from the hello (0x0303 for TLS 1.2 and 1.3).
    public var legacyVersion: UInt16
    /// Client: offered cipher suites in order. Server: the chosen one.
    public var cipherSuites: [UInt16]
    /// Extension types in order.
    public var extensions: [UInt16]
    public var serverName: String?
    public var supportedGroups: [UInt16]
    public var pointFormats: [UInt8]
    /// Client: offered ALPN protocols; server: the selected one.
    public var alpn: [String]
    /// Client: offered versions; server: the selected one (supported_versions).
    public var supportedVersions: [UInt16]

    public static func isGREASE(_ v: UInt16) -> Bool { v & 0x0F0F == 0x0A0A && v >> 8 == v & 0xFF }

    /// The negotiated (server) or highest offered (client) version.
    public var effectiveVersion: UInt16 {
        let real = supportedVersions.filter { !Self.isGREASE($0) }
        return isClient ? (real.max() ?? legacyVersion) : (real.first ?? legacyVersion)
    }

    /// JA3 (client) or JA3S (server) string, GREASE values removed, before hashing.
    public var ja3String: String { String(decoding: ja3Bytes, as: UTF8.self) }

    /// The JA3/JA3S string as bytes: `version,ciphers,extensions[,groups,point formats]`, each list
    /// in decimal joined by `-`.
    public var ja3Bytes: [UInt8] { withJA3 { Array($0) } }

    /// The MD5 of the JA3/JA3S string in hex: written and hashed on the stack, one string made (the
    /// thread that builds events makes one or two per TLS event; appending to an array digit by
    /// digit cost a twentieth of it).
    public var ja3: String {
        withJA3 { Digest.md5.hex(UnsafeRawBufferPointer($0)) }
    }

    /// The JA3/JA3S string, GREASE values removed, written into a buffer valid inside `body`.
    func withJA3<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        // Enough by construction: the version's five digits, four commas, five digits and a dash
        // per value, three and a dash per point format (the check after writing only guards this
        // arithmetic against a later edit).
        let capacity = 16 + 6 * (cipherSuites.count + extensions.count + supportedGroups.count) + 4 * pointFormats.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let n = writeJA3(into: buffer.baseAddress!)
            precondition(n <= capacity, "JA3 string beyond its buffer")
            return body(UnsafeBufferPointer(start: buffer.baseAddress!, count: n))
        }
    }

    /// Writes the JA3/JA3S string; returns its length. Not generic, and not nested in the generic
    /// `withJA3`: local functions there ran unspecialized, looking up type metadata per call (a
    /// third of JA3's time).
    private func writeJA3(into out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        func decimal(_ value: UInt16) {
            if value >= 10_000 {
                out[n] = 0x30 + UInt8(value / 10_000)
                n += 1
            }
            if value >= 1000 {
                out[n] = 0x30 + UInt8(value / 1000 % 10)
                n += 1
            }
            if value >= 100 {
                out[n] = 0x30 + UInt8(value / 100 % 10)
                n += 1
            }
            if value >= 10 {
                out[n] = 0x30 + UInt8(value / 10 % 10)
                n += 1
            }
            out[n] = 0x30 + UInt8(value % 10)
            n += 1
        }
        func list(_ values: [UInt16]) {
            out[n] = UInt8(ascii: ",")
            n += 1
            var first = true
            for v in values where !Self.isGREASE(v) {
                if !first {
                    out[n] = UInt8(ascii: "-")
                    n += 1
                }
                first = false
                decimal(v)
            }
        }
        decimal(legacyVersion)
        list(cipherSuites)
        list(extensions)
        if isClient {
            list(supportedGroups)
            // Point formats are one byte: never a GREASE value.
            out[n] = UInt8(ascii: ",")
            n += 1
            for (i, format) in pointFormats.enumerated() {
                if i > 0 {
                    out[n] = UInt8(ascii: "-")
                    n += 1
                }
                decimal(UInt16(format))
            }
        }
        return n
    }

    /// Parses a handshake message (type byte, 24-bit length, body).
    public static func parse(handshake p: UnsafeRawBufferPointer) throws(DecodeIssue) -> TLSHello {
        try read(handshake: p, building: true)
    }

    /// Checks a handshake message as `parse` does, without making its lists and strings.
    static func check(handshake p: UnsafeRawBufferPointer) throws(DecodeIssue) {
        _ = try read(handshake: p, building: false)
    }

    /// `parse`, or with `building` false only the checks (the returned hello then has empty lists).
    static func read(handshake p: UnsafeRawBufferPointer, building: Bool) throws(DecodeIssue) -> TLSHello {
        guard p.count >= 4, p[0] == 1 || p[0] == 2 else { throw .tlsMalformed }
        let isClient = p[0] == 1
        let length = Int(p[1]) << 16 | Int(p[2]) << 8 | Int(p[3])
        guard p.count >= 4 + length else { throw .tlsMalformed }
        var r = ByteReader(p, start: 4, end: 4 + length)
        var hello = TLSHello(
            isClient: isClient, legacyVersion: try r.u16(), cipherSuites: [], extensions: [], serverName: nil,
            supportedGroups: [], pointFormats: [], alpn: [], supportedVersions: [])
        try r.skip(32)
        try r.skip(Int(try r.u8()))
        if isClient {
            let cipherBytes = Int(try r.u16())
            guard cipherBytes % 2 == 0 else { throw .tlsMalformed }
            if building {
                hello.cipherSuites.reserveCapacity(min(cipherBytes / 2, r.remaining / 2))
                for _ in 0..<(cipherBytes / 2) { hello.cipherSuites.append(try r.u16()) }
            } else {
                try r.skip(cipherBytes)
            }
            try r.skip(Int(try r.u8()))
        } else {
            let suite = try r.u16()
            if building { hello.cipherSuites = [suite] }
            try r.skip(1)
        }
        guard r.remaining >= 2 else { return hello }
        let extEnd = r.offset + 2 + Int(try r.u16())
        guard extEnd <= r.end else { throw .tlsMalformed }
        // At most one extension per four bytes; rarely more than twenty.
        if building { hello.extensions.reserveCapacity(min((extEnd - r.offset) / 4, 24)) }
        while r.offset < extEnd {
            let type = try r.u16()
            let len = Int(try r.u16())
            guard r.offset + len <= extEnd else { throw .tlsMalformed }
            if building { hello.extensions.append(type) }
            var e = ByteReader(p, start: r.offset, end: r.offset + len)
            try hello.readExtension(type, &e, building: building)
            r.offset += len
        }
        return hello
    }

    /// Reads one extension's body; without `building`, only checks it.
    mutating func readExtension(_ type: UInt16, _ e: inout ByteReader, building: Bool = true) throws(DecodeIssue) {
        switch type {
        case 0 where isClient && e.remaining > 0:
            let listEnd = e.offset + 2 + Int(try e.u16())
            while e.offset + 3 <= listEnd {
                let nameType = try e.u8()
                let n = Int(try e.u16())
                let bytes = try e.slice(n)
                if building, nameType == 0, serverName == nil { serverName = String(decoding: bytes, as: UTF8.self) }
            }
        case 10:
            let n = Int(try e.u16()) / 2
            for _ in 0..<n {
                let group = try e.u16()
                if building { supportedGroups.append(group) }
            }
        case 11:
            let n = Int(try e.u8())
            for _ in 0..<n {
                let format = try e.u8()
                if building { pointFormats.append(format) }
            }
        case 16:
            let listEnd = e.offset + 2 + Int(try e.u16())
            while e.offset < listEnd {
                let n = Int(try e.u8())
                let name = try e.slice(n)
                if building { alpn.append(String(decoding: name, as: UTF8.self)) }
            }
        case 43:
            if isClient {
                let n = Int(try e.u8()) / 2
                for _ in 0..<n {
                    let version = try e.u16()
                    if building { supportedVersions.append(version) }
                }
            } else {
                let version = try e.u16()
                if building { supportedVersions = [version] }
            }
        default:
            break
        }
    }
}

/// A TLS hello handshake message as the connection carried it, checked by `TLSHelloReader`.
///
/// The capture thread only checks a hello and keeps its bytes (one copy); its lists and strings
/// are made by `hello` where events are built (and freed there too).
public struct TLSHelloMessage: Sendable, Equatable {
    /// The handshake message: type byte, 24-bit length, body.
    public let bytes: [UInt8]

    /// Keeps `bytes` after checking them; nil (with the reason) when `parse` would refuse them.
    public init(checking p: UnsafeRawBufferPointer) throws(DecodeIssue) {
        try TLSHello.check(handshake: p)
        bytes = Array(p)
    }

    /// The hello, decoded on every call: read it once per use. Checked bytes always decode (the
    /// same code read them); an empty hello of the same side stands in should that ever not hold.
    public var hello: TLSHello {
        bytes.withUnsafeBytes { p in
            (try? TLSHello.parse(handshake: p))
                ?? TLSHello(
                    isClient: p.first == 1, legacyVersion: 0, cipherSuites: [], extensions: [], serverName: nil,
                    supportedGroups: [], pointFormats: [], alpn: [], supportedVersions: [])
        }
    }
}

/// Bounds-checked big-endian reads over a byte range.
struct ByteReader {
    let p: UnsafeRawBufferPointer
    var offset: Int
    let end: Int

    init(_ p: UnsafeRawBufferPointer, start: Int, end: Int) {
        self.p = p
        offset = start
        self.end = min(end, p.count)
    }

    var remaining: Int { end - offset }

    mutating func u8() throws(DecodeIssue) -> UInt8 {
        guard offset < end else { throw .tlsMalformed }
        defer { offset += 1 }
        return p[offset]
    }

    mutating func u16() throws(DecodeIssue) -> UInt16 {
        guard offset + 2 <= end else { throw .tlsMalformed }
        defer { offset += 2 }
        return p.loadBigEndianUInt16(at: offset)
    }

    mutating func skip(_ n: Int) throws(DecodeIssue) {
        guard n >= 0, offset + n <= end else { throw .tlsMalformed }
        offset += n
    }

    /// The next `n` bytes, in place.
    mutating func slice(_ n: Int) throws(DecodeIssue) -> UnsafeRawBufferPointer {
        guard n >= 0, offset + n <= end else { throw .tlsMalformed }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: p[offset..<(offset + n)])
    }
}

/// Reassembles TLS records of one direction until the first handshake message (the hello) is whole.
public struct TLSHelloReader: Sendable {
    public static let maxHandshakeBytes = 65_536
    var records: [UInt8] = []
    var handshake: [UInt8] = []
    public private(set) var done = false
    public private(set) var malformed = false

    public init() {}

    /// Feeds stream bytes; returns the hello, checked, once it is complete (then ignores the rest).
    public mutating func feed(_ data: UnsafeRawBufferPointer) -> TLSHelloMessage? {
        guard !done else { return nil }
        if records.isEmpty, handshake.isEmpty, let hello = Self.wholeHello(data) {
            // The usual case: the first record of the first segment holds the whole hello, read in
            // place (copying the segment, a server's certificates too, cost more than the parse).
            done = true
            let result = try? TLSHelloMessage(checking: hello)
            if result == nil { malformed = true }
            return result
        }
        records.append(contentsOf: data)
        while records.count >= 5 {
            let type = records[0]
            let length = Int(records[3]) << 8 | Int(records[4])
            guard type >= 20, type <= 24, records[1] == 3 || (records[1] == 2 && records[2] == 0) else {
                return fail()
            }
            guard records.count >= 5 + length else { break }
            if type == 22 { handshake.append(contentsOf: records[5..<(5 + length)]) }
            records.removeFirst(5 + length)
            if handshake.count >= 4 {
                let needed = 4 + (Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3]))
                if needed > Self.maxHandshakeBytes { return fail() }
                if handshake.count >= needed {
                    done = true
                    let result = handshake.withUnsafeBytes { buf -> TLSHelloMessage? in
                        try? TLSHelloMessage(checking: UnsafeRawBufferPointer(rebasing: buf[0..<needed]))
                    }
                    if result == nil { malformed = true }
                    records = []
                    handshake = []
                    return result
                }
            }
        }
        if records.count > Self.maxHandshakeBytes { return fail() }
        return nil
    }

    /// The hello handshake message when `data` starts with a handshake record that holds all of
    /// it; nil otherwise (the records are then gathered and checked one by one).
    static func wholeHello(_ data: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard data.count >= 9, data[0] == 22, data[1] == 3 || (data[1] == 2 && data[2] == 0) else { return nil }
        let length = Int(data[3]) << 8 | Int(data[4])
        guard data.count >= 5 + length, length >= 4 else { return nil }
        let needed = 4 + (Int(data[6]) << 16 | Int(data[7]) << 8 | Int(data[8]))
        guard needed <= length else { return nil }
        return UnsafeRawBufferPointer(rebasing: data[5..<(5 + needed)])
    }

    mutating func fail() -> TLSHelloMessage? {
        done = true
        malformed = true
        records = []
        handshake = []
        return nil
    }

    /// Whether the bytes start like a TLS handshake record (for content-based protocol detection).
    public static func looksLikeTLS(_ p: UnsafeRawBufferPointer) -> Bool {
        p.count >= 3 && p[0] == 22 && p[1] == 3 && p[2] <= 4
    }
}

public enum TLSNames {
    public static func version(_ v: UInt16) -> (proto: String, version: String) {
        switch v {
        case 0x0200: ("ssl", "2.0")
        case 0x0300: ("ssl", "3.0")
        case 0x0301: ("tls", "1.0")
        case 0x0302: ("tls", "1.1")
        case 0x0303: ("tls", "1.2")
        case 0x0304: ("tls", "1.3")
        default: ("tls", String(format4hex: v))
        }
    }

    static let suites: [UInt16: String] = [
        0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256",
        0x1304: "TLS_AES_128_CCM_SHA256", 0x1305: "TLS_AES_128_CCM_8_SHA256",
        0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCAA: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x0067: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 0x006B: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x0005: "TLS_RSA_WITH_RC4_128_SHA", 0x0004: "TLS_RSA_WITH_RC4_128_MD5",
        0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", 0x5600: "TLS_FALLBACK_SCSV",
        0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", 0xC0AD: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        0xC09C: "TLS_RSA_WITH_AES_128_CCM", 0xC09D: "TLS_RSA_WITH_AES_256_CCM",
        0xC09E: "TLS_DHE_RSA_WITH_AES_128_CCM", 0xC09F: "TLS_DHE_RSA_WITH_AES_256_CCM",
        0x00C6: "TLS_SM4_GCM_SM3", 0x00C7: "TLS_SM4_CCM_SM3",
    ]

    /// IANA name of a cipher suite, or `0x` + hex for one Vigil does not name.
    public static func cipherSuite(_ v: UInt16) -> String { suites[v] ?? String(format4hex: v) }
}

extension String {
    init(format4hex v: UInt16) {
        let hex = String(v, radix: 16)
        self = "0x" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

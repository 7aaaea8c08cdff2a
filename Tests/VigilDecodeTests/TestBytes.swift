import VigilCore

@testable import VigilDecode

/// Builders for the packets and messages the decoder tests feed in. Every builder produces
/// well-formed bytes by default; tests corrupt a field afterwards to make a malformed case.
enum TestBytes {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be24(_ v: Int) -> [UInt8] { [UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    // MARK: - Link layer

    static let macA: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
    static let macB: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]

    /// An Ethernet II frame; each VLAN is `(tpid, id)` outermost first.
    static func ethernet(type: UInt16, vlans: [(tpid: UInt16, id: UInt16)] = [], payload: [UInt8]) -> [UInt8] {
        var out = macB + macA
        for v in vlans { out += be16(v.tpid) + be16(0x2000 | v.id) }  // priority 1 above the id bits
        return out + be16(type) + payload
    }

    /// A Linux cooked v1 header (16 bytes).
    static func sll(protocol type: UInt16, payload: [UInt8]) -> [UInt8] {
        be16(0) + be16(1) + be16(6) + macA + [0, 0] + be16(type) + payload
    }

    /// A Linux cooked v2 header (20 bytes).
    static func sll2(protocol type: UInt16, payload: [UInt8]) -> [UInt8] {
        be16(type) + be16(0) + be32(2) + be16(1) + [0, 6] + macA + [0, 0] + payload
    }

    // MARK: - Network layer

    static let ip4A: [UInt8] = [192, 0, 2, 1]
    static let ip4B: [UInt8] = [198, 51, 100, 7]

    static func ipv4(
        proto: UInt8, source: [UInt8] = ip4A, destination: [UInt8] = ip4B, ttl: UInt8 = 64,
        options: [UInt8] = [], flagsFragment: UInt16 = 0x4000, identification: UInt16 = 0x1234,
        totalLength: Int? = nil, payload: [UInt8]
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let ihl = 20 + options.count
        let total = totalLength ?? ihl + payload.count
        var out: [UInt8] = [0x40 | UInt8(ihl / 4), 0x10]
        out += be16(UInt16(total)) + be16(identification) + be16(flagsFragment)
        out += [ttl, proto, 0, 0] + source + destination + options
        return out + payload
    }

    static let ip6A: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    static let ip6B: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]

    /// An IPv6 packet; `payload` includes any extension headers, `next` is the first next-header value.
    static func ipv6(
        next: UInt8, source: [UInt8] = ip6A, destination: [UInt8] = ip6B, hopLimit: UInt8 = 55,
        trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, payloadLength: Int? = nil, payload: [UInt8]
    ) -> [UInt8] {
        let first = UInt32(6) << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xFFFFF)
        return be32(first) + be16(UInt16(payloadLength ?? payload.count)) + [next, hopLimit] + source + destination
            + payload
    }

    /// A generic extension header (hop-by-hop, routing, destination options) of `8 * (units + 1)` bytes.
    static func ipv6Extension(next: UInt8, units: UInt8 = 0) -> [UInt8] {
        [next, units] + [UInt8](repeating: 0, count: 6 + 8 * Int(units))
    }

    static func ipv6Fragment(next: UInt8, offset: Int, more: Bool, id: UInt32 = 7) -> [UInt8] {
        [next, 0] + be16(UInt16(offset / 8) << 3 | (more ? 1 : 0)) + be32(id)
    }

    // MARK: - Transport layer

    static func tcp(
        source: UInt16 = 49152, destination: UInt16 = 80, sequence: UInt32 = 1000, acknowledgment: UInt32 = 0,
        flags: UInt8 = 0x18, window: UInt16 = 65535, options: [UInt8] = [], dataOffsetWords: Int? = nil,
        payload: [UInt8] = []
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let words = dataOffsetWords ?? (20 + options.count) / 4
        var out = be16(source) + be16(destination) + be32(sequence) + be32(acknowledgment)
        out += [UInt8(words << 4), flags] + be16(window) + [0, 0, 0, 0]
        return out + options + payload
    }

    static func udp(source: UInt16 = 53000, destination: UInt16 = 53, length: Int? = nil, payload: [UInt8]) -> [UInt8] {
        be16(source) + be16(destination) + be16(UInt16(length ?? 8 + payload.count)) + [0, 0] + payload
    }

    /// Ethernet + IPv4 + TCP, the frame most tests start from.
    static func tcpFrame(payload: [UInt8] = ascii("hello")) -> [UInt8] {
        ethernet(type: 0x0800, payload: ipv4(proto: 6, payload: tcp(payload: payload)))
    }

    // MARK: - DNS

    /// Uncompressed wire form of a dotted name ("." or "" for the root).
    static func dnsName(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        return out + [0]
    }

    static func dnsHeader(id: UInt16, flags: UInt16, qd: Int, an: Int = 0, ns: Int = 0, ar: Int = 0) -> [UInt8] {
        be16(id) + be16(flags) + be16(UInt16(qd)) + be16(UInt16(an)) + be16(UInt16(ns)) + be16(UInt16(ar))
    }

    static func dnsQuestion(_ name: String, type: UInt16 = 1, class cls: UInt16 = 1) -> [UInt8] {
        dnsName(name) + be16(type) + be16(cls)
    }

    static func dnsRecord(name: [UInt8], type: UInt16, class cls: UInt16 = 1, ttl: UInt32 = 300, rdata: [UInt8])
        -> [UInt8]
    {
        name + be16(type) + be16(cls) + be32(ttl) + be16(UInt16(rdata.count)) + rdata
    }

    /// A recursive query for `name`.
    static func dnsQuery(id: UInt16 = 0xBEEF, _ name: String = "www.example.com", type: UInt16 = 1) -> [UInt8] {
        dnsHeader(id: id, flags: 0x0100, qd: 1) + dnsQuestion(name, type: type)
    }

    /// A response to `dnsQuery` answering with one A record, the owner name compressed to the question.
    static func dnsResponse(
        id: UInt16 = 0xBEEF, _ name: String = "www.example.com", address: [UInt8] = [93, 184, 216, 34]
    )
        -> [UInt8]
    {
        dnsHeader(id: id, flags: 0x8180, qd: 1, an: 1) + dnsQuestion(name)
            + dnsRecord(name: [0xC0, 12], type: 1, rdata: address)
    }

    // MARK: - TLS

    static let random32 = [UInt8](0..<32)

    /// A handshake message: type, 24-bit length, body.
    static func handshake(type: UInt8, body: [UInt8]) -> [UInt8] { [type] + be24(body.count) + body }

    static func extensionBlock(_ extensions: [(type: UInt16, data: [UInt8])]) -> [UInt8] {
        var block: [UInt8] = []
        for e in extensions { block += be16(e.type) + be16(UInt16(e.data.count)) + e.data }
        return be16(UInt16(block.count)) + block
    }

    static func clientHello(
        version: UInt16 = 0x0303, sessionID: [UInt8] = [UInt8](repeating: 0xAB, count: 32), ciphers: [UInt16],
        compression: [UInt8] = [0], extensions: [(type: UInt16, data: [UInt8])]?
    ) -> [UInt8] {
        var body = be16(version) + random32 + [UInt8(sessionID.count)] + sessionID
        body += be16(UInt16(ciphers.count * 2)) + ciphers.flatMap(be16) + [UInt8(compression.count)] + compression
        if let extensions { body += extensionBlock(extensions) }
        return handshake(type: 1, body: body)
    }

    static func serverHello(
        version: UInt16 = 0x0303, cipher: UInt16, extensions: [(type: UInt16, data: [UInt8])]?
    ) -> [UInt8] {
        var body = be16(version) + random32 + [32] + [UInt8](repeating: 0xCD, count: 32) + be16(cipher) + [0]
        if let extensions { body += extensionBlock(extensions) }
        return handshake(type: 2, body: body)
    }

    static func sni(_ host: String) -> (type: UInt16, data: [UInt8]) {
        let entry = [0] + be16(UInt16(host.utf8.count)) + Array(host.utf8)
        return (0, be16(UInt16(entry.count)) + entry)
    }

    static func alpn(_ protocols: [String]) -> (type: UInt16, data: [UInt8]) {
        let list = protocols.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        return (16, be16(UInt16(list.count)) + list)
    }

    static func supportedGroups(_ groups: [UInt16]) -> (type: UInt16, data: [UInt8]) {
        (10, be16(UInt16(groups.count * 2)) + groups.flatMap(be16))
    }

    static func pointFormats(_ formats: [UInt8]) -> (type: UInt16, data: [UInt8]) {
        (11, [UInt8(formats.count)] + formats)
    }

    static func supportedVersions(_ versions: [UInt16]) -> (type: UInt16, data: [UInt8]) {
        (43, [UInt8(versions.count * 2)] + versions.flatMap(be16))
    }

    /// A browser-like ClientHello with GREASE in ciphers, extensions and groups.
    /// Its JA3 string is `771,4865-4866-49195-49199,0-23-65281-10-11-16-43,29-23-24,0`.
    static func greasedClientHello(host: String = "example.com") -> [UInt8] {
        clientHello(
            ciphers: [0x0A0A, 0x1301, 0x1302, 0xC02B, 0xC02F],
            extensions: [
                (0x1A1A, []),
                sni(host),
                (23, []),
                (65281, [0]),
                supportedGroups([0x2A2A, 29, 23, 24]),
                pointFormats([0]),
                alpn(["h2", "http/1.1"]),
                supportedVersions([0x3A3A, 0x0304, 0x0303]),
                (0x4A4A, [0]),
            ])
    }

    /// A TLS 1.3 ServerHello; JA3S string `771,4865,43-51`.
    static func tls13ServerHello() -> [UInt8] {
        serverHello(cipher: 0x1301, extensions: [(43, be16(0x0304)), (51, be16(29) + be16(4) + [1, 2, 3, 4])])
    }

    static func tlsRecord(type: UInt8 = 22, version: UInt16 = 0x0301, _ body: [UInt8]) -> [UInt8] {
        [type] + be16(version) + be16(UInt16(body.count)) + body
    }

    // MARK: - Compressed bodies (made with python3 gzip/zlib; the plain text is `compressedText`)

    static let compressedText = "Hello, compressed world! Hello, compressed world!\n"

    /// `gzip.compress(compressedText, mtime=0)`
    static let gzipBody: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48,
        0xce, 0xcf, 0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0x51, 0x54, 0xf0,
        0xc0, 0x21, 0xc1, 0x05, 0x00, 0xf3, 0x88, 0x77, 0x9a, 0x32, 0x00, 0x00, 0x00,
    ]

    /// `zlib.compress(compressedText)`
    static let zlibBody: [UInt8] = [
        0x78, 0x9c, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48, 0xce, 0xcf, 0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0x4e,
        0x4d, 0x51, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0x51, 0x54, 0xf0, 0xc0, 0x21, 0xc1, 0x05, 0x00, 0xd0, 0x27, 0x11,
        0xe7,
    ]

    /// `zlib.compressobj(wbits=-15)`: raw deflate, as some servers send `Content-Encoding: deflate`.
    static let rawDeflateBody: [UInt8] = [
        0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48, 0xce, 0xcf, 0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51,
        0x28, 0xcf, 0x2f, 0xca, 0x49, 0x51, 0x54, 0xf0, 0xc0, 0x21, 0xc1, 0x05, 0x00,
    ]

    /// `gzip.compress(b"A" * 1000, mtime=0)`: 29 bytes that inflate to 1000.
    static let gzipThousandAs: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x73, 0x74, 0x1c, 0x05, 0xa3, 0x60, 0x14, 0x0c,
        0x77, 0x00, 0x00, 0x01, 0x2e, 0xa0, 0x51, 0xe8, 0x03, 0x00, 0x00,
    ]
}

/// Runs a decoder over `bytes`, returning its result.
func decode<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
    try bytes.withUnsafeBytes { try body($0) }
}

/// Runs a decoder over `bytes`, returning the issue it threw (nil when it succeeded).
func issue<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> T) -> DecodeIssue? {
    bytes.withUnsafeBytes { (p: UnsafeRawBufferPointer) -> DecodeIssue? in
        do {
            _ = try body(p)
            return nil
        } catch {
            return error as? DecodeIssue
        }
    }
}

/// A deterministic pseudo-random byte source (xorshift), so fuzz-style tests are reproducible.
struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

extension Timestamp {
    static func at(_ seconds: Int64) -> Timestamp { Timestamp(seconds: seconds, microseconds: 0) }
}

// Micro-benchmarks of Vigil's stateless decoders: link → IP → transport decoding of whole frames,
// DNS message parsing, and HTTP/1.1 stream parsing. Each iteration of a benchmark processes one
// frame / message (scaled by 1 000), so `throughput` reads as frames (messages) per second and
// `mallocCountTotal` as allocations per 1 000 of them.
//
//   swift package --package-path Benchmarks --scratch-path Benchmarks/.build-benchmarks benchmark

import Benchmark
import VigilCore
import VigilDecode

// MARK: - test data (built in code: same bytes on every machine)

/// Bytes appended big-endian.
private struct Bytes {
    var b: [UInt8] = []
    mutating func u8(_ v: UInt8) { b.append(v) }
    mutating func u16(_ v: UInt16) { b.append(UInt8(v >> 8)); b.append(UInt8(v & 0xFF)) }
    mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xFFFF)) }
    mutating func raw(_ v: [UInt8]) { b.append(contentsOf: v) }
    mutating func raw(_ s: String) { b.append(contentsOf: Array(s.utf8)) }
}

/// A pseudo-random but fixed byte pattern (xorshift), for "ciphertext" payloads.
private func noise(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var x = seed
    return (0..<count).map { _ in
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

private enum Proto { case tcp(flags: UInt8), udp }

/// An Ethernet / IPv4 / TCP-or-UDP frame with `payload`; TCP carries the timestamps option, as a
/// Linux host at a 1500-byte MTU sends it (1448-byte segments).
private func frame(_ proto: Proto, src: [UInt8], dst: [UInt8], sport: UInt16, dport: UInt16, payload: [UInt8]) -> [UInt8] {
    var f = Bytes()
    f.raw([0x02, 0x00, 0x5E, 0x00, 0x00, 0x01]); f.raw([0x02, 0x00] + src); f.u16(0x0800)
    let l4Header = { if case .tcp = proto { 32 } else { 8 } }()
    f.u8(0x45); f.u8(0); f.u16(UInt16(20 + l4Header + payload.count)); f.u16(0x1234); f.u16(0x4000)
    f.u8(64); f.u8({ if case .tcp = proto { 6 } else { 17 } }()); f.u16(0); f.raw(src); f.raw(dst)
    switch proto {
    case .tcp(let flags):
        f.u16(sport); f.u16(dport); f.u32(0x1000_0000); f.u32(0x2000_0000); f.u8(0x80); f.u8(flags)
        f.u16(502); f.u16(0); f.u16(0)
        f.raw([1, 1, 8, 10]); f.u32(123_456); f.u32(654_321)
    case .udp:
        f.u16(sport); f.u16(dport); f.u16(UInt16(8 + payload.count)); f.u16(0)
    }
    f.raw(payload)
    return f.b
}

private func dnsName(_ name: String) -> [UInt8] {
    var b: [UInt8] = []
    for label in name.split(separator: ".") { b.append(UInt8(label.utf8.count)); b += Array(label.utf8) }
    return b + [0]
}

/// DNS messages as they appear in the synthetic capture: queries with EDNS0, answers with A/AAAA
/// records, a CNAME chain (compression pointers), NXDOMAIN with an SOA.
private let dnsMessages: [[UInt8]] = {
    var out: [[UInt8]] = []
    let question = dnsName("www.site42.example.com") + [0, 1, 0, 1]
    // Query with EDNS0 OPT.
    var q = Bytes(); q.u16(0x1234); q.u16(0x0100); q.u16(1); q.u16(0); q.u16(0); q.u16(1)
    q.raw(question); q.raw([0, 0, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0, 0])
    out.append(q.b)
    // Response: two A records.
    var a = Bytes(); a.u16(0x1234); a.u16(0x8180); a.u16(1); a.u16(2); a.u16(0); a.u16(0); a.raw(question)
    for last: UInt8 in [10, 11] { a.u16(0xC00C); a.u16(1); a.u16(1); a.u32(300); a.u16(4); a.raw([10, 200, 0, last]) }
    out.append(a.b)
    // Response: CNAME then A, the A's owner a pointer into the CNAME's rdata.
    var c = Bytes(); c.u16(0x2345); c.u16(0x8180); c.u16(1); c.u16(2); c.u16(0); c.u16(0); c.raw(question)
    let cname = dnsName("edge17.cdn.example.net")
    c.u16(0xC00C); c.u16(5); c.u16(1); c.u32(300); c.u16(UInt16(cname.count)); c.raw(cname)
    c.u16(0xC000 | UInt16(12 + question.count + 12)); c.u16(1); c.u16(1); c.u32(60); c.u16(4); c.raw([10, 201, 3, 4])
    out.append(c.b)
    // Response: AAAA.
    let q6 = dnsName("api.site7.example.org") + [0, 28, 0, 1]
    var six = Bytes(); six.u16(0x3456); six.u16(0x8180); six.u16(1); six.u16(1); six.u16(0); six.u16(0); six.raw(q6)
    six.u16(0xC00C); six.u16(28); six.u16(1); six.u32(3600); six.u16(16); six.raw([0xFD, 0] + noise(14))
    out.append(six.b)
    // NXDOMAIN with an SOA in the authority section.
    let qn = dnsName("host4711.corp.internal") + [0, 1, 0, 1]
    var nx = Bytes(); nx.u16(0x4567); nx.u16(0x8183); nx.u16(1); nx.u16(0); nx.u16(1); nx.u16(0); nx.raw(qn)
    let soa = dnsName("ns1.corp.internal") + dnsName("hostmaster.corp.internal")
    nx.raw(dnsName("corp.internal")); nx.u16(6); nx.u16(1); nx.u32(300); nx.u16(UInt16(soa.count + 20)); nx.raw(soa)
    for v: UInt32 in [2_025_112_301, 7200, 3600, 1_209_600, 300] { nx.u32(v) }
    out.append(nx.b)
    return out
}()

private let httpRequest: [UInt8] = Array("""
    GET /api/v2/events?limit=100 HTTP/1.1\r
    Host: www.site42.example.com\r
    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r
    Accept: text/html,application/xhtml+xml,*/*;q=0.8\r
    Accept-Language: en-US,en;q=0.5\r
    Accept-Encoding: identity\r
    Connection: keep-alive\r
    \r

    """.utf8)

private let httpResponseBody: [UInt8] = Array(String(repeating: "<p>the quick brown fox jumps over the lazy dog</p>\n", count: 80).utf8)

private let httpResponse: [UInt8] = Array("""
    HTTP/1.1 200 OK\r
    Server: nginx/1.22.1\r
    Date: Sun, 23 Nov 2025 16:00:00 GMT\r
    Content-Type: text/html; charset=utf-8\r
    Connection: keep-alive\r
    Content-Length: \(httpResponseBody.count)\r
    \r

    """.utf8) + httpResponseBody

/// A TLS 1.3-style ClientHello record with SNI, ALPN, key_share, supported_versions.
private let clientHello: [UInt8] = {
    func ext(_ type: UInt16, _ data: [UInt8]) -> [UInt8] {
        var e = Bytes(); e.u16(type); e.u16(UInt16(data.count)); e.raw(data); return e.b
    }
    let sni = Array("www.site42.example.com".utf8)
    var sniData = Bytes(); sniData.u16(UInt16(sni.count + 3)); sniData.u8(0); sniData.u16(UInt16(sni.count)); sniData.raw(sni)
    let alpn: [UInt8] = [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8)
    var exts: [UInt8] = []
    exts += ext(0x0A0A, [])
    exts += ext(0, sniData.b)
    exts += ext(23, [])
    exts += ext(0xFF01, [0])
    exts += ext(10, [0, 10, 0x0A, 0x0A, 0, 0x1D, 0, 0x17, 0, 0x18, 0, 0x19])
    exts += ext(11, [1, 0])
    exts += ext(16, [0, UInt8(alpn.count)] + alpn)
    exts += ext(13, [0, 8, 4, 3, 8, 4, 4, 1, 5, 3])
    exts += ext(51, [0, 36, 0, 0x1D, 0, 32] + noise(32))
    exts += ext(45, [1, 1])
    exts += ext(43, [6, 0x0A, 0x0A, 3, 4, 3, 3])
    let suites: [UInt16] = [0x0A0A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0x002F, 0x0035]
    var body = Bytes(); body.u16(0x0303); body.raw(noise(32)); body.u8(32); body.raw(noise(32, seed: 7))
    body.u16(UInt16(suites.count * 2)); suites.forEach { body.u16($0) }; body.raw([1, 0])
    body.u16(UInt16(exts.count)); body.raw(exts)
    var hs = Bytes(); hs.u8(1); hs.u8(0); hs.u16(UInt16(body.b.count)); hs.raw(body.b)
    var rec = Bytes(); rec.raw([0x16, 3, 1]); rec.u16(UInt16(hs.b.count)); rec.raw(hs.b)
    return rec.b
}()

/// The frame mix of the synthetic capture, roughly by packet share: pure ACKs and full 1448-byte
/// segments dominate, then HTTP/TLS/SSH payloads, DNS over UDP, SYNs and FINs.
private let frames: [[UInt8]] = {
    let client: [UInt8] = [10, 1, 4, 165], web: [UInt8] = [10, 200, 0, 186], dns: [UInt8] = [10, 0, 0, 53]
    var f: [[UInt8]] = []
    let ack = frame(.tcp(flags: 0x10), src: client, dst: web, sport: 50874, dport: 443, payload: [])
    let full = frame(.tcp(flags: 0x10), src: web, dst: client, sport: 443, dport: 50874, payload: noise(1448))
    f += [ack, ack, ack, full, full, full, full]
    f.append(frame(.tcp(flags: 0x02), src: client, dst: web, sport: 50874, dport: 80, payload: []))
    f.append(frame(.tcp(flags: 0x18), src: client, dst: web, sport: 50874, dport: 80, payload: httpRequest))
    f.append(frame(.tcp(flags: 0x18), src: web, dst: client, sport: 80, dport: 50874, payload: Array(httpResponse.prefix(1448))))
    f.append(frame(.tcp(flags: 0x18), src: client, dst: web, sport: 50875, dport: 443, payload: clientHello))
    f.append(frame(.tcp(flags: 0x18), src: client, dst: web, sport: 40000, dport: 22,
                   payload: Array("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n".utf8)))
    f.append(frame(.tcp(flags: 0x11), src: client, dst: web, sport: 50874, dport: 80, payload: []))
    f.append(frame(.udp, src: client, dst: dns, sport: 41285, dport: 53, payload: dnsMessages[0]))
    f.append(frame(.udp, src: dns, dst: client, sport: 53, dport: 41285, payload: dnsMessages[1]))
    return f
}()

// MARK: - benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    let frameSet = frames
    let frameBytes = frameSet.reduce(0) { $0 + $1.count }
    Benchmark("PacketDecoder.decode (frame mix, \(frameSet.count) frames, avg \(frameBytes / frameSet.count) B)") { benchmark in
        let n = frameSet.count
        for i in benchmark.scaledIterations {
            frameSet[i % n].withUnsafeBytes { blackHole(PacketDecoder.decode($0, linkType: .ethernet)) }
        }
    }

    let ackFrame = frameSet[0]
    Benchmark("PacketDecoder.decode (TCP ACK, 66 B)") { benchmark in
        ackFrame.withUnsafeBytes { p in
            for _ in benchmark.scaledIterations { blackHole(PacketDecoder.decode(p, linkType: .ethernet)) }
        }
    }

    let messages = dnsMessages
    Benchmark("DNSMessage.parse (query, A, CNAME+A, AAAA, NXDOMAIN)") { benchmark in
        let n = messages.count
        for i in benchmark.scaledIterations {
            messages[i % n].withUnsafeBytes { p in blackHole(try? DNSMessage.parse(p)) }
        }
    }

    let request = httpRequest, response = httpResponse
    Benchmark("HTTPStreamParser request (GET head, \(request.count) B)") { benchmark in
        var out: [HTTPMessage] = []
        out.reserveCapacity(4)
        request.withUnsafeBytes { p in
            for _ in benchmark.scaledIterations {
                var parser = HTTPStreamParser(isRequest: true)
                parser.feed(p, at: Timestamp(microseconds: 0), into: &out)
                blackHole(out)
                out.removeAll(keepingCapacity: true)
            }
        }
    }

    Benchmark("HTTPStreamParser response (\(response.count) B, 3 segments)") { benchmark in
        var out: [HTTPMessage] = []
        out.reserveCapacity(4)
        let segments = stride(from: 0, to: response.count, by: 1448).map { Array(response[$0..<min($0 + 1448, response.count)]) }
        for _ in benchmark.scaledIterations {
            var parser = HTTPStreamParser(isRequest: false)
            parser.requestSent(isHead: false)
            for segment in segments {
                segment.withUnsafeBytes { parser.feed($0, at: Timestamp(microseconds: 0), into: &out) }
            }
            blackHole(out)
            out.removeAll(keepingCapacity: true)
        }
    }

    let hello = clientHello
    Benchmark("TLSHelloReader ClientHello (\(hello.count) B, SNI+ALPN)") { benchmark in
        hello.withUnsafeBytes { p in
            for _ in benchmark.scaledIterations {
                var reader = TLSHelloReader()
                blackHole(reader.feed(p))
            }
        }
    }
}

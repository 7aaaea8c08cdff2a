import Testing
import VigilCore

@testable import VigilDecode

@Suite("TLS hellos, JA3/JA3S and record reassembly")
struct TLSTests {
    typealias B = TestBytes

    func hello(_ bytes: [UInt8]) throws -> TLSHello { try decode(bytes) { try TLSHello.parse(handshake: $0) } }
    func failure(_ bytes: [UInt8]) -> DecodeIssue? { issue(bytes) { try TLSHello.parse(handshake: $0) } }

    @Test("a browser-like ClientHello yields SNI, ALPN, groups, point formats and offered versions")
    func clientHelloFields() throws {
        let h = try hello(B.greasedClientHello(host: "www.example.org"))
        #expect(h.isClient)
        #expect(h.legacyVersion == 0x0303)
        #expect(h.serverName == "www.example.org")
        #expect(h.alpn == ["h2", "http/1.1"])
        #expect(h.cipherSuites == [0x0A0A, 0x1301, 0x1302, 0xC02B, 0xC02F], "raw list keeps GREASE")
        #expect(h.extensions == [0x1A1A, 0, 23, 65281, 10, 11, 16, 43, 0x4A4A])
        #expect(h.supportedGroups == [0x2A2A, 29, 23, 24])
        #expect(h.pointFormats == [0])
        #expect(h.supportedVersions == [0x3A3A, 0x0304, 0x0303])
        #expect(h.effectiveVersion == 0x0304, "highest real offered version, GREASE ignored")
    }

    @Test("the JA3 string drops GREASE from ciphers, extensions and groups, and hashes to the known MD5")
    func ja3() throws {
        let h = try hello(B.greasedClientHello())
        #expect(h.ja3String == "771,4865-4866-49195-49199,0-23-65281-10-11-16-43,29-23-24,0")
        // python3: hashlib.md5(b"771,4865-4866-49195-49199,0-23-65281-10-11-16-43,29-23-24,0").hexdigest()
        #expect(h.ja3 == "63994690393d47d50076bae790927230")
    }

    @Test("JA3 does not depend on the server name or the GREASE values a client picked")
    func ja3Stable() throws {
        let a = try hello(B.greasedClientHello(host: "a.example"))
        let b = try hello(
            B.clientHello(
                ciphers: [0xFAFA, 0x1301, 0x1302, 0xC02B, 0xC02F],
                extensions: [
                    (0xDADA, []), B.sni("b.example.net"), (23, []), (65281, [0]),
                    B.supportedGroups([0x8A8A, 29, 23, 24]), B.pointFormats([0]), B.alpn(["http/1.1"]),
                    B.supportedVersions([0x0304]),
                ]))
        #expect(a.ja3 == b.ja3)
    }

    @Test("a TLS 1.3 ServerHello yields the chosen cipher and version, and its JA3S")
    func serverHello() throws {
        let h = try hello(B.tls13ServerHello())
        #expect(!h.isClient)
        #expect(h.cipherSuites == [0x1301])
        #expect(h.extensions == [43, 51])
        #expect(h.supportedVersions == [0x0304])
        #expect(h.effectiveVersion == 0x0304)
        #expect(h.serverName == nil)
        #expect(h.ja3String == "771,4865,43-51")
        // python3: hashlib.md5(b"771,4865,43-51").hexdigest()
        #expect(h.ja3 == "f4febc55ea12b31ae17cfb7e614afda8")
    }

    @Test("a server's empty SNI acknowledgement is not read as a name")
    func serverSNIAck() throws {
        let h = try hello(B.serverHello(cipher: 0xC02F, extensions: [(0, []), (65281, [0])]))
        #expect(h.serverName == nil)
        #expect(h.effectiveVersion == 0x0303)
        #expect(h.ja3String == "771,49199,0-65281")
    }

    @Test("hellos without an extensions block parse, with empty JA3 fields")
    func noExtensions() throws {
        let c = try hello(B.clientHello(version: 0x0301, sessionID: [], ciphers: [0x002F, 0x0035], extensions: nil))
        #expect(c.extensions.isEmpty)
        #expect(c.ja3String == "769,47-53,,,")
        #expect(c.effectiveVersion == 0x0301)
        let s = try hello(B.serverHello(version: 0x0300, cipher: 0x0005, extensions: nil))
        #expect(s.ja3String == "768,5,")
    }

    @Test("the 16 GREASE values are recognised and nothing else is")
    func grease() {
        let values: [UInt16] = (0..<16).map { UInt16($0) << 12 | 0x0A00 | UInt16($0) << 4 | 0x0A }
        #expect(values.allSatisfy(TLSHello.isGREASE))
        #expect(values.first == 0x0A0A && values.last == 0xFAFA)
        for v: UInt16 in [0x0A1A, 0x1A0A, 0x0A0B, 0x0303, 0x1301, 0xABAB, 0x0000] { #expect(!TLSHello.isGREASE(v)) }
    }

    @Test("a handshake that is not a hello is rejected")
    func notHello() {
        #expect(failure(B.handshake(type: 11, body: [0, 0, 0])) == .tlsMalformed)
        #expect(failure([1, 0, 0]) == .tlsMalformed)
    }

    @Test("every truncation of a ClientHello is rejected")
    func truncatedEverywhere() {
        let full = B.greasedClientHello()
        for n in 0..<full.count {
            #expect(failure(Array(full.prefix(n))) == .tlsMalformed, "length \(n)")
        }
    }

    @Test("a hello whose body ends early though its length says otherwise is rejected at every cut")
    func shortBodyConsistentLength() {
        // Fix the handshake length to the cut so only the inner structure is short.
        let full = B.greasedClientHello()
        let endOfCompression = 4 + 2 + 32 + 1 + 32 + 2 + 10 + 2
        // A cut right after the compression methods is a legal extension-less hello; one byte more is
        // tolerated the same way (too short to hold an extensions length).
        for n in 4..<(full.count - 1) where n != endOfCompression && n != endOfCompression + 1 {
            var cut = Array(full.prefix(n))
            let length = n - 4
            cut[1] = UInt8(length >> 16)
            cut[2] = UInt8((length >> 8) & 0xFF)
            cut[3] = UInt8(length & 0xFF)
            #expect(failure(cut) == .tlsMalformed, "length \(n)")
        }
    }

    @Test("an odd cipher-suite length, an extension overrunning its block and a bad SNI list are rejected")
    func structuralErrors() {
        var odd = B.clientHello(ciphers: [0x1301], extensions: [])
        odd[4 + 2 + 32 + 1 + 32 + 1] = 3  // cipher bytes 3
        #expect(failure(odd) == .tlsMalformed)
        // Extension claims 10 bytes, block has 2.
        let overrun = B.clientHello(ciphers: [0x1301], extensions: nil)
        var body = Array(overrun[4...]) + B.be16(6) + B.be16(0) + B.be16(10) + [0, 0]
        #expect(failure(B.handshake(type: 1, body: body)) == .tlsMalformed)
        // SNI list length longer than the extension.
        body = Array(overrun[4...]) + B.extensionBlock([(0, B.be16(40) + [0] + B.be16(3) + B.ascii("abc"))])
        #expect(failure(B.handshake(type: 1, body: body)) == .tlsMalformed)
        // ALPN entry longer than its list.
        body = Array(overrun[4...]) + B.extensionBlock([(16, B.be16(3) + [9] + B.ascii("h2"))])
        #expect(failure(B.handshake(type: 1, body: body)) == .tlsMalformed)
    }

    @Test("version and cipher suite names follow IANA, with hex for unknown values")
    func names() {
        #expect(TLSNames.version(0x0303) == ("tls", "1.2"))
        #expect(TLSNames.version(0x0304) == ("tls", "1.3"))
        #expect(TLSNames.version(0x0300) == ("ssl", "3.0"))
        #expect(TLSNames.version(0x7F1C) == ("tls", "0x7f1c"))
        #expect(TLSNames.cipherSuite(0x1301) == "TLS_AES_128_GCM_SHA256")
        #expect(TLSNames.cipherSuite(0xC02F) == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        #expect(TLSNames.cipherSuite(0x00AB) == "0x00ab")
    }

    // MARK: - Record reassembly

    func read(_ feeds: [[UInt8]]) -> (hello: TLSHello?, reader: TLSHelloReader) {
        var reader = TLSHelloReader()
        var result: TLSHello?
        for f in feeds {
            if let h = f.withUnsafeBytes({ reader.feed($0) }) {
                #expect(result == nil, "the hello is returned once")
                result = h.hello
            }
        }
        return (result, reader)
    }

    @Test("a hello in one record in one segment is returned and the reader is done")
    func oneRecord() throws {
        let (h, reader) = read([B.tlsRecord(B.greasedClientHello())])
        #expect(h?.serverName == "example.com")
        #expect(reader.done)
        #expect(!reader.malformed)
        // Read in place, it is the same hello as one gathered a byte at a time, with or without the
        // records that follow it in the segment.
        let stream = B.tlsRecord(B.greasedClientHello()) + B.tlsRecord(type: 23, [1, 2, 3])
        #expect(read([stream]).hello == h)
        #expect(read(stream.map { [$0] }).hello == h)
        // A record shorter than the hello it starts is gathered with the next one.
        let hs = B.greasedClientHello()
        #expect(read([B.tlsRecord(Array(hs[0..<40])) + B.tlsRecord(Array(hs[40...]))]).hello == h)
    }

    @Test("a hello fragmented across several handshake records is reassembled")
    func acrossRecords() throws {
        let hs = B.greasedClientHello()
        let records = B.tlsRecord(Array(hs[0..<3])) + B.tlsRecord(Array(hs[3..<50])) + B.tlsRecord(Array(hs[50...]))
        let (h, reader) = read([records])
        #expect(try h == hello(hs))
        #expect(!reader.malformed)
    }

    @Test("a hello split across feeds at every byte boundary gives the same hello")
    func acrossFeeds() throws {
        let hs = B.greasedClientHello()
        let stream = B.tlsRecord(Array(hs[0..<100])) + B.tlsRecord(Array(hs[100...]))
        let expected = try hello(hs)
        for cut in 1..<stream.count {
            let (h, _) = read([Array(stream[..<cut]), Array(stream[cut...])])
            #expect(h == expected, "cut at \(cut)")
        }
        let (bytewise, _) = read(stream.map { [$0] })
        #expect(bytewise == expected)
    }

    @Test("non-handshake records before the hello are skipped")
    func skipsOtherRecords() {
        let stream = B.tlsRecord(type: 20, [1]) + B.tlsRecord(B.tls13ServerHello())
        let (h, _) = read([stream])
        #expect(h?.cipherSuites == [0x1301])
    }

    @Test("bytes after the hello are ignored")
    func afterDone() {
        var reader = TLSHelloReader()
        let first = B.tlsRecord(B.tls13ServerHello()).withUnsafeBytes { reader.feed($0) }
        #expect(first != nil)
        let again = B.tlsRecord(B.tls13ServerHello()).withUnsafeBytes { reader.feed($0) }
        #expect(again == nil)
        #expect(!reader.malformed)
    }

    @Test("bytes that are not TLS records stop the reader as malformed")
    func notTLS() {
        let (h, reader) = read([B.ascii("GET / HTTP/1.1\r\n\r\n")])
        #expect(h == nil)
        #expect(reader.done)
        #expect(reader.malformed)
        let badVersion = read([[22, 4, 1, 0, 1, 0]])
        #expect(badVersion.reader.malformed)
        let badType = read([[25, 3, 1, 0, 1, 0]])
        #expect(badType.reader.malformed)
    }

    @Test("a well-framed but malformed hello is reported once and stops the reader")
    func malformedHelloInRecord() {
        var bad = B.greasedClientHello()
        bad[4 + 2 + 32] = 200  // session id longer than the hello
        let (h, reader) = read([B.tlsRecord(bad)])
        #expect(h == nil)
        #expect(reader.done)
        #expect(reader.malformed)
    }

    @Test("a hello claiming more than the handshake limit is refused without buffering it")
    func oversizedHandshake() {
        let record = B.tlsRecord([1, 0x02, 0x00, 0x00] + [UInt8](repeating: 0, count: 100))
        let (h, reader) = read([record])
        #expect(h == nil)
        #expect(reader.malformed)
    }

    @Test("content detection recognises handshake records from SSL 3.0 to TLS 1.3 only")
    func looksLikeTLS() {
        func looks(_ b: [UInt8]) -> Bool { b.withUnsafeBytes { TLSHelloReader.looksLikeTLS($0) } }
        #expect(looks([22, 3, 1]))
        #expect(looks([22, 3, 0]))
        #expect(looks(B.tlsRecord(B.greasedClientHello())))
        #expect(!looks([23, 3, 3]))
        #expect(!looks([22, 3, 5]))
        #expect(!looks([22, 3]))
        #expect(!looks(B.ascii("GET")))
    }

    @Test("random bytes never crash the hello parser or the record reader")
    func fuzz() {
        var rng = XorShift(state: 0xA076_1D64_78BD_642F)
        let seed = B.greasedClientHello()
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int(rng.next() % 6) + 1 {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = failure(bytes)
            _ = read([B.tlsRecord(bytes)])
        }
    }

    /// The reader only checks a hello (on the capture thread) and `TLSHelloMessage.hello` decodes it
    /// later: the two walks must accept exactly the same bytes, or a checked hello would decode to
    /// nothing in its event.
    @Test("checking a hello and decoding it accept exactly the same bytes")
    func checkAndDecodeAgree() throws {
        var rng = XorShift(state: 0x2545_F491_4F6C_DD1D)
        var accepted = 0
        for seed in [B.greasedClientHello(), B.tls13ServerHello()] {
            for _ in 0..<10_000 {
                var bytes = seed
                for _ in 0...(rng.next() % 3) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                let decoded = failure(bytes) == nil
                let checked = bytes.withUnsafeBytes { (try? TLSHelloMessage(checking: $0)) != nil }
                #expect(decoded == checked, "bytes \(bytes)")
                if checked { accepted += 1 }
            }
        }
        #expect(accepted > 100 && accepted < 19_900)
        // A checked message decodes to the hello `parse` gives.
        let client = B.greasedClientHello()
        let message = try client.withUnsafeBytes { try TLSHelloMessage(checking: $0) }
        #expect(message.bytes == client)
        #expect(try message.hello == hello(client))
    }
}

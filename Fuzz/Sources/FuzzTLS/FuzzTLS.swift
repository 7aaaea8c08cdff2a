import FuzzSupport
import VigilDecode

/// Input: [split selector][record stream...]. The record stream is fed in pieces to a TLSHelloReader
/// (record reassembly, then the hello parser); the same bytes after the selector are also parsed
/// directly as one handshake message with TLSHello.parse(handshake:). Every hello found is rendered
/// (JA3 string and hash, version and cipher names).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var splitter = Splitter(selector: input.byte())
    let stream = input.rest()

    func render(_ hello: TLSHello) {
        consume(hello.ja3String)
        consume(hello.ja3)
        consume(TLSNames.version(hello.effectiveVersion).version)
        for suite in hello.cipherSuites { consume(TLSNames.cipherSuite(suite)) }
        consume(hello.serverName ?? "")
        consume(hello.alpn.joined())
    }

    var reader = TLSHelloReader()
    _ = TLSHelloReader.looksLikeTLS(stream)
    splitter.split(stream) { chunk, _ in
        if let message = reader.feed(chunk) { render(message.hello) }
    }
    consume(reader.done)
    consume(reader.malformed)

    withExactCopy(stream) { p in
        if let hello = try? TLSHello.parse(handshake: p) { render(hello) }
    }
    return 0
}

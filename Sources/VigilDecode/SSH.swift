/// An SSH identification string (RFC 4253 §4.2): `SSH-protoversion-softwareversion SP comments`.
public struct SSHBanner: Sendable, Equatable {
    public var raw: String
    public var protocolVersion: String
    public var software: String
    public var comments: String?

    public init?(line: String) {
        var line = line
        guard let banner = line.withUTF8({ SSHBanner(utf8: $0) }) else { return nil }
        self = banner
    }

    /// The banner in a line's bytes (without its line end), split on the bytes `-` and space (the
    /// RFC's separators are bytes; splitting a `String` by `Character` cost more than the rest of
    /// reading the banner).
    public init?(utf8 p: UnsafeBufferPointer<UInt8>) {
        guard p.count >= 4, p[0] == UInt8(ascii: "S"), p[1] == UInt8(ascii: "S"), p[2] == UInt8(ascii: "H"),
            p[3] == UInt8(ascii: "-"),
            let dash = (4..<p.count).first(where: { p[$0] == UInt8(ascii: "-") }), dash > 4
        else { return nil }
        let space = (dash + 1..<p.count).first(where: { p[$0] == UInt8(ascii: " ") })
        let softwareEnd = space ?? p.count
        guard softwareEnd > dash + 1 else { return nil }
        func text(_ from: Int, _ to: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: p[from..<to]), as: UTF8.self)
        }
        raw = text(0, p.count)
        protocolVersion = text(4, dash)
        software = text(dash + 1, softwareEnd)
        comments = space.map { text($0 + 1, p.count) }
    }
}

/// Reads one direction's SSH identification line; a server may send other lines first (RFC 4253).
public struct SSHBannerReader: Sendable {
    public static let maxLineBytes = 255
    public static let maxPreambleLines = 8
    var line: [UInt8] = []
    var linesSeen = 0
    public private(set) var done = false
    public private(set) var malformed = false

    public init() {}

    public mutating func feed(_ data: UnsafeRawBufferPointer) -> SSHBanner? {
        guard !done else { return nil }
        var i = 0
        while i < data.count {
            // The rest of the line in this segment, appended whole.
            let lf = LogBytes.find(0x0A, data, i, data.count)
            let end = lf ?? data.count
            line.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[i..<end]))
            // The line end does not count towards the limit; a line is too long once it passes it.
            if line.count > Self.maxLineBytes { return fail() }
            guard let lf else { return nil }
            i = lf + 1
            if line.last == 0x0D { line.removeLast() }
            linesSeen += 1
            if line.starts(with: Self.prefix) {
                done = true
                let banner = line.withUnsafeBufferPointer { SSHBanner(utf8: $0) }
                line = []
                if banner == nil { malformed = true }
                return banner
            }
            line.removeAll(keepingCapacity: true)
            if linesSeen >= Self.maxPreambleLines { return fail() }
        }
        return nil
    }

    static let prefix: [UInt8] = Array("SSH-".utf8)

    mutating func fail() -> SSHBanner? {
        done = true
        malformed = true
        line = []
        return nil
    }
}

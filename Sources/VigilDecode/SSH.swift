/// An SSH identification string (RFC 4253 §4.2): `SSH-protoversion-softwareversion SP comments`.
public struct SSHBanner: Sendable, Equatable {
    public var raw: String
    public var protocolVersion: String
    public var software: String
    public var comments: String?

    public init?(line: String) {
        guard line.hasPrefix("SSH-") else { return nil }
        raw = line
        let rest = line.dropFirst(4)
        guard let dash = rest.firstIndex(of: "-") else { return nil }
        protocolVersion = String(rest[rest.startIndex..<dash])
        let tail = rest[rest.index(after: dash)...]
        if let space = tail.firstIndex(of: " ") {
            software = String(tail[tail.startIndex..<space])
            comments = String(tail[tail.index(after: space)...])
        } else {
            software = String(tail)
            comments = nil
        }
        guard !protocolVersion.isEmpty, !software.isEmpty else { return nil }
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
        for b in data {
            if b == 0x0A {
                if line.last == 0x0D { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                line = []
                linesSeen += 1
                if text.hasPrefix("SSH-") {
                    done = true
                    if let banner = SSHBanner(line: text) { return banner }
                    malformed = true
                    return nil
                }
                if linesSeen >= Self.maxPreambleLines { return fail() }
                continue
            }
            line.append(b)
            if line.count > Self.maxLineBytes { return fail() }
        }
        return nil
    }

    mutating func fail() -> SSHBanner? {
        done = true
        malformed = true
        line = []
        return nil
    }
}

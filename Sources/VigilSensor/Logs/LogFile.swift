import Foundation
import VigilCore

/// A file's identity on this machine: device and inode. A renamed file keeps it; a file created in
/// its place gets a new one. Inode numbers are reused after deletion, so a cursor also carries a
/// fingerprint of the file's first line (see `TailCursor`).
public struct FileKey: Hashable, Sendable, Codable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    public var description: String { "\(device):\(inode)" }
}

/// What `stat`/`fstat` says about a file, as far as tailing cares.
public struct FileStat: Sendable, Equatable {
    public var key: FileKey
    public var size: UInt64
    /// Modification time in microseconds since the epoch (year-less syslog times take their year
    /// from it).
    public var modified: Timestamp

    public init(key: FileKey, size: UInt64, modified: Timestamp = Timestamp(microseconds: 0)) {
        self.key = key
        self.size = size
        self.modified = modified
    }
}

/// Thin wrappers over the file-system calls the tailer needs; they never throw for "missing" (that
/// is a normal state for a log file between rotation steps).
/// `stat(2)`, outside `LogFS` whose own `stat` methods would shadow it.
private func statPath(_ path: String, _ st: inout Glibc.stat) -> Int32 { stat(path, &st) }

enum LogFS {
    static func stat(path: String) -> FileStat? {
        var st = Glibc.stat()
        guard statPath(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileStat(st)
    }

    static func stat(fd: Int32) -> FileStat? {
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return FileStat(st)
    }

    /// Regular files matching a shell pattern (`/var/log/nginx/*.log`), sorted; a plain path
    /// matches itself when it exists.
    static func expand(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else {
            return stat(path: pattern) == nil ? [] : [pattern]
        }
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i], let s = String(validatingCString: p), stat(path: s) != nil { out.append(s) }
        }
        return out.sorted()
    }

    /// Regular files in `directory` (not recursive); used to find where a checkpointed file was
    /// rotated to while the tailer was not running.
    static func siblings(of path: String) -> [String] {
        let dir = (path as NSString).deletingLastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else {
            return []
        }
        return names.sorted().map { dir.isEmpty ? $0 : dir + "/" + $0 }
    }

    /// `pread` that retries on EINTR; returns bytes read, 0 at end of file, -1 on error.
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Int {
        while true {
            let n = Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }
}

extension FileStat {
    init(_ st: Glibc.stat) {
        key = FileKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        size = UInt64(max(0, st.st_size))
        modified = Timestamp(seconds: Int64(st.st_mtim.tv_sec), microseconds: Int64(st.st_mtim.tv_nsec / 1000))
    }
}

/// The fingerprint of a file's content: SHA-256 of its first line (without terminator, at most
/// `limit` bytes), 32 hex characters. It is fixed once the first line is complete, whatever the file
/// grows to, so it identifies the same file across restarts and renames and tells a reused inode
/// apart.
enum Fingerprint {
    static let limit = 1024

    static func of(firstLine bytes: UnsafeRawBufferPointer) -> String {
        Digest.sha256.withHash(UnsafeRawBufferPointer(rebasing: bytes.prefix(limit))) { Hex.encode($0.prefix(16)) }
    }

    /// Reads the first line of an open file; nil when the file has no complete line yet.
    static func read(fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: limit + 2)
        let n = buffer.withUnsafeMutableBytes { LogFS.pread(fd, $0, at: 0) }
        guard n > 0 else { return nil }
        return buffer.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw.prefix(n))
            guard var end = data.firstIndex(of: 0x0A) else {
                return n >= limit ? of(firstLine: data) : nil
            }
            if end > 0 && data[end - 1] == 0x0D { end -= 1 }
            return of(firstLine: UnsafeRawBufferPointer(rebasing: data.prefix(end)))
        }
    }
}

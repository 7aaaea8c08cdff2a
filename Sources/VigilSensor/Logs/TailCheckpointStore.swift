import Foundation
import VigilCore

/// Tail offsets on disk: a small JSON file replaced atomically (write to a temporary file, fsync,
/// rename, fsync the directory), so a crash leaves either the old or the new checkpoint, never a
/// torn one.
public struct TailCheckpointStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    struct File: Codable {
        var version: Int
        var cursors: [TailCursor]
    }

    /// The saved cursors; none when the file does not exist yet. A file that exists but cannot be
    /// read is an error (resuming from nothing would silently re-send everything).
    public func load() throws(VigilError) -> [TailCursor] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.io, "\(path): cannot read the tail checkpoint")
        }
        do {
            let file = try JSONDecoder().decode(File.self, from: data)
            guard file.version == 1 else {
                throw VigilError(.badCheckpoint, "\(path): checkpoint version \(file.version) is not supported")
            }
            return file.cursors
        } catch let error as VigilError {
            throw error
        } catch {
            throw VigilError(
                .badCheckpoint,
                "\(path): not a tail checkpoint (\(error)); move it away to start over from the files' beginnings")
        }
    }

    public func save(_ cursors: [TailCursor]) throws(VigilError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(File(version: 1, cursors: cursors)) else {
            throw VigilError(.io, "\(path): cannot encode the checkpoint")
        }
        let temporary = path + ".tmp"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw VigilError(.io, "\(temporary): cannot write: \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        Glibc.close(fd)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            throw VigilError(.io, "\(path): cannot save the checkpoint: \(String(cString: strerror(errno)))")
        }
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = Glibc.open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            Glibc.close(dfd)
        }
    }
}

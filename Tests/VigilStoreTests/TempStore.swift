import Foundation
import VigilCore

@testable import VigilStore

/// A store file in a fresh temporary directory, removed (with its -wal and -shm) on deinit.
final class TempStore {
    let dir: URL
    let path: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("vigil.db").path
    }

    func open() throws -> SQLiteStore { try SQLiteStore(path: path) }

    /// The bytes of the database file and its WAL, as a process reading the disk would see them.
    func fileBytes() throws -> [UInt8] {
        var bytes: [UInt8] = []
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            bytes += try [UInt8](Data(contentsOf: URL(fileURLWithPath: path + suffix)))
        }
        return bytes
    }

    deinit { try? FileManager.default.removeItem(at: dir) }
}

/// 2025-11-24T16:00:00Z in µs: the base of every test event's time.
let base: Int64 = 1_764_000_000_000_000

/// Event `n`, `second` seconds after `base` (default `n`): user `user<n % 3>`, host `web-<n % 2>`,
/// observer `node-<n % 4>`, rule hit `rule-even` on even `n`.
func event(
    _ n: Int, second: Int64? = nil, ip: String = "10.0.0.1", destination: String = "192.168.1.1",
    dataset: Dataset = .auth, hits: [String]? = nil
) -> StoredEvent {
    var e = Event(
        timestamp: Timestamp(microseconds: base + (second ?? Int64(n)) * 1_000_000), id: "e\(n)", dataset: dataset,
        observerID: "node-\(n % 4)")
    e.set(Fields.sourceIP, .ip(IPAddress(ip)!))
    e.set(Fields.destinationIP, .ip(IPAddress(destination)!))
    e.set(Fields.userName, "user\(n % 3)")
    e.set(FieldID("host.name"), "web-\(n % 2)")
    e.set(Fields.message, "line \(n) with 100% of _the_ text, 数据 \(n)")
    return StoredEvent(event: e, json: e.jsonLine, ruleHits: hits ?? (n % 2 == 0 ? ["rule-even"] : []))
}

func micros(_ second: Int64) -> Int64 { base + second * 1_000_000 }

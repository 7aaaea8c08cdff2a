import Foundation
import VigilSensor

/// The one-line progress of a long `vigil analyze --pcap` on a terminal (stderr): bytes of the
/// capture read, packets, rate and time left, redrawn about once a second by the capture thread.
public struct ProgressLine: Sendable {
    let fileBytes: Double
    let started = Date()

    public init(file: String) {
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.doubleValue
        fileBytes = size ?? 0
    }

    /// The text for `stats` after `elapsed` seconds (pcap files add 16 bytes of header per packet).
    func text(_ stats: PipelineStats, elapsed: Double) -> String {
        var read = Double(stats.bytes + 16 * stats.packets + 24)
        if fileBytes > 0 { read = min(read, fileBytes) }
        let rate = elapsed > 0 ? read / elapsed : 0
        var line = "  \(Self.bytes(read))"
        if fileBytes > 0 { line += " of \(Self.bytes(fileBytes)) (\(Int(min(100, read / fileBytes * 100)))%)" }
        line += ", \(stats.packets) packets, \(Self.bytes(rate))/s"
        if fileBytes > read, rate > 0 { line += ", about \(Int(((fileBytes - read) / rate).rounded(.up))) s left" }
        return line
    }

    func show(_ stats: PipelineStats) {
        let line = text(stats, elapsed: Date().timeIntervalSince(started))
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    func clear() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

    static func bytes(_ n: Double) -> String {
        switch n {
        case ..<1e6: String(format: "%.0f KB", n / 1e3)
        case ..<1e9: String(format: "%.1f MB", n / 1e6)
        default: String(format: "%.2f GB", n / 1e9)
        }
    }
}

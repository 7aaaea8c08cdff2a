import Foundation
import Testing

/// The man pages in deploy/man/ are generated from the parsers (scripts/make-manual.sh); these
/// tests catch a page left behind when a command or option changes.
@Suite("Man pages")
struct ManualTests {
    static let pages: [(binary: URL, page: String)] = [
        (vigilBinary, "deploy/man/vigil.1"),
        (correlatorBinary, "deploy/man/vigil-correlator.8"),
        (sensorBinary, "deploy/man/vigil-sensor.8"),
    ]

    /// Every visible subcommand (as `.It Em name`) and long option (`-name` on an `.It Fl` line) of
    /// `command` and below.
    static func expectedMarks(_ command: [String: Any]) -> [String] {
        var marks: [String] = []
        for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false
        {
            for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                marks.append("-\(name["name"] as? String ?? "")")
            }
        }
        for sub in command["subcommands"] as? [[String: Any]] ?? [] where sub["shouldDisplay"] as? Bool != false {
            marks.append(".It Em \(sub["commandName"] as? String ?? "")")
            marks += expectedMarks(sub)
        }
        return marks
    }

    @Test(
        "vigil(1), vigil-correlator(8) and vigil-sensor(8) name every subcommand and option the binaries have",
        arguments: pages.map(\.page))
    func current(page: String) throws {
        let binary = try #require(Self.pages.first { $0.page == page }?.binary)
        let (status, out) = try sh(binary.path, ["--experimental-dump-help"])
        #expect(status == 0)
        let info = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let command = try #require(info["command"] as? [String: Any])
        let text = try String(contentsOf: repoRoot.appendingPathComponent(page), encoding: .utf8)
        let items = text.split(separator: "\n").filter { $0.hasPrefix(".It ") }
        let tokens = Set(items.flatMap { $0.split(separator: " ").map(String.init) })
        let missing = Self.expectedMarks(command).filter {
            $0.hasPrefix(".It Em ") ? !items.contains(Substring($0)) : !tokens.contains($0)
        }
        #expect(
            missing.isEmpty, "\(page) is out of date (run bash scripts/make-manual.sh): missing \(missing.prefix(10))")
        #expect(Self.expectedMarks(command).count >= 3)
    }

    @Test("the pages render with groff without a warning", arguments: pages.map(\.page))
    func renders(page: String) throws {
        let path = repoRoot.appendingPathComponent(page).path
        let (status, out) = try sh("/bin/sh", ["-c", "groff -mdoc -Tutf8 -ww -z '\(path)' 2>&1"])
        #expect(status == 0 && out.isEmpty, "\(out)")
    }
}

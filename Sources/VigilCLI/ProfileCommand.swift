import ArgumentParser
import Foundation
import VigilConfig
import VigilSensor

/// `vigil profile validate`: checks sensor profiles without touching interfaces or logs.
public struct ProfileCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Work with sensor profiles (sensors/*.yaml).",
        subcommands: [Validate.self]
    )

    public init() {}

    public struct Validate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Check sensor profiles and print every problem as file:line: key: problem.",
            discussion: """
                A profile says what a node of one kind captures (interface, BPF filter) and tails (log \
                formats and paths), and the labels its events carry (department, data classification). \
                Validation reads only the profiles: it opens no interface and no log file, so it runs \
                anywhere, e.g. in CI before a profile is rolled out.

                Examples:
                  vigil profile validate sensors/*.yaml
                  vigil profile validate sensors/web-node.yaml --quiet && echo ok

                Exit status: 0 when every profile is valid, 2 when any has a problem.
                """
        )

        @Argument(help: ArgumentHelp("Profile files.", valueName: "file"))
        var files: [String]

        @Flag(name: [.short, .long], help: "Print only problems.")
        var quiet = false

        public init() {}

        public func run() throws {
            var failed = false
            for file in files {
                let (profile, diagnostics) = SensorProfile.load(path: file)
                for d in diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
                if let profile {
                    if !quiet {
                        let capture = profile.capture.map { "capture \($0.interface)" } ?? "no capture"
                        print("\(file): ok (\(profile.kind): \(capture), \(profile.logs.count) logs)")
                    }
                } else {
                    failed = true
                }
            }
            if failed { throw ExitCode(2) }
        }
    }
}

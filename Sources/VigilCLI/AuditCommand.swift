import ArgumentParser
import Foundation
import VigilCore
import VigilResponse
import VigilStore

/// `vigil audit verify`: is the ticket timeline as it was written?
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the ticket timeline's hash chain.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the timeline: exit 0 when intact, 1 naming the first changed or deleted entry.",
            discussion: """
                Through the query API (admin token), or straight from a copy of the store file: \
                --db reads it read-only, and --head (default: <db>.timeline-head) is the chain head \
                the correlator keeps outside the database, which shows deleted newest entries.

                Examples:
                  vigil audit verify
                  vigil audit verify --db /var/lib/vigil/vigil.db
                """)
        @OptionGroup var api: APIOptions
        @Option(help: ArgumentHelp("A store file to check directly.", valueName: "file")) var db: String?
        @Option(help: ArgumentHelp("The chain head file (with --db).", valueName: "file")) var head: String?

        func run() async throws {
            if let db {
                let store = try SQLiteStore(readingOnly: db)
                let headPath = head ?? db + ".timeline-head"
                let recorded = TicketDesk.readHead(headPath)
                if recorded == nil {
                    FileHandle.standardError.write(
                        Data("vigil: \(headPath): no chain head; deleted newest entries cannot show\n".utf8))
                }
                report(TimelineEntry.verify(try store.timeline(ticket: nil), head: recorded))
                return
            }
            try await APIConnection.run {
                let answer = try await api.connection().call("/v1/audit/verify")
                if answer["intact"] as? Bool == true {
                    report(.intact(entries: answer["entries"] as? Int ?? 0))
                } else {
                    report(
                        .broken(seq: Int64(answer["entry"] as? Int ?? 0), problem: answer["problem"] as? String ?? ""))
                }
            }
        }

        func report(_ check: TimelineCheck) {
            switch check {
            case .intact(let n): print("intact: \(n) timeline entries, chained to the recorded head")
            case .broken(let seq, let problem):
                print("BROKEN at entry \(seq): \(problem)")
                Foundation.exit(1)
            }
        }
    }
}

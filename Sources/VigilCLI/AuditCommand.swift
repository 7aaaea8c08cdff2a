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
                --db reads it read-only and checks the chain against the heads the correlator \
                records outside the database, which show deleted newest entries: the head file \
                (--head, default <db>.timeline-head) and, with --journal, the systemd journal \
                (journalctl, as root or in group systemd-journal; --journal-dir reads a copy of \
                journal files). Every head found must match.

                Examples:
                  vigil audit verify
                  vigil audit verify --db /var/lib/vigil/vigil.db --journal
                  vigil audit verify --db evidence/vigil.db --head evidence/vigil.db.timeline-head \\
                      --journal-dir evidence/journal --journal-store /var/lib/vigil/vigil.db
                """)
        @OptionGroup var api: APIOptions
        @Option(help: ArgumentHelp("A store file to check directly.", valueName: "file")) var db: String?
        @Option(help: ArgumentHelp("The chain head file (with --db).", valueName: "file")) var head: String?
        @Flag(help: "Also check against the head in the systemd journal (with --db).") var journal = false
        @Option(help: ArgumentHelp("Read the journal from a copy of journal files (with --db).", valueName: "dir"))
        var journalDir: String?
        @Option(
            help: ArgumentHelp(
                "The store's path on the correlator, when --db is a copy (the journal names heads by it).",
                valueName: "path"))
        var journalStore: String?

        func validate() throws {
            if db == nil, head != nil || journal || journalDir != nil || journalStore != nil {
                throw ValidationError("--head and the --journal options check a store file: add --db FILE")
            }
        }

        func run() async throws {
            if let db {
                let store = try SQLiteStore(readingOnly: db)
                let entries = try store.timeline(ticket: nil)
                var heads: [(source: String, head: (seq: Int64, hash: String))] = []
                let headPath = head ?? db + ".timeline-head"
                if let recorded = TicketDesk.readHead(headPath) {
                    heads.append(("the head file \(headPath)", recorded))
                } else {
                    warn("\(headPath): no chain head")
                }
                if journal || journalDir != nil || journalStore != nil {
                    let name = journalStore ?? TicketDesk.storeName(db)
                    if let recorded = try TicketDesk.readJournalHead(store: name, directory: journalDir) {
                        heads.append(("the journal", recorded))
                    } else {
                        warn("the journal\(journalDir.map { " in \($0)" } ?? "") holds no chain head for \(name)")
                    }
                }
                if heads.isEmpty { warn("no chain head outside the database: deleted newest entries cannot show") }
                for (source, recorded) in heads {
                    if case .broken(let seq, let problem) = TimelineEntry.verify(entries, head: recorded) {
                        report(.broken(seq: seq, problem: "\(problem) (checked against \(source))"))
                    }
                }
                let check = TimelineEntry.verify(entries, head: nil)
                guard case .intact(let n) = check else { return report(check) }
                let against = heads.isEmpty ? "no recorded head" : heads.map(\.source).joined(separator: " and ")
                print("intact: \(n) timeline entries, chained to \(against)")
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

        func warn(_ text: String) { FileHandle.standardError.write(Data("vigil: \(text)\n".utf8)) }

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

import ArgumentParser
import Foundation
import VigilCore

/// `vigil events search`: stored events, filtered by a query.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Search stored events.", subcommands: [Search.self])

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Events matching a query, newest first.",
            discussion: """
                The query: comparisons joined by and, or, not and parentheses —
                  field=value  field!=value  field>N  field>=N  field<N  field<=N  (numbers or RFC 3339 times)
                  field:pattern   case-insensitive glob, * any run, ? one character
                Quote values with spaces: message:"*Failed password*". A list field matches when any \
                element does; a missing field matches nothing. Equality on source.ip, destination.ip, \
                event.dataset, host.name, user.name and observer.id is answered by the server's \
                indexes; the rest is checked here, over at most --scan events.

                Examples:
                  vigil events search 'source.ip=10.1.2.3 and http.response.status_code>=500' --since 1h
                  vigil events search 'event.dataset=auth and event.outcome=failure and not user.name:svc-*'
                  vigil events search 'dlp.count>=100' --fields @timestamp,source.ip,url.path,dlp.count
                """)

        @OptionGroup var api: APIOptions
        @Argument(help: "The query (empty: every event).") var query = ""
        @Option(help: "Only events within this long (15m, 24h, 7d).") var since: String?
        @Option(help: "From this time (RFC 3339).") var from: String?
        @Option(help: "Until this time (RFC 3339).") var to: String?
        @Option(help: "Columns of the table, comma-separated.")
        var fields = "@timestamp,event.dataset,source.ip,destination.ip,event.action,message"
        @Option(help: "At most this many matches.") var limit = 50
        @Option(help: "Read at most this many events from the server looking for matches.") var scan = 100_000
        @Flag(help: "One JSON event per line.") var ndjson = false
        @Flag(
            name: [.customShort("f"), .long],
            help: "After the matches so far, keep printing new ones as they are stored (until Ctrl-C).")
        var follow = false

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1 to 10000") }
            guard since == nil || from == nil else { throw ValidationError("give --since or --from, not both") }
        }

        func run() async throws {
            let filter: EventFilter?
            do {
                filter = query.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try EventFilter.parse(query)
            } catch {
                FileHandle.standardError.write(Data("vigil: the query, \(error)\n".utf8))
                throw ExitCode(APIOptions.Exit.usage)
            }
            try await APIConnection.run {
                let connection = try api.connection()
                var base = filter?.serverParameters ?? []
                for (name, value) in [("since", since), ("from", from), ("to", to)] {
                    if let value { base.append((name, value)) }
                }
                var matches: [[String: Any]] = []
                var cursor: String?
                var scanned = 0
                // Bounded: stops at --limit matches, --scan events read, or the last page.
                while matches.count < limit && scanned < scan {
                    var params = base + [("limit", String(min(1000, scan - scanned)))]
                    if let cursor { params.append(("cursor", cursor)) }
                    let page = try await connection.call("/v1/events", query: params)
                    let events = page["events"] as? [[String: Any]] ?? []
                    scanned += events.count
                    for e in events where filter?.matches(e) ?? true {
                        matches.append(e)
                        if matches.count == limit { break }
                    }
                    cursor = page["next"] as? String
                    if cursor == nil || events.isEmpty { break }
                }
                if follow {
                    try await followNew(
                        connection, base: filter?.serverParameters ?? [], filter: filter, shown: matches)
                    return
                }
                if ndjson {
                    for e in matches {
                        let data = try JSONSerialization.data(withJSONObject: e, options: [.sortedKeys])
                        print(String(decoding: data, as: UTF8.self))
                    }
                } else {
                    let columns = fields.split(separator: ",").map(String.init)
                    print(
                        Table.render(
                            columns.map { $0.uppercased() }, matches.map { e in columns.map { Self.cell(e[$0]) } }))
                    FileHandle.standardError.write(
                        Data(
                            "\(matches.count) matches in \(scanned) events read\(scanned >= scan ? " (--scan reached)" : "")\n"
                                .utf8))
                }
            }
        }

        /// Follow mode: the matches so far oldest first, then every 2 s the events stored since,
        /// looking back 5 minutes of event time for late arrivals (deduplicated by `event.id`).
        func followNew(
            _ connection: APIConnection, base: [(String, String)], filter: EventFilter?, shown: [[String: Any]]
        )
            async throws
        {
            let columns = fields.split(separator: ",").map(String.init)
            func emit(_ e: [String: Any]) {
                if ndjson, let data = try? JSONSerialization.data(withJSONObject: e, options: [.sortedKeys]) {
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(columns.map { Self.cell(e[$0]) }.joined(separator: "  "))
                }
                fflush(nil)
            }
            var seen: [String: String] = [:]  // event.id → @timestamp, pruned to the look-back window
            var latest = ""
            for e in shown.reversed() {
                emit(e)
                if let id = e["event.id"] as? String, let t = e["@timestamp"] as? String {
                    seen[id] = t
                    latest = max(latest, t)
                }
            }
            if latest.isEmpty { latest = Timestamp.now().description }
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(2))
                let back = Timestamp(rfc3339: latest).map { Timestamp(microseconds: $0.microseconds - 300_000_000) }
                var params = base + [("limit", "1000")]
                if let back { params.append(("from", back.description)) }
                let page = try await connection.call("/v1/events", query: params)
                for e in (page["events"] as? [[String: Any]] ?? []).reversed() {
                    guard let id = e["event.id"] as? String, let t = e["@timestamp"] as? String, seen[id] == nil else {
                        continue
                    }
                    seen[id] = t
                    latest = max(latest, t)
                    if filter?.matches(e) ?? true { emit(e) }
                }
                if let back { seen = seen.filter { $0.value >= back.description } }
            }
        }

        static func cell(_ value: Any?) -> String {
            switch value {
            case nil: "-"
            case let s as String: s.replacingOccurrences(of: "\n", with: " ")
            case let n as NSNumber: n.stringValue
            case let list as [Any]: list.map { cell($0) }.joined(separator: ",")
            case let other?: "\(other)"
            }
        }
    }
}

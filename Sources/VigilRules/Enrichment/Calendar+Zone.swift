import Foundation

extension DeploymentCalendar {
    /// The calendar's time zone as a table of UTC offsets, so an event's offset is an array lookup,
    /// not a Foundation call. A fixed offset (`+08:00`) is one entry that holds for all time. An IANA
    /// zone (`Asia/Shanghai`, `Europe/Berlin`) gets every offset change between 1970 and 2100 from
    /// Foundation when the file is parsed, so the table stays right across daylight saving time;
    /// outside those years the offset is asked of Foundation each time (only bogus timestamps go there).
    /// A table rather than a cache keeps the calendar an immutable, `Sendable` value with no lock.
    struct Zone: Sendable, Equatable {
        /// As written in the file.
        var name: String
        /// UTC seconds from which `offsets[i]` holds, ascending; `starts[0]` is where the table begins.
        var starts: [Int64]
        /// Seconds east of UTC.
        var offsets: [Int32]
        /// The table holds for `starts[0]..<end`.
        var end: Int64
        /// The last entry, checked first: for zones without daylight saving time it covers every
        /// current timestamp, with no search.
        var lastStart: Int64
        var lastOffset: Int32
        /// For instants outside the table; nil for a fixed offset.
        var timeZone: TimeZone?

        static let tableStart: Int64 = 0  // 1970-01-01T00:00:00Z
        static let tableEnd: Int64 = 4_102_444_800  // 2100-01-01T00:00:00Z

        static func fixed(_ name: String, offset: Int32) -> Zone {
            Zone(
                name: name, starts: [.min], offsets: [offset], end: .max, lastStart: .min, lastOffset: offset,
                timeZone: nil)
        }

        static func named(_ name: String, _ timeZone: TimeZone) -> Zone {
            var starts = [tableStart]
            var offsets = [Int32(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(tableStart))))]
            var date = Date(timeIntervalSince1970: Double(tableStart))
            // Foundation's "daylight saving" transitions include changes of standard offset too
            // (Europe/Moscow 2011 and 2014); a transition that keeps the offset is skipped.
            while let next = timeZone.nextDaylightSavingTimeTransition(after: date),
                next.timeIntervalSince1970 < Double(tableEnd), next > date
            {
                date = next
                let offset = Int32(timeZone.secondsFromGMT(for: next))
                if offset != offsets.last {
                    starts.append(Int64(next.timeIntervalSince1970.rounded()))
                    offsets.append(offset)
                }
            }
            return Zone(
                name: name, starts: starts, offsets: offsets, end: tableEnd, lastStart: starts[starts.count - 1],
                lastOffset: offsets[offsets.count - 1], timeZone: timeZone)
        }

        /// Seconds east of UTC in force at `seconds` since the epoch.
        func offset(atUTC seconds: Int64) -> Int32 {
            if seconds >= lastStart && seconds < end { return lastOffset }
            guard seconds >= starts[0] && seconds < end else {
                return Int32(timeZone?.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))) ?? 0)
            }
            var low = 0
            var high = starts.count
            while low < high {
                let mid = (low + high) / 2
                if starts[mid] <= seconds { low = mid + 1 } else { high = mid }
            }
            return offsets[low - 1]
        }

        /// The UTC second a local wall-clock second names. A wall-clock time that occurs twice (clocks
        /// going back) is its first occurrence; one that never occurs (clocks going forward) is read
        /// with the offset before the jump, so 02:30 on a night that skips from 02:00 to 03:00 is 03:30.
        func utc(fromLocal local: Int64) -> Int64 {
            let before = Int64(offset(atUTC: local - 86_400))
            let after = Int64(offset(atUTC: local + 86_400))
            let early = local - before
            let late = local - after
            let earlyValid = Int64(offset(atUTC: early)) == before
            let lateValid = Int64(offset(atUTC: late)) == after
            switch (earlyValid, lateValid) {
            case (true, true): return min(early, late)
            case (false, true): return late
            default: return early
            }
        }
    }
}

/// An entry of a `ProbeTable`: a plain value with an "empty" state and a 64-bit key to hash.
protocol ProbeEntry {
    static var empty: Self { get }
    var isEmpty: Bool { get }
    var probeKey: UInt64 { get }
}

/// An open-addressing hash table (linear probing, backward-shift deletion, at most half full) for
/// the correlation engine's two hot lookups: group key → slot and (slot, value) → last seen. Both
/// keys are already 64-bit fingerprints, so hashing them again with SipHash (what `Dictionary`
/// does) was a fifth of the engine's time.
///
/// Positions come from `probeKey` through a mixer keyed with a random seed per table: fingerprints are
/// FNV-1a of attacker-controlled text, so unkeyed low bits could be chosen to pile every key into
/// one probe run; keyed, an attacker cannot predict positions.
struct ProbeTable<Entry: ProbeEntry>: Sendable where Entry: Sendable {
    private(set) var entries: [Entry]
    private(set) var count = 0
    private var mask: Int
    private let seed: UInt64

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        entries = Array(repeating: .empty, count: size)
        mask = size - 1
        seed = UInt64.random(in: .min ... .max)
    }

    /// A key's home position (splitmix64's finaliser over the seeded key).
    private func home(_ key: UInt64) -> Int {
        var z = key ^ seed
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int(truncatingIfNeeded: z ^ (z >> 31)) & mask
    }

    /// Where the entry with `key` that `matches` accepts is (`found`), or the empty position where
    /// it would go.
    func find(_ key: UInt64, _ matches: (Entry) -> Bool) -> (position: Int, found: Bool) {
        var i = home(key)
        while true {
            let entry = entries[i]
            if entry.isEmpty { return (i, false) }
            if matches(entry) { return (i, true) }
            i = (i + 1) & mask
        }
    }

    subscript(position: Int) -> Entry {
        get { entries[position] }
        set { entries[position] = newValue }
    }

    /// Stores a new entry at `position` (from `find`, not found), growing the table first if needed.
    mutating func insert(_ entry: Entry, at position: Int) {
        var position = position
        if (count + 1) * 2 > entries.count {
            grow()
            position = find(entry.probeKey) { _ in false }.position
        }
        entries[position] = entry
        count += 1
    }

    /// Removes the entry at `position`, moving later entries of its probe run back (no tombstones).
    mutating func remove(at position: Int) {
        var hole = position
        var j = position
        while true {
            j = (j + 1) & mask
            let entry = entries[j]
            if entry.isEmpty { break }
            let origin = home(entry.probeKey)
            // The entry may move into the hole unless its home lies cyclically in (hole, j].
            let between = hole <= j ? (origin > hole && origin <= j) : (origin > hole || origin <= j)
            if !between {
                entries[hole] = entry
                hole = j
            }
        }
        entries[hole] = .empty
        count -= 1
    }

    /// Keeps only the entries `keep` accepts.
    mutating func filter(_ keep: (Entry) -> Bool) {
        let old = entries
        entries = Array(repeating: .empty, count: old.count)
        count = 0
        for entry in old where !entry.isEmpty && keep(entry) {
            place(entry)
            count += 1
        }
    }

    mutating func removeAll() {
        entries = Array(repeating: .empty, count: 16)
        mask = 15
        count = 0
    }

    private mutating func grow() {
        let old = entries
        entries = Array(repeating: .empty, count: old.count * 2)
        mask = entries.count - 1
        for entry in old where !entry.isEmpty { place(entry) }
    }

    /// Puts an entry known to be absent at the first free position of its probe run.
    private mutating func place(_ entry: Entry) {
        var i = home(entry.probeKey)
        while !entries[i].isEmpty { i = (i + 1) & mask }
        entries[i] = entry
    }
}

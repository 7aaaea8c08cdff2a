import VigilCore

/// A time-stamped entry of a correlation window: when, which value (a 64-bit fingerprint; 0 for
/// event_count) and which event.
struct Stamp: Codable, Sendable, Equatable {
    var t: Int64
    var v: UInt64
}

/// A group's window stamps as snapshots (version 2) store them: `items` from `head` on are live
/// (earlier releases kept popped stamps before `head`).
struct StampQueue: Codable, Sendable {
    private(set) var items: [Stamp] = []
    private var head = 0

    var live: ArraySlice<Stamp> { items[head...] }

    mutating func append(_ stamp: Stamp) { items.append(stamp) }
}

/// One group's state for one correlation rule as snapshots (version 2) store it; the engine keeps
/// groups in a `GroupTable`. Which parts are used depends on the rule's type: `queue` (event_count;
/// value_count's value arrivals), `values` (value_count: value → last seen; new_terms: term → last
/// seen), `marks` (temporal: last time per input; temporal_ordered: the latest start of a chain
/// that matched the first k inputs in order).
struct GroupState: Codable, Sendable {
    /// The group-by values, for the hits' events.
    var keyValues: [String] = []
    var queue = StampQueue()
    var values: [UInt64: Int64] = [:]
    var marks: [Int64?] = []
    /// Ids of the first events of the current window (incident samples).
    var samples: [String] = []
    var observer: String?
    /// The last contributing event's asset labels (`labels.department`, `data.classification`), so
    /// the incident shows whose data it touched. Optional: snapshots saved before them still load.
    var department: String?
    var classification: String?
    var lastUpdate: Int64 = .min
}

/// One matched event (or chained hit) waiting for the watermark: what every correlation input
/// reads alike of it, made once per event, and its projections. The buffer holds one of these per
/// event, not one entry per projection (four rules on an event were four entries, each with its
/// own reference to count).
final class MatchSource: Sendable {
    /// Contributing event ids (one, or a lower correlation's samples).
    let ids: [String]
    let observer: String?
    /// Asset labels: `labels.department`, `data.classification`.
    let department: String?
    let classification: String?
    /// The event's text of each field slot its projections read (group-by and new_terms fields):
    /// a group's key values and a hit's fields come from here.
    let texts: [(slot: Int, text: String)]
    /// The event as each correlation input reads it, in the order the inputs consume it.
    let projections: [Projected]

    init(_ event: Event, ids: [String], texts: [(slot: Int, text: String)], projections: [Projected]) {
        self.ids = ids
        observer = event.observerID
        department = event[Fields.labelsDepartment]?.stringValue
        classification = event[Fields.dataClassification]?.stringValue
        self.texts = texts
        self.projections = projections
    }

    /// The same event with other projections (a rule reload renumbers or drops rules).
    init(_ other: MatchSource, projections: [Projected]) {
        (ids, observer, department, classification) = (
            other.ids, other.observer, other.department, other.classification
        )
        texts = other.texts
        self.projections = projections
    }

    /// The texts of `slots`, in order (a projection is only made when the event has all of them).
    func texts(_ slots: [Int]) -> [String] {
        slots.map { slot in texts.first { $0.slot == slot }?.text ?? "" }
    }
}

/// A match as one input of one correlation rule reads it, taken when the match arrives: only this
/// (and the `MatchSource` holding it) waits for the watermark, not the whole event.
struct Projected: Sendable {
    var rule: Int
    var input: Int
    /// Fingerprint of the group-by values (their texts are in the `MatchSource`).
    var key: UInt64
    /// value_count: the (first) value's fingerprint; new_terms: the term combination's. Fingerprints
    /// are never 0, so 0 means none.
    var value: UInt64
    /// value_count on a list field: the fingerprints of the other elements.
    var moreValues: [UInt64]
}

/// 64-bit FNV-1a of a value's text: a stable fingerprint (the same across restarts, unlike
/// `Hasher`), so snapshots stay valid; collisions among the values of one group are negligible.
func fingerprint(_ text: String) -> UInt64 {
    var f = Fingerprint()
    f.add(text)
    return f.value
}

/// FNV-1a over texts fed one by one (no array of them needed).
struct Fingerprint {
    private var h: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ add($0) }) == nil {
            for byte in text.utf8 { add(byte) }
        }
    }

    /// One of several parts: its text and a separator (so ["ab", "c"] and ["a", "bc"] differ).
    mutating func add(part: String) {
        add(part)
        add(0x1f)
    }

    private mutating func add(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes { add(byte) }
    }

    private mutating func add(_ byte: UInt8) {
        h ^= UInt64(byte)
        h = h &* 0x0000_0100_0000_01b3
    }

    /// Never 0 (0 means none where fingerprints are stored).
    var value: UInt64 { h == 0 ? 1 : h }
}

/// Pending inputs ordered by (event time, arrival), so equal times keep their arrival order.
///
/// Most inputs arrive in time order (each source is ordered; only interleaving and late flows are
/// not): those go to a FIFO run, appended and taken in O(1) with sequential memory access. An input
/// older than the run's newest goes to a binary min-heap; `pop` takes the smaller head of the two.
/// The heap moves only small plain entries; its elements stay in slots (a free list reuses them),
/// so sifting never copies or retains an element.
struct PendingHeap<Element> {
    private struct Entry {
        var key: Int64
        var seq: UInt64
        var slot: Int
    }

    fileprivate struct Queued {
        var key: Int64
        var seq: UInt64
        var element: Element?
    }

    private var run: [Queued] = []
    private var runHead = 0
    private var heap: [Entry] = []
    private var slots: [Element?] = []
    private var free: [Int] = []

    var count: Int { heap.count + run.count - runHead }
    var isEmpty: Bool { count == 0 }
    var minKey: Int64? {
        switch (heap.first?.key, runHead < run.count ? run[runHead].key : nil) {
        case (let h?, let r?): return min(h, r)
        case (let h, let r): return h ?? r
        }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].key != heap[b].key ? heap[a].key < heap[b].key : heap[a].seq < heap[b].seq
    }

    mutating func push(_ key: Int64, _ seq: UInt64, _ element: consuming Element) {
        if runHead == run.count || key >= run[run.count - 1].key {
            run.append(Queued(key: key, seq: seq, element: element))
            return
        }
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            slots[slot] = element
        } else {
            slot = slots.count
            slots.append(element)
        }
        heap.append(Entry(key: key, seq: seq, slot: slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (key: Int64, element: Element)? {
        if runHead < run.count {
            let head = run[runHead]
            if heap.isEmpty || head.key < heap[0].key || (head.key == heap[0].key && head.seq < heap[0].seq) {
                return popRun()
            }
        }
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && less(left, smallest) { smallest = left }
            if right < heap.count && less(right, smallest) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        let element = slots[top.slot].take()!
        if heap.isEmpty {
            slots.removeAll(keepingCapacity: true)
            free.removeAll(keepingCapacity: true)
        } else {
            free.append(top.slot)
        }
        return (top.key, element)
    }

    private mutating func popRun() -> (key: Int64, element: Element) {
        let key = run[runHead].key
        let element = run[runHead].element.take()!
        runHead += 1
        if runHead == run.count {
            run.removeAll(keepingCapacity: true)
            runHead = 0
        } else if runHead >= 4096 && runHead * 2 > run.count {
            // Taken entries are moved out of the array once they are half of it (amortised O(1)).
            run.removeFirst(runHead)
            runHead = 0
        }
        return (key, element)
    }
}

extension PendingHeap {
    /// The elements `transform` keeps (and changes), with their keys and arrival order.
    func compactMap(_ transform: (Element) -> Element?) -> PendingHeap {
        var all: [(key: Int64, seq: UInt64, element: Element)] = []
        for entry in heap {
            if let element = slots[entry.slot], let kept = transform(element) {
                all.append((entry.key, entry.seq, kept))
            }
        }
        for queued in run[runHead...] {
            if let element = queued.element, let kept = transform(element) {
                all.append((queued.key, queued.seq, kept))
            }
        }
        var out = PendingHeap()
        for item in all.sorted(by: { ($0.key, $0.seq) < ($1.key, $1.seq) }) {
            out.push(item.key, item.seq, item.element)
        }
        return out
    }
}

extension PendingHeap: Sendable where Element: Sendable {}
extension PendingHeap.Queued: Sendable where Element: Sendable {}

/// Each source's latest event time, and the slowest of them (which bounds the release): kept
/// current as sources report, so an event costs one dictionary lookup, not a walk over all sources.
struct SourceClocks: Sendable {
    /// Source → latest event time it reported; `.min` for a source expected but not yet heard from.
    private(set) var latest: [String: Int64] = [:]
    /// The least of `latest` (`.max` when there is no source).
    private(set) var slowest: Int64 = .max

    init(_ latest: [String: Int64] = [:]) {
        self.latest = latest
        slowest = latest.values.min() ?? .max
    }

    var isEmpty: Bool { latest.isEmpty }

    subscript(source: String) -> Int64? { latest[source] }

    /// Records that `source` reported time `t` (kept when not newer); returns its previous time.
    mutating func report(_ source: String, _ t: Int64) -> Int64 {
        guard let i = latest.index(forKey: source) else {
            latest[source] = t
            slowest = min(slowest, t)
            return .min
        }
        let known = latest.values[i]
        guard t > known else { return known }
        latest.values[i] = t
        // Only the slowest source moving can move the minimum.
        if known == slowest { slowest = latest.values.min() ?? .max }
        return known
    }

    mutating func remove(_ source: String) {
        guard let known = latest.removeValue(forKey: source) else { return }
        if known == slowest { slowest = latest.values.min() ?? .max }
    }
}

/// One correlation rule's groups, stored by column in slots, so a group costs no allocation of its
/// own: `GroupState` held four or five separately allocated buffers (window stamps, values,
/// marks, samples, key values), and creating and destroying 100 000 of them per rule was a third of
/// the engine's time. Here a group is a slot index, found by its key through a `GroupDirectory` the
/// table shares with the other rules that group by the same fields (its `lane` there), so one lookup
/// finds an event's group in each of them. Its window stamps live in chunks of a shared arena, its
/// counted values in one table keyed by (slot, value), its marks and samples in fixed-stride
/// columns. Freed slots and chunks are reused.
///
/// `GroupState` remains the snapshot form (version 2): `states()` and `init(markStride:lane:states:in:)`
/// convert.
struct GroupTable: Sendable {
    /// Stamps per arena chunk: most groups hold one to a few stamps; a brute force holds tens.
    static let chunk = 4
    static let maxSamples = IncidentTracker.maxSamples

    /// A group's window stamps: a list of chunks, read from `head` at `headOffset`.
    struct Queue: Sendable {
        var head: Int32 = -1
        var tail: Int32 = -1
        var headOffset: Int32 = 0
        var tailFill: Int32 = 0
        var count: Int32 = 0
    }

    /// value_count: a value and the last time it was seen; new_terms: a term and when last seen.
    private struct ValueEntry: ProbeEntry {
        var value: UInt64
        var t: Int64
        var slot: Int32
        static let empty = ValueEntry(value: 0, t: 0, slot: -1)
        var isEmpty: Bool { slot < 0 }
        var probeKey: UInt64 { Self.key(slot, value) }
        static func key(_ slot: Int32, _ value: UInt64) -> UInt64 {
            value ^ (UInt64(UInt32(bitPattern: slot)) &* 0x9e37_79b9_7f4a_7c15)
        }
    }

    /// Marks per group (temporal: one per input + 1); 0 for other types.
    let markStride: Int

    /// A group's fixed-size part (one element per slot, so creating a group is one append).
    private struct Slot {
        var key: UInt64
        var lastUpdate: Int64 = .min
        var queue = Queue()
        var valueCount: Int32 = 0
        var sampleCount: UInt8 = 0
        var inUse = true
        var keyValues: [String]
        var observer: String?
        var department: String?
        var classification: String?
    }

    /// This rule's lane in its directory.
    private(set) var lane: Int
    private(set) var count = 0
    private var freeSlots: [Int32] = []
    private var slotData: [Slot] = []
    /// `maxSamples` per slot.
    private var sampleIDs: [String] = []
    /// `markStride` per slot; `.min` is no mark.
    private var marks: [Int64] = []
    // The stamp arena: `chunk` stamps per chunk, the next chunk of each, and free chunks.
    private var stamps: [Stamp] = []
    private var nextChunk: [Int32] = []
    private var freeChunks: [Int32] = []
    /// value_count: value → the last time it was seen; new_terms: term → last seen. Per group.
    private var values = ProbeTable<ValueEntry>()

    init(markStride: Int, lane: Int) {
        (self.markStride, self.lane) = (markStride, lane)
    }

    /// The slots in use (a copy: callers remove while they walk).
    var slots: [Int32] { slotData.indices.compactMap { slotData[$0].inUse ? Int32($0) : nil } }

    /// A new group of `key` (which has none in this table; the caller found its directory
    /// `position`), registered in `directory`.
    mutating func create(
        _ key: UInt64, keyValues: [String], in directory: inout GroupDirectory, at position: GroupDirectory.Position
    ) -> Int32 {
        let slot = freeSlots.popLast() ?? Int32(slotData.count)
        if Int(slot) < slotData.count {
            slotData[Int(slot)] = Slot(key: key, keyValues: keyValues)
        } else {
            slotData.append(Slot(key: key, keyValues: keyValues))
            sampleIDs.append(contentsOf: repeatElement("", count: Self.maxSamples))
            marks.append(contentsOf: repeatElement(.min, count: markStride))
        }
        count += 1
        directory.set(key, lane: lane, slot: slot, at: position)
        return slot
    }

    /// Drops a group and everything it holds; its slot and chunks are reused.
    mutating func remove(_ slot: Int32, in directory: inout GroupDirectory) {
        let s = Int(slot)
        guard slotData[s].inUse else { return }
        clearValues(slot)
        removeAllStamps(slot)
        clearSamples(slot)
        clearMarks(slot)
        directory.clear(slotData[s].key, lane: lane)
        slotData[s] = Slot(key: 0, inUse: false, keyValues: [])
        freeSlots.append(slot)
        count -= 1
    }

    mutating func removeAll(in directory: inout GroupDirectory) {
        for slot in slotData where slot.inUse { directory.clear(slot.key, lane: lane) }
        self = GroupTable(markStride: markStride, lane: lane)
    }

    /// Drops every group whose last update `expired` says is too old (all at once when all are:
    /// the end of input).
    mutating func removeAll(lastUpdate expired: (Int64) -> Bool, in directory: inout GroupDirectory) {
        let old = slotData.indices.filter { slotData[$0].inUse && expired(slotData[$0].lastUpdate) }
        if old.count == count { return removeAll(in: &directory) }
        for s in old { remove(Int32(s), in: &directory) }
    }

    /// Registers every group in `directory` under `lane` (a table moved to another engine).
    mutating func register(lane: Int, in directory: inout GroupDirectory) {
        self.lane = lane
        for s in slotData.indices where slotData[s].inUse {
            let key = slotData[s].key
            directory.set(key, lane: lane, slot: Int32(s), at: directory.find(key))
        }
    }

    // MARK: Per-group fields

    func keyValues(_ slot: Int32) -> [String] { slotData[Int(slot)].keyValues }

    func labels(_ slot: Int32) -> (observer: String?, department: String?, classification: String?) {
        let g = slotData[Int(slot)]
        return (g.observer, g.department, g.classification)
    }

    /// Records an update at `t` and the latest event's observer and asset labels (kept when absent).
    mutating func touch(_ slot: Int32, at t: Int64, observer: String?, department: String?, classification: String?) {
        let s = Int(slot)
        slotData[s].lastUpdate = max(slotData[s].lastUpdate, t)
        if let observer { slotData[s].observer = observer }
        if let department { slotData[s].department = department }
        if let classification { slotData[s].classification = classification }
    }

    mutating func sample(_ slot: Int32, _ id: String) {
        let s = Int(slot)
        let n = Int(slotData[s].sampleCount)
        guard n < Self.maxSamples else { return }
        let base = s * Self.maxSamples
        for i in base..<(base + n) where sampleIDs[i] == id { return }
        sampleIDs[base + n] = id
        slotData[s].sampleCount += 1
    }

    func samples(_ slot: Int32) -> [String] {
        let base = Int(slot) * Self.maxSamples
        return Array(sampleIDs[base..<(base + Int(slotData[Int(slot)].sampleCount))])
    }

    mutating func clearSamples(_ slot: Int32) {
        let s = Int(slot)
        let base = s * Self.maxSamples
        for i in base..<(base + Int(slotData[s].sampleCount)) { sampleIDs[i] = "" }
        slotData[s].sampleCount = 0
    }

    func mark(_ slot: Int32, _ i: Int) -> Int64? {
        let m = marks[Int(slot) * markStride + i]
        return m == .min ? nil : m
    }

    mutating func setMark(_ slot: Int32, _ i: Int, _ value: Int64?) {
        marks[Int(slot) * markStride + i] = value ?? .min
    }

    private mutating func clearMarks(_ slot: Int32) {
        let base = Int(slot) * markStride
        for i in base..<(base + markStride) { marks[i] = .min }
    }

    /// Empties the group's window (stamps, values, marks, samples) after it fired; the group stays.
    mutating func reset(_ slot: Int32) {
        clearValues(slot)
        removeAllStamps(slot)
        clearMarks(slot)
        clearSamples(slot)
    }

    // MARK: Values

    func valueCount(_ slot: Int32) -> Int { Int(slotData[Int(slot)].valueCount) }

    func value(_ slot: Int32, _ value: UInt64) -> Int64? {
        let (position, found) = values.find(ValueEntry.key(slot, value)) { $0.slot == slot && $0.value == value }
        return found ? values[position].t : nil
    }

    /// Sets a value's last-seen time; returns the previous one.
    @discardableResult
    mutating func setValue(_ slot: Int32, _ value: UInt64, _ t: Int64) -> Int64? {
        let (position, found) = values.find(ValueEntry.key(slot, value)) { $0.slot == slot && $0.value == value }
        if found {
            let old = values[position].t
            values[position].t = t
            return old
        }
        values.insert(ValueEntry(value: value, t: t, slot: slot), at: position)
        slotData[Int(slot)].valueCount += 1
        return nil
    }

    mutating func removeValue(_ slot: Int32, _ value: UInt64) {
        let (position, found) = values.find(ValueEntry.key(slot, value)) { $0.slot == slot && $0.value == value }
        guard found else { return }
        values.remove(at: position)
        slotData[Int(slot)].valueCount -= 1
    }

    /// Forgets the group's values. value_count: every value has a stamp in the window, so the
    /// window finds them.
    mutating func clearValues(_ slot: Int32) {
        guard slotData[Int(slot)].valueCount > 0 else { return }
        for i in positions(slot) { removeValue(slot, stamps[i].v) }
        if slotData[Int(slot)].valueCount > 0 {
            values.filter { $0.slot != slot }
            slotData[Int(slot)].valueCount = 0
        }
    }

    /// new_terms: drops every value older than `keep` allows, over all groups; groups left without
    /// values are removed.
    mutating func removeValues(where expired: (Int64) -> Bool, in directory: inout GroupDirectory) {
        var dropped: [Int32: Int32] = [:]
        values.filter { entry in
            guard expired(entry.t) else { return true }
            dropped[entry.slot, default: 0] += 1
            return false
        }
        for (slot, n) in dropped {
            slotData[Int(slot)].valueCount -= n
            if slotData[Int(slot)].valueCount == 0 { remove(slot, in: &directory) }
        }
    }

    /// The group's values and their last-seen times (snapshots).
    private func valuesBySlot() -> [Int32: [UInt64: Int64]] {
        var out: [Int32: [UInt64: Int64]] = [:]
        for entry in values.entries where !entry.isEmpty { out[entry.slot, default: [:]][entry.value] = entry.t }
        return out
    }

    // MARK: Window stamps

    func stampCount(_ slot: Int32) -> Int { Int(slotData[Int(slot)].queue.count) }

    func firstStamp(_ slot: Int32) -> Stamp? {
        let q = slotData[Int(slot)].queue
        return q.count > 0 ? stamps[Int(q.head) * Self.chunk + Int(q.headOffset)] : nil
    }

    mutating func appendStamp(_ slot: Int32, _ stamp: Stamp) {
        var q = slotData[Int(slot)].queue
        if q.count == 0 {
            let c = newChunk()
            (q.head, q.tail, q.headOffset, q.tailFill) = (c, c, 0, 0)
        } else if q.tailFill == Self.chunk {
            let c = newChunk()
            nextChunk[Int(q.tail)] = c
            (q.tail, q.tailFill) = (c, 0)
        }
        stamps[Int(q.tail) * Self.chunk + Int(q.tailFill)] = stamp
        q.tailFill += 1
        q.count += 1
        slotData[Int(slot)].queue = q
    }

    @discardableResult
    mutating func popFirstStamp(_ slot: Int32) -> Stamp? {
        var q = slotData[Int(slot)].queue
        guard q.count > 0 else { return nil }
        let stamp = stamps[Int(q.head) * Self.chunk + Int(q.headOffset)]
        q.count -= 1
        q.headOffset += 1
        if q.count == 0 {
            freeChunks.append(q.head)
            q = Queue()
        } else if q.headOffset == Self.chunk {
            let old = q.head
            q.head = nextChunk[Int(old)]
            q.headOffset = 0
            freeChunks.append(old)
        }
        slotData[Int(slot)].queue = q
        return stamp
    }

    private mutating func removeAllStamps(_ slot: Int32) {
        var c = slotData[Int(slot)].queue.head
        guard slotData[Int(slot)].queue.count > 0 else { return }
        while c >= 0 {
            freeChunks.append(c)
            c = c == slotData[Int(slot)].queue.tail ? -1 : nextChunk[Int(c)]
        }
        slotData[Int(slot)].queue = Queue()
    }

    /// The positions in `stamps` of a group's window, oldest first.
    struct StampPositions: Sequence, IteratorProtocol {
        fileprivate var chunk: Int32
        fileprivate var offset: Int
        fileprivate var left: Int
        fileprivate let links: [Int32]

        mutating func next() -> Int? {
            guard left > 0 else { return nil }
            if offset == GroupTable.chunk {
                chunk = links[Int(chunk)]
                offset = 0
            }
            defer {
                offset += 1
                left -= 1
            }
            return Int(chunk) * GroupTable.chunk + offset
        }
    }

    private func positions(_ slot: Int32) -> StampPositions {
        let q = slotData[Int(slot)].queue
        return StampPositions(chunk: q.head, offset: Int(q.headOffset), left: Int(q.count), links: nextChunk)
    }

    /// value_count: the window rebuilt with one stamp per value, at its last-seen time (repeated
    /// values had left older stamps behind).
    mutating func compactStamps(_ slot: Int32) {
        var kept: [Stamp] = []
        var seen = Set<UInt64>()
        for i in positions(slot) {
            let stamp = stamps[i]
            if value(slot, stamp.v) == stamp.t && seen.insert(stamp.v).inserted { kept.append(stamp) }
        }
        removeAllStamps(slot)
        for stamp in kept { appendStamp(slot, stamp) }
    }

    /// Calls `body` with the group's stamps, oldest first; stops when it returns false.
    func forEachStamp(_ slot: Int32, _ body: (Stamp) -> Bool) {
        for i in positions(slot) {
            guard body(stamps[i]) else { return }
        }
    }

    private mutating func newChunk() -> Int32 {
        if let c = freeChunks.popLast() { return c }
        let c = Int32(nextChunk.count)
        nextChunk.append(-1)
        stamps.append(contentsOf: repeatElement(Stamp(t: 0, v: 0), count: Self.chunk))
        return c
    }

    // MARK: Snapshots (version 2: a dictionary of `GroupState`)

    func states() -> [UInt64: GroupState] {
        let byValue = valuesBySlot()
        var out: [UInt64: GroupState] = [:]
        out.reserveCapacity(count)
        for s in slotData.indices where slotData[s].inUse {
            let (key, slot) = (slotData[s].key, Int32(s))
            var g = GroupState()
            g.keyValues = slotData[Int(slot)].keyValues
            for i in positions(slot) { g.queue.append(stamps[i]) }
            g.values = byValue[slot] ?? [:]
            g.marks = (0..<markStride).map { mark(slot, $0) }
            g.samples = samples(slot)
            (g.observer, g.department, g.classification) = labels(slot)
            g.lastUpdate = slotData[Int(slot)].lastUpdate
            out[key] = g
        }
        return out
    }

    init(markStride: Int, lane: Int, states: [UInt64: GroupState], in directory: inout GroupDirectory) {
        self.init(markStride: markStride, lane: lane)
        for (key, g) in states {
            let slot = create(key, keyValues: g.keyValues, in: &directory, at: directory.find(key))
            let s = Int(slot)
            for stamp in g.queue.live { appendStamp(slot, stamp) }
            for (value, t) in g.values { setValue(slot, value, t) }
            for (i, m) in g.marks.prefix(markStride).enumerated() { setMark(slot, i, m) }
            for id in g.samples { sample(slot, id) }
            (slotData[s].observer, slotData[s].department) = (g.observer, g.department)
            (slotData[s].classification, slotData[s].lastUpdate) = (g.classification, g.lastUpdate)
        }
    }
}

/// Group key → each rule's group slot, for up to `lanes` rules that group by the same fields: an
/// event's key is looked up once for all of them (three rules by `source.ip` cost one cache miss,
/// not three). Keys are fingerprints (never 0) of the group-by texts.
struct GroupDirectory: Sendable {
    static let lanes = 4

    private struct Entry: ProbeEntry {
        var key: UInt64
        /// Per lane: the rule's slot, -1 when it has no group of this key.
        var slots: SIMD4<Int32>
        static let empty = Entry(key: 0, slots: SIMD4(repeating: -1))
        var isEmpty: Bool { key == 0 }
        var probeKey: UInt64 { key }
    }

    /// Where a key is, or where it would go (valid until the directory next changes).
    struct Position {
        fileprivate var index: Int
        fileprivate var found: Bool
    }

    private var table = ProbeTable<Entry>()

    func find(_ key: UInt64) -> Position {
        let (index, found) = table.find(key) { $0.key == key }
        return Position(index: index, found: found)
    }

    /// The slot of `lane` at a position `find` returned; nil when that rule has no such group.
    func slot(at position: Position, lane: Int) -> Int32? {
        guard position.found else { return nil }
        let slot = table[position.index].slots[lane]
        return slot < 0 ? nil : slot
    }

    fileprivate mutating func set(_ key: UInt64, lane: Int, slot: Int32, at position: Position) {
        if position.found {
            table[position.index].slots[lane] = slot
        } else {
            var entry = Entry(key: key, slots: SIMD4(repeating: -1))
            entry.slots[lane] = slot
            table.insert(entry, at: position.index)
        }
    }

    /// Forgets a lane's slot for `key`; the key goes when no lane holds it.
    fileprivate mutating func clear(_ key: UInt64, lane: Int) {
        let (index, found) = table.find(key) { $0.key == key }
        guard found else { return }
        table[index].slots[lane] = -1
        if table[index].slots == SIMD4(repeating: -1) { table.remove(at: index) }
    }
}

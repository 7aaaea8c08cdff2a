/// Inactivity timeouts in seconds of packet time (defaults as Zeek and Suricata use).
public struct FlowTimeouts: Sendable, Equatable {
    public var tcpEstablished: Int64 = 300
    public var udp: Int64 = 60
    public var icmp: Int64 = 60
    /// After both FINs or a RST, how long late packets still join the flow (Zeek's tcp_close_delay).
    public var tcpClosed: Int64 = 5

    public init() {}
}

/// Flow storage: records in one array, an open-addressing index of 32-bit slots, and one
/// inactivity list per timeout class ordered by last packet, so expiry only touches expired flows.
/// Time is packet time, so offline and live captures expire flows alike.
///
/// A slot holds the record's index plus one (0: empty) in its low `indexBits` bits and the top bits
/// of the flow's hash above them: a probe past a slot whose tag differs touches no record (a cache
/// miss each, with hundreds of thousands of flows), and those slots share one cache line.
struct FlowTable {
    enum TimeoutClass: UInt8, CaseIterable { case tcp = 0, datagram = 1, closed = 2 }

    /// The records, in one block read and written in place: an array's subscript getter copies the
    /// whole record (retaining its app) for every field read, several times per packet.
    private var records: UnsafeMutablePointer<FlowRecord>
    private var recordCount = 0
    private var recordCapacity: Int
    /// Frees the block when the table goes (a struct has no deinit). Tables are not copied.
    private let memory: RecordMemory
    private var free: [Int32] = []
    private var slots: [UInt32]
    private var mask: Int
    private(set) var count = 0
    private var heads: [Int32] = [-1, -1, -1]
    private var tails: [Int32] = [-1, -1, -1]
    let maxFlows: Int
    let timeouts: FlowTimeouts

    init(maxFlows: Int, timeouts: FlowTimeouts) {
        self.maxFlows = min(max(1, maxFlows), Self.maxIndex)
        self.timeouts = timeouts
        slots = [UInt32](repeating: 0, count: 1024)
        mask = 1023
        recordCapacity = 256
        records = .allocate(capacity: recordCapacity)
        memory = RecordMemory(records)
    }

    /// Owns the records' block: deinitializes and frees it.
    final class RecordMemory {
        var base: UnsafeMutablePointer<FlowRecord>
        var count = 0
        init(_ base: UnsafeMutablePointer<FlowRecord>) { self.base = base }
        deinit {
            base.deinitialize(count: count)
            base.deallocate()
        }
    }

    /// The record's inactivity timeout in microseconds. Reads it in place (a copied record would
    /// retain its app).
    func timeout(of index: Int) -> Int64 {
        switch TimeoutClass(rawValue: records[index].timeoutClass)! {
        case .tcp: timeouts.tcpEstablished * 1_000_000
        case .datagram: (records[index].flow.key.proto == 17 ? timeouts.udp : timeouts.icmp) * 1_000_000
        case .closed: timeouts.tcpClosed * 1_000_000
        }
    }

    /// Bits of a slot that hold the index: 2^27 − 1 flows, beyond any bound a sensor can be given
    /// (100 M); the other five hold the tag.
    static let indexBits: UInt32 = 27
    static let maxIndex = Int(1 << indexBits) - 1

    @inline(__always)
    static func slot(index: Int, hash: UInt32) -> UInt32 { tag(hash) | UInt32(index + 1) }

    @inline(__always)
    static func tag(_ hash: UInt32) -> UInt32 { hash & ~((1 << indexBits) - 1) }

    /// The record index a full slot points to.
    @inline(__always)
    static func index(_ slot: UInt32) -> Int { Int(slot & ((1 << indexBits) - 1)) - 1 }

    /// The index of the flow with this key, if tracked.
    func find(_ key: FlowKey, hash: UInt32) -> Int? {
        let tag = Self.tag(hash)
        var i = Int(hash) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if Self.tag(s) == tag {
                let index = Self.index(s)
                if records[index].hash == hash, records[index].flow.key == key { return index }
            }
            i = (i + 1) & mask
        }
    }

    var isFull: Bool { count >= maxFlows }

    /// Adds a flow (the caller makes room first when full); returns its index.
    mutating func insert(_ record: FlowRecord) -> Int {
        if (count + 1) * 2 > slots.count { grow() }
        let index: Int
        if let f = free.popLast() {
            index = Int(f)
            records[index] = record
        } else {
            if recordCount == recordCapacity { growRecords() }
            index = recordCount
            (records + index).initialize(to: record)
            recordCount += 1
            memory.count = recordCount
        }
        var i = Int(record.hash) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = Self.slot(index: index, hash: record.hash)
        count += 1
        link(index, to: record.timeoutClass)
        return index
    }

    /// Removes a flow from the index and lists; its record slot is reused.
    mutating func remove(_ index: Int) {
        unlink(index)
        var i = Int(records[index].hash) & mask
        let target = Self.slot(index: index, hash: records[index].hash)
        while slots[i] != target { i = (i + 1) & mask }
        // Backward-shift deletion keeps probe chains intact without tombstones.
        var j = i
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s == 0 { break }
            let ideal = Int(records[Self.index(s)].hash) & mask
            let between = i <= j ? (ideal > i && ideal <= j) : (ideal > i || ideal <= j)
            if !between {
                slots[i] = s
                i = j
            }
        }
        slots[i] = 0
        records[index].app = nil
        free.append(Int32(index))
        count -= 1
    }

    /// Marks activity: the flow moves to the tail of its (possibly new) inactivity list.
    mutating func touch(_ index: Int, timeoutClass: TimeoutClass) {
        unlink(index)
        records[index].timeoutClass = timeoutClass.rawValue
        link(index, to: timeoutClass.rawValue)
    }

    /// Flows whose inactivity timeout has passed at `now`, oldest first.
    func expired(at now: Int64, limit: Int = .max) -> [Int] {
        var out: [Int] = []
        for c in 0..<heads.count {
            var i = heads[c]
            while i >= 0, out.count < limit {
                let index = Int(i)
                if now - records[index].flow.last <= timeout(of: index) { break }
                out.append(index)
                i = records[index].next
            }
        }
        return out
    }

    /// The least recently active flow of all lists: the one to evict when the table is full.
    func leastRecentlyActive() -> Int? {
        var best: Int?
        for c in 0..<heads.count where heads[c] >= 0 {
            let i = Int(heads[c])
            if best == nil || records[i].flow.last < records[best!].flow.last { best = i }
        }
        return best
    }

    /// All tracked flow indices (for the final flush), oldest activity first per list.
    var all: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        for c in 0..<heads.count {
            var i = heads[c]
            while i >= 0 {
                out.append(Int(i))
                i = records[Int(i)].next
            }
        }
        return out
    }

    subscript(index: Int) -> FlowRecord {
        // `_read`, not `get`: reading one field must not copy the whole record (and retain its app).
        _read {
            precondition(index >= 0 && index < recordCount, "flow index out of range")
            yield records[index]
        }
        _modify {
            precondition(index >= 0 && index < recordCount, "flow index out of range")
            yield &records[index]
        }
    }

    private mutating func link(_ index: Int, to list: UInt8) {
        let c = Int(list)
        records[index].prev = tails[c]
        records[index].next = -1
        if tails[c] >= 0 { records[Int(tails[c])].next = Int32(index) } else { heads[c] = Int32(index) }
        tails[c] = Int32(index)
    }

    private mutating func unlink(_ index: Int) {
        let c = Int(records[index].timeoutClass)
        let p = records[index].prev, n = records[index].next
        if p >= 0 { records[Int(p)].next = n } else { heads[c] = n }
        if n >= 0 { records[Int(n)].prev = p } else { tails[c] = p }
        records[index].prev = -1
        records[index].next = -1
    }

    /// Doubles the records' block, moving them (no copies, no retains).
    private mutating func growRecords() {
        let capacity = recordCapacity * 2
        let moved = UnsafeMutablePointer<FlowRecord>.allocate(capacity: capacity)
        moved.moveInitialize(from: records, count: recordCount)
        records.deallocate()
        records = moved
        recordCapacity = capacity
        memory.base = moved
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        slots = [UInt32](repeating: 0, count: capacity)
        mask = capacity - 1
        for c in 0..<heads.count {
            var i = heads[c]
            while i >= 0 {
                let hash = records[Int(i)].hash
                var s = Int(hash) & mask
                while slots[s] != 0 { s = (s + 1) & mask }
                slots[s] = Self.slot(index: Int(i), hash: hash)
                i = records[Int(i)].next
            }
        }
    }
}

import Testing

@testable import VigilRules

private struct Pair: ProbeEntry, Equatable {
    var key: UInt64
    var value: Int
    static let empty = Pair(key: 0, value: -1)
    var isEmpty: Bool { value < 0 }
    var probeKey: UInt64 { key }
}

@Suite("The correlation engine's open-addressing table")
struct ProbeTableTests {
    /// A deterministic generator (tests must not depend on luck).
    struct Rng {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test("inserts, updates, removals and filters agree with a Dictionary through growth and long probe runs")
    func agreesWithDictionary() {
        for round in 0..<4 {
            var table = ProbeTable<Pair>()
            var model: [UInt64: Int] = [:]
            var rng = Rng(state: UInt64(round) + 7)
            // Few distinct keys in the early rounds (many removals hit present keys), many later.
            let universe = [50, 500, 5_000, 20_000][round]
            for step in 0..<40_000 {
                let key = UInt64(rng.next(universe)) &* 0x1_0000_0001  // low bits alike: long runs
                let (position, found) = table.find(key) { $0.key == key }
                #expect(found == (model[key] != nil))
                if found { #expect(table[position].value == model[key]) }
                switch rng.next(10) {
                case 0..<6:
                    if found {
                        table[position].value = step
                    } else {
                        table.insert(Pair(key: key, value: step), at: position)
                    }
                    model[key] = step
                case 6..<9:
                    if found { table.remove(at: position) }
                    model[key] = nil
                default:
                    if step % 97 == 0 {
                        table.filter { $0.value % 3 != 0 }
                        model = model.filter { $0.value % 3 != 0 }
                    }
                }
                #expect(table.count == model.count)
            }
            let stored = Dictionary(
                uniqueKeysWithValues: table.entries.filter { !$0.isEmpty }.map { ($0.key, $0.value) })
            #expect(stored == model, "round \(round)")
        }
    }
}

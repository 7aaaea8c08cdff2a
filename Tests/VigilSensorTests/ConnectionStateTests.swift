import Testing
import VigilCore

@testable import VigilSensor

@Suite("A connection's history letters")
struct ConnectionStateTests {
    func history(_ steps: [(String, Bool)]) -> String {
        var state = ConnectionState()
        for (letter, originator) in steps { state.note(UInt8(ascii: Unicode.Scalar(letter)!), originator: originator) }
        return state.historyText.string
    }

    @Test("each letter is kept once per direction, in order, upper case for the originator")
    func oncePerDirection() {
        #expect(history([("S", true), ("H", false), ("A", true), ("D", true), ("D", false), ("D", true)]) == "ShADd")
        #expect(history([("A", true), ("A", true), ("a", false), ("A", false)]) == "Aa")
        #expect(history([]) == "")
    }

    @Test("letters past the eighth go in the second word; sixteen at most")
    func sixteenAtMost() {
        let letters = Array("SHADFRTWXYZBCEGIJK").map(String.init)
        let mixed = letters.enumerated().map { ($0.element, $0.offset % 2 == 0) }
        let expected = String(mixed.prefix(16).map { $0.1 ? Character($0.0) : Character($0.0.lowercased()) })
        #expect(history(mixed) == expected)
        // A letter already among the sixteen, or in the second word, is not added again.
        #expect(history(mixed + [("S", true), ("c", false)]) == expected)
        #expect(history(mixed.prefix(10) + [("w", false), ("X", true)]).count == 10)
    }
}

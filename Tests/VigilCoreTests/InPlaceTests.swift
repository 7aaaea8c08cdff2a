import Testing

@testable import VigilCore

@Suite("Values held in place")
struct InPlaceTests {
    final class Tracked {}

    @Test("a boxed value is changed in place, read back, and destroyed with its box")
    func lifetime() {
        weak var watched: Tracked?
        do {
            let tracked = Tracked()
            watched = tracked
            let box = InPlace.make((tracked, [1, 2, 3]))
            box.value.1.append(4)
            box.value.1[0] = 9
            #expect(box.value.1 == [9, 2, 3, 4])
            #expect(box.value.0 === tracked)
            #expect(watched != nil)
        }
        #expect(watched == nil, "the value went with the box")
    }

    @Test("boxes of different values are independent")
    func independent() {
        let a = InPlace.make([1])
        let b = InPlace.make([1])
        a.value.append(2)
        #expect(a.value == [1, 2])
        #expect(b.value == [1])
    }
}

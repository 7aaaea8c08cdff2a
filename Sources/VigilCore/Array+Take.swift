extension Array {
    /// The first element, moved out; nil when empty. (`removeFirst` copies the element and then
    /// destroys the original: a retain and a release of every string and array it holds.)
    @inlinable
    package mutating func takeFirst() -> Element? {
        switch count {
        case 0: nil
        case 1: removeLast()
        default: remove(at: 0)
        }
    }

    /// Hands each element to `body` in order (taken as `takeFirst` takes them), leaving the array
    /// empty with its storage.
    @inlinable
    package mutating func takeEach(_ body: (consuming Element) throws -> Void) rethrows {
        while let element = takeFirst() { try body(element) }
    }
}

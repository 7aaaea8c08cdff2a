/// A value held by reference and mutated in place through a pointer to it, for per-flow state that
/// the capture thread changes on every packet (a connection's parsers, a flow's reassembly).
///
/// Not a class with stored properties: each in-place access to a class's stored property is checked
/// for exclusivity at run time (2 % of the capture thread for HTTP's parsers alone), and copying a
/// parser's state out of an enum and back retained and released every array and string in it. The
/// value lives inside the object (ManagedBuffer's header, destroyed with it): one allocation.
/// Only one thread touches a given box (the flow's capture thread); it is not Sendable.
package final class InPlace<Value>: ManagedBuffer<Value, Void> {
    package static func make(_ value: Value) -> InPlace<Value> {
        unsafeDowncast(create(minimumCapacity: 0) { _ in value }, to: InPlace<Value>.self)
    }

    /// Read in place too: a getter would copy the whole value (retaining everything in it) to
    /// read one part of it.
    @inline(__always)
    package var value: Value {
        _read {
            let p = withUnsafeMutablePointerToHeader { $0 }
            yield p.pointee
        }
        _modify {
            let p = withUnsafeMutablePointerToHeader { $0 }
            yield &p.pointee
        }
    }
}

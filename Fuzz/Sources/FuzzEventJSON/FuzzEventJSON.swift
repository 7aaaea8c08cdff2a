import FuzzSupport
import VigilCore

/// Input: one event line, as a sensor would send it to the correlator (the whole input, no selector).
/// `Event(jsonLine:)` reads it (an exact heap copy, so AddressSanitizer sees any read past it) twice:
/// with the default limits and with tight ones (256 bytes, depth 3, 8 fields) so the limit paths run
/// too. It must never crash, and a line that decodes must be a fixed point after one pass: its
/// re-encoding decodes to an equal event, which re-encodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let tight = EventDecodeLimits(maxLineBytes: 256, maxDepth: 3, maxFields: 8)
    for limits in [EventDecodeLimits(), tight] {
        let decoded = withExactCopy(input) { bytes -> Result<Event, EventDecodeError> in
            Result { () throws(EventDecodeError) in try Event(jsonLine: bytes, limits: limits) }
        }
        switch decoded {
        case .success(let event): checkFixedPoint(event)
        case .failure(let error):
            consume(error.reason)
            consume(error.message)
        }
    }
    return 0
}

/// The re-encoded line is read with the default limits: it may be longer than the input (`1e3`
/// becomes `1000.0`), so a tight byte limit could refuse it without anything being wrong.
func checkFixedPoint(_ event: Event) {
    let line = event.jsonLine
    let again: Event
    do {
        again = try Event(jsonLine: line.utf8)
    } catch {
        preconditionFailure("re-encoded line does not decode (\(error.reason)): \(error.message)\n\(line)")
    }
    precondition(again == event, "re-encoded line decodes to another event:\n\(line)\n\(again.jsonLine)")
    precondition(again.jsonLine == line, "second re-encoding differs:\n\(line)\n\(again.jsonLine)")
    consume(line)
}

import FuzzSupport
import VigilCore
import VigilInspect

private let inspector = Inspector(secret: Array("fuzz-secret".utf8))

/// Input: the text of one string field (any bytes; invalid UTF-8 is repaired as `String` does).
/// Checks, for the event path and the text path alike:
/// - the masked field keeps the UTF-8 length of the input (masking is length-preserving);
/// - every detection's range lies inside the text and its bytes changed;
/// - each found resident ID's raw text occurs fewer times after masking than before;
/// - the text path and the event path agree on the masked text and the count of distinct values;
/// - a second inspection of the masked event adds no detection of a masked kind at the same place.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let input = Array(text.utf8)

    let result = inspector.inspect(text: text, reporting: .low)
    let output = Array(result.masked.utf8)
    precondition(output.count == input.count, "masking changed the length: \(input.count) → \(output.count)")

    var counted = 0
    var distinct = Set<String>()
    for d in result.detections {
        precondition(d.range.lowerBound >= 0 && d.range.upperBound <= input.count, "range outside the text")
        guard d.confidence >= .medium else { continue }
        counted += 1
        distinct.insert(d.hash)
        precondition(input[d.range] != output[d.range], "a \(d.kind) detection left its bytes unchanged")
        if d.kind == .residentID, !input[d.range].contains(UInt8(ascii: "%")) {
            let raw = Array(input[d.range])
            precondition(
                occurrences(of: raw, in: output) < occurrences(of: raw, in: input),
                "a found resident ID survived masking")
        }
    }

    var event = Event(timestamp: fuzzTime(0), id: "fuzz", dataset: .logUnparsed)
    event.set(FieldID("event.original"), text)
    inspector.inspect(&event)
    precondition(event[FieldID("event.original")]?.stringValue == result.masked, "event and text paths differ")
    // dlp.count counts distinct values: one per distinct keyed hash among the detections.
    precondition(
        (event[Fields.dlpCount]?.intValue ?? 0) == Int64(distinct.count), "dlp.count differs from distinct detections")
    if counted == 0 { precondition(event[Fields.dlpTypes] == nil, "dlp fields without a detection") }
    consume(result.masked)
    return 0
}

private func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
    guard !needle.isEmpty, haystack.count >= needle.count else { return 0 }
    var count = 0
    for start in 0...(haystack.count - needle.count)
    where haystack[start..<(start + needle.count)].elementsEqual(needle) {
        count += 1
    }
    return count
}

import VigilCore

extension LogRecord {
    /// A line (or multi-line record) a decoder could not read: the raw text, lossily decoded as
    /// UTF-8, in `event.original`, a short reason in `error.message`, and the format it was read as.
    static func unparsed(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, format: StaticString, reason: StaticString
    ) -> LogRecord {
        var r = LogRecord(timestamp: nil, dataset: .logUnparsed, offset: offset)
        r.fields.reserveCapacity(3)
        r.set(Fields.eventOriginal, String(decoding: bytes, as: UTF8.self))
        r.set(Fields.errorMessage, reason.description)
        r.set(Fields.logFormat, format.description)
        return r
    }

    static func unparsed(_ bytes: [UInt8], offset: UInt64, format: StaticString, reason: StaticString) -> LogRecord {
        bytes.withUnsafeBytes { unparsed($0, offset: offset, format: format, reason: reason) }
    }

    /// The value of the first field with `id` (tests and enrichment read records back).
    public subscript(id: FieldID) -> FieldValue? { fields.first(where: { $0.id == id })?.value }
}

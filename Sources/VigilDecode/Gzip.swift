/// Whole-buffer gzip (or zlib) decompression with a cap on the output, for request bodies
/// (`Content-Encoding: gzip` on the ingest API): a compression bomb costs at most `limit` bytes.
public enum Gzip {
    public enum Failure: Error, Equatable {
        /// The decompressed data would exceed the limit.
        case tooLarge(limit: Int)
        /// Not gzip/zlib data, or cut short.
        case corrupt
    }

    public static func decompress(_ input: [UInt8], limit: Int) -> Result<[UInt8], Failure> {
        let inflater = Inflater(format: .gzipOrZlib, limit: limit + 1)
        let ok = input.withUnsafeBytes { inflater.feed($0) }
        if inflater.output.count > limit { return .failure(.tooLarge(limit: limit)) }
        guard ok, inflater.finished else { return .failure(.corrupt) }
        return .success(inflater.output)
    }
}

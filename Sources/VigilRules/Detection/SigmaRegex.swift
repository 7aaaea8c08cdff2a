import CPCRE2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Sigma `re` value compiled once with PCRE2 (and JIT-compiled when the platform allows).
///
/// Sendable because the compiled `pcre2_code` is never written after `init`: PCRE2 documents that
/// one compiled pattern (and its JIT code) may be used by several threads at once, provided each
/// thread uses its own match data, which `matches` takes from a per-thread slot.
final class SigmaRegex: @unchecked Sendable {
    private let code: OpaquePointer
    private let jit: Bool
    /// The pattern and flags as written, kept for the rule prefilter's literal extraction.
    let source: String
    let flags: Flags

    struct CompileError: Error {
        var message: String
        var offset: Int
    }

    struct Flags: OptionSet {
        let rawValue: UInt32
        static let caseless = Flags(rawValue: PCRE2_CASELESS)
        static let multiline = Flags(rawValue: PCRE2_MULTILINE)
        static let dotAll = Flags(rawValue: PCRE2_DOTALL)
    }

    init(_ pattern: String, flags: Flags) throws(CompileError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = flags.rawValue | PCRE2_UTF
        let compiled = pattern.utf8.withContiguousStorageIfAvailable { bytes in
            pcre2_compile_8(bytes.baseAddress, bytes.count, options, &errorCode, &errorOffset, nil)
        }
        let code: OpaquePointer?
        if let compiled {
            code = compiled
        } else {
            let bytes = Array(pattern.utf8)
            code = bytes.withUnsafeBufferPointer {
                pcre2_compile_8($0.baseAddress, $0.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let code else {
            var buffer = [UInt8](repeating: 0, count: 256)
            let length = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
            let message = length > 0 ? String(decoding: buffer[..<Int(length)], as: UTF8.self) : "error \(errorCode)"
            throw CompileError(message: message, offset: errorOffset)
        }
        self.code = code
        self.jit = pcre2_jit_compile_8(code, PCRE2_JIT_COMPLETE) == 0
        self.source = pattern
        self.flags = flags
    }

    deinit { pcre2_code_free_8(code) }

    /// Whether the pattern is found anywhere in `subject` (Sigma regexes are unanchored searches).
    func matches(_ subject: String) -> Bool {
        if let found = subject.utf8.withContiguousStorageIfAvailable({ matches(bytes: $0) }) { return found }
        var copy = subject
        return copy.withUTF8 { matches(bytes: $0) }
    }

    /// `bytes` must be valid UTF-8 (Swift strings are), so PCRE2's own UTF check is skipped.
    func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let data = SigmaRegex.threadMatchData() else { return false }
        let empty: UInt8 = 0
        return withUnsafePointer(to: empty) { emptyPointer in
            let subject = bytes.baseAddress ?? emptyPointer
            let rc: Int32
            if jit {
                rc = pcre2_jit_match_8(code, subject, bytes.count, 0, 0, data, nil)
            } else {
                rc = pcre2_match_8(code, subject, bytes.count, 0, PCRE2_NO_UTF_CHECK, data, nil)
            }
            // 0 means "matched, but the one-pair ovector is too small for the groups": still a match.
            return rc >= 0
        }
    }

    /// One match-data block per thread, made on first use and freed when the thread exits: match
    /// data is written by every match, so it is never shared, and making one per call would
    /// allocate on the hot path.
    private static func threadMatchData() -> OpaquePointer? {
        if let existing = pthread_getspecific(matchDataKey) { return OpaquePointer(existing) }
        guard let created = pcre2_match_data_create_8(1, nil) else { return nil }
        pthread_setspecific(matchDataKey, UnsafeRawPointer(created))
        return created
    }
}

private let matchDataKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { pointer in
        #if canImport(Darwin)
            pcre2_match_data_free_8(OpaquePointer(pointer))
        #else
            if let pointer { pcre2_match_data_free_8(OpaquePointer(pointer)) }
        #endif
    }
    return key
}()

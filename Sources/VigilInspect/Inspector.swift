import VigilCore

/// Finds mainland-China personal data in event text, masks it in place and summarises it on the event
/// in the `dlp.*` fields (DESIGN §4). Pure: no I/O, no clock, no logging; built once and shared.
///
/// ## Detectors and confidence
///
/// Every candidate is a maximal run of ASCII letters and digits (a digit run inside a longer run never
/// matches), or such runs joined by single spaces or dashes for grouped numbers, or an `@`. A candidate
/// must pass its validator; a keyword within 32 bytes before it (`身份证`, `手机`, `id_card`, `mobile`,
/// … see `ContextKeywords`) raises the confidence one level. Only **medium** and **high** detections
/// are counted, masked and reported.
///
/// | kind             | validated by                                           | alone  | keyword |
/// |------------------|--------------------------------------------------------|--------|---------|
/// | `cn_resident_id` | 18: province, birth date 1900…`latestBirthYear`, MOD 11-2 | high | high    |
/// | `cn_resident_id` | 15 (legacy, no check digit): province, 19YYMMDD        | low    | medium  |
/// | `cn_uscc`        | charset, authority, type, province, MOD 31; with a letter | high | high    |
/// | `cn_uscc`        | the same, all 18 characters digits                     | low    | high    |
/// | `cn_mobile`      | `1[3-9]` + 9 digits, optional `+86`/`86`/`0086`/`0`    | medium | high    |
/// | `cn_landline`    | area code + 7–8 digit local number, separated          | medium | high    |
/// | `cn_landline`    | the same without separator (`01012345678`)            | low    | medium  |
/// | `bank_card`      | 16–19 digits, Luhn, issuer prefix (`Validators.hasIssuerPrefix`) | medium | high |
/// | `bank_card`      | 16–19 digits, Luhn, no issuer prefix for that length   | low    | medium  |
/// | `passport`       | `E`/`EA`/`G`/`DE`/`SE`/`PE`/`C`/`CA` + digits, `H`/`M` + 8 or 10 | low | high |
/// | `email`          | local part, `@`, two or more labels, alphabetic TLD    | medium | high    |
///
/// Why the lows: a random 18-digit number passes the USCC rules about 1 time in 250, a random 15-digit
/// one the legacy-ID rules 1 in 80, a random 16-digit one Luhn 1 in 10; a letter and 7–8 digits is the
/// shape of many order and ticket numbers. A random 18-digit number passes the resident-ID rules about
/// 1.5 times in 100 000 (province 35/100 × year 131/10 000 × month-day 365/10 000 × check 1/11). Issuer
/// prefixes: 16 digits UnionPay 62/81, domestic 60, Visa 4, Mastercard 51–55/2221–2720, JCB, Discover;
/// 17–19 digits only 62/81/60 (19-digit order numbers are common, 19-digit Visa cards rare in China).
///
/// Inside an event, once a high detection is found, medium ones skip the keyword lookup: only the
/// maximum confidence is kept (`dlp.confidence`), so the lookup could not change the result.
///
/// Not personal data, never flagged: IPv4 addresses, versions and decimals (a run touching `.` + digit),
/// timestamps such as `20261123173000`. Text is scanned percent-decoded when it holds `%XX` escapes
/// (`%2B86%20138…`), with offsets mapped back so masking hits the original bytes; JSON `\n` and `\uXXXX`
/// escapes separate words. Full-width digits, JSON-escaped digits and numbers in `.int` fields are
/// not scanned.
///
/// ## Masking
///
/// Masked characters become `*` (an escaped character `%2A`), so a masked text keeps its UTF-8 length;
/// separators inside grouped numbers stay. Kept in clear: resident ID first 6 and last 4
/// (`110105********002X`; legacy: 6 and 3), USCC first 8 (authority, type, region) and last 2, mobile
/// first 3 and last 4 of the national number (`+86 138****5678`), landline the area code and last 4
/// (`0755-***4567`), card first 6 and last 4, passport first 2 and last 2, email the first character
/// of the local part and the domain (`z*******@example.com`).
///
/// ## Summary fields
///
/// `dlp.types`, `dlp.count`, `dlp.counts`, `dlp.confidence`, `dlp.samples` (at most `maxSamples`
/// distinct masked values) and `dlp.hashes` (at most `maxHashes` distinct hex HMAC-SHA256 of the
/// normalised values with the secret, truncated to `hashBytes` bytes — 128 bits by default, ample to
/// count and join distinct values). Normalised: letters upper-cased (ID `X`), phone numbers without
/// country code or separators, email lower-cased. An event with no detection gets no `dlp.*` field.
public final class Inspector: Sendable {
    public struct Options: Sendable {
        /// Latest birth year a resident ID may carry. Inspect has no clock: the sensor sets this from its
        /// configuration or the current year; a few years ahead is harmless.
        public var latestBirthYear: Int
        public var maxSamples: Int
        public var maxHashes: Int
        /// Bytes of each HMAC kept in `dlp.hashes` (1…32).
        public var hashBytes: Int
        /// Fields never scanned: structural ids and hashes that cannot hold personal data.
        public var skippedFields: [FieldID]

        public init(
            latestBirthYear: Int = 2030, maxSamples: Int = 5, maxHashes: Int = 64, hashBytes: Int = 16,
            skippedFields: [FieldID] = Inspector.structuralFields
        ) {
            self.latestBirthYear = latestBirthYear
            self.maxSamples = maxSamples
            self.maxHashes = maxHashes
            self.hashBytes = min(max(hashBytes, 1), HMACSHA256.byteCount)
            self.skippedFields = skippedFields
        }
    }

    /// Ids, connection keys, fingerprints and hashes, the `dlp.*` fields themselves, and values
    /// Vigil writes from a 16-bit code or an address, which cannot hold an identifier (versions,
    /// cipher suite names, resolved addresses: a TLS event's 15 cipher names with their digits cost
    /// more to scan than its server name).
    public static let structuralFields: [FieldID] = [
        FieldID("event.id"), Fields.connUID, Fields.networkCommunityID, Fields.tlsClientJA3, Fields.tlsServerJA3S,
        Fields.tlsClientSupportedCiphers, Fields.tlsCipher, Fields.tlsVersion, Fields.tlsVersionProtocol,
        Fields.httpVersion, Fields.dnsResolvedIP, Fields.dnsHeaderFlags,
        FieldID("hash.md5"), FieldID("hash.sha1"), FieldID("hash.sha256"), FieldID("file.hash.md5"),
        FieldID("file.hash.sha1"), FieldID("file.hash.sha256"), FieldID("tls.server.hash.sha1"),
        FieldID("tls.server.hash.sha256"), Fields.dlpTypes, Fields.dlpCount, Fields.dlpCounts,
        Fields.dlpConfidence, Fields.dlpSamples, Fields.dlpHashes,
    ]

    let options: Options
    let hmac: HMACSHA256
    /// One bit per field id: set when the field is skipped.
    private let skipped: [UInt64]

    /// - Parameter secret: the per-deployment key of `dlp.hashes`; the same secret gives the same hashes.
    public init(secret: [UInt8], options: Options = Options()) {
        self.options = options
        hmac = HMACSHA256(key: secret)
        var bits = [UInt64](repeating: 0, count: (Int(UInt16.max) + 1) / 64)
        for id in options.skippedFields { bits[Int(id.rawValue >> 6)] |= 1 << UInt64(id.rawValue & 63) }
        skipped = bits
    }

    func isSkipped(_ id: FieldID) -> Bool { skipped[Int(id.rawValue >> 6)] & (1 << UInt64(id.rawValue & 63)) != 0 }

    /// Masks every medium- and high-confidence detection in the event's string fields (also inside
    /// lists and objects, except the `skippedFields`) and adds the `dlp.*` summary. Allocates nothing when
    /// nothing is found.
    public func inspect(_ event: inout Event) {
        var inspection = FieldInspection(self)
        let fields = event.fields
        for field in fields {
            if let value = inspection.masked(field.id, field.value) { event[field.id] = value }
        }
        for field in inspection.summary { event[field.id] = field.value }
    }

    /// Inspects one text: the masked text and its detections. `reporting: .low` also lists low-confidence
    /// matches (tests, tuning); masking always covers medium and high only.
    public func inspect(text: String, reporting minimum: Confidence = .medium) -> TextInspection {
        var detections: [Detection] = []
        var out: MaskedText? = nil
        var utf8 = text
        utf8.withUTF8 { utf8 in
            scan(UnsafeRawBufferPointer(utf8)) { m, view in
                if m.confidence >= .medium {
                    if out == nil { out = MaskedText(text) }
                    view.mask(m, in: &out!)
                }
                guard m.confidence >= minimum else { return true }
                detections.append(
                    Detection(
                        kind: m.kind, confidence: m.confidence, range: view.rawRange(m), masked: view.masked(m),
                        hash: hash(m, view)))
                return true
            }
        }
        return TextInspection(masked: out?.finish() ?? text, detections: detections)
    }

    /// Hex of the truncated HMAC of the normalised value of `m`.
    func hash(_ m: Match, _ view: ScanView) -> String {
        digest(m, view).hex(bytes: options.hashBytes)
    }

    /// The first 128 bits of the HMAC of the normalised value of `m`.
    func digest(_ m: Match, _ view: ScanView) -> Digest {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ScanView.normalisedCapacity) { buffer in
            let count = view.normalise(m, into: buffer.baseAddress!)
            return digest(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count))
        }
    }

    /// The first 128 bits of the HMAC of `normalised`.
    func digest(_ normalised: UnsafeRawBufferPointer) -> Digest {
        hmac.withMAC(normalised) { mac in
            var high: UInt64 = 0, low: UInt64 = 0
            for k in 0..<8 {
                high = high << 8 | UInt64(mac[k])
                low = low << 8 | UInt64(mac[k + 8])
            }
            return Digest(high: high, low: low)
        }
    }
}

/// Sensitive-data fields added by VigilInspect (DESIGN §4). An event without a detection carries none
/// of them; the values are already masked or keyed hashes, never raw identifiers.
extension Fields {
    /// Kinds found, sorted: `cn_resident_id`, `cn_uscc`, `cn_mobile`, `cn_landline`, `bank_card`,
    /// `passport`, `email`.
    public static let dlpTypes = FieldID("dlp.types")
    /// Distinct values of all kinds together (medium and high confidence only); a value repeated in
    /// several fields or places of one event counts once.
    public static let dlpCount = FieldID("dlp.count")
    /// Distinct values per kind: an object kind → int with sorted keys.
    public static let dlpCounts = FieldID("dlp.counts")
    /// The highest confidence among the counted detections: `medium` or `high`.
    public static let dlpConfidence = FieldID("dlp.confidence")
    /// Up to five distinct masked values, in the order found.
    public static let dlpSamples = FieldID("dlp.samples")
    /// Distinct keyed hashes (HMAC-SHA256 with the deployment secret) of the normalised values, sorted.
    public static let dlpHashes = FieldID("dlp.hashes")
}

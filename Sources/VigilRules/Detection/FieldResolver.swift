import VigilCore

/// How a rule's field names reach event fields: Sigma taxonomy names (`cs-uri-query`, `c-ip`) are
/// translated by the field mapping of the rule's log source (`rules/mappings/`); names that are
/// not mapped are taken as ECS names as they are (`url.query`). Keyword lists (detection items
/// without a field) search `keywordFields`.
public struct FieldResolver: Sendable {
    /// Sigma name → the ECS fields it stands for (usually one; a name may map to several, any of
    /// which may match, as pySigma's field mappings allow).
    public var mapping: [String: [FieldID]]
    /// Fields a keyword is searched in when a rule has no field name (the whole "log line" of
    /// Sigma's keyword semantics, for events that were parsed into fields).
    public var keywordFields: [FieldID]

    public init(mapping: [String: [FieldID]] = [:], keywordFields: [FieldID] = []) {
        self.mapping = mapping
        self.keywordFields = keywordFields
    }

    public func resolve(_ sigmaName: String) -> [FieldID] {
        mapping[sigmaName] ?? mapping[sigmaName.lowercased()] ?? [FieldID(sigmaName)]
    }
}

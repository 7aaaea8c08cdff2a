import VigilCore

extension Event {
    static let datasetField = FieldID("event.dataset")
    static let observerField = FieldID("observer.id")
    static let idField = FieldID("event.id")
    static let timestampField = FieldID("@timestamp")

    /// A field as rules see it: the typed core (`event.dataset`, `observer.id`, `event.id`,
    /// `@timestamp`) as well as the ECS fields, so a rule can test `event.dataset: http` like any
    /// other field.
    func ruleValue(_ field: FieldID) -> FieldValue? {
        if let value = self[field] { return value }
        switch field {
        case Self.datasetField: return .string(dataset.name)
        case Self.observerField: return observerID.map(FieldValue.string)
        case Self.idField: return .string(id)
        case Self.timestampField: return .time(timestamp)
        default: return nil
        }
    }
}

import Foundation
import VigilConfig
import VigilCore

/// The field mappings in `rules/mappings/` (data, not code): for each family of Sigma log sources,
/// which Vigil datasets its rules apply to, where keyword-only rules search, and how Sigma
/// taxonomy field names translate to ECS.
public struct RuleMappings: Sendable {
    public struct Mapping: Sendable {
        /// product / category / service; every key given must equal the rule's.
        public var logsource: [String: String]
        public var datasets: Set<String>
        public var resolver: FieldResolver
        public var file: String
    }

    public var mappings: [Mapping] = []

    public init(mappings: [Mapping] = []) { self.mappings = mappings }

    static let logsourceKeys = ["product", "category", "service"]

    /// The most specific mapping for a rule's log source (the one constraining the most keys), or
    /// nil when no mapping covers it.
    public func mapping(for logsource: [String: String]) -> Mapping? {
        mappings.filter { m in m.logsource.allSatisfy { logsource[$0.key]?.lowercased() == $0.value.lowercased() } }
            .max { $0.logsource.count < $1.logsource.count }
    }

    /// Reads every `*.yaml`/`*.yml` in `directory`; problems go to `diagnostics`.
    public static func load(directory: String, diagnostics: inout [ConfigDiagnostic]) -> RuleMappings {
        var out = RuleMappings()
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        for name in files {
            let path = directory + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                diagnostics.append(ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file"))
                continue
            }
            let reader = ConfigReader(file: path)
            if let root = reader.root(text), let mapping = parse(root) { out.mappings.append(mapping) }
            diagnostics += reader.diagnostics
        }
        return out
    }

    /// A mapping from YAML text (for tests and fuzzing); problems go to `diagnostics`.
    public static func parse(text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> Mapping? {
        let reader = ConfigReader(file: file)
        defer { diagnostics += reader.diagnostics }
        return reader.root(text).flatMap(parse)
    }

    static func parse(_ root: ConfigNode) -> Mapping? {
        root.allowOnly(["logsource", "datasets", "keyword_fields", "fields"])
        guard let logsourceNode = root.child("logsource") else {
            root.error("missing key 'logsource'", hint: "e.g. logsource: {category: webserver}")
            return nil
        }
        logsourceNode.allowOnly(logsourceKeys)
        var logsource: [String: String] = [:]
        for (key, value, _) in logsourceNode.stringMap() { logsource[key] = value }
        guard !logsource.isEmpty else {
            logsourceNode.error("a mapping's logsource names at least one of product, category, service")
            return nil
        }
        let datasets = root.child("datasets")?.sequence().compactMap { $0.string() } ?? []
        if datasets.isEmpty { root.error("missing or empty 'datasets': which Vigil events these rules apply to") }
        let keywordFields = root.child("keyword_fields")?.sequence().compactMap { $0.string() }.map(FieldID.init) ?? []
        var fields: [String: [FieldID]] = [:]
        if let fieldsNode = root.child("fields") {
            if case .mapping(let pairs) = fieldsNode.node {
                for (key, value) in pairs {
                    guard let name = key.string else { continue }
                    let child = fieldsNode.child(name)!
                    switch value {
                    case .scalar:
                        if let target = child.string() { fields[name] = [FieldID(target)] }
                    case .sequence:
                        fields[name] = child.sequence().compactMap { $0.string() }.map(FieldID.init)
                    default:
                        child.error("expected an ECS field name or a list of them")
                    }
                }
            } else {
                fieldsNode.error("expected a mapping of Sigma field → ECS field")
            }
        }
        return Mapping(
            logsource: logsource, datasets: Set(datasets),
            resolver: FieldResolver(mapping: fields, keywordFields: keywordFields), file: root.reader.file)
    }
}

import Foundation
import VigilConfig
import VigilCore

/// Loads a rule directory in stages (CONVENTIONS 2, like Falco's rule loader): **read** every rule
/// file, **collect** each document's metadata and check it (id, title, level, duplicates), then
/// **compile** its detection against the field mapping of its log source. A bad rule is reported
/// with file, line, rule id/title, problem and hint, and skipped; the others load.
public enum RuleLoader {
    public struct Result: Sendable {
        public var rules: RuleSet
        public var mappings: RuleMappings
        public var diagnostics: [ConfigDiagnostic]
        public var errors: [ConfigDiagnostic] { diagnostics.filter { !$0.isWarning } }
        /// Rule files read, and documents in them.
        public var files: Int
        public var documents: Int
    }

    /// Folders of a rule directory that hold other data than rules.
    static let dataFolders: Set<String> = ["mappings", "response", "playbooks", "tests"]
    static let levels = RuleLevel.allCases.map(\.rawValue)
    static let statuses = ["stable", "test", "experimental", "deprecated", "unsupported"]
    static let topKeys = [
        "title", "id", "name", "related", "taxonomy", "status", "description", "license", "references", "author",
        "date", "modified", "tags", "logsource", "detection", "fields", "falsepositives", "level", "scope", "vigil",
    ]

    /// Loads every `*.yml`/`*.yaml` under `directory` (recursively, outside the data folders), with
    /// the mappings from `directory/mappings` unless `mappingsDirectory` says otherwise.
    public static func load(directory: String, mappingsDirectory: String? = nil) -> Result {
        var diagnostics: [ConfigDiagnostic] = []
        let mappings = RuleMappings.load(
            directory: mappingsDirectory ?? directory + "/mappings", diagnostics: &diagnostics)
        return load(files: ruleFiles(in: directory), mappings: mappings, diagnostics: diagnostics)
    }

    /// Rule files under `directory`, sorted, skipping the data folders.
    public static func ruleFiles(in directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            let first = relative.split(separator: "/").first.map(String.init) ?? ""
            if dataFolders.contains(first) { continue }
            if relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") { out.append(directory + "/" + relative) }
        }
        return out.sorted()
    }

    public static func load(files: [String], mappings: RuleMappings, diagnostics initial: [ConfigDiagnostic] = [])
        -> Result
    {
        var texts: [(String, String?)] = []
        for file in files { texts.append((file, try? String(contentsOfFile: file, encoding: .utf8))) }
        return load(texts: texts, mappings: mappings, diagnostics: initial)
    }

    /// Loads rules from texts already read (`file` names them in diagnostics); nil text = unreadable.
    public static func load(
        texts: [(file: String, text: String?)], mappings: RuleMappings, diagnostics initial: [ConfigDiagnostic] = []
    ) -> Result {
        var diagnostics = initial
        var rules: [CompiledRule] = []
        var seen: [String: String] = [:]  // id → where it was first defined
        var documents = 0
        for (file, text) in texts {
            guard let text else {
                diagnostics.append(ConfigDiagnostic(file: file, line: nil, key: "", problem: "cannot read the file"))
                continue
            }
            let reader = ConfigReader(file: file)
            for document in reader.documents(text) ?? [] {
                documents += 1
                reader.subject = nil
                let before = reader.errors.count
                guard let rule = collect(document, mappings: mappings) else { continue }
                if let first = seen[rule.meta.id] {
                    document.child("id")?.error("duplicate rule id, first defined in \(first)")
                    continue
                }
                guard reader.errors.count == before else { continue }
                seen[rule.meta.id] = "\(file):\(rule.meta.line ?? 0)"
                rules.append(rule)
            }
            diagnostics += reader.diagnostics
        }
        return Result(
            rules: RuleSet(rules: rules), mappings: mappings, diagnostics: diagnostics, files: texts.count,
            documents: documents)
    }

    /// Reads one rule document's metadata and compiles its detection.
    static func collect(_ doc: ConfigNode, mappings: RuleMappings) -> CompiledRule? {
        guard doc.isMapping else {
            doc.error("a rule is a mapping with title, id, logsource and detection")
            return nil
        }
        let id = doc.child("id")?.string() ?? ""
        let title = doc.child("title")?.string() ?? ""
        doc.reader.subject = "rule \(id.isEmpty ? "(no id)" : id) \"\(title)\""
        if doc.child("correlation") != nil {
            doc.error(
                "correlation rules are not supported yet; this rule is skipped",
                hint: "event_count/value_count/temporal arrive with the correlation engine")
            return nil
        }
        doc.allowOnly(topKeys)
        if title.isEmpty { doc.error("missing key 'title'") }
        if id.isEmpty {
            doc.error(
                "missing key 'id'", hint: "every rule needs a UUID: python3 -c 'import uuid; print(uuid.uuid4())'")
        } else if UUID(uuidString: id) == nil {
            doc.child("id")?.error("'\(id)' is not a UUID", hint: "Sigma rule ids are UUIDs")
        }
        let level: RuleLevel
        if let levelNode = doc.child("level") {
            level = levelNode.oneOf(levels).flatMap(RuleLevel.init(rawValue:)) ?? .medium
        } else {
            doc.warning("no level; medium is assumed")
            level = .medium
        }
        let status = doc.child("status")?.oneOf(statuses)
        let tagged = (doc.child("tags")?.sequence() ?? []).compactMap { node in node.string().map { (node, $0) } }
        let tags = tagged.map(\.1)
        var stage: LifecycleStage?
        var category: String?
        for (node, tag) in tagged {
            if tag.hasPrefix("vigil.stage.") {
                let name = String(tag.dropFirst("vigil.stage.".count))
                if let s = LifecycleStage(rawValue: name) {
                    stage = s
                } else {
                    node.error(
                        "unknown lifecycle stage '\(name)'",
                        hint: closest(to: name, in: LifecycleStage.allCases.map(\.rawValue)).map {
                            "did you mean '\($0)'?"
                        }
                            ?? LifecycleStage.allCases.map(\.rawValue).joined(separator: ", "))
                }
            } else if tag.hasPrefix("gbt20986.") {
                category = String(tag.dropFirst("gbt20986.".count))
            }
        }
        var logsource: [String: String] = [:]
        if let node = doc.child("logsource") {
            for (key, value, _) in node.stringMap() where RuleMappings.logsourceKeys.contains(key) {
                logsource[key] = value
            }
        } else {
            doc.error("missing key 'logsource'")
        }
        guard let mapping = mappings.mapping(for: logsource) else {
            if !logsource.isEmpty {
                doc.child("logsource")?.error(
                    "no field mapping covers this log source, so the rule could never match a Vigil event",
                    hint: "add a file to rules/mappings/ or use a covered logsource")
            }
            return nil
        }
        guard let detectionNode = doc.child("detection") else {
            doc.error("missing key 'detection'")
            return nil
        }
        guard let detection = Detection.compile(detectionNode, fields: mapping.resolver) else { return nil }
        var groupBy: [FieldID] = [Fields.sourceIP]
        if let vigil = doc.child("vigil") {
            vigil.allowOnly(["group_by"])
            if let fields = vigil.child("group_by")?.sequence().compactMap({ $0.string() }), !fields.isEmpty {
                groupBy = fields.map(FieldID.init)
            }
        }
        let meta = CompiledRule.Metadata(
            id: id.lowercased(), title: title, description: doc.child("description")?.string(), status: status,
            level: level, tags: tags, stage: stage, category: category,
            attack: tags.filter { $0.hasPrefix("attack.") },
            falsePositives: doc.child("falsepositives")?.sequence().compactMap { $0.string() } ?? [],
            groupBy: groupBy, file: doc.reader.file, line: doc.line)
        return CompiledRule(meta: meta, logsource: logsource, datasets: mapping.datasets, detection: detection)
    }
}

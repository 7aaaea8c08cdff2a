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
        /// The correlation rules, with the routing from the rules they reference.
        public var correlations: CorrelationSet
        /// The deployment calendar (`calendar.yaml` in the rule directory), when there is one.
        public var calendar: DeploymentCalendar? = nil
        public var mappings: RuleMappings
        public var diagnostics: [ConfigDiagnostic]
        public var errors: [ConfigDiagnostic] { diagnostics.filter { !$0.isWarning } }
        /// Rule files read, and documents in them.
        public var files: Int
        public var documents: Int
    }

    /// Folders of a rule directory that hold other data than rules.
    static let dataFolders: Set<String> = ["mappings", "response", "playbooks", "tests"]
    /// Files at the top of a rule directory that configure the pack instead of being rules.
    static let dataFiles: Set<String> = ["overrides.yaml", "overrides.yml", "calendar.yaml", "calendar.yml"]
    static let levels = RuleLevel.allCases.map(\.rawValue)
    static let statuses = ["stable", "test", "experimental", "deprecated", "unsupported"]
    static let topKeys = [
        "title", "id", "name", "related", "taxonomy", "status", "description", "license", "references", "author",
        "date", "modified", "tags", "logsource", "detection", "fields", "falsepositives", "level", "scope", "vigil",
        "correlation", "generate",
    ]

    /// Loads every `*.yml`/`*.yaml` under `directory` (recursively, outside the data folders), with
    /// the mappings from `directory/mappings` unless `mappingsDirectory` says otherwise, and the
    /// deployment's `directory/overrides.yaml` when present.
    public static func load(directory: String, mappingsDirectory: String? = nil) -> Result {
        var diagnostics: [ConfigDiagnostic] = []
        let mappings = RuleMappings.load(
            directory: mappingsDirectory ?? directory + "/mappings", diagnostics: &diagnostics)
        let overrides = RuleOverrides.load(directory: directory, diagnostics: &diagnostics)
        let calendar = loadCalendar(directory: directory, diagnostics: &diagnostics)
        var result = load(
            files: ruleFiles(in: directory), mappings: mappings, overrides: overrides, diagnostics: diagnostics)
        result.calendar = calendar
        return result
    }

    /// The deployment calendar in `directory/calendar.yaml`, if there is one.
    public static func loadCalendar(directory: String, diagnostics: inout [ConfigDiagnostic]) -> DeploymentCalendar? {
        for name in ["calendar.yaml", "calendar.yml"] {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                diagnostics.append(ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file"))
                return nil
            }
            return DeploymentCalendar.parse(text, file: path, diagnostics: &diagnostics)
        }
        return nil
    }

    /// Rule files under `directory`, sorted, skipping the data folders.
    public static func ruleFiles(in directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            let first = relative.split(separator: "/").first.map(String.init) ?? ""
            if dataFolders.contains(first) || dataFiles.contains(relative) { continue }
            if relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") { out.append(directory + "/" + relative) }
        }
        return out.sorted()
    }

    public static func load(
        files: [String], mappings: RuleMappings, overrides: RuleOverrides = RuleOverrides(),
        diagnostics initial: [ConfigDiagnostic] = []
    ) -> Result {
        var texts: [(String, String?)] = []
        for file in files { texts.append((file, try? String(contentsOfFile: file, encoding: .utf8))) }
        return load(texts: texts, mappings: mappings, overrides: overrides, diagnostics: initial)
    }

    /// Loads rules from texts already read (`file` names them in diagnostics); nil text = unreadable.
    public static func load(
        texts: [(file: String, text: String?)], mappings: RuleMappings, overrides: RuleOverrides = RuleOverrides(),
        diagnostics initial: [ConfigDiagnostic] = []
    ) -> Result {
        var diagnostics = initial
        var rules: [CompiledRule] = []
        var pending: [PendingCorrelation] = []
        var seen: [String: String] = [:]  // id → where it was first defined
        var documents = 0
        var readers: [ConfigReader] = []
        for (file, text) in texts {
            guard let text else {
                diagnostics.append(ConfigDiagnostic(file: file, line: nil, key: "", problem: "cannot read the file"))
                continue
            }
            let reader = ConfigReader(file: file)
            readers.append(reader)
            for document in reader.documents(text) ?? [] {
                documents += 1
                reader.subject = nil
                let before = reader.errors.count
                guard let item = collect(document, mappings: mappings, overrides: overrides) else { continue }
                let id = item.id
                if let first = seen[id] {
                    document.child("id")?.error("duplicate rule id, first defined in \(first)")
                    continue
                }
                guard reader.errors.count == before else { continue }
                seen[id] = "\(file):\(document.line ?? 0)"
                switch item {
                case .detection(let rule): if overrides.isEnabled(id) { rules.append(rule) }
                case .correlation(let correlation): if overrides.isEnabled(id) { pending.append(correlation) }
                }
            }
        }
        let correlations = resolve(pending, rules: rules, mappings: mappings)
        for reader in readers { diagnostics += reader.diagnostics }
        diagnostics += overrides.unused(known: Set(seen.keys))
        return Result(
            rules: RuleSet(rules: rules), correlations: correlations, mappings: mappings, diagnostics: diagnostics,
            files: texts.count, documents: documents)
    }

    enum Collected {
        case detection(CompiledRule)
        case correlation(PendingCorrelation)
        var id: String {
            switch self {
            case .detection(let r): r.meta.id
            case .correlation(let c): c.meta.id
            }
        }
    }

    /// Reads one rule document's metadata and compiles its detection, or reads its correlation.
    static func collect(_ doc: ConfigNode, mappings: RuleMappings, overrides: RuleOverrides) -> Collected? {
        guard doc.isMapping else {
            doc.error("a rule is a mapping with title, id, logsource and detection (or correlation)")
            return nil
        }
        let id = doc.child("id")?.string() ?? ""
        let title = doc.child("title")?.string() ?? ""
        doc.reader.subject = "rule \(id.isEmpty ? "(no id)" : id) \"\(title)\""
        doc.allowOnly(topKeys)
        if title.isEmpty { doc.error("missing key 'title'") }
        if id.isEmpty {
            doc.error(
                "missing key 'id'", hint: "every rule needs a UUID: python3 -c 'import uuid; print(uuid.uuid4())'")
        } else if UUID(uuidString: id) == nil {
            doc.child("id")?.error("'\(id)' is not a UUID", hint: "Sigma rule ids are UUIDs")
        }
        let isCorrelation = doc.child("correlation") != nil
        let override = overrides.entries[id.lowercased()]
        var level: RuleLevel?
        if let levelNode = override?.child("level") ?? doc.child("level") {
            level = levelNode.oneOf(levels).flatMap(RuleLevel.init(rawValue:)) ?? .medium
        } else if !isCorrelation {
            doc.warning("no level; medium is assumed")
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
        let name = doc.child("name")?.string()
        let meta = CompiledRule.Metadata(
            id: id.lowercased(), title: title, description: doc.child("description")?.string(), status: status,
            level: level ?? .medium, tags: tags, stage: stage, category: category,
            attack: tags.filter { $0.hasPrefix("attack.") },
            falsePositives: doc.child("falsepositives")?.sequence().compactMap { $0.string() } ?? [],
            groupBy: [Fields.sourceIP], file: doc.reader.file, line: doc.line, name: name)
        if let node = doc.child("correlation") {
            for key in ["logsource", "detection"] where doc.child(key) != nil {
                doc.child(key)?.error("a correlation rule has no \(key); it refers to other rules in correlation.rules")
            }
            return collectCorrelation(node, document: doc, meta: meta, levelGiven: level != nil, override: override)
                .map(Collected.correlation)
        }
        if doc.child("generate") != nil {
            doc.child("generate")?.error("'generate' belongs to correlation rules")
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
        var ruleMeta = meta
        if let vigil = doc.child("vigil") {
            vigil.allowOnly(["group_by"])
            if let fields = vigil.child("group_by")?.sequence().compactMap({ $0.string() }), !fields.isEmpty {
                ruleMeta.groupBy = fields.map(FieldID.init)
            }
        }
        override?.allowOnly(RuleOverrides.detectionKeys)
        return .detection(
            CompiledRule(
                meta: ruleMeta, logsource: logsource, datasets: mapping.datasets, detection: detection,
                resolver: mapping.resolver))
    }
}

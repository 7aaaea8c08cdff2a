import Foundation
import VigilConfig

/// A deployment's changes to the shipped rules, by rule id (`rules/overrides.yaml`): Sigma has no
/// variables, so thresholds, windows and levels that depend on the platform are set here instead
/// of by editing the rules (DESIGN §5).
///
/// ```yaml
/// 0e95725d-7320-415d-80f7-004da920fc11:   # SSH password guessing
///   timespan: 10m
///   condition: {gte: 20}
/// 8693ab32-e9a2-461f-987d-5e6718e3f71c:
///   enabled: false                        # the platform runs its own scanner
/// ```
public struct RuleOverrides {
    /// Keys an override may set on a detection rule, and in addition on a correlation rule.
    static let detectionKeys = ["enabled", "level"]
    static let correlationKeys = detectionKeys + ["timespan", "condition", "group-by", "generate", "learning"]

    /// Rule id (lower case) → its override node.
    var entries: [String: ConfigNode] = [:]
    /// Rule id → the line of its key in the overrides file.
    private var lines: [String: Int] = [:]
    private var disabled: Set<String> = []

    public init() {}

    /// Reads `directory/overrides.yaml` (or `.yml`) when present.
    public static func load(directory: String, diagnostics: inout [ConfigDiagnostic]) -> RuleOverrides {
        for name in ["overrides.yaml", "overrides.yml"] {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                diagnostics.append(ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file"))
                return RuleOverrides()
            }
            return parse(text, file: path, diagnostics: &diagnostics)
        }
        return RuleOverrides()
    }

    /// Overrides from YAML text. The nodes are kept: each rule reads its own when it loads, so a bad
    /// value is reported at its line in the overrides file.
    public static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> RuleOverrides {
        let reader = ConfigReader(file: file)
        var out = RuleOverrides()
        out.file = file
        out.reader = reader
        // A file of comments only (the shipped one) overrides nothing.
        guard let root = reader.documents(text)?.first else {
            diagnostics += reader.diagnostics
            return out
        }
        if case .mapping(let mapping) = root.node {
            for (key, _) in mapping {
                guard let id = key.string, let node = root.child(id) else { continue }
                guard UUID(uuidString: id) != nil else {
                    node.error("'\(id)' is not a rule id", hint: "overrides are keyed by the rule's UUID")
                    continue
                }
                guard node.isMapping else {
                    node.error("expected the keys to change: \(correlationKeys.joined(separator: ", "))")
                    continue
                }
                out.entries[id.lowercased()] = node
                out.lines[id.lowercased()] = key.mark?.line
                if node.child("enabled")?.bool() == false { out.disabled.insert(id.lowercased()) }
            }
        } else if case .scalar = root.node {
        } else {
            root.error("expected a mapping of rule id → changes")
        }
        diagnostics += reader.diagnostics
        reader.diagnostics = []
        return out
    }

    var file: String?
    private var reader: ConfigReader?

    func isEnabled(_ id: String) -> Bool { !disabled.contains(id) }

    /// Warnings for overrides naming no loaded rule (a typo, or a rule removed from the pack), and
    /// the problems found while the rules read their overrides.
    func unused(known: Set<String>) -> [ConfigDiagnostic] {
        var out = reader?.diagnostics ?? []
        reader?.diagnostics = []
        for (id, node) in entries.sorted(by: { $0.key < $1.key }) where !known.contains(id) {
            out.append(
                ConfigDiagnostic(
                    file: file ?? "overrides.yaml", line: lines[id] ?? node.line, key: id,
                    problem: "no loaded rule has this id; the override does nothing", isWarning: true))
        }
        return out
    }
}

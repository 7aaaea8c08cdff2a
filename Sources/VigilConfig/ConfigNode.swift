import Yams

/// A YAML node with its location, read with typed accessors that record a `ConfigDiagnostic`
/// (file, line, key path, problem) instead of throwing, so validation reports every problem.
public struct ConfigNode {
    public let node: Node
    public let path: String
    public let reader: ConfigReader

    public var line: Int? { node.mark.map { $0.line } }

    public func child(_ key: String) -> ConfigNode? {
        guard let value = node[key] else { return nil }
        return ConfigNode(node: value, path: path.isEmpty ? key : "\(path).\(key)", reader: reader)
    }

    public func error(_ problem: String, hint: String? = nil) {
        reader.diagnostics.append(
            ConfigDiagnostic(
                file: reader.file, line: line, key: path, problem: problem, hint: hint, subject: reader.subject))
    }

    public func warning(_ problem: String, hint: String? = nil) {
        reader.diagnostics.append(
            ConfigDiagnostic(
                file: reader.file, line: line, key: path, problem: problem, hint: hint, subject: reader.subject,
                isWarning: true))
    }

    /// Reports keys of a mapping that are not in `known` (a typo would otherwise be silently ignored).
    public func allowOnly(_ known: [String]) {
        guard case .mapping(let mapping) = node else {
            error("expected a mapping (key: value lines)")
            return
        }
        for (key, _) in mapping {
            guard let name = key.string, !known.contains(name) else { continue }
            let node = ConfigNode(node: key, path: path.isEmpty ? name : "\(path).\(name)", reader: reader)
            node.error("unknown key", hint: closest(to: name, in: known).map { "did you mean '\($0)'?" })
        }
    }

    public var isMapping: Bool {
        if case .mapping = node { return true }
        return false
    }

    public func string() -> String? {
        guard case .scalar(let scalar) = node else {
            error("expected a text value")
            return nil
        }
        return scalar.string
    }

    public func int(in range: ClosedRange<Int>) -> Int? {
        guard case .scalar = node, let value = node.int else {
            error("expected a whole number")
            return nil
        }
        guard range.contains(value) else {
            error("\(value) is out of range \(range.lowerBound)…\(range.upperBound)")
            return nil
        }
        return value
    }

    public func bool() -> Bool? {
        guard case .scalar = node, let value = node.bool else {
            error("expected true or false")
            return nil
        }
        return value
    }

    public func oneOf(_ allowed: [String]) -> String? {
        guard let value = string() else { return nil }
        guard allowed.contains(value) else {
            error(
                "'\(value)' is not one of \(allowed.joined(separator: ", "))",
                hint: closest(to: value, in: allowed).map { "did you mean '\($0)'?" })
            return nil
        }
        return value
    }

    public func sequence() -> [ConfigNode] {
        guard case .sequence(let items) = node else {
            error("expected a list")
            return []
        }
        return items.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]", reader: reader) }
    }

    /// A mapping of text to text, in file order.
    public func stringMap() -> [(key: String, value: String, node: ConfigNode)] {
        guard case .mapping(let mapping) = node else {
            error("expected a mapping (key: value lines)")
            return []
        }
        var out: [(String, String, ConfigNode)] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            let child = ConfigNode(node: value, path: path.isEmpty ? name : "\(path).\(name)", reader: reader)
            if let text = child.string() { out.append((name, text, child)) }
        }
        return out
    }
}

/// Parses one YAML document and collects the diagnostics of whoever reads it.
public final class ConfigReader {
    public let file: String
    public var diagnostics: [ConfigDiagnostic] = []
    /// Set while one item of a file is read (a rule's id and title), and put on its diagnostics.
    public var subject: String?

    public var errors: [ConfigDiagnostic] { diagnostics.filter { !$0.isWarning } }

    public init(file: String) { self.file = file }

    /// Every document of a multi-document file (`---` separated), or nil with a diagnostic.
    public func documents(_ text: String) -> [ConfigNode]? {
        do {
            let parser = try Parser(yaml: text)
            var out: [ConfigNode] = []
            while let node = try parser.nextRoot() { out.append(ConfigNode(node: node, path: "", reader: self)) }
            return out
        } catch let error as YamlError {
            diagnostics.append(Self.diagnostic(error, file: file))
        } catch {
            diagnostics.append(ConfigDiagnostic(file: file, line: nil, key: "", problem: "\(error)"))
        }
        return nil
    }

    /// The document's root, or nil (with a diagnostic) when the text is not YAML.
    public func root(_ text: String) -> ConfigNode? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                diagnostics.append(ConfigDiagnostic(file: file, line: 1, key: "", problem: "the file is empty"))
                return nil
            }
            return ConfigNode(node: node, path: "", reader: self)
        } catch let error as YamlError {
            diagnostics.append(Self.diagnostic(error, file: file))
        } catch {
            diagnostics.append(ConfigDiagnostic(file: file, line: nil, key: "", problem: "\(error)"))
        }
        return nil
    }

    public static func diagnostic(_ error: YamlError, file: String) -> ConfigDiagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigDiagnostic(file: file, line: mark.line, key: "", problem: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigDiagnostic(
                file: file, line: context.mark.line, key: "",
                problem: "duplicate key \(duplicates.joined(separator: ", "))")
        default:
            return ConfigDiagnostic(file: file, line: nil, key: "", problem: "not valid YAML: \(error)")
        }
    }
}

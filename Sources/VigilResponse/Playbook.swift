import Foundation
import VigilConfig
import VigilCore

/// What to do about a ticket, in order: `rules/playbooks/<category>.yaml`. Each step has a role
/// (who does it) and a due time after the ticket opens; steps can apply only from a response level
/// up (reporting to the authority, for instance).
public struct Playbook: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public var id: String
        public var zh: String
        public var en: String
        /// e.g. duty_analyst, data_owner, security_lead, operations.
        public var role: String
        /// Seconds after the ticket opens.
        public var dueSeconds: Int64
        /// Only for tickets at this response level or above.
        public var fromLevel: ResponseLevel?

        public init(
            id: String, zh: String, en: String, role: String, dueSeconds: Int64, fromLevel: ResponseLevel? = nil
        ) {
            (self.id, self.zh, self.en, self.role, self.dueSeconds, self.fromLevel) =
                (id, zh, en, role, dueSeconds, fromLevel)
        }
    }

    /// The category code the playbook is for (`dsi`, `nai-scan`, or `default`).
    public var category: String
    public var zh: String
    public var en: String
    public var steps: [Step]
    public var file: String

    /// The steps that apply to a ticket at `level`.
    public func steps(for level: ResponseLevel) -> [Step] {
        steps.filter { step in step.fromLevel.map { level >= $0 } ?? true }
    }

    /// Parses one playbook file; nil (with diagnostics) when it has errors.
    public static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> Playbook? {
        let reader = ConfigReader(file: file)
        defer { diagnostics += reader.diagnostics }
        guard let root = reader.root(text) else { return nil }
        root.allowOnly(["category", "zh", "en", "steps"])
        guard let category = root.child("category")?.string() else {
            root.error("a playbook needs 'category' (a GB/T 20986 code such as dsi, or default)")
            return nil
        }
        var book = Playbook(
            category: category, zh: root.child("zh")?.string() ?? "", en: root.child("en")?.string() ?? "", steps: [],
            file: file)
        var ids: Set<String> = []
        for node in root.child("steps")?.sequence() ?? [] {
            node.allowOnly(["id", "zh", "en", "role", "due", "from_level"])
            guard let id = node.child("id")?.string(), let zh = node.child("zh")?.string(),
                let en = node.child("en")?.string(), let role = node.child("role")?.string(),
                let dueNode = node.child("due"), let due = dueNode.string()
            else {
                node.error("a step needs id, zh, en, role and due")
                continue
            }
            guard ids.insert(id).inserted else {
                node.error("step '\(id)' appears twice")
                continue
            }
            guard let seconds = DurationText.seconds(due), seconds > 0 else {
                dueNode.error("'\(due)' is not a duration", hint: "e.g. 30m, 2h, 1d")
                continue
            }
            var step = Step(id: id, zh: zh, en: en, role: role, dueSeconds: seconds)
            if let levelNode = node.child("from_level"), let text = levelNode.string() {
                guard let level = ResponseLevel(roman: text) else {
                    levelNode.error("'\(text)' is not a response level", hint: "I, II, III or IV")
                    continue
                }
                step.fromLevel = level
            }
            book.steps.append(step)
        }
        if book.steps.isEmpty && reader.errors.isEmpty { root.error("a playbook needs at least one step") }
        return reader.errors.isEmpty ? book : nil
    }
}

/// Every playbook of `rules/playbooks/`, looked up by category: the subcategory's own (`dsi-leak`),
/// else its category's (`dsi`), else `default`.
public struct PlaybookLibrary: Sendable, Equatable {
    public var playbooks: [String: Playbook]

    public init(playbooks: [Playbook]) {
        self.playbooks = Dictionary(playbooks.map { ($0.category, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func playbook(for category: String?) -> Playbook? {
        if let category {
            if let exact = playbooks[category] { return exact }
            if let top = category.split(separator: "-").first, let book = playbooks[String(top)] { return book }
        }
        return playbooks["default"]
    }

    /// Loads every `*.yaml` in `directory`; problems go to `diagnostics` (a missing `default` is one).
    public static func load(directory: String, diagnostics: inout [ConfigDiagnostic]) -> PlaybookLibrary {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
        var books: [Playbook] = []
        for name in files {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                diagnostics.append(ConfigDiagnostic(file: path, line: nil, key: "", problem: "cannot read the file"))
                continue
            }
            if let book = Playbook.parse(text, file: path, diagnostics: &diagnostics) { books.append(book) }
        }
        let library = PlaybookLibrary(playbooks: books)
        if library.playbooks["default"] == nil {
            diagnostics.append(
                ConfigDiagnostic(
                    file: directory, line: nil, key: "",
                    problem: "no default.yaml: tickets of a category without a playbook would have none"))
        }
        return library
    }
}

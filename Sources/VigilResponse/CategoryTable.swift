import VigilConfig
import VigilCore

/// GB/T 20986-2023 incident categories and subcategories (`rules/response/categories.yaml`), by the
/// Vigil codes that rules carry as `gbt20986.<code>` tags: the names a ticket shows in Chinese and
/// English.
public struct CategoryTable: Sendable, Equatable {
    public struct Category: Sendable, Equatable {
        public var code: String
        public var zh: String
        public var en: String
        /// The top-level category's code (itself for a category).
        public var parent: String
    }

    public var version: String
    public var categories: [String: Category]

    /// The category or subcategory with this code.
    public func category(_ code: String) -> Category? { categories[code] }

    /// "数据泄露事件 / Data leakage (数据安全事件 / Data security incident)" for a subcategory.
    public func describe(_ code: String) -> String {
        guard let c = categories[code] else { return code }
        guard c.parent != c.code, let p = categories[c.parent] else { return "\(c.zh) / \(c.en)" }
        return "\(c.zh) / \(c.en) (\(p.zh) / \(p.en))"
    }

    /// Parses the table; nil (with diagnostics) when it has errors.
    public static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> CategoryTable? {
        let reader = ConfigReader(file: file)
        defer { diagnostics += reader.diagnostics }
        guard let root = reader.root(text) else { return nil }
        root.allowOnly(["version", "categories"])
        var table = CategoryTable(version: root.child("version")?.string() ?? "", categories: [:])
        func add(_ node: ConfigNode, parent: String?) -> String? {
            node.allowOnly(["code", "zh", "en", "subcategories", "since", "verified"])
            guard let code = node.child("code")?.string(), let zh = node.child("zh")?.string(),
                let en = node.child("en")?.string()
            else {
                node.error("a category needs code, zh and en")
                return nil
            }
            guard table.categories[code] == nil else {
                node.error("category code '\(code)' appears twice")
                return nil
            }
            table.categories[code] = Category(code: code, zh: zh, en: en, parent: parent ?? code)
            return code
        }
        for node in root.child("categories")?.sequence() ?? [] {
            guard let code = add(node, parent: nil) else { continue }
            for sub in node.child("subcategories")?.sequence() ?? [] { _ = add(sub, parent: code) }
        }
        if table.categories.isEmpty && reader.errors.isEmpty { root.error("no categories") }
        return reader.errors.isEmpty ? table : nil
    }
}

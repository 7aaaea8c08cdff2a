/// The national response level of a network-security incident (网络安全事件分级), I the most severe:
/// I 特别重大 (red warning), II 重大 (orange), III 较大 (yellow), IV 一般 (blue). A ticket's level is
/// computed from the rule's level, the data classification touched and the scale
/// (`rules/response/levels.yaml`).
public enum ResponseLevel: Int, Sendable, CaseIterable, Comparable, Codable {
    case i = 1
    case ii = 2
    case iii = 3
    case iv = 4

    /// I, II, III, IV.
    public var roman: String {
        switch self {
        case .i: "I"
        case .ii: "II"
        case .iii: "III"
        case .iv: "IV"
        }
    }

    public init?(roman: String) {
        guard let level = Self.allCases.first(where: { $0.roman == roman.uppercased() }) else { return nil }
        self = level
    }

    /// 特别重大, 重大, 较大, 一般.
    public var chinese: String {
        switch self {
        case .i: "特别重大"
        case .ii: "重大"
        case .iii: "较大"
        case .iv: "一般"
        }
    }

    /// The warning colour: red, orange, yellow, blue.
    public var colour: String {
        switch self {
        case .i: "red"
        case .ii: "orange"
        case .iii: "yellow"
        case .iv: "blue"
        }
    }

    /// 红, 橙, 黄, 蓝.
    public var colourChinese: String {
        switch self {
        case .i: "红"
        case .ii: "橙"
        case .iii: "黄"
        case .iv: "蓝"
        }
    }

    /// Ordered by severity: IV < III < II < I.
    public static func < (a: ResponseLevel, b: ResponseLevel) -> Bool { a.rawValue > b.rawValue }
}

/// How important the data an event touched is, per the Data Security Law's tiers (数据分类分级):
/// general < important < core (一般 < 重要 < 核心). The value of `data.classification`.
public enum DataClassification: String, Sendable, CaseIterable, Comparable, Codable {
    case general, important, core

    public var chinese: String {
        switch self {
        case .general: "一般数据"
        case .important: "重要数据"
        case .core: "核心数据"
        }
    }

    public static func < (a: DataClassification, b: DataClassification) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

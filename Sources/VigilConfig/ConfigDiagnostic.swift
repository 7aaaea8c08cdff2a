/// One problem in a configuration file: where (file, line, key path) and what, with a hint when
/// there is an obvious fix. Loaders collect all of them instead of stopping at the first, so one
/// run of `vigil profile validate` shows everything to fix (Falco's rule loader does the same).
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// Dotted path of the key (`logs[1].format`), empty for the document itself.
    public var key: String
    public var problem: String
    public var hint: String?
    /// What the problem belongs to when a file holds several things, e.g. `rule 5f0c… "Web SQL injection"`.
    public var subject: String?
    /// A warning leaves the thing usable (a rule still loads); an error means it was skipped.
    public var isWarning = false

    public init(
        file: String, line: Int?, key: String, problem: String, hint: String? = nil, subject: String? = nil,
        isWarning: Bool = false
    ) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
        self.hint = hint
        self.subject = subject
        self.isWarning = isWarning
    }

    /// `file:line: key: problem (hint)`, the shape compilers use, so editors can jump to it.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += isWarning ? ": warning: " : ": "
        if let subject { s += "\(subject): " }
        if !key.isEmpty { s += "\(key): " }
        s += problem
        if let hint { s += " (\(hint))" }
        return s
    }
}

/// The closest of `candidates` to a misspelt `word`, if one is close enough to be a likely typo.
public func closest(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var previous = row[0]
            row[0] = i + 1
            for (j, cb) in b.enumerated() {
                let current = row[j + 1]
                row[j + 1] = min(row[j] + 1, row[j + 1] + 1, previous + (ca == cb ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
    let w = Array(word.lowercased())
    let scored = candidates.map { ($0, distance(w, Array($0.lowercased()))) }.min { $0.1 < $1.1 }
    guard let best = scored, best.1 <= max(2, w.count / 3) else { return nil }
    return best.0
}

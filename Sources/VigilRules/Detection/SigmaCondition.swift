import VigilConfig

/// A parsed Sigma `condition` over selection indices.
///
/// Grammar (precedence `not` > `and` > `or`, parentheses group):
/// `expr := and ('or' and)*`, `and := unary ('and' unary)*`, `unary := 'not' unary | primary`,
/// `primary := '(' expr ')' | (N | 'all') 'of' (name-pattern | 'them') | name`.
indirect enum SigmaCondition: Sendable, Equatable {
    case selection(Int)
    case not(SigmaCondition)
    case and([SigmaCondition])
    case or([SigmaCondition])
    /// `N of pattern`: at least N of the selections hold.
    case atLeast(Int, [Int])

    /// Parses `text` against the selection names, or returns a message naming the problem.
    static func parse(_ text: String, selections: [String]) -> Result<SigmaCondition, ConditionError> {
        if text.contains("|") {
            return .failure(
                ConditionError(
                    message: "aggregations after '|' are Sigma v1 and not supported in a condition",
                    hint: "write a correlation rule (event_count, value_count) that refers to this rule"))
        }
        var parser = Parser(tokens: tokenize(text), selections: selections)
        do throws(ConditionError) {
            let condition = try parser.expression()
            if parser.index < parser.tokens.count {
                throw ConditionError(message: "unexpected '\(parser.tokens[parser.index])' in the condition")
            }
            return .success(condition)
        } catch {
            return .failure(error)
        }
    }

    struct ConditionError: Error, Equatable {
        var message: String
        var hint: String?
    }

    private static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in text {
            if character == "(" || character == ")" || character.isWhitespace {
                if !current.isEmpty { tokens.append(current) }
                current = ""
                if !character.isWhitespace { tokens.append(String(character)) }
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    private struct Parser {
        let tokens: [String]
        let selections: [String]
        var index = 0

        init(tokens: [String], selections: [String]) {
            self.tokens = tokens
            self.selections = selections
        }

        var peek: String? { index < tokens.count ? tokens[index] : nil }

        mutating func expression() throws(ConditionError) -> SigmaCondition {
            var terms = [try conjunction()]
            while peek == "or" {
                index += 1
                terms.append(try conjunction())
            }
            return terms.count == 1 ? terms[0] : .or(terms)
        }

        mutating func conjunction() throws(ConditionError) -> SigmaCondition {
            var terms = [try unary()]
            while peek == "and" {
                index += 1
                terms.append(try unary())
            }
            return terms.count == 1 ? terms[0] : .and(terms)
        }

        mutating func unary() throws(ConditionError) -> SigmaCondition {
            if peek == "not" {
                index += 1
                return .not(try unary())
            }
            return try primary()
        }

        mutating func primary() throws(ConditionError) -> SigmaCondition {
            guard let token = peek else {
                throw ConditionError(
                    message: tokens.isEmpty ? "the condition is empty" : "the condition ends too early")
            }
            index += 1
            switch token {
            case "(":
                let inner = try expression()
                guard peek == ")" else { throw ConditionError(message: "a '(' in the condition is not closed") }
                index += 1
                return inner
            case ")", "and", "or", "of", "them":
                throw ConditionError(message: "unexpected '\(token)' in the condition")
            default:
                break
            }
            if index < tokens.count, tokens[index] == "of" {
                return try quantified(token)
            }
            try checkName(token)
            guard let found = selections.firstIndex(of: token) else {
                throw ConditionError(
                    message: "the condition refers to '\(token)', which is not a selection of this detection",
                    hint: suggestion(for: token))
            }
            return .selection(found)
        }

        mutating func quantified(_ quantifier: String) throws(ConditionError) -> SigmaCondition {
            index += 1
            let count: Int?
            if quantifier == "all" {
                count = nil
            } else if let number = Int(quantifier), number >= 1 {
                count = number
            } else {
                throw ConditionError(message: "'\(quantifier) of' is not valid: use '1 of' or 'all of'")
            }
            guard let target = peek, target != "(", target != ")" else {
                throw ConditionError(message: "'\(quantifier) of' needs a selection name pattern or 'them'")
            }
            index += 1
            let members: [Int]
            if target == "them" {
                members = selections.indices.filter { !selections[$0].hasPrefix("_") }
            } else {
                try checkName(target, wildcards: true)
                members = selections.indices.filter { Self.glob(target, matches: selections[$0]) }
                guard !members.isEmpty else {
                    throw ConditionError(
                        message: "'\(quantifier) of \(target)' matches no selection of this detection",
                        hint: suggestion(for: target))
                }
            }
            guard !members.isEmpty else { throw ConditionError(message: "'them' names no selection") }
            if let count {
                return count == 1 ? .or(members.map { .selection($0) }) : .atLeast(count, members)
            }
            return .and(members.map { .selection($0) })
        }

        func checkName(_ name: String, wildcards: Bool = false) throws(ConditionError) {
            let valid = name.unicodeScalars.allSatisfy { scalar in
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
                    || scalar == "." || (wildcards && scalar == "*")
            }
            guard valid else {
                throw ConditionError(message: "'\(name)' is not a selection name (letters, digits, _, - and . only)")
            }
        }

        func suggestion(for name: String) -> String? {
            closest(to: name, in: selections).map { "did you mean '\($0)'?" }
        }

        /// `*` in a name pattern stands for any run of characters.
        static func glob(_ pattern: String, matches name: String) -> Bool {
            let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
            if pieces.count == 1 { return pattern == name }
            guard name.hasPrefix(pieces[0]), name.dropFirst(pieces[0].count).hasSuffix(pieces[pieces.count - 1]) else {
                return false
            }
            var rest = Substring(name.dropFirst(pieces[0].count).dropLast(pieces[pieces.count - 1].count))
            for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
                guard let range = rest.firstRange(of: piece) else { return false }
                rest = rest[range.upperBound...]
            }
            return true
        }
    }
}

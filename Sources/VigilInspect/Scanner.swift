import CByteScan

/// A match in scanner coordinates: offsets into the scanned (percent-decoded) bytes.
struct Match {
    var kind: DLPKind
    var confidence: Confidence
    /// The whole match, including a `+86` prefix, parentheses or an email's domain.
    var start: Int
    var end: Int
    /// The part that is masked and hashed: the national number, the local part of an email, the ID.
    var coreStart: Int
    var coreEnd: Int
    /// Significant characters of the core kept in clear at its start and end.
    var keepHead: Int
    var keepTail: Int
    /// Every character of the core is significant (email local part); otherwise letters and digits only,
    /// so separators inside a grouped number stay as they are.
    var maskAll = false
    /// The normalised value starts with a trunk `0` the text left out (`+86 10 12345678`).
    var addTrunkZero = false
}

/// One pass over a byte buffer, yielding candidate matches in order (see `Inspector` for the rules).
///
/// The main loop reads each byte once through the `ByteClass` table: it skips everything that is not a
/// letter, digit, `@` or `\`, consumes letter/digit runs (tokens) while counting their digits, and only
/// for a token with at least two digits, or at an `@`, calls a validator. Tokens are maximal, so a digit
/// run inside a longer run of digits or letters never matches. The scanner allocates nothing.
struct Scanner {
    private let p: UnsafePointer<UInt8>
    private let n: Int
    private let cls: UnsafePointer<UInt8>
    /// At least `scratchCapacity` bytes for gathering the digits of a grouped number.
    private let scratch: UnsafeMutablePointer<UInt8>
    private let latestBirthYear: Int
    private var i = 0
    /// Whether a keyword still matters for kinds that are medium without one. The event path clears
    /// it once the event has a high detection: only the maximum (`dlp.confidence`) is kept there, so
    /// looking for the keyword of every mobile after that would change nothing.
    var contextRaisesMedium = true

    static let scratchCapacity = 32

    init(_ bytes: UnsafeRawBufferPointer, scratch: UnsafeMutablePointer<UInt8>, latestBirthYear: Int) {
        cls = ByteClass.table.base
        p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? cls
        n = bytes.count
        self.scratch = scratch
        self.latestBirthYear = latestBirthYear
    }

    /// The next match of any confidence, or nil at the end of the buffer. A match claims its bytes:
    /// scanning resumes after it even when its confidence is too low to count.
    mutating func next() -> Match? {
        let p = self.p, n = self.n, cls = self.cls
        var i = self.i
        defer { self.i = i }
        while true {
            let j = nextDigitOrSpecial(from: i)
            guard j < n else {
                i = n
                return nil
            }
            let b = p[j]
            if b == UInt8(ascii: "@") {
                if let m = email(at: j) {
                    i = m.end
                    return m
                }
                i = j + 1
                continue
            }
            if b == UInt8(ascii: "\\") {
                i = afterEscape(j)
                continue
            }
            // A digit: its token starts at the letters before it (there are no digits between i and j).
            var s = j
            while s > i, cls[Int(p[s - 1])] & ByteClass.alpha != 0 { s -= 1 }
            let (e, digits) = tokenEnd(after: j)
            i = e
            guard isCandidate(s, e, digits: digits), let m = token(s, e, digits: digits) else { continue }
            i = max(i, m.end)
            return m
        }
    }

    /// The end of the token whose digit is at `j`, and how many digits it has from `j` on. Byte by byte:
    /// most tokens are a few bytes long, and an eight-byte SWAR step measured slower here.
    @inline(__always)
    private func tokenEnd(after j: Int) -> (end: Int, digits: Int) {
        var e = j + 1
        var digits = 1
        while e < n {
            let c = cls[Int(p[e])]
            if c & ByteClass.alnum == 0 { break }
            digits &+= Int(c & ByteClass.digit)
            e &+= 1
        }
        return (e, digits)
    }

    /// Cheap filter before the validators: the token lengths some detector accepts, as bit masks so
    /// the common reject (a short JSON number, a date part) is one predictable branch.
    @inline(__always)
    private func isCandidate(_ s: Int, _ e: Int, digits: Int) -> Bool {
        let length = e - s
        guard length < 64 else { return false }
        let bit: UInt64 = 1 << UInt64(length)
        guard digits == length else { return digits >= 7 && bit & (1 << 9 | 1 << 11 | 1 << 18) != 0 }
        if bit & 0b1111_1011_1000_0000_0000 != 0 { return true }  // 11, 12, 13, 15…19 digits alone
        guard bit & 0b101_1100 != 0, e + 1 < n else { return false }  // 2, 3, 4, 6: the start of a group
        let b = p[e]
        return b == UInt8(ascii: " ") || b == UInt8(ascii: "-") || b == UInt8(ascii: ")")
    }

    /// The offset of the first digit, `@` or `\\` at or after `from`, or `n`. Sixteen bytes at a
    /// time (SSE2, `CByteScan`), so text without digits costs a few operations per step.
    @inline(__always)
    private func nextDigitOrSpecial(from: Int) -> Int {
        vigil_first_digit_or_special(p, from, n)
    }

    /// Past a JSON escape at `at` (a `\`): `\uXXXX` or `\n`-style escapes are separators, so a label
    /// escaped as `\uff1a` or a `\n` does not glue its letters to the number after it.
    private func afterEscape(_ at: Int) -> Int {
        guard at + 1 < n else { return at + 1 }
        let e = p[at + 1]
        if e == UInt8(ascii: "u"), at + 5 < n, p[at + 2].isHexDigit, p[at + 3].isHexDigit, p[at + 4].isHexDigit,
            p[at + 5].isHexDigit
        {
            return at + 6
        }
        switch e {
        case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "f"):
            return at + 2
        default:
            return e.isAlnum ? at + 1 : at + 2
        }
    }

    // MARK: - context and boundaries

    /// The kinds named by a context keyword in the window before `start`.
    private func contextKinds(before start: Int) -> UInt8 {
        ContextKeywords.compiled.kinds(in: p, from: max(0, start - ContextKeywords.window), to: start)
    }

    private func hasContext(_ kind: DLPKind, before start: Int) -> Bool {
        contextKinds(before: start) & kind.bit != 0
    }

    /// `confidence`, one level higher when a keyword for `kind` precedes `start`.
    private func withContext(_ confidence: Confidence, _ kind: DLPKind, before start: Int) -> Confidence {
        if confidence == .high || (confidence == .medium && !contextRaisesMedium) { return confidence }
        return hasContext(kind, before: start) ? confidence.raised : confidence
    }

    /// A digit token right after `1.`: the tail of a decimal, an IPv4 address or a version.
    private func decimalBefore(_ s: Int) -> Bool {
        s >= 2 && p[s - 1] == UInt8(ascii: ".") && p[s - 2].isDigit
    }

    /// A match must not continue into `.5` (decimal, address, version) nor be the local part of an email.
    private func endsCleanly(_ e: Int) -> Bool {
        if e + 1 < n, p[e] == UInt8(ascii: "."), p[e + 1].isDigit { return false }
        return !isEmailLocalPart(e)
    }

    /// Whether the text from `e` runs, through email local-part characters, into a valid address.
    private func isEmailLocalPart(_ e: Int) -> Bool {
        var j = e
        while j < n, j - e < 64, cls[Int(p[j])] & (ByteClass.alnum | ByteClass.localPunct) != 0 { j += 1 }
        return j < n && p[j] == UInt8(ascii: "@") && email(at: j) != nil
    }

    // MARK: - tokens

    /// A pure-digit token of a group (`138 1234 5678`), possibly ending in `X` (the last group of an ID).
    private struct Group {
        var s: Int
        var e: Int
        /// The byte before the group: `' '`, `-` or `)`; 0 for the first.
        var sep: UInt8
        var endsInX = false
        var count: Int { e - s }
    }

    private func token(_ s: Int, _ e: Int, digits: Int) -> Match? {
        let length = e - s
        if digits == length { return number(s, e) }
        guard digits >= 7, length == 18 || length == 9 || length == 11, endsCleanly(e) else { return nil }
        return lettersAndDigits(s, e, digits: digits)
    }

    /// The group after `g` when only a space, a dash or `)` (with an optional space) lies between.
    private func group(after g: Group) -> Group? {
        guard !g.endsInX, g.e < n else { return nil }
        var k = g.e
        let sep = p[k]
        switch sep {
        case UInt8(ascii: " "), UInt8(ascii: "-"): k += 1
        case UInt8(ascii: ")"):
            k += 1
            if k < n, p[k] == UInt8(ascii: " ") { k += 1 }
        default: return nil
        }
        guard k < n, p[k].isDigit else { return nil }
        var e = k
        while e < n, p[e].isDigit { e += 1 }
        var endsInX = false
        if e < n, p[e].isAlpha {
            guard p[e] | 0x20 == UInt8(ascii: "x"), e + 1 == n || !p[e + 1].isAlnum else { return nil }
            endsInX = true
            e += 1
        }
        return Group(s: k, e: e, sep: sep, endsInX: endsInX)
    }

    /// Copies the characters of `g` to `scratch[at...]`, returning the offset after them.
    private func put(_ g: Group, at: Int) -> Int {
        for k in 0..<g.count { scratch[at + k] = p[g.s + k] }
        return at + g.count
    }

    private func isPlainSeparator(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "-") }

    /// A run of digits: first as the start of a grouped number, then alone.
    private func number(_ s: Int, _ e: Int) -> Match? {
        guard !decimalBefore(s) else { return nil }
        let length = e - s
        let first = Group(s: s, e: e, sep: 0)
        if length == 2 || length == 3 || length == 4 || length == 6, let second = group(after: first),
            let m = grouped(first, second)
        {
            return m
        }
        switch length {
        case 11, 12, 13, 15, 16, 17, 18, 19:
            guard endsCleanly(e) else { return nil }
            return single(s, e)
        default:
            return nil
        }
    }

    private func match(
        _ kind: DLPKind, _ confidence: Confidence, _ start: Int, _ end: Int, core: Range<Int>? = nil,
        head: Int, tail: Int
    ) -> Match {
        let core = core ?? start..<end
        return Match(
            kind: kind, confidence: confidence, start: start, end: end, coreStart: core.lowerBound,
            coreEnd: core.upperBound, keepHead: head, keepTail: tail)
    }

    /// Numbers written in groups: a resident ID 6-8-4, a card 4-4-4-4[-1…3], a mobile 3-4-4 with or
    /// without `86`/`0086`, a landline `0755-1234567`, `(010) 1234 5678`, `+86 10 12345678`.
    private func grouped(_ g0: Group, _ g1: Group) -> Match? {
        let g2 = group(after: g1)
        let plain = isPlainSeparator(g1.sep)
        switch g0.count {
        case 6:
            if plain, g1.count == 8, let g2, g2.count == 4, g2.sep == g1.sep, endsCleanly(g2.e) {
                _ = put(g2, at: put(g1, at: put(g0, at: 0)))
                if Validators.residentID18(scratch, latestYear: latestBirthYear) {
                    return match(.residentID, .high, g0.s, g2.e, head: 6, tail: 4)
                }
            }
        case 4:
            if plain, g1.count == 4, let g2, g2.count == 4, g2.sep == g1.sep, let g3 = group(after: g2),
                g3.count == 4, g3.sep == g1.sep, !g3.endsInX
            {
                let end4 = put(g3, at: put(g2, at: put(g1, at: put(g0, at: 0))))
                if let g4 = group(after: g3), (1...3).contains(g4.count), g4.sep == g1.sep, !g4.endsInX,
                    endsCleanly(g4.e)
                {
                    let end5 = put(g4, at: end4)
                    if let m = card(g0.s, g4.e, digits: end5) { return m }
                }
                if endsCleanly(g3.e), let m = card(g0.s, g3.e, digits: end4) { return m }
            }
        default: break
        }
        if plain, isCountryCode(g0) {
            let start = g0.s > 0 && p[g0.s - 1] == UInt8(ascii: "+") ? g0.s - 1 : g0.s
            if g1.count == 11, !g1.endsInX, Validators.mobile(p + g1.s), endsCleanly(g1.e) {
                let confidence = withContext(.medium, .mobile, before: start)
                return match(.mobile, confidence, start, g1.e, core: g1.s..<g1.e, head: 3, tail: 4)
            }
            if let g2, let m = splitMobile(g1, g2, start: start) { return m }
            if let g2, isPlainSeparator(g2.sep), !g2.endsInX, (7...8).contains(g2.count), endsCleanly(g2.e),
                Validators.isLocalStart(p[g2.s]), isAreaWithoutTrunk(g1)
            {
                var m = match(
                    .landline, withContext(.medium, .landline, before: start), start, g2.e, core: g1.s..<g2.e,
                    head: g1.count, tail: 4)
                m.addTrunkZero = true
                return m
            }
        }
        if g0.count == 3, let m = splitMobile(g0, g1) { return m }
        if Validators.areaCodeLength(p + g0.s, available: g0.count) == g0.count, !g1.endsInX {
            let parenthesised = g0.s > 0 && p[g0.s - 1] == UInt8(ascii: "(")
            guard plain || (g1.sep == UInt8(ascii: ")") && parenthesised) else { return nil }
            guard Validators.isLocalStart(p[g1.s]) else { return nil }
            let start = parenthesised ? g0.s - 1 : g0.s
            var end = 0
            if (7...8).contains(g1.count), endsCleanly(g1.e) {
                end = g1.e
            } else if (3...4).contains(g1.count), let g2, g2.count == 4, !g2.endsInX, isPlainSeparator(g2.sep),
                endsCleanly(g2.e)
            {
                end = g2.e
            }
            if end > 0 {
                let confidence = withContext(.medium, .landline, before: start)
                return match(.landline, confidence, start, end, core: g0.s..<end, head: g0.count, tail: 4)
            }
        }
        return nil
    }

    /// `86` or `0086` (a leading `+` is outside the group).
    private func isCountryCode(_ g: Group) -> Bool {
        let c = p + g.s
        if g.count == 2 { return c[0] == UInt8(ascii: "8") && c[1] == UInt8(ascii: "6") }
        return g.count == 4 && c[0] == UInt8(ascii: "0") && c[1] == UInt8(ascii: "0") && c[2] == UInt8(ascii: "8")
            && c[3] == UInt8(ascii: "6")
    }

    /// An area code written after `+86`, without its trunk 0: `10`, `2x`, `[3-9]xx`.
    private func isAreaWithoutTrunk(_ g: Group) -> Bool {
        let c = p + g.s
        if g.count == 2 { return (c[0] == UInt8(ascii: "1") && c[1] == UInt8(ascii: "0")) || c[0] == UInt8(ascii: "2") }
        return g.count == 3 && c[0] >= UInt8(ascii: "3")
    }

    /// `138 1234 5678` (after `86`, `a` is the second group and `start` the prefix).
    private func splitMobile(_ a: Group, _ b: Group, start: Int? = nil) -> Match? {
        guard a.count == 3, b.count == 4, isPlainSeparator(b.sep), let c = group(after: b), c.count == 4,
            !c.endsInX, isPlainSeparator(c.sep), endsCleanly(c.e)
        else { return nil }
        _ = put(c, at: put(b, at: put(a, at: 0)))
        guard Validators.mobile(scratch) else { return nil }
        let start = start ?? a.s
        return match(
            .mobile, withContext(.medium, .mobile, before: start), start, c.e, core: a.s..<c.e, head: 3, tail: 4)
    }

    /// A card number whose `count` digits are in `scratch`, spanning `s..<e` of the text.
    private func card(_ s: Int, _ e: Int, digits count: Int) -> Match? {
        guard (16...19).contains(count), Validators.luhn(scratch, count) else { return nil }
        let base: Confidence = Validators.hasIssuerPrefix(scratch, length: count) ? .medium : .low
        return match(.bankCard, withContext(base, .bankCard, before: s), s, e, head: 6, tail: 4)
    }

    /// A number standing alone, by length.
    private func single(_ s: Int, _ e: Int) -> Match? {
        let c = p + s
        let length = e - s
        switch length {
        case 18:
            if Validators.residentID18(c, latestYear: latestBirthYear) {
                return match(.residentID, .high, s, e, head: 6, tail: 4)
            }
            if Validators.uscc(c) {
                // All-digit codes: 1 random 18-digit number in ~250 passes, so only with a keyword.
                return match(.uscc, hasContext(.uscc, before: s) ? .high : .low, s, e, head: 8, tail: 2)
            }
        case 15:
            if c[0] == UInt8(ascii: "0"), c[1] == UInt8(ascii: "0"), c[2] == UInt8(ascii: "8"),
                c[3] == UInt8(ascii: "6"), Validators.mobile(c + 4)
            {
                return prefixedMobile(s, e, prefix: 4)
            }
            if Validators.residentID15(c) {
                // No check digit: ~1 random 15-digit number in 80 passes, so only with a keyword.
                return match(.residentID, withContext(.low, .residentID, before: s), s, e, head: 6, tail: 3)
            }
            return nil
        case 11:
            if Validators.mobile(c) {
                return match(.mobile, withContext(.medium, .mobile, before: s), s, e, head: 3, tail: 4)
            }
            return unseparatedLandline(s, e)
        case 12:
            if c[0] == UInt8(ascii: "0"), Validators.mobile(c + 1) {
                return match(.mobile, withContext(.medium, .mobile, before: s), s, e, core: s + 1..<e, head: 3, tail: 4)
            }
            return unseparatedLandline(s, e)
        case 13:
            if c[0] == UInt8(ascii: "8"), c[1] == UInt8(ascii: "6"), Validators.mobile(c + 2) {
                return prefixedMobile(s, e, prefix: 2)
            }
            return nil
        default:
            break
        }
        guard (16...19).contains(length), Validators.luhn(c, length) else { return nil }
        let base: Confidence = Validators.hasIssuerPrefix(c, length: length) ? .medium : .low
        return match(.bankCard, withContext(base, .bankCard, before: s), s, e, head: 6, tail: 4)
    }

    /// `8613812345678`, `008613812345678`: the match starts at a `+` before the country code.
    private func prefixedMobile(_ s: Int, _ e: Int, prefix: Int) -> Match {
        let start = s > 0 && p[s - 1] == UInt8(ascii: "+") ? s - 1 : s
        return match(
            .mobile, withContext(.medium, .mobile, before: start), start, e, core: s + prefix..<e, head: 3, tail: 4)
    }

    /// `01012345678`, `075512345678`: without a separator the split is a guess, so low unless a keyword.
    private func unseparatedLandline(_ s: Int, _ e: Int) -> Match? {
        let area = Validators.areaCodeLength(p + s, available: e - s)
        guard area > 0, (7...8).contains(e - s - area), Validators.isLocalStart(p[s + area]) else { return nil }
        return match(.landline, withContext(.low, .landline, before: s), s, e, head: area, tail: 4)
    }

    /// A token of letters and digits: an ID ending in X, a USCC, a passport or permit number.
    private func lettersAndDigits(_ s: Int, _ e: Int, digits: Int) -> Match? {
        let c = p + s
        let length = e - s
        if length == 18 {
            if digits == 17, c[17] | 0x20 == UInt8(ascii: "x"), Validators.residentID18(c, latestYear: latestBirthYear)
            {
                return match(.residentID, .high, s, e, head: 6, tail: 4)
            }
            return Validators.uscc(c) ? match(.uscc, .high, s, e, head: 8, tail: 2) : nil
        }
        guard isPassportShape(c, length) else { return nil }
        return match(.passport, hasContext(.passport, before: s) ? .high : .low, s, e, head: 2, tail: 2)
    }

    /// Ordinary passports `E12345678`, `EA1234567` (and the older `G12345678`), official `DE`/`SE`/`PE` +
    /// 7 digits, permits to Hong Kong and Macau `C12345678`/`CA1234567`, Home Return Permits `H`/`M` + 8 or
    /// 10 digits. Upper case only.
    private func isPassportShape(_ c: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        func digits(_ from: Int) -> Bool {
            for k in from..<length where !c[k].isDigit { return false }
            return true
        }
        let letter =
            c[1] >= UInt8(ascii: "A") && c[1] <= UInt8(ascii: "Z") && c[1] != UInt8(ascii: "I")
            && c[1] != UInt8(ascii: "O")
        switch (c[0], length) {
        case (UInt8(ascii: "E"), 9), (UInt8(ascii: "C"), 9): return digits(1) || (letter && digits(2))
        case (UInt8(ascii: "G"), 9), (UInt8(ascii: "H"), 9), (UInt8(ascii: "M"), 9): return digits(1)
        case (UInt8(ascii: "H"), 11), (UInt8(ascii: "M"), 11): return digits(1)
        case (UInt8(ascii: "D"), 9), (UInt8(ascii: "S"), 9), (UInt8(ascii: "P"), 9):
            return c[1] == UInt8(ascii: "E") && digits(2)
        default: return false
        }
    }

    // MARK: - email

    /// File extensions that follow `@` in asset names (`icon@2x.png`) and are not mail domains, each
    /// packed into a word (`packed`): one integer comparison per extension.
    private static let fileExtensions: [UInt64] = [
        "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "js", "mjs", "css", "map", "json", "xml",
        "html", "htm", "txt", "md", "py", "ts", "go", "rs", "java", "swift", "sh", "yaml", "yml", "lock",
    ].map { ext in ext.utf8.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }

    /// An address around the `@` at `a`: a local part of up to 64 of `[A-Za-z0-9._+-]` starting with a
    /// letter or digit, and a domain of at least two labels ending in an alphabetic TLD.
    private func email(at a: Int) -> Match? {
        guard a > 0, a + 4 < n else { return nil }
        let localClass = ByteClass.alnum | ByteClass.localPunct
        var ls = a
        while ls > 0, a - ls < 64, cls[Int(p[ls - 1])] & localClass != 0 { ls -= 1 }
        if ls > 0, cls[Int(p[ls - 1])] & localClass != 0 { return nil }
        if ls > 0, p[ls - 1] == UInt8(ascii: "\\"), ls < a {
            // A JSON escape letter glued to the local part: `\nzhang@…`, `\u0020zhang@…`.
            switch p[ls] {
            case UInt8(ascii: "u") where ls + 5 <= a && (1...4).allSatisfy({ p[ls + $0].isHexDigit }): ls += 5
            case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "f"):
                ls += 1
            default: break
            }
        }
        while ls < a, !p[ls].isAlnum { ls += 1 }
        guard ls < a, p[a - 1] != UInt8(ascii: ".") else { return nil }

        var k = a + 1
        var labelStart = k
        var labels = 1
        while true {
            while k < n, p[k].isAlnum || p[k] == UInt8(ascii: "-") { k += 1 }
            let length = k - labelStart
            guard length >= 1, length <= 63, p[labelStart] != UInt8(ascii: "-"), p[k - 1] != UInt8(ascii: "-") else {
                return nil
            }
            guard k + 1 < n, p[k] == UInt8(ascii: "."), p[k + 1].isAlnum else { break }
            k += 1
            labelStart = k
            labels += 1
        }
        let tld = labelStart..<k
        guard labels >= 2, k - a - 1 <= 253, (2...24).contains(tld.count), tld.allSatisfy({ p[$0].isAlpha }),
            !isFileExtension(tld)
        else { return nil }
        var m = match(
            .email, withContext(.medium, .email, before: ls), ls, k, core: ls..<a, head: a - ls > 1 ? 1 : 0, tail: 0)
        m.maskAll = true
        return m
    }

    private func isFileExtension(_ r: Range<Int>) -> Bool {
        guard r.count <= 5 else { return false }
        // Lower-cased, little-endian: the first letter in the low byte, as `fileExtensions` packs them.
        var packed: UInt64 = 0
        for k in r.reversed() { packed = packed << 8 | UInt64(p[k].asciiLowercased) }
        return Self.fileExtensions.contains(packed)
    }
}

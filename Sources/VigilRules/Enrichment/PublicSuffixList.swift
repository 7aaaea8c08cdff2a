import VigilCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Fields {
    /// ECS `dns.question.registered_domain`: the public suffix plus one label (`example.com.cn`).
    public static let dnsQuestionRegisteredDomain = FieldID("dns.question.registered_domain")
    /// ECS `dns.question.subdomain`: the labels left of the registered domain (`a.b.c`); absent when none.
    public static let dnsQuestionSubdomain = FieldID("dns.question.subdomain")
    /// ECS `dns.question.top_level_domain`: the effective TLD, i.e. the public suffix (`com.cn`, `github.io`).
    public static let dnsQuestionTopLevelDomain = FieldID("dns.question.top_level_domain")
}

/// The Public Suffix List (https://publicsuffix.org/list/), used to find the registered domain of a
/// DNS name, so rules can count unique subdomains per owner (DNS tunnelling and exfiltration)
/// instead of per "last two labels", which is wrong for `gov.cn`, `com.cn`, `co.uk` and the like.
///
/// Both sections of the list are included, as browsers do: the PRIVATE section (`github.io`,
/// `duckdns.org`, `cloudfront.net`, ...) names suffixes under which each label belongs to a different
/// owner. Without it every GitHub Pages site would count as a subdomain of `github.io`, and a tunnel
/// under `attacker.duckdns.org` would be mixed with every other DuckDNS user.
///
/// Matching follows the list's algorithm: rules, wildcard labels (`*.ck`), exception rules
/// (`!www.ck`, which win over any other match), the default rule `*` when nothing matches, and the
/// longest match otherwise. Names are compared case-insensitively and one trailing dot is ignored;
/// a name with an empty label (`.com`, `a..b`) has no suffix. The list's Unicode labels (`公司.cn`)
/// are stored in their punycode form (`xn--55qx5d.cn`), the form DNS carries; a Unicode name is
/// looked up through the same conversion and answered in its own (lowercased) form. Unicode case
/// folding is `String.lowercased()`; full IDNA mapping (UTS 46, NFC, ideographic full stops) is not
/// applied.
///
/// Invariant: the value is immutable after `init` and holds only arrays of integers, so lookups
/// are a hash probe per label with no allocation for ASCII names (every name DNS carries).
public struct PublicSuffixList: Sendable {
    public static let systemPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    /// How many lines of the list were accepted as rules.
    public let ruleCount: Int
    /// The 1-based line numbers of lines that are not valid rules and were skipped.
    public let skippedLines: [Int]

    private let trie: LabelTrie

    /// Parses the list's text format: one rule per line, read up to the first whitespace; lines
    /// starting with `//` are comments. A malformed rule is skipped and its line recorded in
    /// `skippedLines`.
    public init(text: String) {
        var builder = LabelTrie.Builder()
        var skipped: [Int] = []
        var count = 0
        var line = 0
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            line += 1
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var start = index
            index = end + 1
            while start < end, Self.isSpace(bytes[start]) { start += 1 }
            var tokenEnd = start
            while tokenEnd < end, !Self.isSpace(bytes[tokenEnd]) { tokenEnd += 1 }
            let token = bytes[start..<tokenEnd]
            if token.isEmpty || token.starts(with: [UInt8(ascii: "/"), UInt8(ascii: "/")]) { continue }
            if let rule = Rule(token) {
                builder.insert(rule)
                count += 1
            } else {
                skipped.append(line)
            }
        }
        trie = builder.build()
        ruleCount = count
        skippedLines = skipped
    }

    /// Reads and parses a list file (usually `systemPath`, from Debian's `publicsuffix` package).
    public static func load(path: String) throws(VigilError) -> PublicSuffixList {
        let bytes = try readFile(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VigilError(.io, "\(path): not a public suffix list (the file is not UTF-8 text)")
        }
        let list = PublicSuffixList(text: text)
        guard list.ruleCount > 0 else {
            throw VigilError(.io, "\(path): not a public suffix list (no rules found)")
        }
        return list
    }

    /// The public suffix of `name` (`gov.cn` for `www.beijing.gov.cn`; `github.io` for
    /// `user.github.io`); the last label when no rule matches (`example` for `a.example`). Nil for an
    /// empty name or one with an empty label.
    public func publicSuffix(of name: String) -> String? {
        split(name) { bytes, suffixStart, _ in Self.lowercased(bytes[suffixStart...]) }
    }

    /// The registered domain: the public suffix plus one label (`example.com.cn` for
    /// `a.b.c.example.com.cn`); nil when `name` is itself a public suffix, empty or malformed.
    public func registeredDomain(of name: String) -> String? {
        split(name) { bytes, _, registeredStart in registeredStart.map { Self.lowercased(bytes[$0...]) } } ?? nil
    }

    /// Adds `dns.question.registered_domain`, `dns.question.subdomain` (omitted when empty) and
    /// `dns.question.top_level_domain` to an event with `dns.question.name`; other events, and
    /// events already enriched, are left unchanged. The field, not the dataset, decides, so DNS
    /// events read from resolver logs are enriched like those decoded from packets.
    public func enrich(_ event: inout Event) {
        guard event[Fields.dnsQuestionTopLevelDomain] == nil,
            let name = event[Fields.dnsQuestionName]?.stringValue
        else { return }
        let parts = split(name) { bytes, suffixStart, registeredStart in
            (
                suffix: Self.lowercased(bytes[suffixStart...]),
                registered: registeredStart.map { Self.lowercased(bytes[$0...]) },
                subdomain: registeredStart.flatMap { $0 > 0 ? Self.lowercased(bytes[..<($0 - 1)]) : nil }
            )
        }
        guard let parts else { return }
        event.set(Fields.dnsQuestionRegisteredDomain, parts.registered)
        event.set(Fields.dnsQuestionSubdomain, parts.subdomain)
        event.set(Fields.dnsQuestionTopLevelDomain, parts.suffix)
    }
}

extension PublicSuffixList {
    /// Normalises `name` (one trailing dot dropped; Unicode names lowercased), checks its labels and
    /// calls `body` with its UTF-8 bytes and the byte offsets where the public suffix and the
    /// registered domain start. ASCII case is left for `body` to fold.
    private func split<R>(
        _ name: String, _ body: (UnsafeBufferPointer<UInt8>, Int, Int?) -> R
    ) -> R? {
        var name = name
        let isASCII = name.withUTF8 { bytes in !bytes.contains(where: { $0 >= 0x80 }) }
        if !isASCII {
            name = name.lowercased()
            return name.withUTF8 { bytes in
                guard let labels = Self.checkedLabelCount(bytes), labels > 0 else { return nil }
                // The trie holds punycode; look up an ASCII copy, then answer in the Unicode form.
                var ascii: [UInt8] = []
                let trimmed = bytes[..<Self.trimmedEnd(bytes)]
                for label in trimmed.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                    if !ascii.isEmpty { ascii.append(UInt8(ascii: ".")) }
                    if label.contains(where: { $0 >= 0x80 }) {
                        let text = String(decoding: label, as: UTF8.self)
                        ascii += Punycode.encode(text.unicodeScalars).map { Array("xn--".utf8) + $0 } ?? Array(label)
                    } else {
                        ascii += label
                    }
                }
                let suffixLabels = ascii.withUnsafeBufferPointer { trie.suffixLabelCount($0) }
                return Self.finish(bytes, labels: labels, suffixLabels: suffixLabels, body)
            }
        }
        return name.withUTF8 { bytes in
            guard let labels = Self.checkedLabelCount(bytes), labels > 0 else { return nil }
            let suffixLabels = trie.suffixLabelCount(UnsafeBufferPointer(rebasing: bytes[..<Self.trimmedEnd(bytes)]))
            return Self.finish(bytes, labels: labels, suffixLabels: suffixLabels, body)
        }
    }

    private static func finish<R>(
        _ bytes: UnsafeBufferPointer<UInt8>, labels: Int, suffixLabels: Int,
        _ body: (UnsafeBufferPointer<UInt8>, Int, Int?) -> R
    ) -> R {
        let name = UnsafeBufferPointer(rebasing: bytes[..<trimmedEnd(bytes)])
        let suffixStart = labelStart(name, fromRight: suffixLabels)
        let registeredStart = labels > suffixLabels ? labelStart(name, fromRight: suffixLabels + 1) : nil
        return body(name, suffixStart, registeredStart)
    }

    /// The name's length without one trailing dot.
    private static func trimmedEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.last == UInt8(ascii: ".") ? bytes.count - 1 : bytes.count
    }

    /// The number of labels, or nil when a label is empty (one trailing dot is allowed).
    private static func checkedLabelCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let end = trimmedEnd(bytes)
        var labels = 0
        var labelLength = 0
        for i in 0..<end {
            if bytes[i] == UInt8(ascii: ".") {
                if labelLength == 0 { return nil }
                labels += 1
                labelLength = 0
            } else {
                labelLength += 1
            }
        }
        if end > 0 && labelLength == 0 { return nil }
        return end == 0 ? 0 : labels + 1
    }

    /// The offset where the last `count` labels of `name` begin.
    private static func labelStart(_ name: UnsafeBufferPointer<UInt8>, fromRight count: Int) -> Int {
        var seen = 0
        var i = name.count
        while i > 0 {
            i -= 1
            if name[i] == UInt8(ascii: ".") {
                seen += 1
                if seen == count { return i + 1 }
            }
        }
        return 0
    }

    private static func lowercased(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        let bytes = UnsafeBufferPointer(rebasing: slice)
        guard bytes.contains(where: { $0 &- UInt8(ascii: "A") < 26 }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            for i in 0..<bytes.count { out[i] = LabelTrie.lower(bytes[i]) }
            return bytes.count
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func readFile(_ path: String) throws(VigilError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw VigilError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw VigilError(.io, "\(path): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return bytes }
            bytes += chunk[..<n]
        }
    }
}

/// One rule of the list, its labels in punycode, lowercased, leftmost first.
private struct Rule {
    var labels: [[UInt8]]
    var isException: Bool

    /// Nil for a malformed rule: an empty label, a `*` inside a label, a character no host name
    /// has, an exception with fewer than two labels or a wildcard, or a label over 63 bytes.
    init?(_ token: ArraySlice<UInt8>) {
        var token = token
        isException = token.first == UInt8(ascii: "!")
        if isException { token = token.dropFirst() }
        labels = []
        for label in token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { return nil }
            if label.elementsEqual([UInt8(ascii: "*")]) {
                if isException { return nil }
                labels.append(Array(label))
                continue
            }
            if label.contains(where: { $0 >= 0x80 }) {
                guard let text = String(validating: label, as: UTF8.self),
                    let encoded = Punycode.encode(text.lowercased().unicodeScalars)
                else { return nil }
                labels.append(Array("xn--".utf8) + encoded)
            } else {
                guard label.allSatisfy(Self.isHostByte) else { return nil }
                labels.append(label.map(LabelTrie.lower))
            }
            guard labels[labels.count - 1].count <= 63 else { return nil }
        }
        guard !labels.isEmpty, !isException || labels.count >= 2 else { return nil }
    }

    private static func isHostByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default: return false
        }
    }
}

/// The rules as a trie of labels read right to left (`cn` → `gov` → ...). Edges live in one
/// open-addressing table keyed by (parent node, label bytes); label bytes are compared, not just
/// hashed, so a crafted query label cannot collide its way onto a suffix. The table is built once
/// at half load, so probe lengths depend on the list, not on the names looked up. A class, so
/// copying a list (into every place that enriches) retains one reference, not nine arrays; it is
/// immutable after `Builder.build`, hence `Sendable`.
private final class LabelTrie: Sendable {
    static let ruleFlag: UInt8 = 1
    static let exceptionFlag: UInt8 = 2

    /// Per node: rule/exception flags and the `*` child (-1 when none). Node 0 is the root.
    let flags: [UInt8]
    let wildcard: [Int32]
    /// Per edge: parent, child, and its label as a range of `labelBytes`.
    let edgeParent: [Int32]
    let edgeChild: [Int32]
    let edgeLabelStart: [Int32]
    let edgeLabelLength: [UInt8]
    let labelBytes: [UInt8]
    /// Open-addressing slots holding edge indexes (-1 when empty); the count is a power of two.
    let slots: [Int32]

    init(
        flags: [UInt8], wildcard: [Int32], edgeParent: [Int32], edgeChild: [Int32], edgeLabelStart: [Int32],
        edgeLabelLength: [UInt8], labelBytes: [UInt8], slots: [Int32]
    ) {
        self.flags = flags
        self.wildcard = wildcard
        self.edgeParent = edgeParent
        self.edgeChild = edgeChild
        self.edgeLabelStart = edgeLabelStart
        self.edgeLabelLength = edgeLabelLength
        self.labelBytes = labelBytes
        self.slots = slots
    }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b }

    @inline(__always)
    static func hash(parent: Int32, _ label: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(UInt32(bitPattern: parent))
        for b in label { h = (h ^ UInt64(lower(b))) &* 0x0000_0100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The child of `parent` along `label` (ASCII case ignored), or -1.
    func child(of parent: Int32, _ label: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard label.count <= 63 else { return -1 }
        let mask = slots.count - 1
        var slot = Self.hash(parent: parent, label) & mask
        while true {
            let edge = Int(slots[slot])
            if edge < 0 { return -1 }
            if edgeParent[edge] == parent, Int(edgeLabelLength[edge]) == label.count {
                let start = Int(edgeLabelStart[edge])
                var equal = true
                for i in 0..<label.count where labelBytes[start + i] != Self.lower(label[i]) {
                    equal = false
                    break
                }
                if equal { return edgeChild[edge] }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The number of labels of `name`'s public suffix: the prevailing rule's, minus one for an
    /// exception rule, or 1 (the default rule `*`). `name` has at least one label and no empty one.
    func suffixLabelCount(_ name: UnsafeBufferPointer<UInt8>) -> Int {
        var longestRule = 0
        var longestException = 0
        walk(node: 0, name: name, end: name.count, depth: 0, rule: &longestRule, exception: &longestException)
        if longestException > 0 { return longestException - 1 }
        return max(longestRule, 1)
    }

    /// Follows the label ending at `end` (and those left of it) from `node`, along both the exact
    /// label and `*`, recording the deepest rule and exception nodes reached.
    private func walk(
        node: Int32, name: UnsafeBufferPointer<UInt8>, end: Int, depth: Int, rule: inout Int, exception: inout Int
    ) {
        var start = end
        while start > 0, name[start - 1] != UInt8(ascii: ".") { start -= 1 }
        let exact = child(of: node, UnsafeBufferPointer(rebasing: name[start..<end]))
        let star = wildcard[Int(node)]
        if exact >= 0 {
            visit(exact, name: name, start: start, depth: depth + 1, rule: &rule, exception: &exception)
        }
        if star >= 0, star != exact {
            visit(star, name: name, start: start, depth: depth + 1, rule: &rule, exception: &exception)
        }
    }

    private func visit(
        _ node: Int32, name: UnsafeBufferPointer<UInt8>, start: Int, depth: Int, rule: inout Int, exception: inout Int
    ) {
        let f = flags[Int(node)]
        if f & Self.ruleFlag != 0 { rule = max(rule, depth) }
        if f & Self.exceptionFlag != 0 { exception = max(exception, depth) }
        if start > 0 {
            walk(node: node, name: name, end: start - 1, depth: depth, rule: &rule, exception: &exception)
        }
    }

    /// Collects rules, then lays the edges out in a table sized for them.
    struct Builder {
        private var flags: [UInt8] = [0]
        private var wildcard: [Int32] = [-1]
        private var children: [Key: Int32] = [:]

        private struct Key: Hashable {
            var parent: Int32
            var label: [UInt8]
        }

        mutating func insert(_ rule: Rule) {
            var node: Int32 = 0
            for label in rule.labels.reversed() {
                node = child(of: node, label)
            }
            flags[Int(node)] |= rule.isException ? LabelTrie.exceptionFlag : LabelTrie.ruleFlag
        }

        private mutating func child(of parent: Int32, _ label: [UInt8]) -> Int32 {
            let isStar = label == [UInt8(ascii: "*")]
            if isStar, wildcard[Int(parent)] >= 0 { return wildcard[Int(parent)] }
            if !isStar, let existing = children[Key(parent: parent, label: label)] { return existing }
            let node = Int32(flags.count)
            flags.append(0)
            wildcard.append(-1)
            if isStar {
                wildcard[Int(parent)] = node
            } else {
                children[Key(parent: parent, label: label)] = node
            }
            return node
        }

        func build() -> LabelTrie {
            var capacity = 16
            while capacity < children.count * 2 { capacity <<= 1 }
            var slots = [Int32](repeating: -1, count: capacity)
            var edgeParent: [Int32] = []
            var edgeChild: [Int32] = []
            var edgeLabelStart: [Int32] = []
            var edgeLabelLength: [UInt8] = []
            var labelBytes: [UInt8] = []
            for (key, child) in children {
                let edge = Int32(edgeParent.count)
                edgeParent.append(key.parent)
                edgeChild.append(child)
                edgeLabelStart.append(Int32(labelBytes.count))
                edgeLabelLength.append(UInt8(key.label.count))
                labelBytes += key.label
                var slot = key.label.withUnsafeBufferPointer { LabelTrie.hash(parent: key.parent, $0) } & (capacity - 1)
                while slots[slot] >= 0 { slot = (slot + 1) & (capacity - 1) }
                slots[slot] = edge
            }
            return LabelTrie(
                flags: flags, wildcard: wildcard, edgeParent: edgeParent, edgeChild: edgeChild,
                edgeLabelStart: edgeLabelStart, edgeLabelLength: edgeLabelLength, labelBytes: labelBytes, slots: slots)
        }
    }
}

/// Punycode (RFC 3492), the encoder only: IDNA writes a Unicode label on the wire as `xn--` plus
/// the punycode of its code points.
enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700

    /// The punycode of `scalars`, without the `xn--` prefix; nil on overflow (RFC 3492 §6.4), which
    /// only inputs far longer than a DNS label can reach. Basic code points are copied as given.
    static func encode(_ scalars: some Collection<Unicode.Scalar>) -> [UInt8]? {
        let input = scalars.map { Int($0.value) }
        var output: [UInt8] = input.filter { $0 < 0x80 }.map { UInt8($0) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var n = 0x80
        var delta = 0
        var bias = 72
        while handled < input.count {
            let m = input.lazy.filter { $0 >= n }.min()!
            guard (m - n) <= (Int(UInt32.max) - delta) / (handled + 1) else { return nil }
            delta += (m - n) * (handled + 1)
            n = m
            for c in input {
                if c < n {
                    delta += 1
                    guard delta <= Int(UInt32.max) else { return nil }
                }
                guard c == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, points: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return output
    }

    private static func digit(_ d: Int) -> UInt8 {
        d < 26 ? UInt8(ascii: "a") + UInt8(d) : UInt8(ascii: "0") + UInt8(d - 26)
    }

    private static func adapt(_ delta: Int, points: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}

/// Words that, shortly before a match, say what it is: JSON keys, form field names, Chinese labels.
/// A keyword raises the confidence of the kinds in its mask by one level (see `Inspector`).
///
/// ASCII keywords match case-insensitively anywhere in the window, so camelCase and snake_case keys
/// (`userMobile`, `id_card`, `bankCardNo`) all hit; the cost is that a short keyword can hit inside
/// an unrelated word (`tel` in `hotel`), which only moves a validated match from medium to high.
enum ContextKeywords {
    /// How far before a match to look, in (percent-decoded) bytes: a JSON key with its quotes and
    /// colon, or a Chinese label of up to ten characters.
    static let window = 32

    private static let residentID = DLPKind.residentID.bit
    private static let uscc = DLPKind.uscc.bit
    private static let phone = DLPKind.mobile.bit | DLPKind.landline.bit
    private static let mobile = DLPKind.mobile.bit
    private static let landline = DLPKind.landline.bit
    private static let card = DLPKind.bankCard.bit
    private static let passport = DLPKind.passport.bit
    private static let email = DLPKind.email.bit

    static let all: [(word: String, kinds: UInt8)] = [
        ("身份证", residentID), ("证件", residentID | passport), ("公民身份", residentID),
        ("id_card", residentID), ("idcard", residentID), ("id-card", residentID), ("idno", residentID),
        ("id_no", residentID), ("idnum", residentID), ("id_num", residentID), ("identity", residentID),
        ("sfz", residentID), ("certno", residentID | passport), ("cert_no", residentID | passport),
        ("zjhm", residentID | passport),
        ("信用代码", uscc), ("社会信用", uscc), ("营业执照", uscc), ("税号", uscc), ("uscc", uscc),
        ("credit_code", uscc), ("creditcode", uscc), ("tax_no", uscc), ("taxno", uscc),
        ("手机", mobile), ("电话", phone), ("联系方式", phone | email), ("座机", landline), ("传真", landline),
        ("mobile", mobile), ("phone", phone), ("tel", phone), ("cell", mobile), ("sjh", mobile),
        ("fax", landline), ("contact", phone | email),
        ("银行卡", card), ("卡号", card), ("账号", card), ("帐号", card), ("信用卡", card), ("cardno", card),
        ("card_no", card), ("cardnum", card), ("card_num", card), ("bankcard", card), ("bank_card", card),
        ("creditcard", card), ("credit_card", card), ("acct", card), ("account", card),
        ("护照", passport), ("通行证", passport), ("回乡证", passport), ("passport", passport),
        ("permit", passport), ("hzhm", passport),
        ("email", email), ("mail", email), ("邮箱", email), ("邮件", email),
    ]

    /// Keywords in UTF-8 (plus each Chinese keyword as JSON `\uXXXX` escapes, as Python's `json.dumps`
    /// writes it), grouped by first byte.
    static let compiled = Compiled()

    /// `@unchecked Sendable` (raw pointers are not Sendable): the only instance is the `static let`
    /// above, so `init` runs once under the runtime's one-time initialisation, which orders its writes
    /// before any reader's first access; no code writes through these pointers after `init` and they
    /// are never freed, so the scanners on every thread only ever read them.
    struct Compiled: @unchecked Sendable {
        /// All keyword bytes, sorted by first byte; `offsets[k]..<offsets[k + 1]` is keyword `k`.
        let words: UnsafeMutablePointer<UInt8>
        let offsets: UnsafeMutablePointer<Int>
        let kinds: UnsafeMutablePointer<UInt8>
        /// For each first byte, the keywords `firstKeyword[b]..<firstKeyword[b + 1]`.
        let firstKeyword: UnsafeMutablePointer<Int>

        init() {
            var list: [(bytes: [UInt8], kinds: UInt8)] = []
            for (word, kinds) in ContextKeywords.all {
                list.append((Array(word.utf8), kinds))
                if word.unicodeScalars.contains(where: { !$0.isASCII }) {
                    let escaped = word.unicodeScalars.map { scalar in
                        let hex = String(scalar.value, radix: 16)
                        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                    }
                    list.append((Array(escaped.joined().utf8), kinds))
                }
            }
            list.sort { $0.bytes[0] < $1.bytes[0] }
            let bytes = list.flatMap(\.bytes)
            words = .allocate(capacity: bytes.count)
            words.initialize(from: bytes, count: bytes.count)
            offsets = .allocate(capacity: list.count + 1)
            kinds = .allocate(capacity: list.count)
            firstKeyword = .allocate(capacity: 257)
            firstKeyword.initialize(repeating: 0, count: 257)
            var offset = 0
            for (k, keyword) in list.enumerated() {
                offsets[k] = offset
                offset += keyword.bytes.count
                kinds[k] = keyword.kinds
            }
            offsets[list.count] = offset
            var k = 0
            for b in 0...256 {
                while k < list.count, Int(list[k].bytes[0]) < b { k += 1 }
                firstKeyword[b] = k
            }
        }

        /// The kinds whose keywords occur in `text[from..<end]` (ASCII compared case-insensitively).
        func kinds(in text: UnsafePointer<UInt8>, from: Int, to end: Int) -> UInt8 {
            var found: UInt8 = 0
            for j in from..<max(from, end) {
                let b = Int(text[j].asciiLowercased)
                for k in firstKeyword[b]..<firstKeyword[b + 1] {
                    let start = offsets[k], length = offsets[k + 1] - start
                    guard j + length <= end else { continue }
                    var m = 1
                    while m < length, text[j + m].asciiLowercased == words[start + m] { m += 1 }
                    if m == length { found |= kinds[k] }
                }
            }
            return found
        }
    }
}

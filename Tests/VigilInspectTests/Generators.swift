import VigilInspect

/// SplitMix64: a seeded, deterministic generator so property tests are reproducible.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Valid identifiers built with the published algorithms (written again here, independently of
/// VigilInspect's validators, so a shared mistake cannot make both agree).
enum Gen {
    static let provinces = [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
        61, 62, 63, 64, 65,
    ]

    static func digits(_ count: Int, _ rng: inout SeededRNG) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// GB 11643 check character of 17 digits.
    static func residentCheck(_ body: String) -> String {
        let weights = (0..<17).map { (1 << (17 - $0)) % 11 }
        let sum = zip(body, weights).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
        let check = (12 - sum % 11) % 11
        return check == 10 ? "X" : String(check)
    }

    static func birthDate(_ rng: inout SeededRNG, years: ClosedRange<Int> = 1930...2020) -> String {
        let year = Int.random(in: years, using: &rng)
        let month = Int.random(in: 1...12, using: &rng)
        let day = Int.random(in: 1...daysIn(month: month, year: year), using: &rng)
        return pad(year, 4) + pad(month, 2) + pad(day, 2)
    }

    static func residentID(_ rng: inout SeededRNG) -> String {
        let body =
            String(provinces.randomElement(using: &rng)!) + pad(Int.random(in: 101...9999, using: &rng), 4)
            + birthDate(&rng) + digits(3, &rng)
        return body + residentCheck(body)
    }

    static let usccAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    /// GB 32100 check character of 17 characters.
    static func usccCheck(_ body: String) -> Character {
        var sum = 0
        var weight = 1
        for c in body {
            sum += usccAlphabet.firstIndex(of: c)! * weight
            weight = weight * 3 % 31
        }
        return usccAlphabet[(31 - sum % 31) % 31]
    }

    /// A business-registration USCC (`91` + region + organisation code), with a letter in the
    /// organisation code when `withLetter`.
    static func uscc(_ rng: inout SeededRNG, withLetter: Bool = true) -> String {
        var code = (0..<9).map { _ in usccAlphabet[Int.random(in: 0..<10, using: &rng)] }
        if withLetter { code[Int.random(in: 0..<8, using: &rng)] = usccAlphabet[Int.random(in: 10..<31, using: &rng)] }
        let body =
            "91" + String(provinces.randomElement(using: &rng)!) + pad(Int.random(in: 100...9999, using: &rng), 4)
            + String(code)
        return body + String(usccCheck(body))
    }

    static func luhnCheck(_ body: String) -> String {
        var sum = 0
        for (index, c) in body.reversed().enumerated() {
            var d = c.wholeNumberValue!
            if index % 2 == 0 { d = d * 2 > 9 ? d * 2 - 9 : d * 2 }
            sum += d
        }
        return String((10 - sum % 10) % 10)
    }

    /// A Luhn-valid card number of `length` digits starting with `prefix`.
    static func card(prefix: String = "62", length: Int = 16, _ rng: inout SeededRNG) -> String {
        let body = prefix + digits(length - prefix.count - 1, &rng)
        return body + luhnCheck(body)
    }

    static func mobile(_ rng: inout SeededRNG) -> String {
        "1" + String(Int.random(in: 3...9, using: &rng)) + digits(9, &rng)
    }

    /// `number` with one digit (not the first) changed.
    static func nearMiss(_ number: String, _ rng: inout SeededRNG) -> String {
        var chars = Array(number)
        let index = Int.random(in: 1..<chars.count, using: &rng)
        let old = chars[index].wholeNumberValue ?? 0
        chars[index] = Character(String((old + Int.random(in: 1...9, using: &rng)) % 10))
        return String(chars)
    }
}

let testSecret = Array("vigil-test-secret".utf8)
let inspector = Inspector(secret: testSecret)

/// Kinds counted in `text` (medium and high).
func kinds(_ text: String) -> [DLPKind] { inspector.inspect(text: text).detections.map(\.kind) }

/// The single detection in `text` at any confidence, or nil.
func only(_ text: String) -> Detection? {
    let found = inspector.inspect(text: text, reporting: .low).detections
    return found.count == 1 ? found[0] : nil
}

func masked(_ text: String) -> String { inspector.inspect(text: text).masked }

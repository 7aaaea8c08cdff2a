/// Checksums and validity rules of the identifiers, on ASCII bytes. Each takes a pointer to exactly the
/// significant characters (no separators); callers guarantee the length.
enum Validators {
    /// GB/T 2260 province codes: the first two digits of a resident ID (and of a USCC's region code).
    /// 71 Taiwan, 81 Hong Kong, 82 Macau, 83 the residence permits of Taiwan residents.
    static func isProvince(_ code: Int) -> Bool {
        switch code {
        case 11...15, 21...23, 31...37, 41...46, 50...54, 61...65, 71, 81...83: true
        default: false
        }
    }

    static func isDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        switch month {
        case 2:
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return day <= (leap ? 29 : 28)
        case 4, 6, 9, 11: return day <= 30
        default: return day <= 31
        }
    }

    @inline(__always)
    static func number(_ c: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var v = 0
        for k in 0..<count { v = v * 10 + c[k].digitValue }
        return v
    }

    /// ISO 7064 MOD 11-2 weights 2^(17−i) mod 11 of GB 11643.
    private static let residentWeights: [Int] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

    /// The check character of the first 17 digits of a resident ID: `0`–`9` or `X`.
    static func residentCheck(_ c: UnsafePointer<UInt8>) -> UInt8 {
        var sum = 0
        residentWeights.withUnsafeBufferPointer { w in
            for k in 0..<17 { sum += c[k].digitValue * w[k] }
        }
        let check = (12 - sum % 11) % 11
        return check == 10 ? UInt8(ascii: "X") : UInt8(48 + check)
    }

    /// An 18-character resident ID: 17 digits and a digit or `X`/`x`, a province, a birth date from
    /// 1900 to `latestYear`, and the MOD 11-2 check character.
    static func residentID18(_ c: UnsafePointer<UInt8>, latestYear: Int) -> Bool {
        guard (1...8).contains(c[0].digitValue), isProvince(number(c, 2)) else { return false }
        let year = number(c + 6, 4)
        guard year >= 1900, year <= latestYear,
            isDate(year: year, month: number(c + 10, 2), day: number(c + 12, 2))
        else { return false }
        return residentCheck(c) == c[17].asciiUppercased
    }

    /// A legacy 15-digit resident ID (issued until 1999): province, a 19YYMMDD birth date, no check digit.
    static func residentID15(_ c: UnsafePointer<UInt8>) -> Bool {
        guard (1...8).contains(c[0].digitValue), isProvince(number(c, 2)) else { return false }
        return isDate(year: 1900 + number(c + 6, 2), month: number(c + 8, 2), day: number(c + 10, 2))
    }

    /// GB 32100 characters `0-9A-HJ-NPQRTUWXY` and their values 0…30; 255 for any other byte.
    static let usccValues: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for (value, c) in "0123456789ABCDEFGHJKLMNPQRTUWXY".utf8.enumerated() { t[Int(c)] = UInt8(value) }
        return t
    }()

    /// Weights 3^(i−1) mod 31, i = 1…17.
    private static let usccWeights: [Int] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// A unified social credit code: registration authority (`1`–`9`, `A`, `N`, `Y`), an organisation
    /// type of `1`, `2`, `3` or `9`, a 6-digit region code in a province, the 9-character organisation
    /// code, and the MOD 31 check character.
    static func uscc(_ c: UnsafePointer<UInt8>) -> Bool {
        switch c[0] {
        case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "A"), UInt8(ascii: "N"), UInt8(ascii: "Y"): break
        default: return false
        }
        switch c[1] {
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "9"): break
        default: return false
        }
        for k in 2..<8 where !c[k].isDigit { return false }
        guard isProvince(number(c + 2, 2)) else { return false }
        return usccValues.withUnsafeBufferPointer { values in
            var sum = 0
            for k in 0..<17 {
                let v = values[Int(c[k])]
                if v == 255 { return false }
                sum += Int(v) * usccWeights[k]
            }
            let check = values[Int(c[17])]
            return check != 255 && Int(check) == (31 - sum % 31) % 31
        }
    }

    /// The Luhn (mod 10) check over `count` digits.
    static func luhn(_ c: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        // Every second digit from the right is doubled, minus 9 when over 9: 0 2 4 6 8 1 3 5 7 9.
        let doubled = 0x9753_1864_20 as UInt64
        var sum = 0
        var k = count - 1
        while k >= 1 {
            sum += c[k].digitValue + Int((doubled >> UInt64(4 * c[k - 1].digitValue)) & 15)
            k -= 2
        }
        if k == 0 { sum += c[0].digitValue }
        return sum % 10 == 0
    }

    /// Issuer prefixes of cards seen in China. 16 digits: UnionPay 62 and 81, domestic 60, Visa 4,
    /// Mastercard 51–55 and 2221–2720, JCB 3528–3589, Discover 6011, 644–649, 65. 17–19 digits: only
    /// UnionPay and domestic debit cards (62, 81, 60) — order numbers of 19 digits are common, and 19-digit
    /// Visa or Discover cards rare in China, so those need a keyword.
    static func hasIssuerPrefix(_ c: UnsafePointer<UInt8>, length: Int) -> Bool {
        let two = number(c, 2)
        if length != 16 { return two == 62 || two == 81 || two == 60 }
        switch c[0] {
        case UInt8(ascii: "4"): return true
        case UInt8(ascii: "5"): return (51...55).contains(two)
        case UInt8(ascii: "2"): return (2221...2720).contains(number(c, 4))
        case UInt8(ascii: "3"): return (3528...3589).contains(number(c, 4))
        case UInt8(ascii: "6"): return two == 60 || two == 62 || two == 65 || (644...649).contains(number(c, 3))
        case UInt8(ascii: "8"): return two == 81
        default: return false
        }
    }

    /// 11 digits `1[3-9]xxxxxxxxx`.
    @inline(__always)
    static func mobile(_ c: UnsafePointer<UInt8>) -> Bool {
        c[0] == UInt8(ascii: "1") && c[1] >= UInt8(ascii: "3") && c[1] <= UInt8(ascii: "9")
    }

    /// Length of the area code `c` starts with, including its leading 0: 3 for `010` and `02x`, 4 for
    /// `0[3-9]xx`; 0 when `c` does not start with one. `available` is how many digits `c` has.
    static func areaCodeLength(_ c: UnsafePointer<UInt8>, available: Int) -> Int {
        guard available >= 3, c[0] == UInt8(ascii: "0") else { return 0 }
        switch c[1] {
        case UInt8(ascii: "1"): return c[2] == UInt8(ascii: "0") ? 3 : 0
        case UInt8(ascii: "2"): return 3
        case UInt8(ascii: "3")...UInt8(ascii: "9"): return available >= 4 ? 4 : 0
        default: return 0
        }
    }

    /// Local numbers do not start with 0, the trunk prefix (`010-0…` is no number). Real ones start
    /// with 2–9 too, but `010-12345678` is the customary placeholder and test value, so 1 is allowed.
    @inline(__always)
    static func isLocalStart(_ b: UInt8) -> Bool { b >= UInt8(ascii: "1") && b <= UInt8(ascii: "9") }
}

import Testing

@testable import VigilInspect

@Suite("Passports, permits and email addresses")
struct PassportEmailTests {
    @Test("passport and permit shapes count only after a keyword, then high, masked to 2 and 2")
    func passports() {
        for number in [
            "E12345678", "EA1234567", "G12345678", "DE1234567", "SE1234567", "PE1234567", "C12345678",
            "CA1234567", "H12345678", "M1234567890",
        ] {
            #expect(only(number)?.kind == .passport, "\(number)")
            #expect(only(number)?.confidence == .low)
            let result = inspector.inspect(text: "护照号码: \(number)")
            #expect(result.detections.map(\.confidence) == [.high], "\(number)")
            #expect(
                result.masked == "护照号码: " + number.prefix(2) + String(repeating: "*", count: number.count - 4)
                    + number.suffix(2))
            #expect(kinds("{\"passportNo\":\"\(number)\"}") == [.passport])
        }
    }

    @Test("other letter-and-digit shapes are not passports")
    func notPassports() {
        for text in [
            "passport X12345678", "passport E1234567", "passport EI1234567", "passport e12345678",
            "passport AE1234567", "passport E123456789",
        ] {
            #expect(kinds(text) == [], "\(text)")
        }
    }

    @Test("an email is medium alone, high after a keyword, masked after the first character")
    func email() {
        let result = inspector.inspect(text: "contact zhangsan@example.com today")
        #expect(result.detections.map(\.kind) == [.email])
        #expect(result.masked == "contact z*******@example.com today")
        #expect(only("zhangsan@example.com")?.confidence == .medium)
        #expect(only("邮箱：zhangsan@example.com")?.confidence == .high)
        #expect(masked("a@example.com") == "*@example.com")
        #expect(masked("zhang.san+tag@mail.example.com.cn") == "z************@mail.example.com.cn")
    }

    @Test("a mobile used as a mail local part is one email, not also a mobile")
    func mobileAsLocalPart() {
        #expect(kinds("13812345678@163.com") == [.email])
        #expect(masked("13812345678@163.com") == "1**********@163.com")
        #expect(kinds("13812345678.zhang@qq.com") == [.email])
    }

    @Test("emails are hashed lower-cased")
    func emailHash() {
        let a = inspector.inspect(text: "ZhangSan@Example.COM").detections.first?.hash
        let b = inspector.inspect(text: "zhangsan@example.com").detections.first?.hash
        #expect(a != nil && a == b)
    }

    @Test("asset names, versions and mentions are not emails")
    func notEmails() {
        for text in [
            "icon@2x.png", "logo@3x.webp", "pkg@1.2.3", "user@localhost", "@scope/name", "a@b", "x@.com",
            "x@-a.com", "x@a.c", "logo@3x.PNG", "cfg@2x.yaml", "app@1x.swift",
        ] {
            #expect(kinds(text) == [], "\(text)")
        }
        // A file extension only as the top-level domain: these are addresses.
        #expect(kinds("ops@mail.js.cn") == [.email] && kinds("ops@png.example.org") == [.email])
        #expect(kinds("@13812345678 你好") == [.mobile])
    }
}

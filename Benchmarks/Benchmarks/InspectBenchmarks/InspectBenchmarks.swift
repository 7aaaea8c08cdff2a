// Micro-benchmarks of VigilInspect: `Inspector.inspect(_:)` over one event whose response body is a
// ~64 KiB JSON API response, with and without personal data. One iteration inspects the whole body,
// so `throughput` × body size is bytes per second (the names carry the size), and `mallocCountTotal`
// shows the no-PII fast path allocates nothing.
//
//   swift package --package-path Benchmarks --scratch-path Benchmarks/.build-benchmarks benchmark \
//       --target InspectBenchmarks

import Benchmark
import VigilCore
import VigilInspect

// MARK: - test data (built in code: same bytes on every machine)

/// xorshift64, so the records differ but are the same on every run.
private struct Pseudo {
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next(_ bound: Int) -> Int {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return Int(x % UInt64(bound))
    }
    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(next(10))) }) }
}

private func residentID(_ r: inout Pseudo) -> String {
    let provinces = [11, 31, 32, 33, 35, 37, 44, 51]
    let body =
        String(provinces[r.next(provinces.count)]) + "0105" + String(1950 + r.next(60))
        + String(10 + r.next(3)) + String(10 + r.next(18)) + r.digits(3)
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(body, weights).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
    let check = (12 - sum % 11) % 11
    return body + (check == 10 ? "X" : String(check))
}

private let names = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]
private let streets = ["建国路88号", "人民南路二段17号", "中山东一路12号", "科技园南区高新南七道", "解放大道688号"]
private let cities = ["北京市朝阳区", "成都市武侯区", "上海市黄浦区", "深圳市南山区", "武汉市江汉区"]

/// A paged JSON API response of user records, each with a resident ID and a mobile, every third with an
/// email: about 5 values per KiB among names, addresses, timestamps, amounts and order numbers.
private func apiResponse(targetBytes: Int, personal: Bool) -> String {
    var r = Pseudo()
    var out = #"{"code":0,"message":"ok","page":{"index":3,"size":100},"data":["#
    var n = 0
    while out.utf8.count < targetBytes - 600 {
        if n > 0 { out += "," }
        let city = cities[r.next(cities.count)], street = streets[r.next(streets.count)]
        out +=
            #"{"uid":\#(100_000 + n),"name":"\#(names[r.next(names.count)])","gender":"\#(r.next(2) == 0 ? "M" : "F")","#
        if personal {
            out += #""id_card":"\#(residentID(&r))","mobile":"1\#(3 + r.next(7))\#(r.digits(9))","#
            if n % 3 == 0 { out += #""email":"user\#(r.digits(5))@example.com","# }
        } else {
            out += #""level":"gold","points":\#(r.next(100_000)),"#
        }
        out += #""address":"\#(city)\#(street)\#(r.next(30))栋\#(r.next(2000))室","#
        out += #""order_id":"2025112\#(r.digits(12))","amount":\#(r.next(100_000)).\#(r.digits(2)),"#
        out += #""created_at":"2025-11-\#(10 + r.next(18))T1\#(r.next(10)):\#(10 + r.next(50)):00+08:00","#
        out += #""status":"active","ip":"10.\#(r.next(256)).\#(r.next(256)).\#(r.next(256))","app":"v2.13.4","#
        out += #""remark":"客户要求周末送货，请提前电话联系 / deliver on weekends, call ahead"}"#
        n += 1
    }
    return out + "]}"
}

private func event(body: String) -> Event {
    var e = Event(timestamp: Timestamp(microseconds: 1_700_000_000_000_000), id: "bench", dataset: .apiAccess)
    e.set(Fields.urlOriginal, "/api/v2/users?page=3&size=100")
    e.set(Fields.httpResponseStatusCode, .int(200))
    e.set(Fields.httpResponseBodyContent, body)
    return e
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )

    let inspector = Inspector(secret: Array("benchmark-secret".utf8))
    for personal in [true, false] {
        let body = apiResponse(targetBytes: 64 * 1024, personal: personal)
        var probe = event(body: body)
        inspector.inspect(&probe)
        let found = probe[Fields.dlpCount]?.intValue ?? 0
        let label = personal ? "\(found) values" : "no personal data"
        let original = event(body: body)
        Benchmark("Inspector.inspect (JSON API response, \(body.utf8.count) B, \(label))") { benchmark in
            for _ in benchmark.scaledIterations {
                var e = original
                inspector.inspect(&e)
                blackHole(e)
            }
        }
    }
}

// Micro-benchmarks of the log-line decoders: nginx `combined` access lines and syslog auth lines.
// Each iteration decodes one line (scaled by 1 000), so `throughput` reads as lines per second and
// `mallocCountTotal` as allocations per 1 000 lines. MiB/s = lines/s × the average line length in the
// benchmark's name.
//
//   swift package --package-path Benchmarks --scratch-path Benchmarks/.build-logs-bench \
//       benchmark --target LogBenchmarks

import Benchmark
import VigilCore
import VigilDecode

// MARK: - test data (built in code: same lines on every machine)

/// A deterministic xorshift stream for picking line parts.
private struct Picker {
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> Int {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return Int(truncatingIfNeeded: x >> 1)
    }
    mutating func pick<T>(_ options: [T]) -> T { options[next() % options.count] }
}

private let userAgents = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        + "Version/17.1 Mobile/15E148 Safari/604.1",
    "curl/8.5.0", "python-requests/2.31.0", "Go-http-client/1.1", "-",
]

private let paths = [
    "/", "/index.html", "/api/v1/users?id=42&page=2", "/static/js/app.3f9a1c.js", "/static/css/main.css",
    "/api/v2/orders/918273/items", "/login", "/favicon.ico", "/wp-login.php", "/api/v1/search?q=report+2026&lang=zh",
    "/images/banner-1920x1080.webp", "/.env",
]

/// Varied nginx `combined` lines: IPv4 and IPv6 clients, users, methods, statuses, referrers, agents.
private let nginxLines: [[UInt8]] = {
    var r = Picker()
    return (0..<1000).map { i in
        let ip =
            i % 17 == 0
            ? "2001:db8:\(r.next() % 65536):\(r.next() % 65536)::\(r.next() % 65536)"
            : "\(r.next() % 223 + 1).\(r.next() % 256).\(r.next() % 256).\(r.next() % 256)"
        let user = i % 11 == 0 ? "alice" : "-"
        let method = r.pick(["GET", "GET", "GET", "POST", "HEAD", "PUT"])
        let status = r.pick([200, 200, 200, 304, 301, 404, 403, 500, 206])
        let referrer = r.pick(["-", "https://portal.example.com/home", "https://www.example.org/search?q=vigil"])
        let line =
            "\(ip) - \(user) [23/Nov/2026:17:\(two(r.next() % 60)):\(two(r.next() % 60)) +0800] "
            + "\"\(method) \(r.pick(paths)) HTTP/1.1\" \(status) \(r.next() % 200_000) "
            + "\"\(referrer)\" \"\(r.pick(userAgents))\""
        return Array(line.utf8)
    }
}()

private let authLines: [[UInt8]] = {
    var r = Picker()
    let templates: [(Int, Int) -> String] = [
        { ip, port in "Failed password for invalid user admin from 45.155.\(ip).1 port \(port) ssh2" },
        { ip, port in
            "Accepted publickey for alice from 203.0.113.\(ip) port \(port) ssh2: "
                + "ED25519 SHA256:Zx1yq3c0Z2y8i0kJ4bV1m7Qx0b0lYxWmFQZ8c8m6p2E"
        },
        { ip, port in "Connection closed by authenticating user root 45.155.\(ip).1 port \(port) [preauth]" },
        { _, _ in "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)" },
        { ip, _ in
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
                + "rhost=45.155.\(ip).1  user=root"
        },
    ]
    return (0..<500).map { _ in
        let t = r.pick(templates)
        let line =
            "Nov 23 17:03:\(two(r.next() % 60)) web01 sshd[\(r.next() % 60000)]: "
            + t(r.next() % 256, r.next() % 65536)
        return Array(line.utf8)
    } + [
        Array(
            "Nov 23 17:05:00 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id".utf8)
    ]
}()

/// A two-digit decimal (`07`).
private func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    let nginx = nginxLines
    let nginxAverage = nginx.reduce(0) { $0 + $1.count } / nginx.count
    Benchmark("WebAccessDecoder nginx combined (\(nginx.count) varied lines, avg \(nginxAverage) B)") { benchmark in
        var decoder = WebAccessDecoder.combined
        var out: [LogRecord] = []
        out.reserveCapacity(4)
        let n = nginx.count
        for i in benchmark.scaledIterations {
            nginx[i % n].withUnsafeBytes { decoder.decode(line: $0, offset: UInt64(i), into: &out) }
            blackHole(out)
            out.removeAll(keepingCapacity: true)
        }
    }

    let auth = authLines
    let authAverage = auth.reduce(0) { $0 + $1.count } / auth.count
    Benchmark("SyslogAuthDecoder sshd/sudo (\(auth.count) varied lines, avg \(authAverage) B)") { benchmark in
        var decoder = SyslogAuthDecoder(
            context: LogContext(referenceTime: Timestamp(microseconds: 1_795_435_200_000_000)))
        var out: [LogRecord] = []
        out.reserveCapacity(4)
        let n = auth.count
        for i in benchmark.scaledIterations {
            auth[i % n].withUnsafeBytes { decoder.decode(line: $0, offset: UInt64(i), into: &out) }
            blackHole(out)
            out.removeAll(keepingCapacity: true)
        }
    }
}

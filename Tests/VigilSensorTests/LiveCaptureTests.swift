import Foundation
import Synchronization
import Testing
import VigilCore

@testable import VigilSensor

/// Collects events from the capture thread.
final class EventCollector: Sendable {
    private let events = Mutex<[Event]>([])
    func append(_ e: Event) { events.withLock { $0.append(e) } }
    var all: [Event] { events.withLock { $0 } }
}

/// A UDP socket on 127.0.0.1 for sending test traffic.
final class LoopbackUDP {
    let fd: Int32
    let port: UInt16

    init(port: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw VigilError(.io, "socket failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { close(fd); throw VigilError(.io, "bind failed: \(errno)") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    func send(_ bytes: [UInt8], to port: UInt16) {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = bytes.withUnsafeBytes { buf in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    deinit { close(fd) }
}

@Suite("Live capture on the loopback interface")
struct LiveCaptureTests {
    @Test(
        "a DNS exchange on lo becomes a dns event and a flow; Ctrl-C style stop ends the run",
        .enabled(if: getuid() == 0, "live capture needs root or CAP_NET_RAW"))
    func loopbackDNS() async throws {
        let server = try LoopbackUDP()
        let serverPort = server.port
        let collector = EventCollector()
        let stop = StopSignal()
        defer { stop.stop() }
        async let summary = CaptureRun.run(
            input: .interface("lo", PcapSource.LiveOptions()), filter: "udp port \(serverPort)",
            observerID: "live-test", configure: { $0.timeouts.udp = 1 }, stop: stop,
            sink: { config in
                let factory = EventFactory(config: config)
                return CaptureRun.Sink(output: { collector.append(factory.event(for: $0)) }, close: {})
            })
        // The capture starts on its own thread; keep exchanging (bounded) until it has seen one.
        for attempt in 0..<50 {
            let client = try LoopbackUDP()
            client.send(Frames.dns(id: 1000 + attempt, name: "live.gov.example"), to: serverPort)
            server.send(Frames.dns(id: 1000 + attempt, name: "live.gov.example", response: true), to: client.port)
            try await Task.sleep(for: .milliseconds(100))
            if collector.all.contains(where: { $0.dataset == .dns }) { break }
        }
        stop.stop()
        let result = try await summary
        let dns = collector.all.filter { $0.dataset == .dns }
        #expect(!dns.isEmpty)
        #expect(dns.first?[Fields.dnsQuestionName] == .string("live.gov.example"))
        #expect(dns.first?[Fields.destinationPort] == .int(Int64(serverPort)))
        #expect(collector.all.contains { $0.dataset == .flow })
        #expect(result.kernel != nil, "live runs report kernel counters")
        #expect(result.stats.packets >= 2)
    }

    @Test("an interface that does not exist is a clear error")
    func noSuchInterface() async {
        await #expect(throws: VigilError.self) {
            _ = try await CaptureRun.run(
                input: .interface("vigil-no-such0", PcapSource.LiveOptions()), filter: nil, observerID: "x",
                configure: { _ in }, stop: StopSignal(), sink: { _ in CaptureRun.Sink(output: { _ in }, close: {}) })
        }
    }
}

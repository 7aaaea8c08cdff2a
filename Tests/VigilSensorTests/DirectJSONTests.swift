import Foundation
import Synchronization
import Testing
import VigilCore
import VigilDecode
import VigilInspect

@testable import VigilSensor

/// `vigil analyze` without rules writes each event as it builds it, inspecting field by field; the
/// text must be exactly what building the `Event`, inspecting it and encoding it gives.
@Suite("Events encoded as they are built")
struct DirectJSONTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Every pipeline output of a capture, in order.
    static func outputs(_ name: String) throws -> (outputs: [PipelineOutput], factory: EventFactory) {
        let collected = Mutex<[PipelineOutput]>([])
        let factory = Mutex<EventFactory?>(nil)
        _ = try CaptureRun.runBlocking(
            input: .file(fixtures.appendingPathComponent("pcap/\(name)").path), filter: nil, observerID: "test",
            configure: { _ in }, stop: StopSignal(),
            sink: { config in
                factory.withLock { $0 = EventFactory(config: config) }
                return CaptureRun.Sink(output: { o in collected.withLock { $0.append(o) } }, close: {})
            })
        return (collected.withLock { $0 }, factory.withLock { $0! })
    }

    static let inspector = Inspector(secret: Array("direct-json-test-key".utf8))

    @Test(
        "each capture's lines and sensitive-data counts are the same both ways",
        arguments: ["pii-api.pcap", "http.pcap", "dns.pcap", "tls.pcap", "ssh.pcap", "sample.pcap", "vlan.pcap"])
    func sameText(_ name: String) throws {
        let (outputs, factory) = try Self.outputs(name)
        #expect(!outputs.isEmpty)
        let viaEvents = InspectStage(inspector: Self.inspector)
        let direct = InspectStage(inspector: Self.inspector)
        for output in outputs {
            var event = factory.event(for: output)
            viaEvents.inspect(&event)
            var w = JSONWriter()
            direct.count(factory.writeJSON(output, inspector: Self.inspector, to: &w))
            #expect(String(decoding: w.bytes, as: UTF8.self) == event.jsonLine)
        }
        #expect(direct.snapshot == viaEvents.snapshot)
    }

    @Test("personal data in a capture is masked and summarised on the direct path")
    func masksOnTheDirectPath() throws {
        let (outputs, factory) = try Self.outputs("pii-api.pcap")
        let stage = InspectStage(inspector: Self.inspector)
        var text = ""
        for output in outputs {
            var w = JSONWriter()
            stage.count(factory.writeJSON(output, inspector: Self.inspector, to: &w))
            text += String(decoding: w.bytes, as: UTF8.self) + "\n"
        }
        // The capture's resident IDs and mobiles (Tests/Fixtures/pii-values.txt) never appear whole.
        let values = try String(contentsOf: Self.fixtures.appendingPathComponent("pii-values.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last }
            .map(String.init)
        #expect(!values.isEmpty)
        for value in values { #expect(!text.contains(value), "\(value) leaked") }
        #expect(text.contains("\"dlp.types\":"))
        #expect(stage.snapshot.events > 0)
        #expect((stage.snapshot.values["cn_resident_id"] ?? 0) > 0)
    }

    @Test("vocabulary values go out as they are; text from traffic next to them is still masked")
    func vocabularyAndText() {
        var w = JSONWriter()
        let summary = withUnsafeMutablePointer(to: &w) { w in
            var sink = InspectedJSONFields(w: w, inspection: FieldInspection(Self.inspector))
            sink.set(Fields.dnsType, vocabulary: "answer")
            sink.set(Fields.eventCategory, vocabulary: .list([.string("network")]))
            sink.set(Fields.connHistory, vocabulary: "ShADadFf")
            sink.set(Fields.dnsQuestionName, "110105199708044783.example.test")
            return sink.inspection.summary
        }
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text.hasPrefix(#","dns.type":"answer","event.category":["network"],"vigil.conn.history":"ShADadFf","#))
        #expect(!text.contains("110105199708044783"))
        #expect(summary.contains { $0.id == Fields.dlpTypes })
    }

    @Test("header values written from the head's bytes are masked like any text; non-ASCII ones still go out")
    func headerValues() {
        let head = HTTPHead(
            version: "1.1",
            headers: [
                HTTPHeader(name: "Referer", value: "https://portal.test/form?id=110105199708044783"),
                HTTPHeader(name: "User-Agent", value: "Büro-Client/1.0"),
            ])
        var w = JSONWriter()
        let summary = withUnsafeMutablePointer(to: &w) { w in
            var sink = InspectedJSONFields(w: w, inspection: FieldInspection(Self.inspector))
            EventBuilder.setHeader(Fields.httpRequestReferrer, head, "referer", to: &sink)
            EventBuilder.setHeader(Fields.userAgentOriginal, head, "user-agent", to: &sink)
            EventBuilder.setHeader(Fields.httpContentEncoding, head, "content-encoding", to: &sink)
            return sink.inspection.summary
        }
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text.hasPrefix(#","http.request.referrer":"https://portal.test/form?id="#))
        #expect(!text.contains("110105199708044783"))
        #expect(summary.contains { $0.id == Fields.dlpTypes })
        #expect(text.hasSuffix(#","user_agent.original":"Büro-Client/1.0""#))
        #expect(!text.contains("content_encoding"), "no header, no field")
    }
}

import Foundation
import Testing
import VigilConfig

@testable import VigilServer

@Suite("Correlator configuration")
struct CorrelatorConfigTests {
    @Test("the shipped example parses, with the defaults of ingest.md")
    func example() throws {
        let path = repoRoot.appendingPathComponent("deploy/config/correlator.yaml").path
        var diagnostics: [ConfigDiagnostic] = []
        let config = try #require(
            CorrelatorConfig.parse(String(contentsOfFile: path, encoding: .utf8), file: path, diagnostics: &diagnostics)
        )
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(config.host == "0.0.0.0" && config.port == 8443)
        #expect(config.limits == CorrelatorConfig.Limits())
        #expect(config.latenessSeconds == 300)
        #expect(config.sensorTimeoutSeconds == 300)
    }

    @Test("--check-config names the line and key of each problem and the files that cannot be read")
    func problems() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("correlator.yaml").path
        try """
        listen: 127.0.0.1:99999
        tls:
          certificate: \(dir.path)/missing.crt
          key: \(dir.path)/missing.key
          client_ca: \(dir.path)/ca.crt
        store: \(dir.path)/vigil.db
        lateness: 300
        sensor_timeout: 5
        limts: {lines: 10}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let (config, diagnostics) = CorrelatorCommand.load(path)
        #expect(config == nil)
        let text = diagnostics.map(\.description).joined(separator: "\n")
        #expect(text.contains("correlator.yaml:1") && text.contains("'127.0.0.1:99999' is not host:port"), "\(text)")
        #expect(text.contains("correlator.yaml:8") && text.contains("30"), "a sensor timeout under 30 s: \(text)")
        #expect(text.contains("correlator.yaml:9") && text.contains("did you mean 'limits'"), "\(text)")
        // Fixed, the file problems show.
        try """
        listen: 127.0.0.1:8443
        tls:
          certificate: \(dir.path)/missing.crt
          key: \(dir.path)/missing.key
          client_ca: \(dir.path)/ca.crt
        store: \(dir.path)/vigil.db
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let (_, files) = CorrelatorCommand.load(path)
        #expect(files.map(\.key) == ["tls.certificate", "tls.key", "tls.client_ca"], "\(files)")
        #expect(files.first?.hint?.contains("make-pki.sh") == true)
    }
}

import Foundation
import Testing
import VigilCore

@testable import VigilSensor

@Suite("Sensor profiles")
struct SensorProfileTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every profile shipped in sensors/ is valid and builds its log sources")
    func shippedProfiles() throws {
        let dir = Self.repo.appendingPathComponent("sensors")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 5)
        for file in files {
            let (profile, diagnostics) = SensorProfile.load(path: dir.appendingPathComponent(file).path)
            #expect(diagnostics.isEmpty, "\(file): \(diagnostics)")
            let p = try #require(profile)
            #expect(try p.logSources().count == p.logs.count)
            #expect(p.department != nil && p.classification != nil, "\(file) labels its assets")
        }
    }

    @Test("a valid profile gives labels as event fields and its capture settings")
    func valid() throws {
        let (profile, diagnostics) = SensorProfile.parse(
            """
            kind: database-node
            observer_id: db-01
            labels:
              department: 人口信息管理处
              data_classification: core
              zone: dmz
            capture:
              interface: eth1
              bpf: tcp port 5432
              snaplen: 2048
              buffer_mib: 64
              immediate: true
            logs:
              - format: postgres
                path: /var/log/postgresql/main.log
                prefix: "%m [%p] "
                utc_offset: "+08:00"
              - format: sshd
                path: /var/log/auth.log
                start_at: end
            """, file: "db.yaml")
        #expect(diagnostics.isEmpty)
        let p = try #require(profile)
        #expect(p.observerID == "db-01")
        #expect(
            p.capture
                == SensorProfile.Capture(
                    interface: "eth1", bpf: "tcp port 5432", snaplen: 2048, bufferMiB: 64, immediate: true))
        #expect(p.logs.map(\.format.name) == ["postgres", "sshd"])
        #expect(p.logs[0].format.utcOffsetSeconds == 8 * 3600)
        #expect(p.logs[1].startAtEnd)
        #expect(
            p.labelFields == [
                Event.Field(id: Fields.labelsDepartment, value: .string("人口信息管理处")),
                Event.Field(id: Fields.dataClassification, value: .string("core")),
                Event.Field(id: FieldID("labels.zone"), value: .string("dmz")),
            ])
    }

    @Test("every problem is reported with its line and key, with a hint for typos")
    func diagnostics() {
        let (profile, diagnostics) = SensorProfile.parse(
            """
            kind: web-node
            labels:
              data_classification: secret
            capture:
              interfase: eth0
            logs:
              - format: ngnix
                path: /var/log/nginx/access.log
              - format: nginx
                path: relative.log
                log_format: '$remote_addr $bogus_var'
              - path: /x
            """, file: "bad.yaml")
        #expect(profile == nil)
        let text = diagnostics.map(\.description)
        #expect(text.contains { $0.hasPrefix("bad.yaml:3: labels.data_classification: 'secret'") })
        #expect(text.contains("bad.yaml:5: capture.interfase: unknown key (did you mean 'interface'?)"))
        #expect(
            text.contains {
                $0.hasPrefix("bad.yaml:7: logs[0].format: 'ngnix' is not one of") && $0.contains("nginx'?")
            })
        #expect(text.contains { $0.hasPrefix("bad.yaml:10: logs[1].path: log paths are absolute") })
        #expect(text.contains { $0.contains("logs[1].format") && $0.contains("$bogus_var") })
        #expect(text.contains { $0.hasPrefix("bad.yaml:12: logs[2]: missing key 'format'") })
    }

    @Test("text that is not YAML is reported with its line, not a crash")
    func notYAML() {
        let (profile, diagnostics) = SensorProfile.parse("kind: web\nlogs: [unclosed\n", file: "x.yaml")
        #expect(profile == nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.description.hasPrefix("x.yaml:") == true)
        #expect(diagnostics.first?.problem.contains("not valid YAML") == true)
    }

    @Test("a profile that neither captures nor tails is refused")
    func empty() {
        let (profile, diagnostics) = SensorProfile.parse("kind: idle\n", file: "idle.yaml")
        #expect(profile == nil)
        #expect(diagnostics.map(\.problem) == ["the profile neither captures nor tails anything"])
    }
}

import Foundation
import Testing
import VigilCore

@Suite("deploy/: systemd units, the PKI script, the installer")
struct DeployTests {
    /// The executables the units and the installer name, built beside the tests.
    static let binaryDirectory = correlatorBinary.deletingLastPathComponent()

    @Test(
        "systemd-analyze verify accepts the unit with no warning (unknown keys, bad values, missing binary)",
        arguments: ["vigil-correlator", "vigil-sensor"])
    func unitVerifies(_ name: String) throws {
        let unit = try unitText(name)
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec="), "the service tells systemd it is ready")
        let dir = try temporaryDirectory("vigil-unit")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The installed path, pointed at the binary built beside the tests.
        let path = dir.appendingPathComponent("\(name).service")
        let binary = Self.binaryDirectory.appendingPathComponent(name)
        try unit.replacingOccurrences(of: "/usr/local/bin/\(name)", with: binary.path)
            .write(to: path, atomically: true, encoding: .utf8)
        let (status, text) = try run("/usr/bin/systemd-analyze", ["verify", path.path])
        #expect(status == 0 && text.isEmpty, "\(text)")
    }

    @Test("the sensor unit grants CAP_NET_RAW alone: no CAP_NET_ADMIN, no CAP_SYS_ADMIN")
    func sensorCapabilities() throws {
        let sensor = try settings(unitText("vigil-sensor"))
        #expect(sensor["CapabilityBoundingSet"] == ["CAP_NET_RAW"])
        #expect(sensor["AmbientCapabilities"] == ["CAP_NET_RAW"])
        let values = sensor.values.flatMap { $0 }
        #expect(!values.contains { $0.contains("CAP_NET_ADMIN") || $0.contains("CAP_SYS_ADMIN") })
        #expect(sensor["User"] == ["vigil"] && sensor["SupplementaryGroups"] == ["adm"])
    }

    @Test("the sensor unit keeps every hardening setting of the correlator's; address families only widen")
    func sensorHardening() throws {
        let correlator = try settings(unitText("vigil-correlator"))
        let sensor = try settings(unitText("vigil-sensor"))
        let capabilities: Set = ["CapabilityBoundingSet", "AmbientCapabilities"]
        let prefixes = [
            "Protect", "Private", "Restrict", "SystemCall", "NoNewPrivileges", "LockPersonality",
            "MemoryDenyWriteExecute", "UMask",
        ]
        let hardening = correlator.keys.filter { key in
            !capabilities.contains(key) && prefixes.contains { key.hasPrefix($0) }
        }
        #expect(hardening.count >= 15)
        for key in hardening where key != "RestrictAddressFamilies" {
            #expect(sensor[key] == correlator[key], "\(key)")
        }
        let families = { (unit: [String: [String]]) in
            Set((unit["RestrictAddressFamilies"] ?? []).flatMap { $0.split(separator: " ").map(String.init) })
        }
        #expect(families(correlator).isSubset(of: families(sensor)))
        #expect(families(sensor) == ["AF_INET", "AF_INET6", "AF_UNIX", "AF_PACKET", "AF_NETLINK"])
    }

    @Test("make-pki.sh --revoke puts the sensor's fingerprint on deny.txt once, and no other's")
    func revoke() throws {
        let dir = try temporaryDirectory("vigil-pki")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = repoRoot.appendingPathComponent("deploy/pki/make-pki.sh").path
        let pki = dir.appendingPathComponent("pki")
        #expect(try run("/bin/bash", [script, pki.path, "--sensor", "a", "--sensor", "b"]).status == 0)
        for _ in 0..<2 {
            let (status, text) = try run("/bin/bash", [script, pki.path, "--revoke", "a"])
            #expect(status == 0 && text.contains("reload it"), "tells the operator to reload the correlator: \(text)")
        }
        func fingerprint(_ id: String) throws -> String {
            let crt = pki.appendingPathComponent("sensors/\(id).crt").path
            return try sh("/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", crt]).out
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let a = try fingerprint("a")
        let b = try fingerprint("b")
        let deny = try String(contentsOf: pki.appendingPathComponent("deny.txt"), encoding: .utf8)
        let entries = deny.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        #expect(entries == [a])
        let bHex = String(b.split(separator: "=").last ?? "")
        #expect(!bHex.isEmpty && !deny.contains(bHex))
        #expect(deny.split(separator: "\n").filter { $0.hasPrefix("# a revoked ") }.count == 1)
        // The correlator reads it as a's certificate.
        let hex = String(a.split(separator: "=").last ?? "").replacingOccurrences(of: ":", with: "").lowercased()
        #expect(DenyList(text: deny).fingerprints == [hex])
        // A mistyped id or folder makes nothing.
        let other = dir.appendingPathComponent("other")
        #expect(try run("/bin/bash", [script, other.path, "--revoke", "a"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: other.path))
    }

    @Test("install.sh --root installs the tree; a second run changes nothing; --uninstall keeps etc/vigil")
    func installStaging() throws {
        let dir = try temporaryDirectory("vigil-install")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("root")
        let script = repoRoot.appendingPathComponent("deploy/install.sh").path
        let install = [
            script, "--no-build", "--from", Self.binaryDirectory.path, "--root", root.path,
            "--sensor-id", "test-node", "--profile", "database-node",
        ]
        let first = try run("/bin/bash", install)
        #expect(first.status == 0, "\(first.output)")
        let files = FileManager.default
        func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
        func mode(_ relative: String) throws -> Int? {
            try files.attributesOfItem(atPath: path(relative))[.posixPermissions] as? Int
        }
        func text(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }

        for binary in ["vigil", "vigil-correlator", "vigil-sensor"] {
            let installed = try files.attributesOfItem(atPath: path("usr/local/bin/\(binary)"))
            let built = try files.attributesOfItem(atPath: Self.binaryDirectory.appendingPathComponent(binary).path)
            #expect(installed[.size] as? Int == built[.size] as? Int, "\(binary)")
            #expect(files.isExecutableFile(atPath: path("usr/local/bin/\(binary)")), "\(binary)")
        }
        for unit in ["vigil-correlator.service", "vigil-sensor.service"] {
            #expect(try text("etc/systemd/system/\(unit)") == unitText(String(unit.dropLast(".service".count))))
        }
        #expect(
            try text("usr/share/vigil/rules/overrides.yaml")
                == String(contentsOf: repoRoot.appendingPathComponent("rules/overrides.yaml"), encoding: .utf8))
        #expect(files.fileExists(atPath: path("usr/share/vigil/sensors/web-node.yaml")))
        for page in ["man1/vigil.1", "man8/vigil-correlator.8", "man8/vigil-sensor.8"] {
            let shipped = repoRoot.appendingPathComponent("deploy/man/" + page.split(separator: "/")[1])
            #expect(try text("usr/local/share/man/\(page)") == String(contentsOf: shipped, encoding: .utf8), "\(page)")
        }
        #expect(files.fileExists(atPath: path("etc/vigil/sensors/database-node.yaml")))

        let sensor = try text("etc/vigil/sensor.yaml")
        for line in [
            "profile: /etc/vigil/sensors/database-node.yaml", "  url: https://127.0.0.1:8443",
            "  certificate: /etc/vigil/pki/sensors/test-node.crt", "  key: /etc/vigil/pki/sensors/test-node.key",
            "  key_file: /etc/vigil/secrets/dlp.key",
        ] {
            #expect(sensor.contains("\n\(line)"), "\(line)")
        }
        #expect(!sensor.contains("example.gov.cn") && !sensor.contains("web-01"))
        #expect(try text("etc/vigil/correlator.yaml").contains("\n  deny_list: /etc/vigil/pki/deny.txt "))

        for crt in ["ca.crt", "correlator.crt", "sensors/test-node.crt", "deny.txt"] {
            #expect(try mode("etc/vigil/pki/\(crt)") == 0o644, "\(crt)")
        }
        for key in ["ca.key", "correlator.key", "sensors/test-node.key"] {
            #expect(try mode("etc/vigil/pki/\(key)") == 0o600, "\(key)")
        }
        #expect(try mode("etc/vigil/secrets/dlp.key") == 0o600)
        #expect(try files.attributesOfItem(atPath: path("etc/vigil/secrets/dlp.key"))[.size] as? Int == 32)

        // Idempotent: the second run says so and touches no file.
        let before = try modificationTimes(root)
        let second = try run("/bin/bash", install)
        #expect(second.status == 0 && second.output.contains("install: nothing changed"), "\(second.output)")
        #expect(try modificationTimes(root) == before)

        let removed = try run("/bin/bash", [script, "--uninstall", "--root", root.path])
        #expect(removed.status == 0, "\(removed.output)")
        for gone in [
            "usr/local/bin/vigil-sensor", "etc/systemd/system/vigil-sensor.service", "usr/share/vigil",
            "usr/local/share/man/man1/vigil.1",
        ] {
            #expect(!files.fileExists(atPath: path(gone)), "\(gone)")
        }
        for kept in ["etc/vigil/sensor.yaml", "etc/vigil/correlator.yaml", "etc/vigil/pki/ca.key"] {
            #expect(files.fileExists(atPath: path(kept)), "\(kept)")
        }
    }

    // MARK: - Helpers

    private func unitText(_ name: String) throws -> String {
        try String(contentsOf: repoRoot.appendingPathComponent("deploy/systemd/\(name).service"), encoding: .utf8)
    }

    /// A unit's `Key=value` lines, comments left out; a key set twice keeps both values in order.
    private func settings(_ unit: String) -> [String: [String]] {
        var settings: [String: [String]] = [:]
        for line in unit.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<eq]), default: []].append(String(line[line.index(after: eq)...]))
        }
        return settings
    }

    private func temporaryDirectory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs a command; its exit status and standard output and error together.
    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// Every file and folder under `root` with its modification time.
    private func modificationTimes(_ root: URL) throws -> [String: Date] {
        var times: [String: Date] = [:]
        let files = FileManager.default
        guard let enumerator = files.enumerator(atPath: root.path) else { return times }
        for case let relative as String in enumerator {
            let attributes = try files.attributesOfItem(atPath: root.appendingPathComponent(relative).path)
            times[relative] = attributes[.modificationDate] as? Date
        }
        return times
    }
}

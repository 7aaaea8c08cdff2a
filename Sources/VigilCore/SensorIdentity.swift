import COpenSSL

/// Who a client certificate says the sensor is (DESIGN §8): the subject common name is the sensor
/// id; the SHA-256 of the certificate's DER is what the deny-list names.
public struct SensorIdentity: Sendable, Equatable {
    public var sensorID: String
    /// Lowercase hex SHA-256 of the DER certificate (as `openssl x509 -fingerprint -sha256` shows, without colons).
    public var fingerprint: String

    /// Sensor ids: what `deploy/pki/make-pki.sh` issues, and what `observer.id` carries.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func allowed(_ b: UInt8, first: Bool) -> Bool {
            (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || (!first && (b == 0x2e || b == 0x5f || b == 0x2d))
        }
        return bytes.enumerated().allSatisfy { allowed($0.element, first: $0.offset == 0) }
    }

    /// Reads the identity from a DER certificate; nil when it cannot be parsed or has no valid
    /// common name. The chain was verified against the platform CA in the TLS handshake.
    public init?(certificateDER der: [UInt8]) {
        guard
            let cert = der.withUnsafeBufferPointer({ buffer -> OpaquePointer? in
                var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509(nil, &pointer, buffer.count)
            })
        else { return nil }
        defer { X509_free(cert) }
        guard let name = X509_get_subject_name(cert) else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        let length = X509_NAME_get_text_by_NID(name, NID_commonName, &buffer, Int32(buffer.count))
        guard length > 0, length < 256 else { return nil }
        let id = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard Self.isValidID(id) else { return nil }
        sensorID = id
        fingerprint = Digest.sha256.hex(der)
    }
}

/// Revoked sensor certificates: SHA-256 fingerprints, one per line (hex, colons allowed, `#`
/// comments), as `openssl x509 -noout -fingerprint -sha256 -in sensor.crt` prints them.
public struct DenyList: Sendable {
    public private(set) var fingerprints: Set<String> = []

    public init(text: String = "") {
        for line in text.split(whereSeparator: \.isNewline) {
            var entry = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            // openssl prints "sha256 Fingerprint=AB:CD:…"
            if let eq = entry.firstIndex(of: "=") { entry = entry[entry.index(after: eq)...] }
            let hex = entry.filter { $0 != ":" && !$0.isWhitespace }.lowercased()
            if hex.count == 64, hex.allSatisfy(\.isHexDigit) { fingerprints.insert(hex) }
        }
    }

    public func contains(_ identity: SensorIdentity) -> Bool { fingerprints.contains(identity.fingerprint) }
}

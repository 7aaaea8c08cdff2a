import COpenSSL
import Foundation
import VigilCore

/// The first certificate of a PEM file, as the sensor checks its own before it connects: the
/// subject common name (its sensor id), the expiry and the fingerprint the correlator's deny-list
/// would name.
public struct CertificateFile: Sendable {
    public var commonName: String
    public var notAfter: Date
    public var fingerprint: String

    public static func load(path: String) throws(VigilError) -> CertificateFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw VigilError(.io, "\(path): cannot read the certificate")
        }
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex),
            let der = Data(
                base64Encoded: text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }.description)
        else {
            throw VigilError(.io, "\(path): not a PEM certificate")
        }
        let bytes = [UInt8](der)
        guard
            let cert = bytes.withUnsafeBufferPointer({ buffer -> OpaquePointer? in
                var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509(nil, &pointer, buffer.count)
            })
        else { throw VigilError(.io, "\(path): the certificate does not parse") }
        defer { X509_free(cert) }
        var buffer = [CChar](repeating: 0, count: 256)
        var length: Int32 = 0
        if let name = X509_get_subject_name(cert) {
            length = X509_NAME_get_text_by_NID(name, NID_commonName, &buffer, Int32(buffer.count))
        }
        let cn =
            length > 0 ? String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        var expiry = tm()
        guard let notAfter = X509_get0_notAfter(cert), ASN1_TIME_to_tm(notAfter, &expiry) == 1 else {
            throw VigilError(.io, "\(path): the certificate has no readable expiry")
        }
        return CertificateFile(
            commonName: cn, notAfter: Date(timeIntervalSince1970: Double(timegm(&expiry))),
            fingerprint: Digest.sha256.hex(bytes))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import SwiftASN1
import Synchronization
import VigilCore
import X509

/// A request's context: Hummingbird's, plus the connection, so handlers can read the client
/// certificate that identifies the sensor.
public struct CorrelatorContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The sensor the verified client certificate names, or nil.
    func sensor() async -> SensorIdentity? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes()
        else { return nil }
        return SensorIdentity(certificateDER: der)
    }
}

/// What the HTTP layer answers: a status and a JSON body.
public struct Reply: Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var json: [String: any Sendable]
    public var retryAfter: Int?

    public init(status: HTTPResponse.Status, json: [String: any Sendable], retryAfter: Int? = nil) {
        (self.status, self.json, self.retryAfter) = (status, json, retryAfter)
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Reply {
        Reply(status: status, json: ["error": code, "message": message])
    }

    public static func == (a: Reply, b: Reply) -> Bool { a.status == b.status && a.body == b.body }

    var body: String {
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
    }
}

/// The correlator's two HTTPS listeners: ingest for sensors (deploy/schema/ingest.md: mutual TLS
/// against the platform CA, `POST /v1/events`, `POST /v1/heartbeat`, `GET /healthz`) and the query
/// API for analysts (deploy/schema/query.md: API tokens).
public enum CorrelatorServer {
    /// The TLS configuration: the correlator's certificate, and client certificates required and
    /// verified against the platform CA (a connection without one fails in the handshake).
    public static func tlsConfiguration(_ config: CorrelatorConfig) throws(VigilError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(config.certificate).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: config.key, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(config.clientCA))
            tls.certificateVerification = .noHostnameVerification
            tls.minimumTLSVersion = .tlsv12
            return tls
        } catch {
            throw VigilError(
                .config, "TLS material (\(config.certificate), \(config.key), \(config.clientCA)): \(error)")
        }
    }

    public static func router(service: IngestService, denyList: RevocationList, limits: CorrelatorConfig.Limits)
        -> Router<CorrelatorContext>
    {
        let router = Router(context: CorrelatorContext.self)
        router.get("/healthz") { _, _ in Reply(status: .ok, json: ["status": "ok"]).response }
        router.post("/v1/events") { request, context in
            guard let sensor = await context.sensor() else {
                return Reply.error(.forbidden, "no_identity", "the client certificate names no sensor").response
            }
            if denyList.contains(sensor) {
                return Reply.error(.forbidden, "revoked", "the sensor's certificate is on the deny-list").response
            }
            let contentType = request.headers[.contentType]?.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard contentType == "application/x-ndjson" else {
                return Reply.error(
                    .unsupportedMediaType, "unsupported_media_type", "Content-Type must be application/x-ndjson"
                ).response
            }
            let encoding = request.headers[.contentEncoding]?.lowercased()
            guard encoding == nil || encoding == "gzip" || encoding == "identity" else {
                return Reply.error(
                    .unsupportedMediaType, "unsupported_media_type", "Content-Encoding must be gzip or absent"
                ).response
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: limits.bodyBytes)
            } catch {
                return Reply.error(
                    .contentTooLarge, "too_large", "the body is larger than \(limits.bodyBytes) bytes"
                ).response
            }
            let batch = IngestBatch(
                sensor: sensor.sensorID, body: Array(buffer: body), gzip: encoding == "gzip",
                batchID: request.headers[HTTPTypes.HTTPField.Name("Vigil-Batch-Id")!])
            return await service.ingest(batch).response
        }
        router.post("/v1/heartbeat") { request, context in
            guard let sensor = await context.sensor(), !denyList.contains(sensor) else {
                return Reply.error(.forbidden, "no_identity", "no valid sensor certificate").response
            }
            let body = (try? await request.body.collect(upTo: 64 << 10)).map { Array(buffer: $0) } ?? []
            return await service.heartbeat(sensor: sensor.sensorID, body: body).response
        }
        return router
    }

    /// The running application; `onRunning` gets the bound port (port 0 in tests picks a free one).
    public static func application(
        config: CorrelatorConfig, service: IngestService, logger: Logger, denyList: RevocationList? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let denyList = try denyList ?? RevocationList(path: config.denyList)
        let verify = try handshakeVerifier(caFile: config.clientCA, denyList: denyList)
        return Application(
            router: router(service: service, denyList: denyList, limits: config.limits),
            server: try .tls(
                .http1(),
                configuration: TLSChannelConfiguration(
                    tlsConfiguration: tlsConfiguration(config), customAsyncVerificationCallback: verify)),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-correlator"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The sensors' certificate check, in the TLS handshake: the chain must lead to the platform
    /// CA under RFC 5280 (validity, basic constraints, key usage), and the leaf's SHA-256
    /// fingerprint must not be on the deny-list — a revoked sensor cannot even complete a
    /// handshake (swift-nio-ssl reads no CRLs; DESIGN §8). The per-request check stays as a second
    /// line.
    static func handshakeVerifier(caFile: String, denyList: RevocationList) throws(VigilError)
        -> @Sendable ([NIOSSLCertificate]) async throws -> NIOSSLVerificationResult
    {
        let roots: CertificateStore
        do {
            let pem = try String(contentsOfFile: caFile, encoding: .utf8)
            let blocks = try PEMDocument.parseMultiple(pemString: pem)
            roots = CertificateStore(try blocks.map { try Certificate(pemDocument: $0) })
        } catch {
            throw VigilError(.config, "\(caFile): cannot read the client CA: \(error)")
        }
        return { certificates in
            guard let first = certificates.first else { return .failed }
            let der = try first.toDERBytes()
            guard let identity = SensorIdentity(certificateDER: der), !denyList.contains(identity) else {
                return .failed
            }
            let leaf = try Certificate(derEncoded: der)
            let intermediates = CertificateStore(
                try certificates.dropFirst().map { try Certificate(derEncoded: $0.toDERBytes()) })
            var verifier = Verifier(rootCertificates: roots) { RFC5280Policy() }  // expiry against the current time
            guard case .validCertificate = await verifier.validate(leaf: leaf, intermediates: intermediates) else {
                return .failed
            }
            return .certificateVerified
        }
    }

    /// The query API's application (analysts): the same server certificate, no client certificate
    /// asked for; requests authenticate with bearer API tokens (`QueryAPI`).
    public static func queryApplication(
        config: CorrelatorConfig, api: QueryAPI, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        var tls = try tlsConfiguration(config)
        tls.certificateVerification = .none
        return Application(
            router: api.router(),
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(
                address: .hostname(config.apiHost, port: config.apiPort), serverName: "vigil-correlator"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

/// The deny-list as the running correlator sees it: read at start and again on SIGHUP
/// (`systemctl reload`), so a sensor revoked with `make-pki.sh --revoke` is refused — in the
/// handshake and, on a connection already open, per request — without a restart.
public final class RevocationList: Sendable {
    public let path: String?
    private let current: Mutex<DenyList>

    public init(path: String?) throws(VigilError) {
        self.path = path
        current = Mutex(try Self.read(path))
    }

    static func read(_ path: String?) throws(VigilError) -> DenyList {
        guard let path else { return DenyList() }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw VigilError(.config, "\(path): cannot read the deny-list")
        }
        return DenyList(text: text)
    }

    public func contains(_ identity: SensorIdentity) -> Bool { current.withLock { $0.contains(identity) } }

    /// Reads the file again; what happened, as a sentence. A file that cannot be read keeps the
    /// list in force (an empty list would readmit every revoked sensor).
    public func reload() -> String {
        guard let path else { return "no deny-list configured" }
        do {
            let list = try Self.read(path)
            let count = list.fingerprints.count
            current.withLock { $0 = list }
            return "deny-list \(path) read again: \(count) revoked certificates"
        } catch {
            return "deny-list reload refused: \(error.message) (the previous list stays)"
        }
    }
}

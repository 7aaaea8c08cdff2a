/// ECS field names Vigil's decoders fill. One place names every field so a typo is a compile error,
/// and `deploy/schema/` documents each dataset's fields. Each is a fixed number, its name at that
/// place in `builtinNames` (a test checks every field's name).
public enum Fields {
    // assets: labels from the sensor profile (DESIGN §4)
    @inlinable public static var labelsDepartment: FieldID { FieldID(builtin: 0) }  // labels.department
    /// core / important / general (核心 / 重要 / 一般数据).
    @inlinable public static var dataClassification: FieldID { FieldID(builtin: 1) }  // data.classification

    // log sources: where a log event was read (ECS log.file.path, log.offset)
    @inlinable public static var logFilePath: FieldID { FieldID(builtin: 2) }  // log.file.path
    @inlinable public static var logOffset: FieldID { FieldID(builtin: 3) }  // log.offset

    // event
    @inlinable public static var eventKind: FieldID { FieldID(builtin: 4) }  // event.kind
    @inlinable public static var eventCategory: FieldID { FieldID(builtin: 5) }  // event.category
    @inlinable public static var eventType: FieldID { FieldID(builtin: 6) }  // event.type
    @inlinable public static var eventOutcome: FieldID { FieldID(builtin: 7) }  // event.outcome
    @inlinable public static var eventStart: FieldID { FieldID(builtin: 8) }  // event.start
    @inlinable public static var eventEnd: FieldID { FieldID(builtin: 9) }  // event.end
    @inlinable public static var eventDuration: FieldID { FieldID(builtin: 10) }  // event.duration
    @inlinable public static var eventReason: FieldID { FieldID(builtin: 11) }  // event.reason
    // network
    @inlinable public static var sourceIP: FieldID { FieldID(builtin: 12) }  // source.ip
    @inlinable public static var sourcePort: FieldID { FieldID(builtin: 13) }  // source.port
    @inlinable public static var sourcePackets: FieldID { FieldID(builtin: 14) }  // source.packets
    @inlinable public static var sourceBytes: FieldID { FieldID(builtin: 15) }  // source.bytes
    @inlinable public static var destinationIP: FieldID { FieldID(builtin: 16) }  // destination.ip
    @inlinable public static var destinationPort: FieldID { FieldID(builtin: 17) }  // destination.port
    @inlinable public static var destinationPackets: FieldID { FieldID(builtin: 18) }  // destination.packets
    @inlinable public static var destinationBytes: FieldID { FieldID(builtin: 19) }  // destination.bytes
    @inlinable public static var networkTransport: FieldID { FieldID(builtin: 20) }  // network.transport
    @inlinable public static var networkType: FieldID { FieldID(builtin: 21) }  // network.type
    @inlinable public static var networkProtocol: FieldID { FieldID(builtin: 22) }  // network.protocol
    @inlinable public static var networkPackets: FieldID { FieldID(builtin: 23) }  // network.packets
    @inlinable public static var networkBytes: FieldID { FieldID(builtin: 24) }  // network.bytes
    @inlinable public static var networkCommunityID: FieldID { FieldID(builtin: 25) }  // network.community_id
    @inlinable public static var networkVLANID: FieldID { FieldID(builtin: 26) }  // network.vlan.id
    @inlinable public static var connUID: FieldID { FieldID(builtin: 27) }  // vigil.conn.uid
    @inlinable public static var connState: FieldID { FieldID(builtin: 28) }  // vigil.conn.state
    @inlinable public static var connHistory: FieldID { FieldID(builtin: 29) }  // vigil.conn.history
    @inlinable public static var connMissedBytes: FieldID { FieldID(builtin: 30) }  // vigil.conn.missed_bytes
    @inlinable public static var icmpType: FieldID { FieldID(builtin: 31) }  // vigil.icmp.type
    @inlinable public static var icmpCode: FieldID { FieldID(builtin: 32) }  // vigil.icmp.code
    // dns
    @inlinable public static var dnsID: FieldID { FieldID(builtin: 33) }  // dns.id
    @inlinable public static var dnsType: FieldID { FieldID(builtin: 34) }  // dns.type
    @inlinable public static var dnsOpCode: FieldID { FieldID(builtin: 35) }  // dns.op_code
    @inlinable public static var dnsQuestionName: FieldID { FieldID(builtin: 36) }  // dns.question.name
    @inlinable public static var dnsQuestionType: FieldID { FieldID(builtin: 37) }  // dns.question.type
    @inlinable public static var dnsQuestionClass: FieldID { FieldID(builtin: 38) }  // dns.question.class
    @inlinable public static var dnsResponseCode: FieldID { FieldID(builtin: 39) }  // dns.response_code
    @inlinable public static var dnsHeaderFlags: FieldID { FieldID(builtin: 40) }  // dns.header_flags
    @inlinable public static var dnsAnswers: FieldID { FieldID(builtin: 41) }  // dns.answers
    @inlinable public static var dnsResolvedIP: FieldID { FieldID(builtin: 42) }  // dns.resolved_ip
    // http
    @inlinable public static var httpRequestMethod: FieldID { FieldID(builtin: 43) }  // http.request.method
    @inlinable public static var httpRequestReferrer: FieldID { FieldID(builtin: 44) }  // http.request.referrer
    @inlinable public static var httpRequestMimeType: FieldID { FieldID(builtin: 45) }  // http.request.mime_type
    @inlinable public static var httpRequestBodyBytes: FieldID { FieldID(builtin: 46) }  // http.request.body.bytes
    @inlinable public static var httpRequestBodyContent: FieldID { FieldID(builtin: 47) }  // http.request.body.content
    @inlinable public static var httpResponseStatusCode: FieldID { FieldID(builtin: 48) }  // http.response.status_code
    @inlinable public static var httpResponseMimeType: FieldID { FieldID(builtin: 49) }  // http.response.mime_type
    @inlinable public static var httpResponseBodyBytes: FieldID { FieldID(builtin: 50) }  // http.response.body.bytes
    // http.response.body.content
    @inlinable public static var httpResponseBodyContent: FieldID { FieldID(builtin: 51) }
    @inlinable public static var httpVersion: FieldID { FieldID(builtin: 52) }  // http.version
    // vigil.http.response.content_encoding
    @inlinable public static var httpContentEncoding: FieldID { FieldID(builtin: 53) }
    @inlinable public static var httpBodyTruncated: FieldID { FieldID(builtin: 54) }  // vigil.http.body_truncated
    @inlinable public static var urlOriginal: FieldID { FieldID(builtin: 55) }  // url.original
    @inlinable public static var urlDomain: FieldID { FieldID(builtin: 56) }  // url.domain
    @inlinable public static var urlPath: FieldID { FieldID(builtin: 57) }  // url.path
    @inlinable public static var urlQuery: FieldID { FieldID(builtin: 58) }  // url.query
    @inlinable public static var userAgentOriginal: FieldID { FieldID(builtin: 59) }  // user_agent.original
    // tls
    @inlinable public static var tlsVersion: FieldID { FieldID(builtin: 60) }  // tls.version
    @inlinable public static var tlsVersionProtocol: FieldID { FieldID(builtin: 61) }  // tls.version_protocol
    @inlinable public static var tlsCipher: FieldID { FieldID(builtin: 62) }  // tls.cipher
    @inlinable public static var tlsNextProtocol: FieldID { FieldID(builtin: 63) }  // tls.next_protocol
    @inlinable public static var tlsClientServerName: FieldID { FieldID(builtin: 64) }  // tls.client.server_name
    @inlinable public static var tlsClientJA3: FieldID { FieldID(builtin: 65) }  // tls.client.ja3
    // tls.client.supported_ciphers
    @inlinable public static var tlsClientSupportedCiphers: FieldID { FieldID(builtin: 66) }
    @inlinable public static var tlsClientALPN: FieldID { FieldID(builtin: 67) }  // vigil.tls.client.alpn
    @inlinable public static var tlsServerJA3S: FieldID { FieldID(builtin: 68) }  // tls.server.ja3s
    // ssh
    @inlinable public static var sshVersion: FieldID { FieldID(builtin: 69) }  // vigil.ssh.version
    @inlinable public static var sshClientBanner: FieldID { FieldID(builtin: 70) }  // vigil.ssh.client.banner
    @inlinable public static var sshServerBanner: FieldID { FieldID(builtin: 71) }  // vigil.ssh.server.banner
    @inlinable public static var sshClientSoftware: FieldID { FieldID(builtin: 72) }  // vigil.ssh.client.software
    @inlinable public static var sshServerSoftware: FieldID { FieldID(builtin: 73) }  // vigil.ssh.server.software

    /// The names of the fields above, in the order of their numbers: the registry holds them first,
    /// so `FieldID("event.kind")` is `Fields.eventKind`. Numbers, not lazily interned statics: each
    /// use of a `static let` checked its one-time initialisation (40 times per event, 1.8 % of the
    /// thread that writes events).
    static let builtinNames: [String] = [
        "labels.department",
        "data.classification",
        "log.file.path",
        "log.offset",
        "event.kind",
        "event.category",
        "event.type",
        "event.outcome",
        "event.start",
        "event.end",
        "event.duration",
        "event.reason",
        "source.ip",
        "source.port",
        "source.packets",
        "source.bytes",
        "destination.ip",
        "destination.port",
        "destination.packets",
        "destination.bytes",
        "network.transport",
        "network.type",
        "network.protocol",
        "network.packets",
        "network.bytes",
        "network.community_id",
        "network.vlan.id",
        "vigil.conn.uid",
        "vigil.conn.state",
        "vigil.conn.history",
        "vigil.conn.missed_bytes",
        "vigil.icmp.type",
        "vigil.icmp.code",
        "dns.id",
        "dns.type",
        "dns.op_code",
        "dns.question.name",
        "dns.question.type",
        "dns.question.class",
        "dns.response_code",
        "dns.header_flags",
        "dns.answers",
        "dns.resolved_ip",
        "http.request.method",
        "http.request.referrer",
        "http.request.mime_type",
        "http.request.body.bytes",
        "http.request.body.content",
        "http.response.status_code",
        "http.response.mime_type",
        "http.response.body.bytes",
        "http.response.body.content",
        "http.version",
        "vigil.http.response.content_encoding",
        "vigil.http.body_truncated",
        "url.original",
        "url.domain",
        "url.path",
        "url.query",
        "user_agent.original",
        "tls.version",
        "tls.version_protocol",
        "tls.cipher",
        "tls.next_protocol",
        "tls.client.server_name",
        "tls.client.ja3",
        "tls.client.supported_ciphers",
        "vigil.tls.client.alpn",
        "tls.server.ja3s",
        "vigil.ssh.version",
        "vigil.ssh.client.banner",
        "vigil.ssh.server.banner",
        "vigil.ssh.client.software",
        "vigil.ssh.server.software",
    ]
}

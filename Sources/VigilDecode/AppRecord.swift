import VigilCore

/// An application protocol identified on a connection.
public enum AppProtocol: String, Sendable, Equatable {
    case http, tls, ssh, dns
}

/// One HTTP request/response pair (either side may be missing: request lost, or no answer).
public struct HTTPTransaction: Sendable, Equatable {
    public var request: HTTPMessage?
    public var response: HTTPMessage?
}

/// One DNS query and its response, matched by transaction id.
public struct DNSTransaction: Sendable, Equatable {
    public var query: DNSMessage?
    public var queryTime: Timestamp?
    public var response: DNSMessage?
    public var responseTime: Timestamp?
    /// The message the transaction's time comes from (the query, or a lone response).
    public var start: Timestamp { queryTime ?? responseTime ?? Timestamp(microseconds: 0) }
}

/// The TLS hellos of one connection, kept as checked messages and decoded when asked for.
public struct TLSHandshake: Sendable, Equatable {
    public var clientMessage: TLSHelloMessage?
    public var serverMessage: TLSHelloMessage?
    public var start: Timestamp

    public init(clientMessage: TLSHelloMessage? = nil, serverMessage: TLSHelloMessage? = nil, start: Timestamp) {
        self.clientMessage = clientMessage
        self.serverMessage = serverMessage
        self.start = start
    }

    /// The client's hello, decoded on every call.
    public var client: TLSHello? { clientMessage?.hello }
    /// The server's hello, decoded on every call.
    public var server: TLSHello? { serverMessage?.hello }
}

/// The SSH identification strings of one connection.
public struct SSHHandshake: Sendable, Equatable {
    public var client: SSHBanner?
    public var server: SSHBanner?
    public var start: Timestamp
}

/// What the application analyzers report for a connection, in the order they completed.
public enum AppRecord: Sendable, Equatable {
    case http(HTTPTransaction)
    case dns(DNSTransaction)
    case tls(TLSHandshake)
    case ssh(SSHHandshake)

    public var start: Timestamp {
        switch self {
        case .http(let t): t.request?.start ?? t.response?.start ?? Timestamp(microseconds: 0)
        case .dns(let t): t.start
        case .tls(let t): t.start
        case .ssh(let t): t.start
        }
    }
}

/// Records and issues produced by one call into an analyzer; reused across calls to avoid allocation.
public struct AppOutput: Sendable {
    public var records: [AppRecord] = []
    public var issues: [DecodeIssue] = []
    public init() {}

    public mutating func removeAll() {
        if !records.isEmpty { records.removeAll(keepingCapacity: true) }
        if !issues.isEmpty { issues.removeAll(keepingCapacity: true) }
    }
}

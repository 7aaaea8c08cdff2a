extension WebAccessDecoder {
    /// An nginx variable the decoder understands; `ignored` ones are matched and skipped.
    enum Variable: Sendable, Equatable {
        case remoteAddr, remotePort, remoteUser
        case timeLocal, timeISO8601, msec
        case request, requestMethod, requestURI, uri, args, serverProtocol, scheme, host
        case status, bodyBytesSent, bytesSent, requestLength
        case httpReferer, httpUserAgent, httpXForwardedFor, requestID
        case requestTime, upstreamResponseTime, upstreamAddr
        case ignored

        /// Variables nginx documents and Vigil has no field for: matched and skipped.
        private static let ignoredNames: Set<String> = [
            "connection", "connection_requests", "pipe", "gzip_ratio", "server_addr", "server_port",
            "ssl_protocol", "ssl_cipher", "ssl_session_reused", "ssl_server_name", "hostname", "pid",
            "request_completion", "content_type", "content_length", "document_root", "realpath_root",
            "remote_addr_anon", "binary_remote_addr", "proxy_protocol_addr", "proxy_protocol_port",
            "realip_remote_addr", "realip_remote_port", "geoip_country_code", "server_name_indication",
            "time_local_msec", "limit_req_status", "limit_conn_status", "http2", "http3", "request_body",
        ]

        /// The variable named `name` (without `$`), or nil when unsupported. Header, cookie, argument
        /// and upstream families (`http_*`, `sent_http_*`, `cookie_*`, `arg_*`, `upstream_*`) are
        /// accepted and skipped unless Vigil maps them.
        init?(name: String) {
            switch name {
            case "remote_addr": self = .remoteAddr
            case "remote_port": self = .remotePort
            case "remote_user": self = .remoteUser
            case "time_local": self = .timeLocal
            case "time_iso8601": self = .timeISO8601
            case "msec": self = .msec
            case "request": self = .request
            case "request_method": self = .requestMethod
            case "request_uri": self = .requestURI
            case "uri", "document_uri": self = .uri
            case "args", "query_string": self = .args
            case "server_protocol": self = .serverProtocol
            case "scheme": self = .scheme
            case "host", "http_host", "server_name": self = .host
            case "status": self = .status
            case "body_bytes_sent": self = .bodyBytesSent
            case "bytes_sent": self = .bytesSent
            case "request_length": self = .requestLength
            case "http_referer": self = .httpReferer
            case "http_user_agent": self = .httpUserAgent
            case "http_x_forwarded_for", "proxy_add_x_forwarded_for": self = .httpXForwardedFor
            case "request_id": self = .requestID
            case "request_time": self = .requestTime
            case "upstream_response_time": self = .upstreamResponseTime
            case "upstream_addr": self = .upstreamAddr
            default:
                let families = ["http_", "sent_http_", "sent_trailer_", "cookie_", "arg_", "upstream_"]
                guard Self.ignoredNames.contains(name) || families.contains(where: { name.hasPrefix($0) })
                else { return nil }
                self = .ignored
            }
        }
    }

    /// One variable and the literal that follows it (empty only for a variable ending the format),
    /// the literal as a range of `Matcher.literals` so matching copies no array.
    struct Item: Sendable {
        var variable: Variable
        /// The variable sits between double quotes, so `\"` inside it does not end it.
        var quoted: Bool
        var literalStart: Int
        var literalCount: Int
    }

    /// A compiled `log_format`: the literal the line starts with, then variable/literal pairs.
    struct Matcher: Sendable {
        var prefix: [UInt8]
        var items: [Item]
        /// Every item's literal, back to back.
        var literals: [UInt8]

        /// Compiles an nginx `log_format` string (`$name` or `${name}`; a `$` not followed by a name is
        /// literal).
        init(format: String) throws(LogFormatError) {
            let what = "nginx log_format"
            let bytes = Array(format.utf8)
            guard !bytes.isEmpty else { throw .empty(what) }
            func isNameByte(_ b: UInt8) -> Bool {
                (b | 0x20) &- 0x61 < 26 || b &- 0x30 < 10 || b == UInt8(ascii: "_")
            }
            var prefix: [UInt8] = []
            var items: [(variable: Variable, quoted: Bool, literal: [UInt8])] = []
            var pendingName: String?
            var i = 0
            while i < bytes.count {
                var nameStart = -1
                var nameEnd = -1
                var next = i + 1
                if bytes[i] == UInt8(ascii: "$"), i + 1 < bytes.count {
                    if bytes[i + 1] == UInt8(ascii: "{"),
                        let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")),
                        close > i + 2
                    {
                        (nameStart, nameEnd, next) = (i + 2, close, close + 1)
                    } else if isNameByte(bytes[i + 1]) {
                        var j = i + 1
                        while j < bytes.count, isNameByte(bytes[j]) { j += 1 }
                        (nameStart, nameEnd, next) = (i + 1, j, j)
                    }
                }
                if nameStart >= 0 {
                    let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
                    guard let variable = Variable(name: name) else { throw .unknownVariable("$" + name, in: what) }
                    if let last = items.last, last.literal.isEmpty {
                        throw .adjacentVariables("$" + (pendingName ?? "?"), "$" + name, in: what)
                    }
                    let before = items.last?.literal ?? prefix
                    items.append((variable, before.last == UInt8(ascii: "\""), []))
                    pendingName = name
                } else if items.isEmpty {
                    prefix.append(bytes[i])
                } else {
                    items[items.count - 1].literal.append(bytes[i])
                }
                i = next
            }
            self.prefix = prefix
            self.items = []
            self.literals = []
            for item in items {
                self.items.append(
                    Item(
                        variable: item.variable, quoted: item.quoted, literalStart: literals.count,
                        literalCount: item.literal.count))
                literals += item.literal
            }
        }
    }
}

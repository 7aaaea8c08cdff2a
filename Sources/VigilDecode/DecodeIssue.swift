import VigilCore

/// Why a packet (or part of one) could not be decoded. The name is a stable metric label used in
/// the `vigil analyze` summary and in sensor heartbeats.
public enum DecodeIssue: Int, Error, CaseIterable, Sendable, CustomStringConvertible {
    case linkTruncated
    case linkUnsupported
    case vlanTruncated
    case nullUnknownFamily
    case ipv4Truncated
    case ipv4BadVersion
    case ipv4BadHeaderLength
    case ipv4BadTotalLength
    case ipv6Truncated
    case ipv6BadVersion
    case ipv6ExtensionTruncated
    case ipv6TooManyExtensions
    case tcpTruncated
    case tcpBadDataOffset
    case udpTruncated
    case udpBadLength
    case icmpTruncated
    case dnsMalformed
    case httpMalformed
    case tlsMalformed
    case sshMalformed

    public var description: String {
        switch self {
        case .linkTruncated: "link.truncated"
        case .linkUnsupported: "link.unsupported"
        case .vlanTruncated: "vlan.truncated"
        case .nullUnknownFamily: "null.unknown_family"
        case .ipv4Truncated: "ipv4.truncated"
        case .ipv4BadVersion: "ipv4.bad_version"
        case .ipv4BadHeaderLength: "ipv4.bad_header_length"
        case .ipv4BadTotalLength: "ipv4.bad_total_length"
        case .ipv6Truncated: "ipv6.truncated"
        case .ipv6BadVersion: "ipv6.bad_version"
        case .ipv6ExtensionTruncated: "ipv6.extension_truncated"
        case .ipv6TooManyExtensions: "ipv6.too_many_extensions"
        case .tcpTruncated: "tcp.truncated"
        case .tcpBadDataOffset: "tcp.bad_data_offset"
        case .udpTruncated: "udp.truncated"
        case .udpBadLength: "udp.bad_length"
        case .icmpTruncated: "icmp.truncated"
        case .dnsMalformed: "dns.malformed"
        case .httpMalformed: "http.malformed"
        case .tlsMalformed: "tls.malformed"
        case .sshMalformed: "ssh.malformed"
        }
    }
}

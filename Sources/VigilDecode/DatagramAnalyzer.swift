import VigilCore

/// Application analysis for a UDP flow: DNS, recognised by content (so DNS on 5353 or any port works).
public struct DatagramAnalyzer: Sendable {
    public private(set) var appProtocol: AppProtocol?
    /// False once the flow is known not to carry a protocol Vigil parses.
    public private(set) var wantsData = true
    var matcher = DNSTransactionMatcher()

    public init() {}

    public mutating func datagram(_ p: UnsafeRawBufferPointer, at time: Timestamp, into out: inout AppOutput) {
        guard wantsData else { return }
        if appProtocol == nil {
            guard let message = DNSTransactionMatcher.looksLikeDNS(p) else {
                wantsData = false
                return
            }
            appProtocol = .dns
            matcher.message(message, at: time, into: &out)
            return
        }
        do {
            matcher.message(try DNSMessage.parse(p), at: time, into: &out)
        } catch {
            out.issues.append(error)
        }
    }

    public mutating func finish(into out: inout AppOutput) {
        matcher.finish(into: &out)
    }
}

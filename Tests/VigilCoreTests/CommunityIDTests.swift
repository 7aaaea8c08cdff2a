import Testing
import VigilCore

@Suite("Community ID v1")
struct CommunityIDTests {
    // Baselines from the Community ID specification's reference data.
    @Test("TCP matches the specification's baseline in both directions")
    func tcp() {
        let a = IPAddress("128.232.110.120")!, b = IPAddress("66.35.250.204")!
        let forward = CommunityID.v1(source: a, destination: b, proto: 6, sourcePort: 34855, destinationPort: 80)
        let reverse = CommunityID.v1(source: b, destination: a, proto: 6, sourcePort: 80, destinationPort: 34855)
        #expect(forward == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        #expect(forward == reverse)
    }

    @Test("ICMP echo request and reply hash alike")
    func icmp() {
        let a = IPAddress("192.168.0.89")!, b = IPAddress("192.168.0.1")!
        let request = CommunityID.v1(source: a, destination: b, proto: 1, sourcePort: 8, destinationPort: 0)
        let reply = CommunityID.v1(source: b, destination: a, proto: 1, sourcePort: 0, destinationPort: 0)
        #expect(request == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        #expect(request == reply)
    }

    @Test("UDP over IPv6 is stable under direction")
    func udp6() {
        let a = IPAddress("fe80::1")!, b = IPAddress("ff02::fb")!
        #expect(
            CommunityID.v1(source: a, destination: b, proto: 17, sourcePort: 5353, destinationPort: 5353)
                == CommunityID.v1(source: b, destination: a, proto: 17, sourcePort: 5353, destinationPort: 5353))
    }
}

#!/usr/bin/env python3
"""Regenerates the seed corpus under Fuzz/Corpus/<Target>/ (standard library only).

Two kinds of seeds, both small (every seed <= 4096 bytes, libFuzzer's default -max_len):
  hand-*   tiny hand-made inputs for each harness's input format (see the harness sources);
  pcap-*   frames, datagrams, TCP streams and record areas cut from Tests/Fixtures/pcap/*.pcap.

Run from anywhere: python3 Fuzz/make-corpus.py   (it replaces the folders of the targets it generates).
"""
import gzip, hashlib, os, shutil, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, "..", "Tests", "Fixtures", "pcap")
OUT = os.path.join(HERE, "Corpus")
MAX = 4096

# Index of each LinkType in FuzzPacket's `linkTypes` table.
LT_NULL, LT_LOOP, LT_ETH, LT_RAW, LT_IPV4, LT_IPV6, LT_SLL, LT_SLL2 = range(8)
DLT_TO_SELECTOR = {0: LT_NULL, 108: LT_LOOP, 1: LT_ETH, 101: LT_RAW, 12: LT_RAW, 113: LT_SLL, 276: LT_SLL2}

seeds = {}


def add(target, name, data):
    data = bytes(data)[:MAX]
    d = seeds.setdefault(target, {})
    if data in d.values():
        return
    d[name] = data


# ---------------------------------------------------------------- pcap reading

def read_pcap(path):
    d = open(path, "rb").read()
    if len(d) < 24 or d[:4] != b"\xd4\xc3\xb2\xa1":
        return None, []
    linktype = struct.unpack("<I", d[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(d):
        _, _, incl, _ = struct.unpack("<IIII", d[off:off + 16])
        if off + 16 + incl > len(d):
            break
        frames.append(d[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, frames


def link_strip(linktype, f):
    """Returns (ip_bytes) or None."""
    if linktype == 1:
        off, et = 12, None
        while off + 2 <= len(f):
            et = struct.unpack(">H", f[off:off + 2])[0]
            if et in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            break
        return f[off + 2:] if et in (0x0800, 0x86DD) else None
    if linktype == 276:
        return f[20:]
    if linktype == 113:
        return f[16:]
    if linktype in (0, 108):
        return f[4:]
    if linktype in (12, 101):
        return f
    return None


def transport(ip):
    """(proto, src, dst, sport, dport, seq, payload) or None."""
    if len(ip) < 20:
        return None
    v = ip[0] >> 4
    if v == 4:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0] or len(ip)
        proto, src, dst, body = ip[9], ip[12:16], ip[16:20], ip[ihl:total]
    elif v == 6 and len(ip) >= 40:
        plen = struct.unpack(">H", ip[4:6])[0] or len(ip) - 40
        proto, src, dst, body = ip[6], ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if proto == 6 and len(body) >= 20:
        sport, dport, seq = struct.unpack(">HHI", body[:8])
        return proto, src, dst, sport, dport, seq, body[(body[12] >> 4) * 4:]
    if proto == 17 and len(body) >= 8:
        sport, dport = struct.unpack(">HH", body[:4])
        return proto, src, dst, sport, dport, 0, body[8:]
    return None


def tcp_connections(frames, linktype):
    """{conn_key: [(from_originator, payload), ...]} in capture order, retransmissions dropped."""
    conns, seen = {}, set()
    for f in frames:
        ip = link_strip(linktype, f)
        t = ip and transport(ip)
        if not t or t[0] != 6 or not t[6]:
            continue
        _, src, dst, sp, dp, seq, payload = t
        a, b = (src, sp), (dst, dp)
        key = (a, b) if (a, b) in conns else (b, a) if (b, a) in conns else (a, b)
        conns.setdefault(key, [])
        if (a, b, seq) in seen:
            continue
        seen.add((a, b, seq))
        conns[key].append((key[0] == a, bytes(payload)))
    return conns


def stream(segments, originator):
    return b"".join(p for o, p in segments if o == originator)


def analyzer_script(segments, config=3):
    """Encodes segments in FuzzStreamAnalyzer's step format."""
    out = bytearray([config])
    for from_orig, p in segments:
        d = 0 if from_orig else 0x80
        if len(p) < 0x3F:
            out += bytes([d | len(p)]) + p
        else:
            out += bytes([d | 0x3F]) + struct.pack(">H", min(len(p), 0xFFFF)) + p[:0xFFFF]
        if len(out) >= MAX:
            break
    return bytes(out[:MAX])


def load(name):
    path = os.path.join(PCAPS, name)
    if not os.path.exists(path):
        return None, []
    return read_pcap(path)


# ---------------------------------------------------------------- FuzzPacket

def packet_seeds():
    for fname in sorted(os.listdir(PCAPS)):
        lt, frames = load(fname)
        if lt not in DLT_TO_SELECTOR:
            continue
        sel = DLT_TO_SELECTOR[lt]
        kinds = {}
        for f in frames:
            ip = link_strip(lt, f)
            t = ip and transport(ip)
            kind = (t[0], bool(t[6]), ip[0] >> 4) if t else ("other", ip[0] >> 4 if ip else None)
            kinds.setdefault(kind, f)
        for i, f in enumerate(list(kinds.values())[:4]):
            add("FuzzPacket", f"pcap-{fname.split('.')[0]}-{i}", bytes([sel]) + f[:1600])
            # The same packet behind the other link types that carry bare IP.
            ip = link_strip(lt, f)
            if ip and fname in ("ethernet.pcap", "dns.pcap"):
                v = ip[0] >> 4
                add("FuzzPacket", f"pcap-{fname.split('.')[0]}-{i}-ip", bytes([LT_IPV4 if v == 4 else LT_IPV6]) + ip[:1600])
                fam = 2 if v == 4 else 30
                add("FuzzPacket", f"pcap-{fname.split('.')[0]}-{i}-loop", bytes([LT_LOOP]) + struct.pack(">I", fam) + ip[:1600])
                et = 0x0800 if v == 4 else 0x86DD
                sll = struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, et)
                add("FuzzPacket", f"pcap-{fname.split('.')[0]}-{i}-sll", bytes([LT_SLL]) + sll + ip[:1600])

    # Hand-made: IPv4 UDP with IP options, IPv6 with hop-by-hop + fragment headers, VLAN ARP, TCP options.
    ipv4_opts = bytes([0x46, 0, 0, 36, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 0]) \
        + struct.pack(">HHHH", 53, 53, 12, 0) + b"abcd"
    add("FuzzPacket", "hand-ipv4-options-udp", bytes([LT_RAW]) + ipv4_opts)
    add("FuzzPacket", "hand-ipv4-total0-tso", bytes([LT_IPV4]) + ipv4_opts[:2] + b"\0\0" + ipv4_opts[4:])
    tcp = struct.pack(">HHIIBBHHH", 1234, 80, 1, 0, 0xB0, 0x02, 65535, 0, 0) \
        + bytes([2, 4, 5, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    v6 = struct.pack(">IHBB", 0x60000000, 8 + 8 + len(tcp), 0, 64) + b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\1" \
        + b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\2"
    hbh = bytes([44, 0, 1, 4, 0, 0, 0, 0])
    frag = bytes([6, 0, 0, 1, 0, 0, 0, 42])
    add("FuzzPacket", "hand-ipv6-hbh-frag-tcp", bytes([LT_IPV6]) + v6 + hbh + frag + tcp)
    later = bytes([6, 0, 0, 0x19, 0, 0, 0, 42])
    add("FuzzPacket", "hand-ipv6-later-fragment", bytes([LT_IPV6]) + v6 + hbh + later + tcp[:8])
    arp = b"\xff" * 6 + b"\x02" * 6 + b"\x81\x00\x00\x0a" + b"\x88\xa8\x00\x14\x08\x06" + b"\0" * 28
    add("FuzzPacket", "hand-vlan-arp", bytes([LT_ETH]) + arp)
    icmp = bytes([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 7, 0, 1])
    add("FuzzPacket", "hand-null-le-icmp", bytes([LT_NULL]) + struct.pack("<I", 2) + icmp)
    add("FuzzPacket", "hand-sll2-icmp", bytes([LT_SLL2]) + struct.pack(">HHIHBB8s", 0x0800, 0, 1, 772, 0, 6, b"\0" * 8) + icmp)
    add("FuzzPacket", "hand-empty", b"")


# ---------------------------------------------------------------- DNS

def dns_name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"


def dns_seeds():
    datagrams = []
    for fname in ("dns.pcap", "sample.pcap"):
        lt, frames = load(fname)
        for f in frames:
            ip = link_strip(lt, f) if lt is not None else None
            t = ip and transport(ip)
            if t and t[0] == 17 and t[6]:
                datagrams.append(bytes(t[6]))
    for i, d in enumerate(datagrams[:12]):
        add("FuzzDNS", f"pcap-dns-{i}", d)
    # TCP DNS streams from the captures (already length-prefixed) go to FuzzDatagram.
    for fname in ("dns.pcap", "sample.pcap"):
        lt, frames = load(fname)
        for i, (key, segs) in enumerate(tcp_connections(frames, lt).items()):
            if 5353 in (key[0][1], key[1][1]):
                add("FuzzDatagram", f"pcap-{fname.split('.')[0]}-tcp-{i}", stream(segs, True) + stream(segs, False))
    for i in range(0, min(len(datagrams), 8), 2):
        pair = datagrams[i:i + 2]
        add("FuzzDatagram", f"pcap-dns-pair-{i // 2}", b"".join(struct.pack(">H", len(d)) + d for d in pair))

    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + dns_name("www.vigil.example") + struct.pack(">HH", 1, 1)
    add("FuzzDNS", "hand-query-a", q)
    # A response using every record type the parser renders, with compression pointers (0xC00C = the question name).
    ans = b""
    def rr(t, rdata, name=b"\xc0\x0c"):
        return name + struct.pack(">HHIH", t, 1, 300, len(rdata)) + rdata
    ans += rr(1, bytes([192, 0, 2, 10]))
    ans += rr(28, bytes.fromhex("20010db8000000000000000000000010"))
    ans += rr(5, b"\x05alias\xc0\x10")
    ans += rr(15, struct.pack(">H", 10) + b"\x04mail\xc0\x10")
    ans += rr(16, b"\x0ev=spf1 mx -all\x03two")
    ans += rr(33, struct.pack(">HHH", 1, 2, 5060) + b"\x03sip\xc0\x10")
    ans += rr(6, b"\x02ns\xc0\x10\x0ahostmaster\xc0\x10" + struct.pack(">IIIII", 1, 2, 3, 4, 5))
    ans += rr(12, b"\x03ptr\x00")
    ans += rr(99, b"\x01\x02\x03")
    r = struct.pack(">HHHHHH", 0x1234, 0x8580, 1, 9, 0, 0) + dns_name("www.vigil.example") + struct.pack(">HH", 1, 1) + ans
    add("FuzzDNS", "hand-response-all-types", r)
    add("FuzzDNS", "hand-truncated-tc", struct.pack(">HHHHHH", 7, 0x8380, 1, 3, 0, 0) + dns_name("big.example") + b"\0\x10\0\x01")
    add("FuzzDNS", "hand-escaped-labels", struct.pack(">HHHHHH", 8, 0, 1, 0, 0, 0) + b"\x04a.b\\\x03\x00 \xff\x00\x00\x01\x00\x01")
    add("FuzzDNS", "hand-pointer-forward", struct.pack(">HHHHHH", 9, 0, 1, 0, 0, 0) + b"\xc0\x0e\x00\x01\x00\x01")
    add("FuzzDNS", "hand-header-only", b"\0" * 12)
    add("FuzzDatagram", "hand-query-response", struct.pack(">H", len(q)) + q + struct.pack(">H", len(r)) + r)
    add("FuzzDatagram", "hand-not-dns", b"\x00\x05hello\x00\x03abc")


# ---------------------------------------------------------------- HTTP / TLS / SSH / StreamAnalyzer

def app_seeds():
    for fname, port in (("http.pcap", 8080), ("tls.pcap", 8443), ("ssh.pcap", 2222), ("sample.pcap", None),
                        ("snaplen.pcap", None)):
        lt, frames = load(fname)
        if lt is None:
            continue
        for i, (key, segs) in enumerate(list(tcp_connections(frames, lt).items())[:3]):
            ports = (key[0][1], key[1][1])
            base = f"pcap-{fname.split('.')[0]}-{i}"
            client, server = stream(segs, True), stream(segs, False)
            add("FuzzStreamAnalyzer", base, analyzer_script(segs))
            if 8080 in ports:
                add("FuzzHTTP", base + "-request", bytes([3, 7]) + client)
                add("FuzzHTTP", base + "-response", bytes([3, 7]) + server)
                add("FuzzHTTP", base + "-response-split3", bytes([2, 3]) + server)
            if 8443 in ports:
                add("FuzzTLS", base + "-client", bytes([7]) + client)
                add("FuzzTLS", base + "-server", bytes([4]) + server)
                if client[:1] == b"\x16" and len(client) > 9:
                    rec = struct.unpack(">H", client[3:5])[0]
                    add("FuzzTLS", base + "-client-handshake", bytes([7]) + client[5:5 + rec])
            if 2222 in ports:
                add("FuzzSSH", base + "-client", bytes([7]) + client[:512])
                add("FuzzSSH", base + "-server", bytes([2]) + server[:512])

    # HTTP, hand-made: [config][selector][stream]
    gz = gzip.compress(b"<html>hello hello hello hello</html>" * 4, mtime=0)
    dfl = zlib.compress(b"deflated body " * 8)
    raw = zlib.compressobj(wbits=-15)
    rawd = raw.compress(b"raw deflate body " * 8) + raw.flush()
    http = {
        "hand-pipelined-requests": b"GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /x HTTP/1.1\r\nHost: a\r\n\r\n"
            b"POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\r\n",
        "hand-chunked-request": b"PUT /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n0\r\nX-T: 1\r\n\r\n",
        "hand-chunked-response": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Encoding: gzip\r\n\r\n"
            + f"{len(gz):x}\r\n".encode() + gz + b"\r\n0\r\n\r\n",
        "hand-gzip-response": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
            + str(len(gz)).encode() + b"\r\n\r\n" + gz,
        "hand-deflate-zlib": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: "
            + str(len(dfl)).encode() + b"\r\n\r\n" + dfl,
        "hand-deflate-raw": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: "
            + str(len(rawd)).encode() + b"\r\n\r\n" + rawd,
        "hand-100-continue": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
            b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\nHTTP/1.0 200 OK\r\nX-Folded: a\r\n b\r\n\r\nuntil close",
        "hand-lf-only": b"HTTP/1.1 404 Not Found\nContent-Length: 2\n\nno",
        "hand-garbage": b"\r\n\r\nNOT HTTP AT ALL\r\n\r\n",
    }
    for name, body in http.items():
        add("FuzzHTTP", name, bytes([3, 7]) + body)
    add("FuzzHTTP", "hand-gap-in-body", bytes([0x2B, 2]) + b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + b"x" * 100)

    # TLS, hand-made ClientHello / ServerHello: [selector][records]
    def ext(t, body):
        return struct.pack(">HH", t, len(body)) + body
    sni = b"vigil.test"
    exts = ext(0x0A0A, b"") + ext(0, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni) \
        + ext(10, struct.pack(">H", 6) + struct.pack(">HHH", 0x1A1A, 29, 23)) + ext(11, b"\x01\x00") \
        + ext(16, struct.pack(">H", 12) + b"\x02h2\x08http/1.1") + ext(43, b"\x04\x03\x04\x03\x03") + ext(13, b"\x00\x02\x04\x03")
    suites = struct.pack(">HHHH", 0x2A2A, 0x1301, 0xC02F, 0x009C)
    ch = struct.pack(">H", 0x0303) + b"\x11" * 32 + b"\x00" + struct.pack(">H", len(suites)) + suites + b"\x01\x00" \
        + struct.pack(">H", len(exts)) + exts
    hs = b"\x01" + struct.pack(">I", len(ch))[1:] + ch
    add("FuzzTLS", "hand-client-hello", bytes([7]) + b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs)
    # The same hello split over two records, the first at a 2-byte boundary.
    add("FuzzTLS", "hand-client-hello-2records", bytes([2]) + b"\x16\x03\x01\x00\x02" + hs[:2]
        + b"\x16\x03\x01" + struct.pack(">H", len(hs) - 2) + hs[2:])
    add("FuzzTLS", "hand-client-hello-bare", bytes([7]) + hs)
    sexts = ext(43, b"\x03\x04") + ext(0xFF01, b"\x00")
    sh = struct.pack(">H", 0x0303) + b"\x22" * 32 + b"\x00" + b"\x13\x01\x00" + struct.pack(">H", len(sexts)) + sexts
    shs = b"\x02" + struct.pack(">I", len(sh))[1:] + sh
    add("FuzzTLS", "hand-server-hello", bytes([5]) + b"\x16\x03\x03" + struct.pack(">H", len(shs)) + shs)
    add("FuzzTLS", "hand-sslv2-ish", bytes([7]) + b"\x16\x02\x00\x00\x04\x01\x00\x00\x00")
    add("FuzzTLS", "hand-alert-then-hello", bytes([7]) + b"\x15\x03\x03\x00\x02\x02\x28" + b"\x16\x03\x01"
        + struct.pack(">H", len(hs)) + hs)

    # SSH, hand-made: [selector][stream]
    ssh = {
        "hand-openssh": b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n\x00\x00\x05\xdc\x0a\x14",
        "hand-preamble": b"Welcome\r\nto the host\r\nSSH-2.0-srv\r\n",
        "hand-199": b"SSH-1.99-Cisco-1.25\n",
        "hand-malformed": b"SSH-2.0\r\n",
        "hand-no-newline": b"SSH-2.0-" + b"A" * 300,
        "hand-many-lines": b"x\n" * 9 + b"SSH-2.0-late\r\n",
    }
    for name, body in ssh.items():
        add("FuzzSSH", name, bytes([7]) + body)

    # StreamAnalyzer, hand-made scripts: [config] then steps (see FuzzStreamAnalyzer.swift).
    add("FuzzStreamAnalyzer", "hand-http", analyzer_script([
        (True, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n"),
        (False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        (False, b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"),
        (True, b"POST /c HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"),
    ]))
    add("FuzzStreamAnalyzer", "hand-http-response-first", analyzer_script([
        (False, b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"),
    ]))
    gap = analyzer_script([(True, b"GET /big HTTP/1.1\r\n\r\n"), (False, b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nab")])
    add("FuzzStreamAnalyzer", "hand-http-gap", gap + bytes([0x80 | 0x40 | 5]) + bytes([0x80 | 3]) + b"end")
    add("FuzzStreamAnalyzer", "hand-ssh", analyzer_script([
        (False, b"SSH-2.0-OpenSSH_9.2\r\n"), (True, b"SSH-2.0-Go\r\n")]))
    add("FuzzStreamAnalyzer", "hand-tls", analyzer_script([
        (True, b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs), (False, b"\x16\x03\x03" + struct.pack(">H", len(shs)) + shs)]))
    q = struct.pack(">HHHHHH", 0x42, 0x0100, 1, 0, 0, 0) + dns_name("vigil.example") + struct.pack(">HH", 15, 1)
    r = struct.pack(">HHHHHH", 0x42, 0x8180, 1, 1, 0, 0) + dns_name("vigil.example") + struct.pack(">HH", 15, 1) \
        + b"\xc0\x0c" + struct.pack(">HHIH", 15, 1, 60, 9) + struct.pack(">H", 10) + b"\x04mail\xc0\x0c"
    add("FuzzStreamAnalyzer", "hand-dns-tcp", analyzer_script([
        (True, struct.pack(">H", len(q)) + q), (False, struct.pack(">H", len(r)) + r)]))
    add("FuzzStreamAnalyzer", "hand-probe-byte-by-byte", analyzer_script([(True, bytes([c])) for c in b"OPTIONS * HTTP/1.1\r\n\r\n"]))
    add("FuzzStreamAnalyzer", "hand-unknown", analyzer_script([(True, b"\x00" * 20)]))


# ---------------------------------------------------------------- FuzzPcapFile

# FuzzPcapFile's input is [config][lead][record area]. config: bit 0 nanosecond magic, bits 1-3
# snaplen index, bits 4-5 link type index, bit 6 filter on, bit 7 which filter; lead >= 0xF0: a
# lead-in of records ends (lead & 15) * 101 bytes before the reader's first 1 MiB chunk does (see
# FuzzPcapFile.swift).
PF_SNAPLENS = [64, 100, 1514, 65535, 262144, 0, 262145, 0xFFFFFFFF]
PF_LINKS = {1: 0, 101: 1, 113: 2}
PF_UDP, PF_TCP80 = 0x40, 0xC0


def pcap_config(snaplen=65535, link=1, nano=False, filt=0, lead=0):
    return bytes([(1 if nano else 0) | PF_SNAPLENS.index(snaplen) << 1 | PF_LINKS[link] << 4 | filt, lead])


def record(data, caplen=None, wire=None, sec=1700000000, frac=123456):
    """A record header (little-endian, as the harness writes the file on x86) and its bytes."""
    caplen = len(data) if caplen is None else caplen
    return struct.pack("<IIII", sec, frac, caplen, len(data) if wire is None else wire) + bytes(data)


def pcap_file_seeds():
    # Record areas cut from the fixtures at a record boundary (the end of truncated.pcap is its cut record).
    for fname, snaplen in (("dns.pcap", 262144), ("http.pcap", 65535), ("raw.pcap", 1514), ("snaplen.pcap", 100),
                           ("truncated.pcap", 262144)):
        path = os.path.join(PCAPS, fname)
        if not os.path.exists(path):
            continue
        d = open(path, "rb").read()
        link = struct.unpack("<I", d[20:24])[0]
        body = d[24:]
        bounds, off = [0], 0  # record boundaries up to the first record the file does not hold whole
        while off + 16 <= len(body) and off + 16 + struct.unpack("<I", body[off + 8:off + 12])[0] <= len(body):
            off += 16 + struct.unpack("<I", body[off + 8:off + 12])[0]
            bounds.append(off)
        if fname == "truncated.pcap":
            start = min([b for b in bounds if len(body) - b <= 1500] or bounds[-1:])
            add("FuzzPcapFile", "pcap-truncated-tail", pcap_config(snaplen, link) + body[start:])
            continue
        end = max(b for b in bounds if b <= 1500)
        name = fname.split(".")[0]
        add("FuzzPcapFile", f"pcap-{name}", pcap_config(snaplen, link) + body[:end])
        add("FuzzPcapFile", f"pcap-{name}-udp-filter", pcap_config(snaplen, link, filt=PF_UDP) + body[:end])

    # Hand-made frames: Ethernet/IPv4/UDP (DNS) and Ethernet/IPv4/TCP SYN to port 80.
    ip_udp = bytes([0x45, 0, 0, 40, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]) \
        + struct.pack(">HHHH", 5353, 53, 20, 0) + b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    ip_tcp = bytes([0x45, 0, 0, 40, 0, 2, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]) \
        + struct.pack(">HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    udp, tcp = eth + ip_udp, eth + ip_tcp
    two = record(udp) + record(tcp, sec=1700000001, frac=5)
    add("FuzzPcapFile", "hand-two-records", pcap_config() + two)
    add("FuzzPcapFile", "hand-two-records-filter-udp", pcap_config(filt=PF_UDP) + two)
    add("FuzzPcapFile", "hand-two-records-filter-tcp80", pcap_config(filt=PF_TCP80) + two)
    add("FuzzPcapFile", "hand-raw", pcap_config(1514, 101) + record(ip_udp) + record(ip_tcp))
    sll = struct.pack(">HHH8sH", 0, 1, 6, b"\x02\x00\x00\x00\x00\x01\x00\x00", 0x0800)
    add("FuzzPcapFile", "hand-sll-filter-tcp80", pcap_config(262144, 113, filt=PF_TCP80) + record(sll + ip_tcp) + record(sll + ip_udp))
    add("FuzzPcapFile", "hand-nanosecond", pcap_config(nano=True) + record(udp, frac=999999999) + record(tcp, frac=1000))
    add("FuzzPcapFile", "hand-no-records", pcap_config())
    add("FuzzPcapFile", "hand-empty", b"")
    # Wire length below and far above the captured length; a zero-length record.
    add("FuzzPcapFile", "hand-lengths", pcap_config() + record(udp, wire=9000) + record(tcp, wire=10) + record(b"", wire=60))
    # Times with the top bit set (signed or unsigned seconds and fraction?).
    add("FuzzPcapFile", "hand-high-times", pcap_config() + record(udp, sec=0x80000000, frac=0xFFFFFFFF) + record(tcp, sec=0xFFFFFFFF, frac=1000000))
    add("FuzzPcapFile", "hand-high-times-nano", pcap_config(nano=True) + record(udp, sec=0x80000000, frac=0xFFFFFFFF) + record(tcp, sec=0xFFFFFFFF, frac=0x80000000))
    # caplen > snaplen: libpcap keeps snaplen bytes and skips the rest; then one that is also cut short,
    # once inside the kept part and once inside the skipped part.
    big = udp + bytes(range(256))[:100]
    add("FuzzPcapFile", "hand-caplen-over-snaplen", pcap_config(64) + record(big) + record(tcp))
    add("FuzzPcapFile", "hand-caplen-over-snaplen-cut-in-kept", pcap_config(64) + record(udp) + record(big)[:16 + 40])
    add("FuzzPcapFile", "hand-caplen-over-snaplen-cut-in-skipped", pcap_config(64) + record(udp) + record(big)[:16 + 80])
    # snaplen 0 and above the maximum: libpcap uses 262144.
    add("FuzzPcapFile", "hand-snaplen-0", pcap_config(0) + record(big) + record(tcp))
    add("FuzzPcapFile", "hand-snaplen-ffffffff", pcap_config(0xFFFFFFFF) + record(big))
    # The file ends inside a record header, inside a record body.
    add("FuzzPcapFile", "hand-truncated-header", pcap_config() + record(udp) + record(tcp)[:10])
    add("FuzzPcapFile", "hand-truncated-body", pcap_config() + record(udp) + record(tcp)[:16 + 30])
    # Captured lengths above libpcap's maximum of 262144 (bigger than the snaplen, too).
    add("FuzzPcapFile", "hand-huge-caplen", pcap_config() + record(udp) + record(tcp, caplen=300000))
    add("FuzzPcapFile", "hand-huge-caplen-max-snaplen", pcap_config(262144) + record(tcp, caplen=262145))
    add("FuzzPcapFile", "hand-caplen-ffffffff", pcap_config(1514) + record(tcp, caplen=0xFFFFFFFF))
    # Records across the end of the reader's first 1 MiB chunk (the lead-in ends 101 bytes before it
    # with lead 0xF1): a record header cut by it, a body cut by it, snaplen cuts, the file ending
    # there; records starting right at it (0xF0).
    add("FuzzPcapFile", "hand-chunk-end-in-header", pcap_config(lead=0xF1) + record(udp + b"\xee" * 26) + record(tcp))
    add("FuzzPcapFile", "hand-chunk-end-in-body", pcap_config(lead=0xF1) + record(big) + record(tcp))
    add("FuzzPcapFile", "hand-chunk-end-snaplen", pcap_config(64, lead=0xF2) + record(big) + record(big) + record(tcp))
    add("FuzzPcapFile", "hand-chunk-end-truncated", pcap_config(lead=0xF1) + record(big)[:120])
    add("FuzzPcapFile", "hand-chunk-end-filter-tcp80", pcap_config(filt=PF_TCP80, lead=0xF3) + two + two)
    add("FuzzPcapFile", "hand-chunk-start", pcap_config(lead=0xF0) + two)
    add("FuzzPcapFile", "hand-chunk-end-no-records", pcap_config(lead=0xFF))


packet_seeds()
dns_seeds()
app_seeds()
pcap_file_seeds()

# Only the targets generated here are replaced: the hand-written seeds of the other targets
# (FuzzLogs, FuzzInspect, FuzzRules, FuzzEventJSON) stay.
total = 0
for target, files in sorted(seeds.items()):
    if os.path.isdir(os.path.join(OUT, target)):
        shutil.rmtree(os.path.join(OUT, target))
    os.makedirs(os.path.join(OUT, target))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, target, name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{target:20} {len(files):3} seeds {sum(map(len, files.values())):7} bytes")
print(f"{'total':20} {sum(map(len, seeds.values())):3} seeds {total:7} bytes")

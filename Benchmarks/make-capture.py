#!/usr/bin/env python3
"""Synthesize a classic-pcap Ethernet capture for Vigil's benchmarks (standard library only).

Two modes:

  make-capture.py --packets 3000000 --out data/big.pcap
      Mixed traffic at a 1500-byte MTU: full TCP connections (SYN, SYN-ACK, ACK, data with
      delayed ACKs, FIN/FIN/ACK) carrying HTTP/1.1 GET/POST (keep-alive, Content-Length and
      chunked responses of a few KB split into 1448-byte segments), TLS 1.3 (ClientHello with
      SNI/ALPN/key_share, ServerHello, ChangeCipherSpec, application-data records) and SSH
      (banners both ways, KEXINIT, ECDH, NEWKEYS, encrypted-looking packets), plus DNS over UDP
      (query + response: A/AAAA, CNAME chains, NXDOMAIN). Connections are interleaved (a pool of
      flows open at once), timestamps increase, IPv4/TCP/UDP lengths are exact, checksums are zero.

  make-capture.py --concurrent-flows 500000 --out data/concurrent.pcap
      N distinct TCP connections that are all open at once: SYN, SYN-ACK, ACK for each, never a
      FIN, all within a few seconds of packet time: the flow table's memory test.

Every address is private (10.0.0.0/8). This is file data only: nothing is ever sent.
The output is deterministic for a given --seed.
"""

import argparse
import os
import random
import struct
import sys
import time

# ---------------------------------------------------------------------------------------------
# Wire formats (precompiled structs)

PCAP_GLOBAL = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)  # usec, DLT_EN10MB
PCAP_REC = struct.Struct("<IIII")

# Ethernet (14) + IPv4 (20) + TCP (20) + NOP NOP Timestamps (12) = 66 bytes.
ETH_IP_TCP_TS = struct.Struct("!6s6sH" "BBHHHBBH4s4s" "HHIIBBHHH" "BBBBII")
# Ethernet + IPv4 + TCP with SYN options (MSS, SACK-permitted, Timestamps, NOP, Window scale) = 74.
ETH_IP_TCP_SYN = struct.Struct("!6s6sH" "BBHHHBBH4s4s" "HHIIBBHHH" "BBHBBBBIIBBBB")
# Ethernet + IPv4 + UDP = 42 bytes.
ETH_IP_UDP = struct.Struct("!6s6sH" "BBHHHBBH4s4s" "HHHH")

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MSS = 1448  # 1500 - 20 (IP) - 20 (TCP) - 12 (timestamps option)
GATEWAY_MAC = b"\x02\x00\x5e\x00\x00\x01"

# ---------------------------------------------------------------------------------------------
# Content pools


class Pools:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.random_bytes = rng.randbytes(1 << 20)  # "ciphertext"
        words = (
            b"the quick brown fox jumps over lazy dog network security monitor flow packet "
            b"capture event stream decode vigil sensor analysis traffic response request "
        ).split()
        html = [b"<!DOCTYPE html>\n<html><head><title>Synthetic page</title></head><body>\n"]
        size = sum(len(x) for x in html)
        while size < 300_000:
            line = b"<p>" + b" ".join(rng.choice(words) for _ in range(rng.randint(8, 20))) + b"</p>\n"
            html.append(line)
            size += len(line)
        self.html = b"".join(html)
        tlds = [b"example", b"example.com", b"example.org", b"example.net", b"test", b"internal"]
        labels = [b"www", b"api", b"cdn", b"mail", b"static", b"img", b"auth", b"login", b"app", b"update"]
        self.sites = [
            b"%s.site%d.%s" % (rng.choice(labels), i, rng.choice(tlds)) for i in range(3000)
        ]
        self.paths = [
            b"/", b"/index.html", b"/api/v1/items", b"/static/app.js", b"/static/style.css",
            b"/images/logo.png", b"/search?q=network+monitor", b"/login", b"/api/v2/events?limit=100",
            b"/favicon.ico", b"/products/12345", b"/cart", b"/news/2025/11/article.html",
        ]
        self.user_agents = [
            b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            b"curl/7.88.1",
            b"python-requests/2.31.0",
        ]
        self.client_hellos = [client_hello(s, rng) for s in self.sites[:2000]]
        self.dns = [dns_pair(rng.choice(self.sites) if i % 3 else b"host%d.corp.internal" % i, rng, i)
                    for i in range(5000)]
        self.ssh_client_kexinit = ssh_packet(ssh_kexinit(rng, client=True), rng)
        self.ssh_server_kexinit = ssh_packet(ssh_kexinit(rng, client=False), rng)

    def rand(self, n: int) -> bytes:
        if n <= 0:
            return b""
        out = []
        while n > 0:
            k = min(n, 60_000)
            o = self.rng.randrange(0, len(self.random_bytes) - k)
            out.append(self.random_bytes[o:o + k])
            n -= k
        return b"".join(out)

    def text(self, n: int) -> bytes:
        o = self.rng.randrange(0, len(self.html) - n)
        return self.html[o:o + n]


def tls_ext(t: int, data: bytes) -> bytes:
    return struct.pack("!HH", t, len(data)) + data


def client_hello(sni: bytes, rng: random.Random) -> bytes:
    grease = rng.choice([0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A])
    ciphers = [grease, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
               0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
    alpn = b"\x02h2\x08http/1.1"
    sigalgs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    exts = b"".join([
        tls_ext(grease, b""),
        tls_ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni),
        tls_ext(23, b""),
        tls_ext(0xFF01, b"\x00"),
        tls_ext(10, struct.pack("!H5H", 10, grease, 0x001D, 0x0017, 0x0018, 0x0019)),
        tls_ext(11, b"\x01\x00"),
        tls_ext(35, b""),
        tls_ext(16, struct.pack("!H", len(alpn)) + alpn),
        tls_ext(5, b"\x01\x00\x00\x00\x00"),
        tls_ext(13, struct.pack("!H8H", 16, *sigalgs)),
        tls_ext(51, struct.pack("!HHH", 36, 0x001D, 32) + rng.randbytes(32)),
        tls_ext(45, b"\x01\x01"),
        tls_ext(43, b"\x06" + struct.pack("!3H", grease, 0x0304, 0x0303)),
        tls_ext(21, b"\x00" * rng.randint(20, 200)),  # padding
    ])
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32)
            + struct.pack("!H%dH" % len(ciphers), 2 * len(ciphers), *ciphers)
            + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello(rng: random.Random, session_id: bytes) -> bytes:
    exts = tls_ext(43, b"\x03\x04") + tls_ext(51, struct.pack("!HH", 0x001D, 32) + rng.randbytes(32))
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + session_id + b"\x13\x01\x00"
            + struct.pack("!H", len(exts)) + exts)
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


CCS = b"\x14\x03\x03\x00\x01\x01"


def tls_app_records(pools: Pools, total: int) -> bytes:
    out = []
    while total > 0:
        n = min(total, 16384 + 17)
        out.append(b"\x17\x03\x03" + struct.pack("!H", n) + pools.rand(n))
        total -= n
    return b"".join(out)


def dns_name(name: bytes) -> bytes:
    return b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\x00"


def dns_pair(name: bytes, rng: random.Random, i: int):
    """A (query, response) template pair; the id (first two bytes) is patched per transaction."""
    qtype = 28 if i % 4 == 0 else 1
    qn = dns_name(name)
    question = qn + struct.pack("!HH", qtype, 1)
    query = struct.pack("!6H", 0, 0x0100, 1, 0, 0, 1) + question + (
        b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00")  # EDNS0 OPT in additional
    kind = i % 10
    if kind == 9:  # NXDOMAIN
        # SOA in the authority section; rdata: mname, rname, serial, refresh, retry, expire, minimum.
        rdata = dns_name(b"ns1.corp.internal") + dns_name(b"hostmaster.corp.internal") + struct.pack(
            "!5I", 2025112301, 7200, 3600, 1209600, 300)
        soa = dns_name(b"corp.internal") + struct.pack("!HHIH", 6, 1, 300, len(rdata)) + rdata
        response = struct.pack("!6H", 0, 0x8183, 1, 0, 1, 0) + question + soa
        return query, response
    answers = []
    an = 0
    target_ptr = 0xC00C
    if kind in (1, 2):  # CNAME first
        cname = dns_name(b"edge%d.cdn.example.net" % rng.randint(1, 500))
        answers.append(b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, len(cname)) + cname)
        target_ptr = 0xC000 | (12 + len(question) + 12)
        an += 1
    for _ in range(rng.randint(1, 3)):
        if qtype == 1:
            rdata = bytes([10, rng.randint(128, 199), rng.randint(0, 255), rng.randint(1, 254)])
        else:
            rdata = b"\xfd\x00" + rng.randbytes(14)  # ULA: private IPv6
        answers.append(struct.pack("!HHHIH", target_ptr, qtype, 1, rng.randint(30, 3600), len(rdata)) + rdata)
        an += 1
    response = struct.pack("!6H", 0, 0x8180, 1, an, 0, 0) + question + b"".join(answers)
    return query, response


def ssh_packet(payload: bytes, rng: random.Random) -> bytes:
    pad = 8 - (len(payload) + 5) % 8
    if pad < 4:
        pad += 8
    return struct.pack("!IB", len(payload) + pad + 1, pad) + payload + rng.randbytes(pad)


def ssh_string(b: bytes) -> bytes:
    return struct.pack("!I", len(b)) + b


def ssh_ecdh_reply(pools: "Pools") -> bytes:
    """SSH_MSG_KEX_ECDH_REPLY: host key (ed25519), server ephemeral key, signature."""
    hostkey = ssh_string(b"ssh-ed25519") + ssh_string(pools.rand(32))
    signature = ssh_string(b"ssh-ed25519") + ssh_string(pools.rand(64))
    return b"\x1f" + ssh_string(hostkey) + ssh_string(pools.rand(32)) + ssh_string(signature)


def ssh_kexinit(rng: random.Random, client: bool) -> bytes:
    def namelist(s: bytes) -> bytes:
        return struct.pack("!I", len(s)) + s
    kex = (b"curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512@openssh.com,"
           b"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
           b"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
           + (b",ext-info-c,kex-strict-c-v00@openssh.com" if client else b",kex-strict-s-v00@openssh.com"))
    hostkey = b"ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256"
    ciphers = b"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
    macs = b"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com"
    comp = b"none,zlib@openssh.com"
    return (b"\x14" + rng.randbytes(16) + namelist(kex) + namelist(hostkey) + namelist(ciphers) * 2
            + namelist(macs) * 2 + namelist(comp) * 2 + namelist(b"") * 2 + b"\x00" + b"\x00\x00\x00\x00")


# ---------------------------------------------------------------------------------------------
# Flows: each builds its frames (without pcap record headers) in order.


class TCPConn:
    __slots__ = ("frames", "cmac", "cip", "sip", "cport", "sport", "cseq", "sseq", "cid", "sid", "tsc", "tss")

    def __init__(self, rng, cip, sip, cport, sport):
        self.frames = []
        self.cmac = b"\x02\x00" + cip
        self.cip, self.sip, self.cport, self.sport = cip, sip, cport, sport
        self.cseq = rng.getrandbits(32)
        self.sseq = rng.getrandbits(32)
        self.cid = rng.getrandbits(16)
        self.sid = rng.getrandbits(16)
        self.tsc = rng.getrandbits(31)
        self.tss = rng.getrandbits(31)

    def handshake(self):
        c, s = self, self
        self.frames.append(ETH_IP_TCP_SYN.pack(
            GATEWAY_MAC, self.cmac, 0x0800, 0x45, 0, 60, self.cid, 0x4000, 64, 6, 0, self.cip, self.sip,
            self.cport, self.sport, self.cseq, 0, 0xA0, SYN, 64240, 0, 0,
            2, 4, 1460, 4, 2, 8, 10, self.tsc, 0, 1, 3, 3, 7))
        self.frames.append(ETH_IP_TCP_SYN.pack(
            self.cmac, GATEWAY_MAC, 0x0800, 0x45, 0, 60, self.sid, 0x4000, 64, 6, 0, self.sip, self.cip,
            self.sport, self.cport, self.sseq, (self.cseq + 1) & 0xFFFFFFFF, 0xA0, SYN | ACK, 65160, 0, 0,
            2, 4, 1460, 4, 2, 8, 10, self.tss, self.tsc, 1, 3, 3, 7))
        self.cseq = (self.cseq + 1) & 0xFFFFFFFF
        self.sseq = (self.sseq + 1) & 0xFFFFFFFF
        self.cid += 1
        self.sid += 1
        self.seg(True, ACK)

    def seg(self, from_client: bool, flags: int, payload: bytes = b""):
        n = len(payload)
        if from_client:
            self.tsc += 1
            self.frames.append(ETH_IP_TCP_TS.pack(
                GATEWAY_MAC, self.cmac, 0x0800, 0x45, 0, 52 + n, self.cid & 0xFFFF, 0x4000, 64, 6, 0,
                self.cip, self.sip, self.cport, self.sport, self.cseq, self.sseq, 0x80, flags, 502, 0, 0,
                1, 1, 8, 10, self.tsc & 0xFFFFFFFF, self.tss & 0xFFFFFFFF) + payload)
            self.cid += 1
            self.cseq = (self.cseq + n + (1 if flags & FIN else 0)) & 0xFFFFFFFF
        else:
            self.tss += 1
            self.frames.append(ETH_IP_TCP_TS.pack(
                self.cmac, GATEWAY_MAC, 0x0800, 0x45, 0, 52 + n, self.sid & 0xFFFF, 0x4000, 64, 6, 0,
                self.sip, self.cip, self.sport, self.cport, self.sseq, self.cseq, 0x80, flags, 509, 0, 0,
                1, 1, 8, 10, self.tss & 0xFFFFFFFF, self.tsc & 0xFFFFFFFF) + payload)
            self.sid += 1
            self.sseq = (self.sseq + n + (1 if flags & FIN else 0)) & 0xFFFFFFFF

    def send(self, from_client: bool, data: bytes):
        """Data in MSS-sized segments, PSH on the last; the peer ACKs every second segment."""
        count = 0
        for o in range(0, len(data), MSS):
            chunk = data[o:o + MSS]
            last = o + MSS >= len(data)
            self.seg(from_client, ACK | (PSH if last else 0), chunk)
            count += 1
            if count % 2 == 0 and not last:
                self.seg(not from_client, ACK)

    def close(self, client_first: bool = True):
        self.seg(client_first, FIN | ACK)
        self.seg(not client_first, FIN | ACK)
        self.seg(client_first, ACK)


def http_flow(conn: TCPConn, pools: Pools, rng: random.Random, host: bytes):
    conn.handshake()
    ua = rng.choice(pools.user_agents)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        path = rng.choice(pools.paths)
        if rng.random() < 0.2:
            body = b"{\"user\":\"u%d\",\"items\":[" % rng.randint(1, 99999) + pools.text(rng.randint(200, 3000)) + b"]}"
            req = (b"POST " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nUser-Agent: " + ua
                   + b"\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                   + body)
        else:
            req = (b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nUser-Agent: " + ua
                   + b"\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5"
                   + b"\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n\r\n")
        conn.send(True, req)
        n = rng.randint(1000, 9000)
        body = pools.text(n)
        status = rng.choice((b"200 OK",) * 8 + (b"404 Not Found", b"302 Found"))
        head = (b"HTTP/1.1 " + status + b"\r\nServer: nginx/1.22.1\r\nDate: Sun, 23 Nov 2025 16:00:00 GMT"
                b"\r\nContent-Type: text/html; charset=utf-8\r\nConnection: keep-alive\r\n")
        if rng.random() < 0.15:
            resp = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % n + body + b"\r\n0\r\n\r\n"
        else:
            resp = head + b"Content-Length: %d\r\n\r\n" % n + body
        conn.send(False, resp)
        conn.seg(True, ACK)
    conn.close()


def tls_flow(conn: TCPConn, pools: Pools, rng: random.Random):
    conn.handshake()
    hello = rng.choice(pools.client_hellos)
    conn.send(True, hello)
    session_id = hello[44:76]
    flight = server_hello(rng, session_id) + CCS + tls_app_records(pools, rng.randint(2500, 4500))
    conn.send(False, flight)
    conn.seg(True, ACK)
    conn.send(True, CCS + tls_app_records(pools, 74) + tls_app_records(pools, rng.randint(150, 700)))
    conn.send(False, tls_app_records(pools, rng.randint(1000, 12000)))
    conn.seg(True, ACK)
    if rng.random() < 0.4:
        conn.send(True, tls_app_records(pools, rng.randint(100, 600)))
        conn.send(False, tls_app_records(pools, rng.randint(500, 6000)))
        conn.seg(True, ACK)
    conn.send(True, tls_app_records(pools, 19))  # close_notify
    conn.close()


SSH_CLIENT_BANNERS = [b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n",
                      b"SSH-2.0-PuTTY_Release_0.81\r\n", b"SSH-2.0-paramiko_3.4.0\r\n"]
SSH_SERVER_BANNERS = [b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", b"SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3\r\n",
                      b"SSH-2.0-dropbear_2022.83\r\n"]


def ssh_flow(conn: TCPConn, pools: Pools, rng: random.Random):
    conn.handshake()
    conn.send(False, rng.choice(SSH_SERVER_BANNERS))
    conn.send(True, rng.choice(SSH_CLIENT_BANNERS))
    conn.send(True, pools.ssh_client_kexinit)
    conn.send(False, pools.ssh_server_kexinit)
    conn.send(True, ssh_packet(b"\x1e" + struct.pack("!I", 32) + pools.rand(32), rng))  # KEX_ECDH_INIT
    conn.send(False, ssh_packet(ssh_ecdh_reply(pools), rng) + ssh_packet(b"\x15", rng))  # + NEWKEYS
    conn.send(True, ssh_packet(b"\x15", rng))  # NEWKEYS
    for _ in range(rng.randint(3, 12)):  # interactive, encrypted
        conn.send(True, pools.rand(rng.choice((36, 52, 68, 100))))
        conn.send(False, pools.rand(rng.randint(36, 600)))
    if rng.random() < 0.2:  # a file copy
        conn.send(False, pools.rand(rng.randint(5000, 30000)))
        conn.seg(True, ACK)
    conn.close()


def dns_flow(frames: list, pools: Pools, rng: random.Random, cip: bytes, cport: int):
    query, response = rng.choice(pools.dns)
    tid = struct.pack("!H", rng.getrandbits(16))
    query, response = tid + query[2:], tid + response[2:]
    server = DNS_SERVERS[cport & 1]
    cmac = b"\x02\x00" + cip
    ipid = rng.getrandbits(16)
    frames.append(ETH_IP_UDP.pack(GATEWAY_MAC, cmac, 0x0800, 0x45, 0, 28 + len(query), ipid, 0, 64, 17, 0,
                                  cip, server, cport, 53, 8 + len(query), 0) + query)
    frames.append(ETH_IP_UDP.pack(cmac, GATEWAY_MAC, 0x0800, 0x45, 0, 28 + len(response), ipid ^ 0x5A5A, 0, 63,
                                  17, 0, server, cip, 53, cport, 8 + len(response), 0) + response)


DNS_SERVERS = [bytes([10, 0, 0, 53]), bytes([10, 0, 1, 53])]


# ---------------------------------------------------------------------------------------------


class Clients:
    """Client hosts in 10.1.0.0/16 – 10.16.255.255, each with its own ephemeral-port counter."""

    def __init__(self, rng: random.Random, count: int = 4000):
        self.rng = rng
        self.ips = [bytes([10, 1 + i // 250 // 250, (i // 250) % 250, 1 + i % 250]) for i in range(count)]
        self.ports = [32768 + rng.randrange(0, 20000) for _ in range(count)]

    def next(self):
        i = self.rng.randrange(len(self.ips))
        p = self.ports[i]
        self.ports[i] = 32768 if p >= 60999 else p + 1
        return self.ips[i], p


def write_mixed(out_path: str, packets: int, seed: int, pool_size: int):
    rng = random.Random(seed)
    pools = Pools(rng)
    clients = Clients(rng)
    web = [bytes([10, 200, i // 250, 1 + i % 250]) for i in range(2000)]
    ssh_servers = [bytes([10, 210, 0, 1 + i]) for i in range(50)]
    counts = {"dns": 0, "http": 0, "tls": 0, "ssh": 0}
    pkt_counts = {"dns": 0, "http": 0, "tls": 0, "ssh": 0}
    byte_total = 0
    emitted = 0
    pending = 0
    # Packet-time gaps in microseconds: mostly short, some longer.
    gaps = [rng.choice((1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 80, 120)) for _ in range(4096)]
    t = 1_763_900_000 * 1_000_000  # 2025-11-23, microseconds

    def new_flow():
        r = rng.random()
        cip, cport = clients.next()
        if r < 0.40:
            frames = []
            dns_flow(frames, pools, rng, cip, cport)
            kind = "dns"
        elif r < 0.65:
            i = rng.randrange(len(pools.sites))
            conn = TCPConn(rng, cip, web[i % len(web)], cport, 80 if rng.random() < 0.9 else 8080)
            http_flow(conn, pools, rng, pools.sites[i])
            frames, kind = conn.frames, "http"
        elif r < 0.90:
            conn = TCPConn(rng, cip, web[rng.randrange(len(web))], cport, 443)
            tls_flow(conn, pools, rng)
            frames, kind = conn.frames, "tls"
        else:
            conn = TCPConn(rng, cip, rng.choice(ssh_servers), cport, 22 if rng.random() < 0.9 else 2222)
            ssh_flow(conn, pools, rng)
            frames, kind = conn.frames, "ssh"
        counts[kind] += 1
        pkt_counts[kind] += len(frames)
        frames.reverse()  # pop() from the end
        return frames

    pool = []
    while len(pool) < pool_size and pending < packets:
        f = new_flow()
        pending += len(f)
        pool.append(f)

    rec = PCAP_REC.pack
    randrange = rng.randrange
    with open(out_path, "wb", buffering=0) as fh:
        fh.write(PCAP_GLOBAL)
        buf = []
        buf_bytes = 0
        gi = 0
        while pool:
            k = randrange(len(pool))
            flow = pool[k]
            frame = flow.pop()
            n = len(frame)
            t += gaps[gi]
            gi = (gi + 1) & 4095
            buf.append(rec(t // 1_000_000, t % 1_000_000, n, n))
            buf.append(frame)
            buf_bytes += n + 16
            emitted += 1
            pending -= 1
            if not flow:
                if emitted + pending < packets:
                    pool[k] = new_flow()
                    pending += len(pool[k])
                else:
                    pool[k] = pool[-1]
                    pool.pop()
            if buf_bytes > (8 << 20):
                fh.write(b"".join(buf))
                byte_total += buf_bytes
                buf.clear()
                buf_bytes = 0
        fh.write(b"".join(buf))
        byte_total += buf_bytes
    return emitted, counts, pkt_counts, byte_total + len(PCAP_GLOBAL), t


def write_concurrent(out_path: str, flows: int, seed: int):
    """N TCP connections, all open at once: SYN, SYN-ACK, ACK each; no FIN; ~2 s of packet time."""
    rng = random.Random(seed)
    rec = PCAP_REC.pack
    t = 1_763_900_000 * 1_000_000
    step = max(1, 2_000_000 // max(1, flows * 3))
    web = [bytes([10, 200, i // 250, 1 + i % 250]) for i in range(2000)]
    emitted = 0
    byte_total = len(PCAP_GLOBAL)
    with open(out_path, "wb", buffering=0) as fh:
        fh.write(PCAP_GLOBAL)
        buf = []
        for i in range(flows):
            # Distinct 5-tuples: client 10.x.y.z from the index, port from the index.
            host = i // 28000
            cip = bytes([10, 32 + host // 250 // 250, (host // 250) % 250, 1 + host % 250])
            cport = 32768 + i % 28000
            conn = TCPConn(rng, cip, web[i % len(web)], cport, (443, 80, 22)[i % 3])
            conn.handshake()
            for frame in conn.frames:
                n = len(frame)
                t += step
                buf.append(rec(t // 1_000_000, t % 1_000_000, n, n))
                buf.append(frame)
                byte_total += n + 16
                emitted += 1
            if len(buf) > 60_000:
                fh.write(b"".join(buf))
                buf.clear()
        fh.write(b"".join(buf))
    return emitted, byte_total, t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=3_000_000, help="packets to write (mixed mode; default 3000000)")
    ap.add_argument("--concurrent-flows", type=int, default=None, metavar="N",
                    help="instead: N TCP connections all open at once (memory test)")
    ap.add_argument("--out", required=True, help="output .pcap file")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--pool", type=int, default=256, help="connections interleaved at once (default 256)")
    args = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    started = time.monotonic()
    if args.concurrent_flows is not None:
        packets, size, _ = write_concurrent(args.out, args.concurrent_flows, args.seed)
        print(f"{args.out}: {packets} packets, {args.concurrent_flows} concurrent TCP flows, {size} bytes "
              f"({time.monotonic() - started:.1f} s)", file=sys.stderr)
        return
    packets, counts, pkt_counts, size, _ = write_mixed(args.out, args.packets, args.seed, args.pool)
    flows = sum(counts.values())
    mix = ", ".join(f"{k} {counts[k]} flows/{pkt_counts[k]} packets" for k in counts)
    print(f"{args.out}: {packets} packets, {flows} flows ({mix}), {size} bytes "
          f"({time.monotonic() - started:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()

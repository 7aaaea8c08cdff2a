#!/usr/bin/env bash
# Makes the DNS tunnelling test captures: dig queries on 127.0.0.1 against a small UDP responder,
# recorded by tcpdump. Run as root (tcpdump on lo, port 53). Needs dig (bind9-dnsutils) and tcpdump.
#
#   rules/tests/make-dns-tunnel.sh
#
# positive: one client asks 60 distinct random-looking names under one registered domain
#           (x.exfil-data.com.cn: the Public Suffix List puts com.cn as the suffix).
# negative: the same client asks 60 names spread over 30 registered domains under gov.cn
#           (beijing.gov.cn, shanghai.gov.cn, …: gov.cn is a public suffix, so these are 30 parents,
#           not one), at most two names each.
# dns-registered-domain-negative: reverse lookups and bare public suffixes (no registered domain).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/responder.py" <<'PY'
# Answers every A query with 127.0.0.9 (one answer, TTL 60); stops after 200 queries.
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
for _ in range(200):
    data, peer = s.recvfrom(512)
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    end = 12
    while data[end] != 0:
        end += 1 + data[end]
    question = data[12:end + 5]
    header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.9")
    s.sendto(header + question + answer, peer)
PY

capture() {  # capture NAME-FILE, then the names on stdin
    local out="$1"
    python3 "$work/responder.py" &
    local responder=$!
    tcpdump -i lo -n -U -w "$work/cap.pcap" udp port 53 2>/dev/null &
    local dump=$!
    sleep 1
    while read -r name; do
        dig +tries=1 +time=1 +short @127.0.0.1 -b 127.0.0.2 "$name" A >/dev/null
    done
    sleep 1
    kill "$dump" "$responder" 2>/dev/null || true
    wait "$dump" 2>/dev/null || true
    cp "$work/cap.pcap" "$out"
}

python3 -c '
import base64, hashlib
for i in range(60):
    chunk = base64.b32encode(hashlib.sha256(b"secret-record-%d" % i).digest()[:20]).decode().lower().rstrip("=")
    print(f"{chunk}.x.exfil-data.com.cn")
' | capture "$here/dns-tunnel-positive/tunnel.pcap"

python3 -c '
cities = ["beijing","shanghai","tianjin","chongqing","hebei","shanxi","nmg","liaoning","jl","hlj",
          "jiangsu","zj","ah","fujian","jiangxi","shandong","henan","hubei","hunan","gd",
          "gxzf","hainan","sc","guizhou","yn","xizang","shaanxi","gansu","qinghai","nx"]
for c in cities:
    print(f"www.{c}.gov.cn")
    print(f"zwfw.{c}.gov.cn")
' | capture "$here/dns-tunnel-negative/gov.pcap"
# Names without a registered domain: reverse lookups and public suffixes themselves.
mkdir -p "$here/dns-registered-domain-negative"
printf '%s\n' 9.0.0.127.in-addr.arpa 1.0.0.127.in-addr.arpa gov.cn com.cn | capture "$here/dns-registered-domain-negative/ptr.pcap"
echo "wrote the captures in $here/dns-tunnel-positive, dns-tunnel-negative, dns-registered-domain-negative"

#!/usr/bin/env bash
# make-pii-capture.sh — regenerate Tests/Fixtures/pcap/pii-api.pcap and
# Tests/Fixtures/pii-values.txt.
#
# nginx on 127.0.0.1 serves a cleartext HTTP JSON "citizen" API from static
# files; curl fetches it while tcpdump (-s 0) records loopback. Every ID
# number / mobile number in the traffic is synthetic, generated from a fixed
# seed by logs/gen-pii.py (valid GB 11643 check characters), and listed in
# pii-values.txt so tests can assert each one is masked and counted.
#
# Needs root (tcpdump). Idempotent; stops everything it started on exit.
# Usage: sudo Tests/Fixtures/make-pii-capture.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PCAP="$HERE/pcap/pii-api.pcap"
VALUES="$HERE/pii-values.txt"
GENPII="$HERE/logs/gen-pii.py"
PORT=18088
SEED=11643

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C.UTF-8
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ftp_proxy FTP_PROXY
export no_proxy='*' NO_PROXY='*'

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'make-pii-capture.sh: error: %s\n' "$*" >&2; exit 1; }
[[ ${EUID:-$(id -u)} -eq 0 ]] || die "must run as root (tcpdump)"

need=()
for c in tcpdump:tcpdump nginx:nginx curl:curl python3:python3 ss:iproute2; do
    command -v "${c%%:*}" >/dev/null 2>&1 || need+=("${c#*:}")
done
if ((${#need[@]})); then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
PY=$(command -v python3)

WORK=""
PIDS=()
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$? i
    set +e
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    ((rc != 0)) && echo "make-pii-capture.sh: FAILED (exit $rc)" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ss -Hltn "sport = :$PORT" | grep -q . && die "tcp port $PORT is already in use"
WORK=$(mktemp -d /tmp/vigil-pii.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$HERE/pcap"
rm -f "$PCAP" "$VALUES"

# ---------------------------------------------------------------- values
mapfile -t PII < <("$PY" "$GENPII" values "$SEED" 7)
ID=(); MOB=()
for kv in "${PII[@]}"; do
    case $kv in id_card,*) ID+=("${kv#id_card,}") ;; mobile,*) MOB+=("${kv#mobile,}") ;; esac
done
((${#ID[@]} == 7 && ${#MOB[@]} == 7)) || die "PII generator failed"
"$PY" "$GENPII" check "${ID[@]}" || die "invalid id generated"

# ---------------------------------------------------------------- web root
WWW="$WORK/www"
mkdir -p "$WWW/api/v1" "$WORK/nginx/tmp"
"$PY" - "$WWW/api/v1/citizens.json" "${ID[@]:0:5}" "${MOB[@]:0:5}" <<'EOF'
import json, sys
out, vals = sys.argv[1], sys.argv[2:]
ids, mobs = vals[:5], vals[5:]
names = ["张三", "李四", "王五", "赵六", "钱七"]
addrs = ["北京市东城区东华门街道示例路1号", "上海市徐汇区示例路2号", "深圳市南山区示例街3号",
         "杭州市西湖区示例巷4号", "成都市武侯区示例大道5号"]
recs = [{"name": n, "id_card": i, "mobile": m, "address": a}
        for n, i, m, a in zip(names, ids, mobs, addrs)]
with open(out, "w", encoding="utf-8") as f:
    json.dump(recs, f, ensure_ascii=False, indent=1)
    f.write("\n")
EOF
chmod -R a+rX "$WWW"

NGX="$WORK/nginx"
cat >"$NGX/nginx.conf" <<EOF
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log info;
events { worker_connections 32; }
http {
    default_type application/json;
    charset utf-8;
    charset_types application/json;
    access_log $NGX/access.log;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    keepalive_timeout 5;
    gzip off;
    server {
        listen 127.0.0.1:$PORT;
        root $WWW;
        location = /api/v1/citizens { try_files /api/v1/citizens.json =404; }
        location = /api/v1/citizen  { return 200 '{"found":true}\n'; }
        location = /api/v1/report   { return 201 '{"status":"accepted"}\n'; }
    }
}
EOF
nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -t >/dev/null 2>&1 \
    || { nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -t; die "bad nginx config"; }
nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -g 'daemon off;' &
PIDS+=($!)
for i in $(seq 1 100); do ss -Hltn "sport = :$PORT" | grep -q . && break; sleep 0.1; done
ss -Hltn "sport = :$PORT" | grep -q . || die "nginx did not listen"

# ---------------------------------------------------------------- capture
log "capturing pii-api.pcap (lo, -s 0, tcp port $PORT)"
CAPLOG="$WORK/tcpdump.log"
tcpdump -Z root -i lo -s 0 -B 4096 -U -n -w "$PCAP" "tcp port $PORT" 2>"$CAPLOG" &
CAP=$!
PIDS+=("$CAP")
for i in $(seq 1 100); do
    grep -q 'listening on' "$CAPLOG" && break
    kill -0 "$CAP" 2>/dev/null || { cat "$CAPLOG" >&2; die "tcpdump exited"; }
    sleep 0.1
done
grep -q 'listening on' "$CAPLOG" || die "tcpdump did not start"
sleep 1

B="http://127.0.0.1:$PORT"
CURL=(curl -sS --noproxy '*' --max-time 10 -A 'VigilFixture/1.0 (curl; pii)')
"${CURL[@]}" -o "$WORK/r1.json" "$B/api/v1/citizens?page=1"                       # 1: JSON list
"${CURL[@]}" -o /dev/null "$B/api/v1/citizen?id_card=${ID[5]}"                    # 2: id in query
"${CURL[@]}" -o /dev/null --data-urlencode 'name=孙八' -d "mobile=%2B86${MOB[5]}" \
    -d "id_card=${ID[6]}" -d "contact=${MOB[6]}" "$B/api/v1/report"               # 3: form POST
sleep 1
kill -INT "$CAP"
for i in $(seq 1 50); do kill -0 "$CAP" 2>/dev/null || break; sleep 0.1; done
wait "$CAP" 2>/dev/null || true
PIDS=("${PIDS[@]:0:1}")
grep -E 'packets (captured|received|dropped)' "$CAPLOG" >&2 || true
grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$CAPLOG" && die "tcpdump dropped packets"

# ---------------------------------------------------------------- values file + checks
{
    echo "# pii-values.txt — synthetic PII carried in pcap/pii-api.pcap (cleartext HTTP)."
    echo "# Made by make-pii-capture.sh (logs/gen-pii.py, seed $SEED); not real people."
    echo "# Format: <type>,<value>. id_card = 18-char GB 11643 resident ID with a valid"
    echo "# ISO 7064 MOD 11-2 check char; mobile = 11-digit CN mainland number."
    echo "# Every value below occurs exactly once in the capture's TCP payloads."
    for v in "${ID[@]}"; do echo "id_card,$v"; done
    for v in "${MOB[@]}"; do echo "mobile,$v"; done
} >"$VALUES"

"$PY" - "$PCAP" "$VALUES" "$WORK/r1.json" <<'EOF'
import json, struct, sys
pcap, values, r1 = sys.argv[1:4]
data = open(pcap, "rb").read()
assert data[:4] == b"\xd4\xc3\xb2\xa1", "not a little-endian classic pcap"
snap, link = struct.unpack("<II", data[16:24])
assert link == 1, link
off, n, payload = 24, 0, b""
while off < len(data):
    _, _, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    assert incl == orig, "truncated packet despite -s 0"
    payload += data[off + 16:off + 16 + incl]
    off += 16 + incl; n += 1
recs = json.load(open(r1, encoding="utf-8"))
assert len(recs) == 5 and recs[0]["name"] == "张三"
assert len(data) < 30000, f"capture too big: {len(data)}"
for line in open(values, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    t, v = line.strip().split(",", 1)
    c = payload.count(v.encode())
    assert c == 1, f"{t} {v}: {c} occurrences"
for must in (b"GET /api/v1/citizens?page=1 HTTP/1.1", b"GET /api/v1/citizen?id_card=",
             b"POST /api/v1/report HTTP/1.1", b"application/x-www-form-urlencoded",
             b"mobile=%2B86", "张三".encode(), b"HTTP/1.1 201 Created"):
    assert must in payload, must
print(f"pii-api.pcap: {n} packets, {len(data)} bytes, snaplen {snap}; all values occur once", file=sys.stderr)
EOF
command -v capinfos >/dev/null && capinfos -c -s "$PCAP" >&2 || true

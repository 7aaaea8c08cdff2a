#!/usr/bin/env bash
# make-fixtures.sh — regenerate Vigil's packet-capture test fixtures.
#
# Drives real servers and clients (nginx, dnsmasq, sshd, curl, dig, ssh,
# openssl s_client, python3 http.server) on 127.0.0.1 — and, for the
# Ethernet capture, inside two private network namespaces joined by a veth
# pair — while tcpdump records. Nothing is sent anywhere else.
#
# Output: Tests/Fixtures/pcap/*.pcap, *.pcapng, plus
#         Tests/Fixtures/fixtures-summary.txt (tshark/capinfos facts of this run).
#
# Needs root (tcpdump, network namespaces, sshd). Idempotent: every output
# is rebuilt from scratch; every server started here is stopped on exit.
# Usage: sudo Tests/Fixtures/make-fixtures.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/pcap"
SUMMARY="$HERE/fixtures-summary.txt"
LINKTYPES="$HERE/linktypes.py"

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C
# Never route test traffic through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ftp_proxy FTP_PROXY
export no_proxy='*' NO_PROXY='*'

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'make-fixtures.sh: error: %s\n' "$*" >&2; exit 1; }

[[ ${EUID:-$(id -u)} -eq 0 ]] || die "must run as root (tcpdump, network namespaces, sshd)"

# Ports and names (non-standard ports on purpose).
HTTP_PORT=8080
TLS_PORT=8443
DNS_PORT=5353
SSH_PORT=2222
NS_A=vigil-a            # server side of the Ethernet capture
NS_B=vigil-b            # client side
VETH_A=veth-vigil-a
VETH_B=veth-vigil-b
ADDR_A=10.250.0.1
ADDR_B=10.250.0.2
ADDR6_A=fd00:250::1     # ULA, exists only inside the namespaces
ADDR6_B=fd00:250::2
ETH_HTTP_PORT=8000

# ---------------------------------------------------------------- deps
install_deps() {
    # command -> Debian package
    local -A pkg=(
        [tcpdump]=tcpdump [tshark]=tshark [editcap]=tshark [mergecap]=tshark
        [capinfos]=tshark [nginx]=nginx [dnsmasq]=dnsmasq-base [sshd]=openssh-server
        [ssh]=openssh-server [ssh-keygen]=openssh-server [dig]=dnsutils [curl]=curl
        [openssl]=openssl [ip]=iproute2 [ss]=iproute2 [python3]=python3 [ethtool]=ethtool
    )
    local need=() c
    for c in "${!pkg[@]}"; do
        command -v "$c" >/dev/null 2>&1 || need+=("${pkg[$c]}")
    done
    if ((${#need[@]})); then
        mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
        log "installing missing packages: ${need[*]}"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
    fi
}
install_deps
PY=$(command -v python3)

# ---------------------------------------------------------------- process bookkeeping
WORK=""
PIDS=()
NETNS_MADE=0

stop_pid() {  # stop one process we started, by pid, bounded wait
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? i
    set +e
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[$i]}"
    done
    if ((NETNS_MADE)); then
        ip netns del "$NS_A" 2>/dev/null
        ip netns del "$NS_B" 2>/dev/null
    fi
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    if ((rc != 0)); then
        echo "make-fixtures.sh: FAILED (exit $rc); outputs in $OUT may be incomplete" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
    local pid=$1 i
    for i in "${!PIDS[@]}"; do
        [[ ${PIDS[$i]} == "$pid" ]] && unset 'PIDS[i]'
    done
    PIDS=("${PIDS[@]}")
}

# wait_listen PROTO(t|u) PORT [NETNS]  — bounded poll of the socket table, no traffic
wait_listen() {
    local proto=$1 port=$2 ns=${3:-} i
    local -a pre=()
    [[ -n $ns ]] && pre=(ip netns exec "$ns")
    for i in $(seq 1 100); do
        if "${pre[@]}" ss -Hln"$proto" "sport = :$port" | grep -q .; then
            return 0
        fi
        sleep 0.1
    done
    die "nothing listening on ${proto}/${port}${ns:+ in netns $ns}"
}

port_free() {  # refuse to start if someone else already owns a port
    local proto=$1 port=$2
    if ss -Hln"$proto" "sport = :$port" | grep -q .; then
        die "port ${proto}/${port} is already in use on this machine; stop that service first"
    fi
}

# cap_start LABEL CMD... — start tcpdump (CMD is the full tcpdump command line),
# wait until it reports "listening on", then 1 s more.
CAP_PID=""
CAP_LOG=""
cap_start() {
    local label=$1 i
    shift
    CAP_LOG="$WORK/tcpdump-$label.log"
    "$@" 2>"$CAP_LOG" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    for i in $(seq 1 100); do
        grep -q 'listening on' "$CAP_LOG" && break
        kill -0 "$CAP_PID" 2>/dev/null || { cat "$CAP_LOG" >&2; die "tcpdump ($label) exited early"; }
        sleep 0.1
    done
    grep -q 'listening on' "$CAP_LOG" || { cat "$CAP_LOG" >&2; die "tcpdump ($label) did not start"; }
    sleep 1
}

# cap_stop — wait 1 s for stragglers, SIGINT tcpdump, check nothing was dropped.
cap_stop() {
    local i
    sleep 1
    kill -INT "$CAP_PID"
    for i in $(seq 1 50); do
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$CAP_PID" 2>/dev/null && kill -KILL "$CAP_PID"
    wait "$CAP_PID" 2>/dev/null || true
    forget_pid "$CAP_PID"
    grep -E 'packets (captured|received|dropped)' "$CAP_LOG" >&2 || true
    if grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$CAP_LOG"; then
        die "tcpdump dropped packets; re-run"
    fi
}

# ---------------------------------------------------------------- workspace
WORK=$(mktemp -d /tmp/vigil-fixtures.XXXXXX)
chmod 755 "$WORK"   # nginx workers (unprivileged) must read the web root
mkdir -p "$OUT"

OUTPUTS=(http.pcap http.pcapng dns.pcap tls.pcap ssh.pcap sll2.pcap ethernet.pcap
         vlan.pcap qinq.pcap raw.pcap null.pcap truncated.pcap not-a-capture.pcap
         bad-header.pcap snaplen.pcap sample.pcap)
for f in "${OUTPUTS[@]}"; do rm -f "$OUT/$f"; done

for p in "t $HTTP_PORT" "t $TLS_PORT" "u $DNS_PORT" "t $DNS_PORT" "t $SSH_PORT"; do
    # shellcheck disable=SC2086
    port_free $p
done

# Deterministic content: a tiny LCG picks words so every run serves the same bytes.
make_text() {  # make_text BYTES SEED > file
    "$PY" - "$1" "$2" <<'EOF'
import sys
size, seed = int(sys.argv[1]), int(sys.argv[2])
words = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
         "mike november oscar papa quebec romeo sierra tango uniform victor whiskey "
         "xray yankee zulu packet frame segment datagram socket vigil monitor "
         "network capture filter stream flow host port").split()
x, out, line, n = seed, [], [], 0
while n < size:
    x = (x * 1103515245 + 12345) % 2**31
    line.append(words[x % len(words)])
    if len(line) == 12:
        s = " ".join(line) + "\n"
        out.append(s); n += len(s); line = []
sys.stdout.write("".join(out)[:size])
EOF
}

WWW="$WORK/www"
mkdir -p "$WWW"
cat >"$WWW/index.html" <<'EOF'
<!doctype html>
<html><head><title>Vigil test site</title></head>
<body><h1>Vigil test site</h1><p>Served over TLS for the tls.pcap fixture.</p></body></html>
EOF
cat >"$WWW/search.html" <<'EOF'
<!doctype html>
<html><head><title>Search results</title></head>
<body><h1>Results for your query</h1><ol><li>first hit</li><li>second hit</li></ol></body></html>
EOF
printf 'resource a\n' >"$WWW/a.txt"
printf 'resource b\n' >"$WWW/b.txt"
cp "$WWW/a.txt" "$WWW/a"
cp "$WWW/b.txt" "$WWW/b"
make_text 20480 20240 >"$WWW/big.txt"
chmod -R a+rX "$WWW"

# ---------------------------------------------------------------- nginx (HTTP 8080 + TLS 8443)
log "generating throwaway TLS certificate (CN=vigil.test)"
NGX="$WORK/nginx"
mkdir -p "$NGX/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
    -keyout "$NGX/key.pem" -out "$NGX/cert.pem" \
    -subj "/CN=vigil.test" \
    -addext "subjectAltName=DNS:vigil.test,DNS:*.vigil.test" 2>/dev/null
chmod 600 "$NGX/key.pem"

cat >"$NGX/nginx.conf" <<EOF
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log info;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $NGX/access.log;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    keepalive_timeout 5;
    gzip on;
    gzip_types text/plain application/json;
    gzip_min_length 100;

    server {
        listen 127.0.0.1:$HTTP_PORT;
        server_name vigil-http;
        root $WWW;
        location = /search { try_files /search.html =404; }
        location = /submit {
            default_type text/plain;
            if (\$request_method != POST) { return 405; }
            return 200 "form received\n";
        }
        location = /a { default_type text/plain; }
        location = /b { default_type text/plain; }
        location / { }
    }

    server {
        listen 127.0.0.1:$TLS_PORT ssl;   # no http2 on purpose
        server_name vigil.test data.vigil.test;
        ssl_certificate $NGX/cert.pem;
        ssl_certificate_key $NGX/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;    # nginx 1.22's default lacks TLSv1.3
        root $WWW;
        location / { }
    }
}
EOF
log "starting nginx on 127.0.0.1:$HTTP_PORT (http) and :$TLS_PORT (https)"
nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -t >/dev/null 2>&1 \
    || { nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -t; die "bad nginx config"; }
nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -g 'daemon off;' &
PIDS+=($!)
wait_listen t "$HTTP_PORT"
wait_listen t "$TLS_PORT"

# ---------------------------------------------------------------- dnsmasq (127.0.0.1:5353)
# Records shared by both dnsmasq instances.
DNS_RECORDS=(
    --address=/gov.example/10.1.2.3
    --host-record=www.vigil.example,192.0.2.10,2001:db8::10
    --host-record=mail.vigil.example,192.0.2.25
    --cname=alias.vigil.example,www.vigil.example
    --mx-host=vigil.example,mail.vigil.example,10
    "--txt-record=vigil.example,v=spf1 mx -all"
    --local=/vigil.example/
)
log "starting dnsmasq on 127.0.0.1:$DNS_PORT"
dnsmasq -k --user=nobody --group=nogroup --conf-file=/dev/null --no-resolv --no-hosts --port="$DNS_PORT" \
    --listen-address=127.0.0.1 --bind-interfaces --pid-file="$WORK/dnsmasq.pid" \
    --log-queries --log-facility=- "${DNS_RECORDS[@]}" 2>"$WORK/dnsmasq.log" &
PIDS+=($!)
wait_listen u "$DNS_PORT"
wait_listen t "$DNS_PORT"

# ---------------------------------------------------------------- sshd (127.0.0.1:2222)
log "starting sshd on 127.0.0.1:$SSH_PORT with a throwaway host key"
SSHD_DIR="$WORK/sshd"
mkdir -p "$SSHD_DIR" /run/sshd
ssh-keygen -q -t ed25519 -N '' -C vigil-fixture-host -f "$SSHD_DIR/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C vigil-fixture-client -f "$SSHD_DIR/client_ed25519"
cat >"$SSHD_DIR/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/host_ed25519
PidFile $SSHD_DIR/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile none
StrictModes no
UseDNS no
MaxAuthTries 2
EOF
"$(command -v sshd)" -f "$SSHD_DIR/sshd_config" -D -e 2>"$SSHD_DIR/sshd.log" &
PIDS+=($!)
wait_listen t "$SSH_PORT"

# ---------------------------------------------------------------- traffic generators
CURL=(curl -sS --noproxy '*' --max-time 10 -o /dev/null)
DIG=(dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=3)

http_traffic() {
    local base="http://127.0.0.1:$HTTP_PORT"
    # 1. GET with query string, custom User-Agent and Referer
    "${CURL[@]}" -A 'VigilFixture/1.0 (curl; golden-test)' \
        -e 'http://portal.vigil.test/start?from=fixture' "$base/search?q=test&page=2"
    # 2. POST form body
    "${CURL[@]}" -d 'name=alice&dept=finance' "$base/submit"
    # 3. GET ~20 KB text with --compressed -> gzip + chunked; keep the verbose log
    "${CURL[@]}" -v --compressed "$base/big.txt" 2>"$WORK/curl-big.log"
    # 4. 404
    "${CURL[@]}" "$base/missing.html"
    # 5. two pipelined requests in one write on one connection
    "$PY" - "$HTTP_PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
req = (b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
       b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(req)
data, deadline = b"", time.monotonic() + 5
while time.monotonic() < deadline:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
s.close()
n = data.count(b"HTTP/1.1 200")
if n != 2:
    sys.exit(f"pipelined requests: expected 2 responses, got {n}: {data!r}")
EOF
}

# ================================================================ 1. http.pcap
log "capture 1: http.pcap (lo, tcp port $HTTP_PORT)"
cap_start http tcpdump -Z root -i lo -B 4096 -U -n -w "$OUT/http.pcap" "tcp port $HTTP_PORT"
http_traffic
cap_stop
grep -qi '^< Transfer-Encoding: chunked' "$WORK/curl-big.log" \
    || { cat "$WORK/curl-big.log" >&2; die "expected a chunked response for /big.txt"; }
grep -qi '^< Content-Encoding: gzip' "$WORK/curl-big.log" \
    || die "expected Content-Encoding: gzip for /big.txt"
echo "curl -v confirms /big.txt: Transfer-Encoding: chunked + Content-Encoding: gzip" >&2

# ================================================================ 9d. snaplen.pcap
log "capture: snaplen.pcap (lo, -s 96, tcp port $HTTP_PORT)"
cap_start snaplen tcpdump -Z root -i lo -s 96 -B 4096 -U -n -w "$OUT/snaplen.pcap" "tcp port $HTTP_PORT"
"${CURL[@]}" -A 'VigilFixture/1.0 (curl; snaplen)' "http://127.0.0.1:$HTTP_PORT/search?q=snap&page=1"
"${CURL[@]}" --compressed "http://127.0.0.1:$HTTP_PORT/big.txt"
cap_stop

# ================================================================ 2. dns.pcap
log "capture 2: dns.pcap (lo, port $DNS_PORT)"
cap_start dns tcpdump -Z root -i lo -B 4096 -U -n -w "$OUT/dns.pcap" "port $DNS_PORT"
"${DIG[@]}" www.gov.example A >"$WORK/dig.log"
"${DIG[@]}" www.vigil.example AAAA >>"$WORK/dig.log"
"${DIG[@]}" vigil.example MX >>"$WORK/dig.log"
"${DIG[@]}" vigil.example TXT >>"$WORK/dig.log"
"${DIG[@]}" alias.vigil.example A >>"$WORK/dig.log"
"${DIG[@]}" nosuch.vigil.example A >>"$WORK/dig.log"
"${DIG[@]}" unknown.invalid A >>"$WORK/dig.log"
"${DIG[@]}" +tcp www.vigil.example A >>"$WORK/dig.log"
cap_stop
grep -E 'status:|^;[a-z].*IN' "$WORK/dig.log" >&2 || true

# ================================================================ 3. tls.pcap
log "capture 3: tls.pcap (lo, tcp port $TLS_PORT)"
cap_start tls tcpdump -Z root -i lo -B 4096 -U -n -w "$OUT/tls.pcap" "tcp port $TLS_PORT"
"${CURL[@]}" -k --resolve "vigil.test:$TLS_PORT:127.0.0.1" "https://vigil.test:$TLS_PORT/"
timeout 15 openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername data.vigil.test \
    -alpn http/1.1 -tls1_2 </dev/null >"$WORK/s_client.log" 2>&1 \
    || { cat "$WORK/s_client.log" >&2; die "openssl s_client failed"; }
cap_stop

# ================================================================ 4. ssh.pcap
log "capture 4: ssh.pcap (lo, tcp port $SSH_PORT)"
SSH=(ssh -F /dev/null -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no
     -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5
     -o IdentitiesOnly=yes -o IdentityAgent=none -i "$SSHD_DIR/client_ed25519"
     -o LogLevel=ERROR)
cap_start ssh tcpdump -Z root -i lo -B 4096 -U -n -w "$OUT/ssh.pcap" "tcp port $SSH_PORT"
for i in 1 2; do
    # Authentication is expected to fail; only the handshake matters.
    timeout 20 "${SSH[@]}" nobody@127.0.0.1 true </dev/null >/dev/null 2>>"$WORK/ssh-client.log" || true
    sleep 0.3
done
cap_stop

# ================================================================ 5. sll2.pcap
log "capture 5: sll2.pcap (any, LINUX_SLL2)"
cap_start sll2 tcpdump -Z root -i any -y LINUX_SLL2 -B 4096 -U -n -w "$OUT/sll2.pcap" \
    "host 127.0.0.1 and (tcp port $HTTP_PORT or udp port $DNS_PORT)"
"${CURL[@]}" -A 'VigilFixture/1.0 (curl; sll2)' "http://127.0.0.1:$HTTP_PORT/a.txt"
"${DIG[@]}" www.vigil.example A >/dev/null
cap_stop

# ================================================================ 6. ethernet.pcap (netns + veth)
log "capture 6: ethernet.pcap (namespaces $NS_A <-> $NS_B over veth, MTU 1500)"
for ns in "$NS_A" "$NS_B"; do
    if ip netns list | grep -qw "^$ns"; then
        echo "removing stale namespace $ns from an earlier run" >&2
        ip netns del "$ns"
    fi
done
NETNS_MADE=1
ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B"
A=(ip netns exec "$NS_A")
B=(ip netns exec "$NS_B")
setup_ns() {  # setup_ns NSCMD-array-name IFACE ADDR4 ADDR6
    local -n ns=$1
    local ifc=$2 a4=$3 a6=$4
    "${ns[@]}" ip link set lo up
    # Quiet IPv6: no router solicitations, no DAD, no autoconf link-local address.
    "${ns[@]}" sysctl -qw "net.ipv6.conf.$ifc.router_solicitations=0"
    "${ns[@]}" sysctl -qw "net.ipv6.conf.$ifc.accept_dad=0"
    "${ns[@]}" sysctl -qw "net.ipv6.conf.$ifc.accept_ra=0"
    "${ns[@]}" ip link set "$ifc" addrgenmode none
    "${ns[@]}" ip link set "$ifc" mtu 1500
    "${ns[@]}" ip addr add "$a4/30" dev "$ifc"
    "${ns[@]}" ip -6 addr add "$a6/64" dev "$ifc" nodad
    if command -v ethtool >/dev/null 2>&1; then
        # Real 1500-byte frames with software checksums (no GSO super-frames).
        "${ns[@]}" ethtool -K "$ifc" rx off tx off tso off gso off gro off >/dev/null 2>&1 \
            || echo "warning: ethtool -K $ifc failed; offloads left on" >&2
    else
        echo "ethtool not found: offloads left on, capping GSO instead" >&2
        "${ns[@]}" ip link set "$ifc" gso_max_segs 1 2>/dev/null || true
    fi
    "${ns[@]}" ip link set "$ifc" up
}
setup_ns A "$VETH_A" "$ADDR_A" "$ADDR6_A"
setup_ns B "$VETH_B" "$ADDR_B" "$ADDR6_B"

WWW_ETH="$WORK/www-eth"
mkdir -p "$WWW_ETH"
make_text 10240 10240 >"$WWW_ETH/file10k.txt"

"${A[@]}" "$PY" -m http.server "$ETH_HTTP_PORT" --bind "$ADDR_A" --directory "$WWW_ETH" \
    >"$WORK/http-server.log" 2>&1 &
PIDS+=($!)
"${A[@]}" dnsmasq -k --user=nobody --group=nogroup --conf-file=/dev/null --no-resolv --no-hosts --port=53 \
    --listen-address="$ADDR_A" --listen-address="$ADDR6_A" --bind-interfaces \
    --pid-file="$WORK/dnsmasq-ns.pid" --log-queries --log-facility=- \
    "${DNS_RECORDS[@]}" 2>"$WORK/dnsmasq-ns.log" &
PIDS+=($!)
wait_listen t "$ETH_HTTP_PORT" "$NS_A"
wait_listen u 53 "$NS_A"
# Let link-up chatter (MLD reports etc.) finish before recording.
sleep 3

cap_start ethernet "${A[@]}" tcpdump -Z root -i "$VETH_A" -B 4096 -U -n -w "$OUT/ethernet.pcap"
"${B[@]}" dig @"$ADDR_A" +tries=1 +time=3 www.gov.example A >/dev/null
"${B[@]}" "${CURL[@]}" "http://$ADDR_A:$ETH_HTTP_PORT/file10k.txt"
"${B[@]}" dig @"$ADDR6_A" +tries=1 +time=3 www.vigil.example AAAA >/dev/null
cap_stop

# ================================================================ derived files
log "derived files"
# 7. pcapng copy of http.pcap
editcap -F pcapng "$OUT/http.pcap" "$OUT/http.pcapng"
# 8. link-type variants of ethernet.pcap
"$PY" "$LINKTYPES" all "$OUT/ethernet.pcap" "$OUT" | tee "$WORK/derived.txt"
# 9a. truncated mid-record
"$PY" "$LINKTYPES" truncate "$OUT/http.pcap" "$OUT/truncated.pcap" | tee -a "$WORK/derived.txt"
# 9b. not a capture at all
printf 'This is not a packet capture.\nIt is a short plain-text file used to test error handling.\n' \
    >"$OUT/not-a-capture.pcap"
# 9c. real global header fields, corrupted magic (0xa1b2c3d5 instead of 0xa1b2c3d4)
{ printf '\xd5\xc3\xb2\xa1'; tail -c +5 "$OUT/http.pcap"; } >"$OUT/bad-header.pcap"
# 10. bundled demo capture (classic pcap, chronological merge)
mergecap -F pcap -w "$OUT/sample.pcap" "$OUT/http.pcap" "$OUT/dns.pcap" "$OUT/tls.pcap" "$OUT/ssh.pcap"

# ================================================================ verification
log "verification"
DEC=(-d "tcp.port==$HTTP_PORT,http" -d "udp.port==$DNS_PORT,dns" -d "tcp.port==$DNS_PORT,dns"
     -d "tcp.port==$SSH_PORT,ssh" -d "tcp.port==$TLS_PORT,tls" -d "tcp.port==$ETH_HTTP_PORT,http")
TS=(tshark -n "${DEC[@]}")

fields() {  # fields FILE FILTER FIELD...
    local f=$1 flt=$2
    shift 2
    local args=() x
    for x in "$@"; do args+=(-e "$x"); done
    "${TS[@]}" -r "$f" -Y "$flt" -T fields -E separator='|' -E occurrence=a -E aggregator=, "${args[@]}" 2>/dev/null
}
expect() {  # expect FILE FILTER MIN_COUNT DESCRIPTION [FIELD]
    # Counts occurrences of FIELD (default: frame.number, i.e. packets) in matching packets,
    # so two pipelined requests in one segment count as 2 with FIELD=http.request.method.
    local field=${5:-frame.number} n
    n=$("${TS[@]}" -r "$1" -Y "$2" -T fields -e "$field" -E occurrence=a -E aggregator=, 2>/dev/null \
        | tr ',' '\n' | grep -c . || true)
    ((n >= $3)) || die "$(basename "$1"): expected >= $3 x $field matching '$2' ($4), got $n"
    printf '  ok  %-14s %-66s %3d x %s\n' "$(basename "$1")" "$2" "$n" "$field"
}

{
    echo "# Generated by make-fixtures.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{print $3}'), $(tshark --version | head -1)"
    echo "# $(nginx -v 2>&1), $(dnsmasq --version | head -1 | cut -d' ' -f1-3), $(ssh -V 2>&1 | cut -d, -f1), $(openssl version | cut -d' ' -f1-2), curl $(curl --version | head -1 | cut -d' ' -f2), python $("$PY" -c 'import platform; print(platform.python_version())')"
    echo
    echo "## capinfos (file | packets | encapsulation | snaplen | size)"
    for f in "${OUTPUTS[@]}"; do
        p="$OUT/$f"
        if capinfos -c -E -l -s -M -T -r "$p" >"$WORK/ci.txt" 2>/dev/null; then
            # columns: name, encapsulation, snaplen, snaplen min, snaplen max, packets, size
            awk -F'\t' -v n="$f" '{printf "%-20s %4s pkts  %-12s snaplen %-7s %6s bytes\n", n, $6, $2, $3, $7}' "$WORK/ci.txt"
        else
            printf '%-20s %s (capinfos: %s)\n' "$f" "$(stat -c %s "$p") bytes" \
                "$(capinfos "$p" 2>&1 | grep -m1 -iE 'error|appears|isn|cut short' | sed 's/^capinfos: //')"
        fi
    done
    echo
    echo "## http.pcap requests (frame|src port|method|uri|user-agent|referer|content-type|body)"
    fields "$OUT/http.pcap" http.request frame.number tcp.srcport http.request.method http.request.uri \
        http.user_agent http.referer http.content_type urlencoded-form.key
    echo "## http.pcap responses (frame|dst port|code|phrase|for uri|content-type|content-encoding|transfer-encoding|content-length)"
    fields "$OUT/http.pcap" http.response frame.number tcp.dstport http.response.code http.response.phrase \
        http.response_for.uri http.content_type http.content_encoding http.transfer_encoding http.content_length_header
    echo "## http.pcap TCP streams"
    "${TS[@]}" -r "$OUT/http.pcap" -q -z conv,tcp 2>/dev/null | grep -E '<->' || true
    echo
    echo "## dns.pcap (frame|transport|response|id|qname|qtype|rcode|A|AAAA|CNAME|MX|TXT)"
    fields "$OUT/dns.pcap" dns frame.number ip.proto dns.flags.response dns.id dns.qry.name dns.qry.type \
        dns.flags.rcode dns.a dns.aaaa dns.cname dns.mx.mail_exchange dns.txt
    echo
    echo "## tls.pcap ClientHello (frame|src port|SNI|ALPN offered|legacy version|supported_versions)"
    fields "$OUT/tls.pcap" 'tls.handshake.type==1' frame.number tcp.srcport tls.handshake.extensions_server_name \
        tls.handshake.extensions_alpn_str tls.handshake.version tls.handshake.extensions.supported_version
    echo "## tls.pcap ServerHello (frame|dst port|cipher suite|ALPN selected (TLS1.2 only; TLS1.3 hides it)|selected version)"
    fields "$OUT/tls.pcap" 'tls.handshake.type==2' frame.number tcp.dstport tls.handshake.ciphersuite \
        tls.handshake.extensions_alpn_str tls.handshake.extensions.supported_version
    echo "## tls.pcap certificate subject seen in clear (TLS1.2 only)"
    fields "$OUT/tls.pcap" 'tls.handshake.type==11' frame.number x509sat.printableString x509sat.uTF8String x509ce.dNSName
    echo
    echo "## ssh.pcap banners (frame|src port|dst port|protocol string)"
    fields "$OUT/ssh.pcap" ssh.protocol frame.number tcp.srcport tcp.dstport ssh.protocol
    echo "## ssh.pcap KEXINIT (frame|src port|first kex algorithm offered|first host key algorithm offered)"
    "${TS[@]}" -r "$OUT/ssh.pcap" -Y 'ssh.message_code==20' -T fields -E separator='|' \
        -e frame.number -e tcp.srcport -e ssh.kex_algorithms -e ssh.server_host_key_algorithms 2>/dev/null \
        | awk -F'|' '{split($3,k,","); split($4,h,","); print $1 "|" $2 "|" k[1] "|" h[1]}'
    echo "## ssh.pcap message codes per frame (frame|src port|codes; 20=KEXINIT 21=NEWKEYS 30/31=KEX ECDH init/reply)"
    fields "$OUT/ssh.pcap" 'ssh.message_code' frame.number tcp.srcport ssh.message_code
    echo "## server-side logs (who answered what; encrypted status codes come from here)"
    echo "--- nginx access.log"
    sed 's/^/    /' "$NGX/access.log"
    echo "--- sshd"
    grep -Ei 'connection|invalid|auth|disconnect|closed' "$SSHD_DIR/sshd.log" | sed 's/^/    /' || true
    echo
    echo "## sll2.pcap (frame|ifindex|pkttype|protocol summary)"
    fields "$OUT/sll2.pcap" 'http.request or http.response or dns' frame.number sll.ifindex sll.pkttype \
        http.request.method http.request.uri http.response.code dns.qry.name dns.flags.response
    echo
    echo "## ethernet.pcap (frame|eth.src|eth.dst|eth.type|len|protocols)"
    fields "$OUT/ethernet.pcap" frame frame.number eth.src eth.dst eth.type frame.len frame.protocols
    echo
    for f in http.pcap dns.pcap tls.pcap ssh.pcap sll2.pcap ethernet.pcap vlan.pcap qinq.pcap raw.pcap null.pcap snaplen.pcap sample.pcap; do
        echo "## protocol hierarchy: $f"
        "${TS[@]}" -r "$OUT/$f" -q -z io,phs 2>/dev/null | sed -n '/^[a-z]/p;/^ /p' | grep -v '^Filter' || true
        echo
    done
    echo "## derived files (linktypes.py)"
    cat "$WORK/derived.txt"
    echo
    echo "## error inputs (tshark -r)"
    for f in truncated.pcap not-a-capture.pcap bad-header.pcap; do
        echo "--- $f"
        n=$(tshark -r "$OUT/$f" 2>"$WORK/err.txt" | wc -l) || true
        echo "tshark read $n packets; stderr: $(grep -v '^Running as user' "$WORK/err.txt" | tr '\n' ' ')"
    done
    echo
    for f in http.pcap snaplen.pcap dns.pcap tls.pcap ssh.pcap sll2.pcap ethernet.pcap; do
        echo "## packet list: $f"
        "${TS[@]}" -r "$OUT/$f" 2>/dev/null
        echo
    done
} 2>&1 | grep -v '^Running as user' | sed "s|$OUT/||g" >"$SUMMARY"

# Hard checks: fail the run if a key fact is missing.
expect "$OUT/http.pcap" 'http.request.method=="GET" && http.request.uri=="/search?q=test&page=2"' 1 "GET with query"
expect "$OUT/http.pcap" 'http.user_agent contains "VigilFixture" && http.referer' 1 "custom UA + Referer"
expect "$OUT/http.pcap" 'http.request.method=="POST" && urlencoded-form.key=="dept"' 1 "POST form"
expect "$OUT/http.pcap" 'http.content_encoding=="gzip" && http.transfer_encoding=="chunked"' 1 "gzip+chunked"
expect "$OUT/http.pcap" 'http.response.code==404' 1 "404"
expect "$OUT/http.pcap" 'http.request.uri=="/a" && http.request.uri=="/b"' 2 "pipelined /a /b in one segment" http.request.uri
expect "$OUT/http.pcap" 'http.request' 6 "6 requests" http.request.method
expect "$OUT/http.pcap" 'http.response' 6 "6 responses" http.response.code
expect "$OUT/dns.pcap" 'dns.flags.response==0' 8 "8 DNS queries"
expect "$OUT/dns.pcap" 'dns.flags.response==1' 8 "8 DNS responses"
expect "$OUT/dns.pcap" 'dns.aaaa' 1 "AAAA answer"
expect "$OUT/dns.pcap" 'dns.mx.mail_exchange' 1 "MX answer"
expect "$OUT/dns.pcap" 'dns.txt' 1 "TXT answer"
expect "$OUT/dns.pcap" 'dns.cname' 1 "CNAME answer"
expect "$OUT/dns.pcap" 'dns.flags.rcode==3' 1 "NXDOMAIN"
expect "$OUT/dns.pcap" 'tcp && dns' 2 "DNS over TCP"
expect "$OUT/tls.pcap" 'tls.handshake.extensions_server_name=="vigil.test"' 1 "SNI vigil.test"
expect "$OUT/tls.pcap" 'tls.handshake.extensions_server_name=="data.vigil.test"' 1 "SNI data.vigil.test"
expect "$OUT/tls.pcap" 'tls.handshake.type==2 && tls.handshake.extensions.supported_version==0x0304' 1 "TLS 1.3 (curl)"
expect "$OUT/tls.pcap" 'tls.handshake.type==2 && !tls.handshake.extensions.supported_version && tls.handshake.extensions_alpn_str=="http/1.1"' 1 "TLS 1.2 + ALPN (s_client)"
expect "$OUT/ssh.pcap" 'ssh.protocol' 4 "2x client + server banners"
expect "$OUT/sll2.pcap" 'sll && http.request' 1 "SLL2 HTTP"
expect "$OUT/sll2.pcap" 'sll && dns' 2 "SLL2 DNS"
expect "$OUT/ethernet.pcap" 'arp' 2 "ARP"
expect "$OUT/ethernet.pcap" 'http.request' 1 "HTTP over veth"
expect "$OUT/ethernet.pcap" 'dns && ip' 2 "DNS/IPv4 over veth"
expect "$OUT/ethernet.pcap" 'dns && ipv6' 2 "DNS/IPv6 over veth"
expect "$OUT/vlan.pcap" 'vlan.id==100 && http.request' 1 "802.1Q VID 100"
expect "$OUT/qinq.pcap" 'ieee8021ad.id==200 && vlan.id==100 && http.request' 1 "QinQ 200/100"
expect "$OUT/raw.pcap" 'http.request' 1 "RAW HTTP"
expect "$OUT/null.pcap" 'null.family==2 && http.request' 1 "NULL AF_INET"
expect "$OUT/null.pcap" 'null.family==24 && dns' 2 "NULL AF_INET6"
expect "$OUT/snaplen.pcap" 'frame.cap_len < frame.len' 1 "cut packets"
expect "$OUT/sample.pcap" 'http.request || dns || tls.handshake.type==1 || ssh.protocol' 20 "merged"

# Error inputs must be rejected / cut short.
if tshark -r "$OUT/not-a-capture.pcap" >/dev/null 2>&1; then die "not-a-capture.pcap was accepted by tshark"; fi
if tshark -r "$OUT/bad-header.pcap" >/dev/null 2>&1; then die "bad-header.pcap was accepted by tshark"; fi
if tshark -r "$OUT/truncated.pcap" >/dev/null 2>"$WORK/err.txt" && ! grep -qi 'cut short' "$WORK/err.txt"; then
    die "truncated.pcap read cleanly"
fi
max=$(for f in "${OUTPUTS[@]}"; do stat -c %s "$OUT/$f"; done | sort -n | tail -1)
((max < 204800)) || die "a fixture exceeds 200 KB ($max bytes)"

# Files belong to whoever owns the checkout, not to root/tcpdump.
owner=$(stat -c %u:%g "$HERE")
chown "$owner" "$SUMMARY" "${OUTPUTS[@]/#/$OUT/}"

log "summary (also in ${SUMMARY#"$HERE"/})"
sed -n '/^## capinfos/,/^$/p' "$SUMMARY"
echo "all fixtures written to $OUT"

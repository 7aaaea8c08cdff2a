#!/usr/bin/env bash
# make-logs.sh — regenerate Vigil's log-file test fixtures from REAL daemons.
#
# Drives Debian's own nginx, rsyslog, OpenSSH sshd, sudo, auditd, PostgreSQL 15
# and MariaDB on 127.0.0.1 / ::1 with private configs in a mktemp directory,
# sends scripted traffic to them, and copies the log files they wrote into
# Tests/Fixtures/logs/. Nothing is sent anywhere but loopback.
#
# Output (Tests/Fixtures/logs/):
#   nginx-combined.log                     nginx `combined` format, IPv4+IPv6, scanners, garbage
#   nginx-custom.log + nginx-custom.format nginx custom format with $request_time $upstream_response_time
#   api-gateway.jsonl + api-gateway.mapping.txt  nginx JSON (escape=json) API-gateway log + ECS mapping
#   auth-rfc3164.log auth-rfc5424.log auth-iso.log  rsyslog auth,authpriv from sshd/sudo/PAM
#   audit.log                              auditd (ENRICHED) with an execve rule — only if the
#                                          kernel audit interface is usable (see README)
#   postgres-stderr.log postgres-csv.csv   PostgreSQL 15 log_statement=all, stderr + csvlog
#   mysql-general.log                      MariaDB general query log
#
# Needs root (sshd, useradd, auditd, binding /dev/log). Idempotent: every
# output is rebuilt; every daemon started here is stopped on exit, the test
# users are deleted and the kernel audit state is restored.
# Usage: sudo Tests/Fixtures/logs/make-logs.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE"
GENPII="$HERE/gen-pii.py"

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C.UTF-8 TZ=UTC
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ftp_proxy FTP_PROXY
export no_proxy='*' NO_PROXY='*'

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'make-logs.sh: error: %s\n' "$*" >&2; exit 1; }

[[ ${EUID:-$(id -u)} -eq 0 ]] || die "must run as root (sshd, useradd, auditd, /dev/log)"

# Ports (non-standard, distinct from make-fixtures.sh except sshd's 2222).
P_COMBINED=18080   # nginx combined, 127.0.0.1 and [::1]
P_CUSTOM=18081     # nginx custom format, proxies /app/ to the upstream
P_GATEWAY=18082    # nginx JSON API gateway
P_UPSTREAM=18090   # python upstream (127.0.0.1)
P_DEAD=18091       # nothing listens here on purpose (failed upstream try)
P_SSH=2222
P_PG=15432
P_MY=13306

# Test identities (created here, deleted on exit).
U_ALICE=vigil-alice; PW_ALICE='Alice-Vigil-2024'
U_BOB=vigil-bob;     PW_BOB='Bob-Vigil-2024'
PII_SEED=20240611

# ---------------------------------------------------------------- deps
install_deps() {
    local -A pkg=(
        [nginx]=nginx [curl]=curl [openssl]=openssl [python3]=python3 [ss]=iproute2
        [rsyslogd]=rsyslog [sshd]=openssh-server [ssh]=openssh-client [ssh-keygen]=openssh-client
        [sshpass]=sshpass [sudo]=sudo [nc]=netcat-openbsd [auditd]=auditd [auditctl]=auditd
        [pg_ctlcluster]=postgresql-common [psql]=postgresql-client-15
        [mariadbd]=mariadb-server [mariadb]=mariadb-client [useradd]=passwd
    )
    local need=() c
    for c in "${!pkg[@]}"; do
        command -v "$c" >/dev/null 2>&1 || need+=("${pkg[$c]}")
    done
    [[ -x /usr/lib/postgresql/15/bin/initdb ]] || need+=(postgresql-15)
    if ((${#need[@]})); then
        mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
        log "installing missing packages: ${need[*]}"
        apt-get update
        # policy-rc.d / no systemd: the packages' own services are not started.
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
    fi
}
install_deps
PY=$(command -v python3)
PGBIN=/usr/lib/postgresql/15/bin

# ---------------------------------------------------------------- bookkeeping
WORK=""
PIDS=()
PG_STARTED=0
USERS_MADE=0
DEVLOG_OURS=0
AUDIT_TOUCHED=0
AUDIT_ENABLED_BEFORE=""

stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}
forget_pid() {
    local pid=$1 i
    for i in "${!PIDS[@]}"; do
        [[ ${PIDS[$i]} == "$pid" ]] && unset 'PIDS[i]'
    done
    PIDS=("${PIDS[@]}")
}
stop_and_forget() { stop_pid "$1"; forget_pid "$1"; }

del_users() {
    local u
    for u in "$U_ALICE" "$U_BOB"; do
        if id "$u" >/dev/null 2>&1; then
            userdel -f -r "$u" >/dev/null 2>&1 || true
        fi
    done
}

cleanup() {
    local rc=$? i
    set +e
    if ((PG_STARTED)); then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1
    fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[$i]}"
    done
    if ((AUDIT_TOUCHED)); then
        auditctl -D >/dev/null 2>&1
        [[ -n $AUDIT_ENABLED_BEFORE ]] && auditctl -e "$AUDIT_ENABLED_BEFORE" >/dev/null 2>&1
    fi
    ((USERS_MADE)) && del_users
    ((DEVLOG_OURS)) && [[ -S /dev/log ]] && rm -f /dev/log
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    ((rc != 0)) && echo "make-logs.sh: FAILED (exit $rc); outputs in $OUT may be incomplete" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_listen() {  # wait_listen PORT
    local port=$1 i
    for i in $(seq 1 150); do
        ss -Hltn "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    die "nothing listening on tcp/$port"
}
port_free() {
    ss -Hltn "sport = :$1" | grep -q . && die "tcp port $1 is already in use; stop that service first"
    return 0
}
# expect FILE LINE ERE — a fact about the output; stop if it does not hold.
expect() {
    local f=$1 n=$2 re=$3 line
    line=$(sed -n "${n}p" "$f")
    grep -Eq -- "$re" <<<"$line" || die "$(basename "$f") line $n: expected /$re/, got: $line"
}
expect_lines() {  # expect_lines FILE COUNT
    local got
    got=$(wc -l <"$1")
    [[ $got -eq $2 ]] || die "$(basename "$1"): expected $2 lines, got $got"
}
expect_has() {  # expect_has FILE FIXED-STRING [COUNT]
    local got
    got=$(grep -cF -- "$2" "$1" || true)
    if [[ $# -ge 3 ]]; then
        [[ $got -eq $3 ]] || die "$(basename "$1"): expected $3 lines containing '$2', got $got"
    else
        [[ $got -ge 1 ]] || die "$(basename "$1"): no line contains '$2'"
    fi
}

WORK=$(mktemp -d /tmp/vigil-logs.XXXXXX)
chmod 755 "$WORK"

for p in $P_COMBINED $P_CUSTOM $P_GATEWAY $P_UPSTREAM $P_DEAD $P_SSH $P_PG $P_MY; do port_free "$p"; done

OUTPUTS=(nginx-combined.log nginx-custom.log nginx-custom.format api-gateway.jsonl
         api-gateway.mapping.txt auth-rfc3164.log auth-rfc5424.log auth-iso.log audit.log
         postgres-stderr.log postgres-csv.csv mysql-general.log versions.txt)
for f in "${OUTPUTS[@]}"; do rm -f "$OUT/$f"; done

# ---------------------------------------------------------------- synthetic PII
# Pool of 6 resident-ID numbers + 6 mobiles (fixed seed); listed in README.md.
mapfile -t PII < <("$PY" "$GENPII" values "$PII_SEED" 6)
ID=(); MOB=()
for kv in "${PII[@]}"; do
    case $kv in
        id_card,*) ID+=("${kv#id_card,}") ;;
        mobile,*)  MOB+=("${kv#mobile,}") ;;
    esac
done
((${#ID[@]} == 6 && ${#MOB[@]} == 6)) || die "PII generator returned ${#PII[@]} values"
"$PY" "$GENPII" check "${ID[@]}" || die "generated an invalid GB 11643 id"
printf 'synthetic PII pool (seed %s):\n' "$PII_SEED" >&2; printf '  %s\n' "${PII[@]}" >&2

CURL=(curl -sS --noproxy '*' --max-time 10 -o /dev/null)

# ================================================================ 1. nginx
nginx_section() {
    log "nginx: combined / custom / JSON gateway"
    local NGX="$WORK/nginx" WWW="$WORK/www"
    mkdir -p "$NGX/tmp" "$WWW/admin" "$WWW/private" "$WWW/static"
    printf '<!doctype html><title>Vigil test site</title><h1>Vigil test site</h1>\n' >"$WWW/index.html"
    printf '<!doctype html><title>Search</title><ol><li>hit</li></ol>\n' >"$WWW/search.html"
    printf '<!doctype html><title>Admin</title><h1>admin area</h1>\n' >"$WWW/admin/index.html"
    printf '<!doctype html><title>Private</title>\n' >"$WWW/private/index.html"
    printf 'body{color:#333}\n' >"$WWW/static/site.css"
    chmod -R a+rX "$WWW"
    # Basic-auth user, APR1 (Apache MD5) hash with a fixed salt so the file is stable.
    printf 'vigiladmin:%s\n' "$(openssl passwd -apr1 -salt VigilSlt 'Admin-Vigil-2024')" >"$NGX/htpasswd"
    chmod 644 "$NGX/htpasswd"

    # Custom and JSON formats: these exact strings are also written to the fixture files.
    CUSTOM_FMT='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time'
    GW_FMT='{"time_iso8601":"$time_iso8601","remote_addr":"$remote_addr","consumer_id":"$http_x_consumer_id","request_method":"$request_method","uri":"$uri","status":$status,"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,"record_count":"$upstream_http_x_record_count"}'

    cat >"$NGX/nginx.conf" <<EOF
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log info;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    keepalive_timeout 5;
    server_tokens on;

    log_format vigil_custom '$CUSTOM_FMT';
    log_format gateway escape=json '$GW_FMT';

    upstream app { server 127.0.0.1:$P_UPSTREAM; }
    # First server is dead on purpose: \$upstream_response_time gets two values.
    upstream pair { server 127.0.0.1:$P_DEAD; server 127.0.0.1:$P_UPSTREAM; }

    # --- 1. combined (nginx's predefined format), IPv4 + IPv6
    server {
        listen 127.0.0.1:$P_COMBINED;
        listen [::1]:$P_COMBINED;
        server_name vigil-combined;
        access_log $NGX/combined.log combined;
        root $WWW;
        location = /search { try_files /search.html =404; }
        location /admin/ {
            auth_basic "Vigil admin";
            auth_basic_user_file $NGX/htpasswd;
        }
        location /private/ { deny all; }
        location /api/ {
            default_type application/json;
            return 200 '{"ok":true}\n';
        }
        location = /login {
            if (\$request_method != POST) { return 405; }
            return 302 /;
        }
        location / { }
    }

    # --- 2. custom format with upstream timing
    server {
        listen 127.0.0.1:$P_CUSTOM;
        server_name vigil-custom;
        access_log $NGX/custom.log vigil_custom;
        root $WWW;
        location /app/   { proxy_pass http://app; }
        location /multi/ { proxy_pass http://pair; proxy_next_upstream error timeout; }
        location / { }
    }

    # --- 3. data-sharing API gateway, JSON log
    server {
        listen 127.0.0.1:$P_GATEWAY;
        server_name vigil-gateway;
        access_log $NGX/gateway.log gateway;
        default_type application/json;
        location /api/ {
            if (\$http_x_consumer_id = "") {
                return 401 '{"error":"missing X-Consumer-Id"}\n';
            }
            proxy_pass http://app;
        }
        location / { return 404 '{"error":"not found"}\n'; }
    }
}
EOF
    # Upstream: tiny Python app. /app/* for the custom log, /api/* returns JSON
    # records with an X-Record-Count header for the gateway log.
    cat >"$WORK/upstream.py" <<'EOF'
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

DATASETS = {"population": "person", "vehicles": "vehicle", "licences": "licence"}

class H(BaseHTTPRequestHandler):
    server_version = "VigilUpstream/1.0"
    def log_message(self, *a): pass
    def send(self, code, body, ctype="text/plain", extra=()):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(data)
    def records(self, n, kind):
        return [{"id": i + 1, "type": kind} for i in range(n)]
    def route(self):
        u = urlsplit(self.path); p = u.path; q = parse_qs(u.query)
        if self.command == "POST":
            n = int(self.headers.get("Content-Length") or 0)
            if n: self.rfile.read(n)
        if p == "/app/hello":   return self.send(200, "hello\n")
        if p == "/app/slow":    time.sleep(0.25); return self.send(200, "slow\n")
        if p == "/app/form":    return self.send(200, "form ok\n")
        if p == "/app/error":   return self.send(500, "boom\n")
        if p == "/multi/ping":  return self.send(200, "pong\n")
        if p.startswith("/api/v1/datasets/"):
            if self.command not in ("GET", "HEAD"):
                return self.send(405, '{"error":"method not allowed"}', "application/json")
            name = p.rsplit("/", 1)[1]
            if name not in DATASETS:
                return self.send(404, '{"error":"no such dataset"}', "application/json")
            n = int(q.get("limit", ["10"])[0])
            return self.send(200, json.dumps(self.records(n, DATASETS[name])), "application/json",
                             [("X-Record-Count", str(n))])
        if p == "/api/v1/query" and self.command == "POST":
            return self.send(200, json.dumps(self.records(3, "person")), "application/json",
                             [("X-Record-Count", "3")])
        return self.send(404, "not found\n")
    do_GET = do_POST = do_HEAD = do_DELETE = route

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
    "$PY" "$WORK/upstream.py" "$P_UPSTREAM" 2>"$WORK/upstream.log" &
    PIDS+=($!)
    wait_listen "$P_UPSTREAM"

    nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -t >/dev/null 2>&1 \
        || { nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -t; die "bad nginx config"; }
    nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -g 'daemon off;' &
    local NGX_PID=$!
    PIDS+=("$NGX_PID")
    wait_listen "$P_COMBINED"; wait_listen "$P_CUSTOM"; wait_listen "$P_GATEWAY"

    # raw PORT PYTHON-BYTES-LITERAL — send bytes as-is, read until the server closes.
    raw() {
        "$PY" - "$1" "$2" <<'EOF'
import ast, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(ast.literal_eval(sys.argv[2]))
try:
    while s.recv(65536): pass
except socket.timeout:
    sys.exit("server did not close the connection")
s.close()
EOF
    }

    local B="http://127.0.0.1:$P_COMBINED" B6="http://[::1]:$P_COMBINED"
    local FF='Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0'
    local CH='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
    local SQLMAP='sqlmap/1.7.2#stable (https://sqlmap.org)'
    local NIKTO='Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)'
    # --- combined log: each command below is one log line, in this order (README lists them).
    "${CURL[@]}" "$B/"                                                                  # 1
    "${CURL[@]}" -A "$FF" -e 'http://portal.vigil.test/start?from=mail' "$B/index.html?lang=en&ref=home"  # 2
    "${CURL[@]}" -A "$CH" -e "$B/index.html" "$B/search?q=vigil+security&page=2"        # 3
    "${CURL[@]}" -A "$CH" -e "$B/search" "$B/static/site.css"                           # 4
    "${CURL[@]}" -A "$FF" -d 'username=alice&password=hunter2' "$B/login"               # 5
    "${CURL[@]}" -A "$CH" -H 'Content-Type: application/json' -d '{"a":1}' "$B/api/v1/submit"  # 6
    "${CURL[@]}" "$B/missing.html"                                                      # 7
    "${CURL[@]}" -A "$FF" "$B/favicon.ico"                                              # 8
    "${CURL[@]}" -A "$FF" "$B/admin/"                                                   # 9  401 no creds
    "${CURL[@]}" -A "$FF" -u 'vigiladmin:wrong-password' "$B/admin/"                    # 10 401 bad pw
    "${CURL[@]}" -A "$FF" -u 'vigiladmin:Admin-Vigil-2024' "$B/admin/"                  # 11 200 user
    "${CURL[@]}" -A "$FF" "$B/private/"                                                 # 12 403
    "${CURL[@]}" -g "$B6/"                                                              # 13 IPv6
    "${CURL[@]}" -g -A "$CH" "$B6/search?q=ipv6"                                        # 14 IPv6
    "${CURL[@]}" -g "$B6/nope"                                                          # 15 IPv6 404
    "${CURL[@]}" -I "$B/index.html"                                                     # 16 HEAD
    "${CURL[@]}" -X PUT -d 'x' "$B/index.html"                                          # 17 405
    # scanners
    "${CURL[@]}" -A "$SQLMAP" "$B/item.php?id=1%27%20OR%201=1--"                        # 18
    "${CURL[@]}" -A "$SQLMAP" "$B/item.php?id=1%20UNION%20ALL%20SELECT%20NULL,CONCAT(username,0x3a,password)%20FROM%20users--%20-"  # 19
    "${CURL[@]}" -A "$NIKTO" "$B/.git/config"                                           # 20
    "${CURL[@]}" -A "$NIKTO" "$B/.env"                                                  # 21
    "${CURL[@]}" -A "$NIKTO" "$B/wp-login.php"                                          # 22
    "${CURL[@]}" -A "$NIKTO" "$B/phpmyadmin/index.php"                                  # 23
    "${CURL[@]}" -A "$NIKTO" "$B/cgi-bin/test.cgi?cmd=%3Bcat%20/etc/passwd"             # 24
    "${CURL[@]}" --path-as-is -A "$NIKTO" "$B/..%2f..%2fetc/passwd"                     # 25 400
    "${CURL[@]}" --path-as-is "$B/static/..%2f..%2f..%2fetc/shadow"                     # 26
    "${CURL[@]}" -A '' "$B/robots.txt"                                                  # 27 no UA -> "-"
    "${CURL[@]}" -A 'Mozilla/5.0 "quoted" agent\with\backslash' "$B/"                   # 28 escaped UA
    # garbage on the wire (each one is one log line)
    timeout 10 openssl s_client -connect "127.0.0.1:$P_COMBINED" -servername vigil.test \
        </dev/null >/dev/null 2>&1 || true                                               # 29 TLS ClientHello
    raw "$P_COMBINED" "b'\\x00\\x01junk\\r\\n'"                                         # 30
    raw "$P_COMBINED" "b'GET /\\r\\n'"                                                  # 31 HTTP/0.9
    raw "$P_COMBINED" "b'GET /a\"b HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'"  # 32
    raw "$P_COMBINED" "b'GET /index.html HTTP/1.1\\r\\nHost: x\\r\\nUser-Agent: () { :; }; /bin/bash -c \"id\"\\r\\nConnection: close\\r\\n\\r\\n'"  # 33 shellshock UA
    raw "$P_COMBINED" "b'\\x16\\x03\\x01\\x00\\x05hello'"                               # 34 TLS record, no CRLF
    raw "$P_COMBINED" "b'SSH-2.0-OpenSSH_9.2p1\\r\\n'"                                  # 35
    # synthetic PII in query strings
    "${CURL[@]}" -A "$CH" "$B/api/v1/person?sfzh=${ID[0]}&mobile=${MOB[0]}"             # 36
    "${CURL[@]}" -A "$CH" "$B/api/v1/person?sfzh=${ID[1]}&mobile=%2B86${MOB[1]}"        # 37 +86
    "${CURL[@]}" -g -A "$FF" "$B6/api/v1/person?name=%E5%BC%A0%E4%B8%89&sfzh=${ID[2]}"  # 38 IPv6, name 张三
    "${CURL[@]}" -A "$FF" -e "$B/api/v1/person?sfzh=${ID[3]}" "$B/api/v1/contact?phone=${MOB[2]}&page=1"  # 39 PII in referrer + query
    "${CURL[@]}" -A "$CH" -d "sfzh=${ID[4]}&mobile=${MOB[3]}" "$B/api/v1/person"        # 40 POST: PII only in body, NOT logged
    "${CURL[@]}" -u 'vigiladmin:Admin-Vigil-2024' "$B/api/v1/person/export?ids=${ID[5]},${ID[0]}&notify=${MOB[4]}"  # 41
    # a short burst from one "scanner" (brute force on basic auth)
    local i
    for i in 1 2 3 4 5; do
        "${CURL[@]}" -A 'python-requests/2.31.0' -u "admin:guess$i" "$B/admin/"         # 42-46
    done
    "${CURL[@]}" -A 'python-requests/2.31.0' -u 'vigiladmin:Admin-Vigil-2024' "$B/admin/"  # 47
    "${CURL[@]}" -g -A 'Go-http-client/1.1' "$B6/.git/HEAD"                             # 48
    "${CURL[@]}" -A "$CH" "$B/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"             # 49 XSS
    "${CURL[@]}" -A 'curl/7.88.1' "$B/"                                                 # 50

    # --- custom log
    local C="http://127.0.0.1:$P_CUSTOM"
    "${CURL[@]}" "$C/"                                                                  # 1 static, upstream "-"
    "${CURL[@]}" -A "$FF" -e "$C/" "$C/app/hello?x=1"                                   # 2 proxied
    "${CURL[@]}" -A "$FF" "$C/app/slow"                                                 # 3 proxied, ~0.25 s
    "${CURL[@]}" -A "$CH" -d 'a=1&b=2' "$C/app/form"                                    # 4 POST proxied
    "${CURL[@]}" "$C/app/missing"                                                       # 5 upstream 404
    "${CURL[@]}" "$C/app/error"                                                         # 6 upstream 500
    "${CURL[@]}" "$C/nope.html"                                                         # 7 static 404
    "${CURL[@]}" "$C/multi/ping"                                                        # 8 dead + live upstream
    "${CURL[@]}" -u 'bob:secret' "$C/app/hello"                                         # 9 remote_user set
    "${CURL[@]}" -A "$SQLMAP" "$C/app/hello?id=1%27%20AND%20SLEEP(5)--%20-"             # 10
    "${CURL[@]}" "$C/app/hello?sfzh=${ID[1]}&mobile=${MOB[5]}"                          # 11 PII

    # --- gateway log
    local G="http://127.0.0.1:$P_GATEWAY"
    "${CURL[@]}" -H 'X-Consumer-Id: dept-health-001' "$G/api/v1/datasets/population?limit=5"      # 1
    "${CURL[@]}" -H 'X-Consumer-Id: dept-tax-007'   "$G/api/v1/datasets/population?limit=100"    # 2
    "${CURL[@]}" -H 'X-Consumer-Id: dept-tax-007'   "$G/api/v1/datasets/vehicles?limit=0"        # 3
    "${CURL[@]}" -H 'X-Consumer-Id: dept-police-042' -H 'Content-Type: application/json' \
        -d '{"where":{"city":"Beijing"}}' "$G/api/v1/query"                                       # 4
    "${CURL[@]}" "$G/api/v1/datasets/population?limit=5"                                          # 5 401 no consumer
    "${CURL[@]}" -H 'X-Consumer-Id: dept-health-001' "$G/api/v1/datasets/unknown"                 # 6 404 upstream
    "${CURL[@]}" -H 'X-Consumer-Id: dept-health-001' -X DELETE "$G/api/v1/datasets/population"    # 7 405
    "${CURL[@]}" -H 'X-Consumer-Id: evil"consumer\01' "$G/api/v1/datasets/licences?limit=2"       # 8 escape=json
    "${CURL[@]}" -H 'X-Consumer-Id: 卫健委-01' "$G/api/v1/datasets/population?limit=3"             # 9 UTF-8
    "${CURL[@]}" -H 'X-Consumer-Id: dept-tax-007' "$G/api/v1/datasets/population?limit=5000"     # 10 bulk export
    "${CURL[@]}" -H 'X-Consumer-Id: dept-tax-007' "$G/healthz"                                    # 11 no /api/

    sleep 0.5
    stop_and_forget "$NGX_PID"      # SIGTERM: nginx flushes and closes its logs
    cp "$NGX/combined.log" "$OUT/nginx-combined.log"
    cp "$NGX/custom.log"   "$OUT/nginx-custom.log"
    cp "$NGX/gateway.log"  "$OUT/api-gateway.jsonl"
    printf '%s\n' "$CUSTOM_FMT" >"$OUT/nginx-custom.format"
    cat >"$OUT/api-gateway.mapping.txt" <<'EOF'
# api-gateway.jsonl: which JSON key feeds which ECS field.
# Format: <ecs.field>=<json key>. Keys are exactly those of the nginx
# log_format "gateway" (escape=json) in make-logs.sh; every value is a JSON
# string except status, body_bytes_sent and request_time, which are numbers.
# Empty strings ("") mean nginx had no value (no header / no upstream).
@timestamp=time_iso8601
source.ip=remote_addr
user.id=consumer_id
http.request.method=request_method
url.path=uri
http.response.status_code=status
http.response.body.bytes=body_bytes_sent
# request_time is seconds with millisecond resolution; ECS event.duration is nanoseconds (x 1e9).
event.duration=request_time
# No ECS field for a record count: custom field, from upstream header X-Record-Count.
vigil.gateway.record_count=record_count
EOF
    grep -E ' (emerg|alert|crit)\]' "$NGX/error.log" >&2 && die "nginx logged critical errors"
    return 0
}

# ================================================================ 2. rsyslog + sshd + sudo (+ auditd)
syslog_section() {
    log "rsyslog + sshd + sudo + PAM (+ auditd)"
    local SL="$WORK/rsyslog"
    mkdir -p "$SL/work"
    if [[ -e /dev/log ]]; then
        if [[ -S /dev/log ]] && "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.connect("/dev/log")' 2>/dev/null; then
            die "/dev/log is owned by another logger; this script will not take it over (see README)"
        fi
        rm -f /dev/log   # stale socket, nobody listening
    fi
    cat >"$SL/rsyslog.conf" <<EOF
global(workDirectory="$SL/work" localHostName="vigil-host" preserveFQDN="off")
module(load="imuxsock" SysSock.Use="on" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
auth,authpriv.*  action(type="omfile" file="$SL/auth-rfc3164.log" template="RSYSLOG_TraditionalFileFormat")
auth,authpriv.*  action(type="omfile" file="$SL/auth-rfc5424.log" template="RSYSLOG_SyslogProtocol23Format")
auth,authpriv.*  action(type="omfile" file="$SL/auth-iso.log"     template="RSYSLOG_FileFormat")
EOF
    rsyslogd -N1 -f "$SL/rsyslog.conf" >/dev/null 2>&1 || { rsyslogd -N1 -f "$SL/rsyslog.conf"; die "bad rsyslog config"; }
    rsyslogd -n -f "$SL/rsyslog.conf" -i "$SL/rsyslogd.pid" 2>"$SL/rsyslogd.err" &
    local RS_PID=$!
    PIDS+=("$RS_PID")
    DEVLOG_OURS=1
    local i
    for i in $(seq 1 50); do [[ -S /dev/log ]] && break; sleep 0.1; done
    [[ -S /dev/log ]] || die "rsyslogd did not create /dev/log"

    # --- test users
    del_users
    USERS_MADE=1
    useradd -m -s /bin/bash -c 'Vigil fixture user' -G sudo "$U_ALICE"
    useradd -m -s /bin/bash -c 'Vigil fixture user' "$U_BOB"
    printf '%s:%s\n%s:%s\n' "$U_ALICE" "$PW_ALICE" "$U_BOB" "$PW_BOB" | chpasswd
    local AH; AH=$(getent passwd "$U_ALICE" | cut -d: -f6)
    mkdir -p "$WORK/keys" "$AH/.ssh"
    ssh-keygen -q -t ed25519 -N '' -C vigil-fixture-client -f "$WORK/keys/alice_ed25519"
    cp "$WORK/keys/alice_ed25519.pub" "$AH/.ssh/authorized_keys"
    chown -R "$U_ALICE:$U_ALICE" "$AH/.ssh"; chmod 700 "$AH/.ssh"; chmod 600 "$AH/.ssh/authorized_keys"

    # --- auditd (only if the kernel audit interface answers)
    AUDIT_OK=0
    AUDIT_REASON=""
    local st
    if st=$(auditctl -s 2>&1); then
        AUDIT_OK=1
        AUDIT_ENABLED_BEFORE=$(awk '$1=="enabled"{print $2}' <<<"$st")
        if [[ $AUDIT_ENABLED_BEFORE == 2 ]]; then AUDIT_OK=0; AUDIT_REASON="audit config is locked (enabled 2)"; fi
        if [[ $(awk '$1=="pid"{print $2}' <<<"$st") != 0 ]]; then AUDIT_OK=0; AUDIT_REASON="another audit daemon is registered"; fi
    else
        AUDIT_REASON="auditctl -s failed: $st"
    fi
    local AU="$WORK/audit" AUD_PID=""
    if ((AUDIT_OK)); then
        mkdir -p "$AU/plugins.d" "$AU/log"
        chmod 750 "$AU"
        cat >"$AU/auditd.conf" <<EOF
local_events = yes
write_logs = yes
log_file = $AU/log/audit.log
log_group = root
log_format = ENRICHED
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 8
num_logs = 2
priority_boost = 0
name_format = NONE
max_log_file_action = IGNORE
space_left = 5
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
tcp_listen_queue = 5
tcp_max_per_addr = 1
tcp_client_max_idle = 0
transport = TCP
distribute_network = no
q_depth = 2000
overflow_action = IGNORE
max_restarts = 0
plugin_dir = $AU/plugins.d
end_of_event_timeout = 2
EOF
        chmod 640 "$AU/auditd.conf"
        AUDIT_TOUCHED=1
        # Rules go in BEFORE auditd starts (audit still disabled), so their
        # CONFIG_CHANGE records do not end up in audit.log. pam_motd runs
        # /etc/update-motd.d via env + run-parts (+ dash, uname) in every ssh
        # session: real but noisy, so "never" rules drop those first; then one
        # execve rule for the two test users' login uids.
        auditctl -D >/dev/null
        local x lo hi
        for x in /usr/bin/env /usr/bin/run-parts /usr/bin/dash /usr/bin/uname; do
            auditctl -a never,exit -F arch=b64 -S execve -F exe="$x" >/dev/null
        done
        lo=$(id -u "$U_ALICE"); hi=$(id -u "$U_BOB")
        ((lo < hi)) || { x=$lo; lo=$hi; hi=$x; }
        auditctl -a always,exit -F arch=b64 -S execve -F "auid>=$lo" -F "auid<=$hi" -k vigil-exec >/dev/null
        auditd -n -c "$AU" 2>"$WORK/auditd.err" &
        AUD_PID=$!
        PIDS+=("$AUD_PID")
        for i in $(seq 1 50); do
            [[ $(auditctl -s 2>/dev/null | awk '$1=="pid"{print $2}') == "$AUD_PID" ]] && break
            sleep 0.1
        done
        if [[ $(auditctl -s 2>/dev/null | awk '$1=="pid"{print $2}') != "$AUD_PID" ]]; then
            AUDIT_OK=0; AUDIT_REASON="auditd did not register with the kernel: $(cat "$WORK/auditd.err")"
        fi
    fi
    ((AUDIT_OK)) || echo "audit: NOT available: $AUDIT_REASON" >&2

    # --- sshd
    local SD="$WORK/sshd"
    mkdir -p "$SD" /run/sshd
    ssh-keygen -q -t ed25519 -N '' -C vigil-fixture-host -f "$SD/host_ed25519"
    cat >"$SD/sshd_config" <<EOF
Port $P_SSH
ListenAddress 127.0.0.1
HostKey $SD/host_ed25519
PidFile $SD/sshd.pid
UsePAM yes
SyslogFacility AUTH
LogLevel INFO
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
UseDNS no
PrintMotd no
MaxAuthTries 3
AllowUsers $U_ALICE $U_BOB
EOF
    "$(command -v sshd)" -t -f "$SD/sshd_config" || die "bad sshd config"
    "$(command -v sshd)" -D -f "$SD/sshd_config" &
    local SSHD_PID=$!
    PIDS+=("$SSHD_PID")
    wait_listen "$P_SSH"

    local SSHO=(-F /dev/null -p "$P_SSH" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
                -o LogLevel=ERROR -o ConnectTimeout=5 -o IdentitiesOnly=yes)
    local PWO=(-o PreferredAuthentications=password -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1)
    step() { sleep 0.7; }   # let sshd's children finish logging so the order is stable
    # 1 successful password login, runs a command (session opened/closed)
    sshpass -p "$PW_ALICE" ssh "${SSHO[@]}" "${PWO[@]}" "$U_ALICE@127.0.0.1" 'id -un' >/dev/null; step
    # 2,3 failed password for an existing user (twice)
    sshpass -p 'wrong-password' ssh "${SSHO[@]}" "${PWO[@]}" "$U_BOB@127.0.0.1" true && die "bad password accepted"; step
    sshpass -p 'letmein' ssh "${SSHO[@]}" "${PWO[@]}" "$U_BOB@127.0.0.1" true && die "bad password accepted"; step
    # 4 invalid user
    sshpass -p 'oracle' ssh "${SSHO[@]}" "${PWO[@]}" "oracle@127.0.0.1" true && die "invalid user accepted"; step
    # 5 publickey login
    ssh "${SSHO[@]}" -o BatchMode=yes -o PreferredAuthentications=publickey -i "$WORK/keys/alice_ed25519" \
        "$U_ALICE@127.0.0.1" 'id -un' >/dev/null; step
    # 6 connection closed preauth: publickey offered, refused, client gives up
    ssh "${SSHO[@]}" -o BatchMode=yes -o PreferredAuthentications=publickey -i "$WORK/keys/alice_ed25519" \
        "$U_BOB@127.0.0.1" true 2>/dev/null && die "bob's publickey login should fail"; step
    # 7 client sends its banner and hangs up before key exchange
    "$PY" - "$P_SSH" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.recv(256)
s.sendall(b"SSH-2.0-VigilScanner_1.0\r\n")
s.close()
EOF
    step
    # 8 sudo with a wrong password (failed sudo), inside a password session of alice
    sshpass -p "$PW_ALICE" ssh "${SSHO[@]}" "${PWO[@]}" "$U_ALICE@127.0.0.1" \
        "echo not-my-password | sudo -S -k -p '' id" >/dev/null 2>&1 && die "sudo with wrong password succeeded"; step
    # 9 sudo id with the right password (alice is in group sudo)
    sshpass -p "$PW_ALICE" ssh "${SSHO[@]}" "${PWO[@]}" "$U_ALICE@127.0.0.1" \
        "echo '$PW_ALICE' | sudo -S -k -p '' id" >/dev/null; step
    # 10 sudo by a user without sudo rights
    sshpass -p "$PW_BOB" ssh "${SSHO[@]}" "${PWO[@]}" "$U_BOB@127.0.0.1" \
        "echo '$PW_BOB' | sudo -S -k -p '' cat /etc/shadow" >/dev/null 2>&1 && die "bob must not sudo"; step
    sleep 1

    stop_and_forget "$SSHD_PID"
    sleep 0.5
    if [[ -n $AUD_PID ]]; then
        stop_and_forget "$AUD_PID"      # auditd writes DAEMON_END and disables auditing
        auditctl -D >/dev/null 2>&1 || true   # after auditd: keeps the rule removal out of audit.log
        [[ -n $AUDIT_ENABLED_BEFORE ]] && auditctl -e "$AUDIT_ENABLED_BEFORE" >/dev/null 2>&1
        AUDIT_TOUCHED=0
        if ((AUDIT_OK)); then
            [[ -s $AU/log/audit.log ]] || die "auditd wrote no log"
            cp "$AU/log/audit.log" "$OUT/audit.log"
            chmod 644 "$OUT/audit.log"
        fi
    fi
    del_users; USERS_MADE=0
    sleep 0.5
    stop_and_forget "$RS_PID"
    [[ -S /dev/log ]] && rm -f /dev/log
    DEVLOG_OURS=0
    cp "$SL/auth-rfc3164.log" "$OUT/auth-rfc3164.log"
    cp "$SL/auth-rfc5424.log" "$OUT/auth-rfc5424.log"
    cp "$SL/auth-iso.log"     "$OUT/auth-iso.log"
    chmod 644 "$OUT"/auth-*.log
}

# ================================================================ 3. PostgreSQL 15
postgres_section() {
    log "PostgreSQL 15 on 127.0.0.1:$P_PG"
    local PGW="$WORK/pg"
    mkdir -p "$PGW/data" "$PGW/sock" "$PGW/log"
    chown -R postgres:postgres "$PGW"
    chmod 700 "$PGW/data"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGW/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 >"$WORK/initdb.log" 2>&1 \
        || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
    cat >>"$PGW/data/postgresql.conf" <<EOF

# --- Vigil fixture settings
listen_addresses = '127.0.0.1'
port = $P_PG
unix_socket_directories = '$PGW/sock'
lc_messages = 'C'
log_timezone = 'UTC'
timezone = 'UTC'
logging_collector = on
log_destination = 'stderr,csvlog'
log_directory = '$PGW/log'
log_filename = 'postgresql.log'
log_rotation_age = 0
log_rotation_size = 0
log_line_prefix = '%m [%p] %q%u@%d '
log_statement = 'all'
log_min_duration_statement = -1
log_connections = on
log_disconnections = on
log_checkpoints = on
log_autovacuum_min_duration = -1
autovacuum = off
EOF
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGW/data" -l "$PGW/startup.log" -w -t 60 start >/dev/null \
        || { cat "$PGW/startup.log" >&2; die "postgres did not start"; }
    PG_STARTED=1
    wait_listen "$P_PG"

    local PSQL_SU=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$PGW/sock" -p "$P_PG" -d postgres)
    "${PSQL_SU[@]}" -c "CREATE ROLE alice LOGIN PASSWORD 'Alice-Pg-2024'" \
                    -c "CREATE DATABASE vigil OWNER alice" >/dev/null
    local PSQL=(psql -X -q -h 127.0.0.1 -p "$P_PG" -U alice -d vigil)
    # failed login (wrong password)
    PGPASSWORD='wrong-password' "${PSQL[@]}" -c 'SELECT 1' >/dev/null 2>&1 && die "wrong pg password accepted"
    cat >"$WORK/alice.sql" <<EOF
CREATE TABLE citizens (id serial PRIMARY KEY, name text NOT NULL, id_card char(18), mobile text, note text);
INSERT INTO citizens (name, id_card, mobile) VALUES ('张三', '${ID[0]}', '${MOB[0]}');
INSERT INTO citizens (name, id_card, mobile) VALUES ('李四', '${ID[4]}', '${MOB[3]}'), ('王五', '${ID[5]}', '${MOB[4]}');
SELECT name,
       mobile
  FROM citizens
 WHERE id_card LIKE '110105%'
 ORDER BY name;
SELECT * FROM citizens;
UPDATE citizens SET mobile = '${MOB[5]}' WHERE name = '李四';
SELEC * FROM citizens;
INSERT INTO citizens (name, note) VALUES ('Quote "Q" Person', 'line one
line "two", with comma');
COPY citizens TO STDOUT;
DELETE FROM citizens;
DROP TABLE citizens;
EOF
    # -f: psql sends each statement as written (multi-line statements keep their newlines).
    PGPASSWORD='Alice-Pg-2024' "${PSQL[@]}" -f "$WORK/alice.sql" >/dev/null 2>"$WORK/alice.err" || true
    grep -q 'syntax error at or near "SELEC"' "$WORK/alice.err" || { cat "$WORK/alice.err" >&2; die "expected exactly the SELEC syntax error"; }
    [[ $(grep -c ERROR "$WORK/alice.err") -eq 1 ]] || { cat "$WORK/alice.err" >&2; die "unexpected psql errors"; }
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGW/data" -m fast -w stop >/dev/null
    PG_STARTED=0
    cp "$PGW/log/postgresql.log" "$OUT/postgres-stderr.log"
    cp "$PGW/log/postgresql.csv" "$OUT/postgres-csv.csv"
    chmod 644 "$OUT/postgres-stderr.log" "$OUT/postgres-csv.csv"
}

# ================================================================ 4. MariaDB
mariadb_section() {
    log "MariaDB on 127.0.0.1:$P_MY"
    local MY="$WORK/my"
    mkdir -p "$MY/data" "$MY/outfile"
    chown -R mysql:mysql "$MY"
    mariadb-install-db --no-defaults --user=mysql --datadir="$MY/data" --skip-test-db \
        --auth-root-authentication-method=socket >"$WORK/my-install.log" 2>&1 \
        || { cat "$WORK/my-install.log" >&2; die "mariadb-install-db failed"; }
    mariadbd --no-defaults --user=mysql --datadir="$MY/data" --socket="$MY/sock" \
        --pid-file="$MY/mariadbd.pid" --port="$P_MY" --bind-address=127.0.0.1 --skip-name-resolve \
        --log-error="$MY/error.log" --general-log=0 --general-log-file="$MY/general.log" \
        --secure-file-priv="$MY/outfile" --innodb-buffer-pool-size=16M --skip-log-bin \
        --character-set-server=utf8mb4 &
    local MY_PID=$!
    PIDS+=("$MY_PID")
    wait_listen "$P_MY"
    mariadb --no-defaults -S "$MY/sock" -uroot <<'EOF'
CREATE DATABASE vigil CHARACTER SET utf8mb4;
CREATE USER 'alice'@'127.0.0.1' IDENTIFIED BY 'Alice-My-2024';
GRANT ALL ON vigil.* TO 'alice'@'127.0.0.1';
GRANT FILE ON *.* TO 'alice'@'127.0.0.1';
SET GLOBAL general_log = 1;
EOF
    local MYC=(mariadb --no-defaults -h 127.0.0.1 -P "$P_MY" --protocol=TCP -u alice)
    "${MYC[@]}" -p'wrong-password' vigil -e 'SELECT 1' >/dev/null 2>&1 && die "wrong mariadb password accepted"
    "${MYC[@]}" -p'Alice-My-2024' vigil >/dev/null <<EOF
CREATE TABLE citizens (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40), id_card CHAR(18), mobile VARCHAR(20));
INSERT INTO citizens (name, id_card, mobile) VALUES ('张三', '${ID[2]}', '${MOB[2]}'), ('赵六', '${ID[3]}', '${MOB[1]}');
SELECT name,
       mobile
  FROM citizens
 WHERE id_card LIKE '440305%';
SELECT * FROM citizens INTO OUTFILE '$MY/outfile/citizens.csv' FIELDS TERMINATED BY ',';
UPDATE citizens SET mobile = NULL WHERE name = '赵六';
DELETE FROM citizens;
DROP TABLE citizens;
EOF
    "${MYC[@]}" -p'Alice-My-2024' -e 'SELECT * FROM mysql.user' >/dev/null 2>&1 && die "alice must not read mysql.user"
    sleep 0.3
    stop_and_forget "$MY_PID"
    cp "$MY/general.log" "$OUT/mysql-general.log"
    chmod 644 "$OUT/mysql-general.log"
}

nginx_section
syslog_section
postgres_section
mariadb_section

# ---------------------------------------------------------------- facts (README relies on these)
log "checking facts"
F="$OUT/nginx-combined.log"
expect_lines "$F" 50
expect "$F" 1  '^127\.0\.0\.1 - - \[[^]]+\] "GET / HTTP/1\.1" 200 '
expect "$F" 9  '"GET /admin/ HTTP/1\.1" 401 .*Firefox'
expect "$F" 10 '^127\.0\.0\.1 - vigiladmin .*" 401 '
expect "$F" 11 '^127\.0\.0\.1 - vigiladmin .*" 200 '
expect "$F" 12 '"GET /private/ HTTP/1\.1" 403 '
expect "$F" 13 '^::1 - - .*"GET / HTTP/1\.1" 200 '
expect "$F" 15 '^::1 .*" 404 '
expect "$F" 16 '"HEAD /index\.html HTTP/1\.1" 200 0 '
expect "$F" 17 '"PUT /index\.html HTTP/1\.1" 405 '
expect "$F" 18 'id=1%27%20OR%201=1-- HTTP/1\.1" 404 .*"sqlmap/'
expect "$F" 20 '"GET /\.git/config HTTP/1\.1" 404 .*Nikto'
expect "$F" 21 '"GET /\.env HTTP/1\.1" 404 '
expect "$F" 25 '"GET /\.\.%2f\.\.%2fetc/passwd HTTP/1\.1" 400 [0-9]+ "-" "-"$'
expect "$F" 27 '"GET /robots\.txt HTTP/1\.1" 404 [0-9]+ "-" "-"$'
expect "$F" 28 '"Mozilla/5\.0 \\x22quoted\\x22 agent\\x5Cwith\\x5Cbackslash"$'
expect "$F" 29 '"\\x16\\x03\\x01.*" 400 '
expect "$F" 30 '"\\x00\\x01junk" 400 '
expect "$F" 31 '"GET /" 200 '
expect "$F" 32 '"GET /a\\x22b HTTP/1\.1" 404 '
expect "$F" 33 '"\(\) \{ :; \}; /bin/bash -c \\x22id\\x22"$'
expect "$F" 34 '"\\x16\\x03\\x01\\x00\\x05hello" 400 '
expect "$F" 35 '"SSH-2\.0-OpenSSH_9\.2p1" 400 '
expect "$F" 36 "sfzh=${ID[0]}&mobile=${MOB[0]} "
expect "$F" 37 "sfzh=${ID[1]}&mobile=%2B86${MOB[1]} "
expect "$F" 38 "^::1 .*name=%E5%BC%A0%E4%B8%89&sfzh=${ID[2]} "
expect "$F" 39 "phone=${MOB[2]}&page=1 .*\"http://127\.0\.0\.1:$P_COMBINED/api/v1/person\?sfzh=${ID[3]}\""
expect "$F" 40 '"POST /api/v1/person HTTP/1\.1" 200 '
expect "$F" 41 "^127\.0\.0\.1 - vigiladmin .*ids=${ID[5]},${ID[0]}&notify=${MOB[4]} "
for n in 42 43 44 45 46; do expect "$F" $n '^127\.0\.0\.1 - admin .*" 401 .*python-requests'; done
expect "$F" 47 '^127\.0\.0\.1 - vigiladmin .*" 200 .*python-requests'
expect "$F" 48 '^::1 .*"GET /\.git/HEAD HTTP/1\.1" 404 '
[[ $(grep -c '^::1 ' "$F") -eq 5 ]] || die "expected 5 IPv6 lines"
if grep -qF "${ID[4]}" "$F" || grep -qF "${MOB[3]}" "$F"; then die "POST body PII leaked into the access log?"; fi

F="$OUT/nginx-custom.log"
expect_lines "$F" 11
expect "$F" 1 '" 200 [0-9]+ "-" "curl/[^"]+" [0-9]+\.[0-9]{3} -$'
for n in 2 3 4 5 6 9 10 11; do expect "$F" $n ' [0-9]+\.[0-9]{3} [0-9]+\.[0-9]{3}$'; done
expect "$F" 3 '" 200 [0-9]+ .* 0\.2[5-9][0-9] 0\.2[5-9][0-9]$'
expect "$F" 5 '"GET /app/missing HTTP/1\.1" 404 '
expect "$F" 6 '"GET /app/error HTTP/1\.1" 500 '
expect "$F" 7 '"GET /nope\.html HTTP/1\.1" 404 [0-9]+ .* -$'
expect "$F" 8 ' [0-9]+\.[0-9]{3} [0-9]+\.[0-9]{3}, [0-9]+\.[0-9]{3}$'
expect "$F" 9 '^127\.0\.0\.1 - bob '
expect "$F" 11 "sfzh=${ID[1]}&mobile=${MOB[5]} "

F="$OUT/api-gateway.jsonl"
expect_lines "$F" 11
"$PY" - "$F" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
keys = ["time_iso8601", "remote_addr", "consumer_id", "request_method", "uri", "status",
        "body_bytes_sent", "request_time", "record_count"]
want = [(200, "5"), (200, "100"), (200, "0"), (200, "3"), (401, ""), (404, ""), (405, ""),
        (200, "2"), (200, "3"), (200, "5000"), (404, "")]
for i, (r, w) in enumerate(zip(rows, want), 1):
    assert list(r) == keys, (i, list(r))
    assert (r["status"], r["record_count"]) == w, (i, r)
    assert isinstance(r["request_time"], (int, float)) and isinstance(r["body_bytes_sent"], int), (i, r)
assert rows[4]["consumer_id"] == "" and rows[7]["consumer_id"] == 'evil"consumer\\01'
assert rows[8]["consumer_id"] == "卫健委-01" and rows[3]["request_method"] == "POST"
PYEOF

for F in "$OUT/auth-rfc3164.log" "$OUT/auth-rfc5424.log" "$OUT/auth-iso.log"; do
    expect_has "$F" "Accepted password for $U_ALICE from 127.0.0.1" 3
    expect_has "$F" "Accepted password for $U_BOB from 127.0.0.1" 1
    expect_has "$F" "Failed password for $U_BOB from 127.0.0.1" 2
    expect_has "$F" "Invalid user oracle from 127.0.0.1" 1
    expect_has "$F" "Failed password for invalid user oracle from 127.0.0.1" 1
    expect_has "$F" "Accepted publickey for $U_ALICE from 127.0.0.1" 1
    expect_has "$F" "session opened for user $U_ALICE(uid=" 4
    expect_has "$F" "session closed for user $U_ALICE" 4
    expect_has "$F" "Connection closed by authenticating user $U_BOB 127.0.0.1" 3
    expect_has "$F" "[preauth]" 5
    expect_has "$F" "$U_ALICE : 1 incorrect password attempt ; PWD=/home/$U_ALICE ; USER=root ; COMMAND=/usr/bin/id" 1
    expect_has "$F" "$U_ALICE : PWD=/home/$U_ALICE ; USER=root ; COMMAND=/usr/bin/id" 1
    expect_has "$F" "pam_unix(sudo:session): session opened for user root(uid=0) by (uid=" 1
    expect_has "$F" "$U_BOB : user NOT in sudoers" 1
    expect_has "$F" "Server listening on 127.0.0.1 port $P_SSH." 1
    expect_has "$F" "Received signal 15; terminating." 1
done
expect "$OUT/auth-rfc3164.log" 1 '^[A-Z][a-z]{2} [ 123][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} vigil-host useradd\[[0-9]+\]: new group: name=vigil-alice'
expect "$OUT/auth-rfc5424.log" 1 '^<86>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}\+00:00 vigil-host useradd [0-9]+ - -  new group'
expect "$OUT/auth-iso.log"     1 '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}\+00:00 vigil-host useradd\[[0-9]+\]: new group'
[[ $(wc -l <"$OUT/auth-rfc3164.log") -eq $(wc -l <"$OUT/auth-rfc5424.log") && \
   $(wc -l <"$OUT/auth-rfc3164.log") -eq $(wc -l <"$OUT/auth-iso.log") ]] || die "auth-* line counts differ"

if [[ -f $OUT/audit.log ]]; then
    F="$OUT/audit.log"
    expect "$F" 1 '^type=DAEMON_START .*op=start .*format=enriched'
    expect_has "$F" 'type=DAEMON_END'
    expect_has "$F" 'key="vigil-exec"'
    expect_has "$F" 'type=USER_AUTH '
    expect_has "$F" 'type=USER_CMD '
    expect_has "$F" 'exe="/usr/bin/sudo"'
    if grep -q 'exe="/usr/bin/run-parts"' "$F"; then die "motd noise not excluded from audit.log"; fi
fi

F="$OUT/postgres-stderr.log"
expect_has "$F" 'alice@vigil FATAL:  password authentication failed for user "alice"' 1
expect_has "$F" 'alice@vigil ERROR:  syntax error at or near "SELEC" at character 1' 1
expect_has "$F" 'alice@vigil STATEMENT:  SELEC * FROM citizens;' 1
expect_has "$F" 'alice@vigil LOG:  statement: DELETE FROM citizens;' 1
expect_has "$F" 'alice@vigil LOG:  statement: COPY citizens TO STDOUT;' 1
expect_has "$F" "postgres@postgres LOG:  statement: CREATE ROLE alice LOGIN PASSWORD 'Alice-Pg-2024'" 1
[[ $(grep -c $'^\t' "$F") -eq 5 ]] || die "postgres-stderr.log: expected 5 tab-continued lines"
"$PY" - "$OUT/postgres-csv.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
assert all(len(r) == 26 for r in rows), {len(r) for r in rows}      # PostgreSQL 15 csvlog: 26 columns
msgs = [r[13] for r in rows]
assert any(m.startswith("statement: SELECT name,\n") for m in msgs)
assert any('\'Quote "Q" Person\', \'line one\nline "two", with comma\'' in m for m in msgs)
err = [r for r in rows if r[11] == "ERROR"]
assert len(err) == 1 and err[0][12] == "42601" and err[0][19] == "SELEC * FROM citizens;", err
PYEOF

F="$OUT/mysql-general.log"
expect "$F" 1 '^mariadbd, Version: 10\.11\.'
expect_has "$F" "Access denied for user 'alice'@'127.0.0.1' (using password: YES)" 1
expect_has "$F" "INTO OUTFILE" 1
expect_has "$F" "${ID[2]}" 1

# ---------------------------------------------------------------- versions
{
    echo "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian package nginx $(dpkg-query -W -f='${Version}' nginx))"
    echo "rsyslog: $(rsyslogd -v | head -1 | sed 's/ compiled with://; s/  */ /g') (Debian package $(dpkg-query -W -f='${Version}' rsyslog))"
    echo "openssh-server: $(dpkg-query -W -f='${Version}' openssh-server)"
    echo "sudo: $(dpkg-query -W -f='${Version}' sudo)"
    echo "auditd: $(dpkg-query -W -f='${Version}' auditd) (kernel $(uname -r))"
    echo "postgresql: $("$PGBIN/postgres" --version) (Debian package $(dpkg-query -W -f='${Version}' postgresql-15))"
    echo "mariadb: $(mariadbd --version)"
    echo "python (upstream): $("$PY" --version)"
    echo "curl: $(curl --version | head -1)"
} >"$OUT/versions.txt"
cat "$OUT/versions.txt" >&2

log "outputs"
for f in "${OUTPUTS[@]}"; do [[ -f $OUT/$f ]] && wc -lc "$OUT/$f" >&2; done
[[ -f $OUT/audit.log ]] || echo "NOTE: no audit.log (kernel audit unavailable: ${AUDIT_REASON:-?})" >&2
exit 0

#!/usr/bin/env bash
# Makes the captures of the database new-client cases: a real PostgreSQL 15 server on
# 127.0.0.1:5432 (trust auth for 127.0.0.0/8, temp data dir), clients on other loopback addresses
# (127.0.0.11, .12, …) speaking the real v3 protocol (startup, one query, terminate), recorded by
# tcpdump on lo. Run as root (tcpdump, runuser postgres). Needs postgresql-15 and tcpdump.
#
#   rules/tests/make-db-new-client.sh
#
# The connections are made one after another in a few seconds; the rule needs days (7-day learning,
# 30-day history), so afterwards each connection's packets are moved, unchanged and in order, to the
# day its client is scheduled for below (only the pcap record timestamps change; packet bytes,
# including TCP timestamps options, are what the kernel sent).
#
# positive: app servers .11/.12 connect daily from 1 Nov; backup host .13 first on 3 Nov (learning);
#           .14 on 1 Nov only, then again on 6 Dec (35 days later: new again); on 10 Nov, after the
#           learning week, an unknown host .66 opens two sessions (one new client).
# negative: the same daily clients; .13 first seen on 4 Nov (during learning); on 10 Nov .66 tries
#           127.0.0.1:3306 (closed: RST, never established) and only the known clients connect.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
chown postgres "$work"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
cleanup() {
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
    kill $(jobs -p) 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for port in 5432 3306; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then echo "port $port is in use" >&2; exit 1; fi
done
runuser -u postgres -- "$pgbin/initdb" -D "$work/data" -U postgres -A trust >/dev/null
echo "host all all 127.0.0.0/8 trust" > "$work/data/pg_hba.conf"
mkdir "$work/sock" && chown postgres "$work/sock"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
    -o "-p 5432 -k $work/sock -c listen_addresses=127.0.0.1" start >/dev/null

cat > "$work/clients.py" <<'PY'
# argv: schedule file (lines "DAY HH:MM CLIENT PORT"); prints "CLIENT SRCPORT DAY HH:MM" per connection.
import socket, struct, sys, time

def message(kind, body):
    return kind + struct.pack("!I", len(body) + 4) + body

def read_until_ready(s):
    buf = b""
    while True:
        while len(buf) >= 5:
            kind, size = buf[:1], struct.unpack("!I", buf[1:5])[0]
            if len(buf) < 1 + size:
                break
            buf = buf[1 + size:]
            if kind == b"Z":
                return
            if kind == b"E":
                raise SystemExit("server error")
        data = s.recv(65536)
        if not data:
            raise SystemExit("server closed")
        buf += data

for line in open(sys.argv[1]):
    day, hm, client, port = line.split()
    s = socket.socket()
    s.bind((client, 0))
    try:
        s.connect(("127.0.0.1", int(port)))
    except ConnectionRefusedError:
        print(client, s.getsockname()[1], day, hm, flush=True)
        s.close()
        time.sleep(0.05)
        continue
    print(client, s.getsockname()[1], day, hm, flush=True)
    params = b"user\0postgres\0database\0postgres\0application_name\0report\0\0"
    s.sendall(struct.pack("!II", len(params) + 8, 196608) + params)
    read_until_ready(s)
    s.sendall(message(b"Q", b"SELECT count(*) FROM pg_stat_activity\0"))
    read_until_ready(s)
    s.sendall(message(b"X", b""))
    while s.recv(65536):
        pass
    s.close()
    time.sleep(0.05)
PY

cat > "$work/retime.py" <<'PY'
# argv: in.pcap connections.txt out.pcap. Moves each connection's packets to its scheduled time.
import struct, sys
from datetime import datetime, timedelta, timezone
src, conns, dst = sys.argv[1:]
target = {}
for line in open(conns):
    client, port, day, hm = line.split()
    t = datetime(2026, 11, 1, int(hm[:2]), int(hm[3:]), tzinfo=timezone.utc) + timedelta(days=int(day))
    target[(client, int(port))] = int(t.timestamp() * 1e6)
data = open(src, "rb").read()
header, pos, out, first = data[:24], 24, [data[:24]], {}
assert struct.unpack("<I", header[:4])[0] == 0xA1B2C3D4 and struct.unpack("<I", header[20:24])[0] == 1
last = 0
while pos < len(data):
    sec, usec, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
    pkt = data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
    assert pkt[12:14] == b"\x08\x00" and pkt[23] == 6, "IPv4 TCP only"
    ihl = (pkt[14] & 15) * 4
    ips = [".".join(map(str, pkt[26:30])), ".".join(map(str, pkt[30:34]))]
    ports = struct.unpack("!HH", pkt[14 + ihl:14 + ihl + 4])
    key = (ips[0], ports[0]) if (ips[0], ports[0]) in target else (ips[1], ports[1])
    t = sec * 1_000_000 + usec
    first.setdefault(key, t)
    new = target[key] + (t - first[key])
    assert new >= last, "connections overlap in the new order"
    last = new
    out.append(struct.pack("<IIII", new // 1_000_000, new % 1_000_000, incl, orig) + pkt)
open(dst, "wb").write(b"".join(out))
print(f"{dst}: {len(out) - 1} packets, {len(target)} connections")
PY

capture() {  # capture OUT.pcap, schedule on stdin
    local out="$1"
    cat > "$work/schedule.txt"
    tcpdump -i lo -n -U -s 0 -w "$work/cap.pcap" 'tcp port 5432 or tcp port 3306' 2>/dev/null &
    local dump=$!
    sleep 1
    python3 "$work/clients.py" "$work/schedule.txt" > "$work/conns.txt"
    sleep 1
    kill "$dump"; wait "$dump" 2>/dev/null || true
    python3 "$work/retime.py" "$work/cap.pcap" "$work/conns.txt" "$out"
}

daily() {  # the two application servers, every day 0..N at 09:00 / 09:30
    for d in $(seq 0 "$1"); do echo "$d 09:00 127.0.0.11 5432"; echo "$d 09:30 127.0.0.12 5432"; done
}

{ daily 9; echo "0 09:10 127.0.0.14 5432"; echo "2 02:00 127.0.0.13 5432"; echo "9 02:00 127.0.0.13 5432"
  echo "9 10:00 127.0.0.66 5432"; echo "9 10:05 127.0.0.66 5432"; echo "35 09:10 127.0.0.14 5432"; } |
    sort -k1,1n -k2,2 | capture "$here/db-new-client-positive/postgres.pcap"

{ daily 9; echo "3 02:00 127.0.0.13 5432"; echo "9 02:00 127.0.0.13 5432"
  echo "9 10:00 127.0.0.66 3306"; echo "9 10:01 127.0.0.66 3306"; } |
    sort -k1,1n -k2,2 | capture "$here/db-new-client-negative/postgres.pcap"

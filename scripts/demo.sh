#!/usr/bin/env bash
# Vigil's main job, end to end on one machine: a correlator (embedded SQLite, a throwaway CA, API
# token and webhook secret under a temporary folder) and a sensor on 127.0.0.1, fed evidence the
# project recorded itself — a web scan with SQL injection and XSS (nginx), SSH password guessing
# (sshd), a database export followed by mass deletion (PostgreSQL), and, as root, a cleartext
# export of citizens' records over HTTP replayed on lo with tcpreplay — with timestamps moved to the
# present. Then: the incidents, the posture, the tickets, the signed webhook a local receiver got,
# and a clean shutdown that leaves no process behind.
#
#   bash scripts/demo.sh            VIGIL_DEMO_KEEP=1 keeps the temporary folder;
#                                   VIGIL_DEMO_BIN=DIR skips the build and uses DIR's binaries
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# VIGIL_DEMO_BIN=DIR uses binaries built already (e.g. a debug build) instead of building.
bin=${VIGIL_DEMO_BIN:-}
if [ -z "$bin" ]; then
    for product in vigil vigil-correlator vigil-sensor; do
        echo "== building $product (release)"
        swift build -c release --product "$product" 2>&1 | tail -n 1
    done
    bin=$(swift build -c release --show-bin-path)
fi
dir=$(mktemp -d /tmp/vigil-demo.XXXXXX)
chmod 755 "$dir"
pids=()
stop() {  # stop PID: SIGTERM, then SIGKILL after 20 s
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${pids[@]}"; do stop "$pid"; done
    if [ -n "${VIGIL_DEMO_KEEP:-}" ]; then echo "demo: files kept in $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.5 s
    local seconds=$1 what=$2 i
    shift 2
    for i in $(seq $((seconds * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "demo: timed out waiting for $what" >&2
    return 1
}

echo "== PKI, secrets and a webhook receiver in $dir"
bash deploy/pki/make-pki.sh "$dir/pki" --sensor demo-node 2>/dev/null
head -c 32 /dev/urandom >"$dir/dlp.key"
echo "whsec_$(head -c 32 /dev/urandom | base64 -w0)" >"$dir/webhook.secret"
chmod 600 "$dir/dlp.key" "$dir/webhook.secret"
python3 scripts/webhook-receiver.py --cert "$dir/pki/correlator.crt" --key "$dir/pki/correlator.key" \
    --secret-file "$dir/webhook.secret" --out "$dir/deliveries.ndjson" --port-file "$dir/receiver.port" &
pids+=($!)
wait_for 10 "the webhook receiver" test -s "$dir/receiver.port"

echo "== starting vigil-correlator"
cat >"$dir/correlator.yaml" <<YAML
listen: 127.0.0.1:0
api:
  listen: 127.0.0.1:0
tls:
  certificate: $dir/pki/correlator.crt
  key: $dir/pki/correlator.key
  client_ca: $dir/pki/ca.crt
store: $dir/vigil.db
rules: $PWD/rules
# Correlation runs on event time and waits this long for late events (default 300 s). The demo's
# evidence arrives in one burst spanning 35 s of event time; 45 s covers it and lets the windows
# close while you watch.
lateness: 45
response:
  tickets_from: high
  operator: state_organ
webhooks:
  - name: duty-team
    format: generic
    url: https://127.0.0.1:$(cat "$dir/receiver.port")/hooks/vigil
    secret_files: [$dir/webhook.secret]
    ca_file: $dir/pki/ca.crt
YAML
"$bin/vigil-correlator" --config "$dir/correlator.yaml" --check-config
"$bin/vigil-correlator" --config "$dir/correlator.yaml" 2>"$dir/correlator.log" &
pids+=($!)
wait_for 30 "the correlator" grep -q "query API on" "$dir/correlator.log"
ingest_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\) for sensors.*/\1/p' "$dir/correlator.log")
api_port=$(sed -n 's/.*query API on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/correlator.log")
export VIGIL_SERVER="https://127.0.0.1:$api_port" VIGIL_CA="$dir/pki/ca.crt"
VIGIL_TOKEN=$("$bin/vigil-correlator" --config "$dir/correlator.yaml" token create --name demo-analyst --role analyst)
export VIGIL_TOKEN

echo "== starting vigil-sensor demo-node"
mkdir -p "$dir/logs"
touch "$dir/logs/access.log" "$dir/logs/auth.log" "$dir/logs/postgresql.log"
capture=""
if [ "$(id -u)" -eq 0 ] && command -v tcpreplay >/dev/null; then
    # Everything on lo except the demo's own TLS (the sensor must not watch itself ship).
    capture="capture:
  interface: lo
  bpf: \"tcp and not port $ingest_port and not port $api_port and not port $(cat "$dir/receiver.port")\""
fi
cat >"$dir/profile.yaml" <<YAML
kind: web-node
description: The demo's portal node
labels:
  department: 政务服务中心
  data_classification: important
$capture
logs:
  - format: nginx
    path: $dir/logs/access.log
  - format: sshd
    path: $dir/logs/auth.log
  - format: postgres
    path: $dir/logs/postgresql.log
YAML
cat >"$dir/sensor.yaml" <<YAML
profile: $dir/profile.yaml
correlator:
  url: https://127.0.0.1:$ingest_port
  ca: $dir/pki/ca.crt
  certificate: $dir/pki/sensors/demo-node.crt
  key: $dir/pki/sensors/demo-node.key
state_dir: $dir/sensor
inspect:
  key_file: $dir/dlp.key
shipping:
  batch_wait_ms: 200
  heartbeat_seconds: 5
YAML
"$bin/vigil-sensor" --config "$dir/sensor.yaml" --check-config
"$bin/vigil-sensor" --config "$dir/sensor.yaml" 2>"$dir/sensor.log" &
pids+=($!)
wait_for 30 "the sensor" grep -q "tailing" "$dir/sensor.log"

echo "== replaying the evidence with timestamps moved to now"
python3 scripts/replay-evidence.py syslog rules/tests/ssh-guessing-positive/auth.log "$dir/logs/auth.log"
python3 scripts/replay-evidence.py nginx Tests/Fixtures/logs/nginx-combined.log "$dir/logs/access.log"
python3 scripts/replay-evidence.py postgres Tests/Fixtures/logs/postgres-stderr.log "$dir/logs/postgresql.log"
if [ -n "$capture" ]; then
    for pcap in rules/tests/bulk-pii-positive/bulk-pii.pcap Tests/Fixtures/pcap/pii-api.pcap; do
        tcpreplay --intf1=lo --quiet "$pcap" 2>&1 | sed -n 's/^ *Actual: /tcpreplay: '"${pcap##*/}"': /p'
    done
else
    echo "demo: not root (or no tcpreplay): the capture part is skipped; logs only"
fi

echo "== waiting for incidents, tickets and the webhook"
# The correlation rules (password guessing, scan then exploit, export then mass deletion) fire once
# the sensor's watermark passes their windows: its heartbeat moves it when its spool is empty.
correlated() {
    "$bin/vigil" incidents list --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
items = d.get("incidents", []) if isinstance(d, dict) else d
sys.exit(0 if sum(1 for i in items if i.get("rule.correlation")) >= 3 else 1)'
}
wait_for 120 "the correlation incidents" correlated || true
wait_for 60 "a webhook delivery" test -s "$dir/deliveries.ndjson" || true

echo
"$bin/vigil" posture
echo
echo "== incidents"
"$bin/vigil" incidents list --limit 25
echo
echo "== tickets (response level, deadlines, playbook)"
"$bin/vigil" tickets list
echo
echo "== sensors"
"$bin/vigil" sensors list
echo
echo "== webhook deliveries received by the local receiver (signature checked with the shared secret)"
python3 - "$dir/deliveries.ndjson" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines[:5]:
    d = json.loads(line)
    p = d.get("payload") or {}
    data = p.get("data", p)
    print(f"  {'verified' if d['verified'] else 'BAD SIGNATURE'}  {p.get('type', '?')}  "
          + json.dumps({k: data[k] for k in list(data)[:6]}, ensure_ascii=False)[:220])
print(f"  {len(lines)} deliveries")
PY
"$bin/vigil" webhooks deliveries --limit 5

echo
echo "== stopping the sensor and the correlator (SIGTERM)"
for (( i=${#pids[@]}-1; i>=0; i-- )); do stop "${pids[$i]}"; done
pids=()
tail -n 1 "$dir/sensor.log"
tail -n 1 "$dir/correlator.log"

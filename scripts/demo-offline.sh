#!/usr/bin/env bash
# Offline analysis of bundled sample data (the way an analyst looks at evidence): decode captures and logs the project recorded itself
# (HTTP, DNS, TLS and SSH on loopback; nginx, sshd/sudo via rsyslog, PostgreSQL statement logs) into
# ECS events, find citizens' personal data in them (masked in place), run the Sigma rule pack in
# rules/ and group the hits into incidents, show a few events, print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build -c release --product vigil 2>&1 | tail -n 1
vigil=$(swift build -c release --show-bin-path)/vigil
dir=$(mktemp -d)
out=${VIGIL_DEMO_OUT:-$dir/events.ndjson}
logs=Tests/Fixtures/logs

# A per-deployment secret keys dlp.hashes (HMAC-SHA256 of each sensitive value), so rules can count
# distinct citizens without the values. The demo makes a throwaway one.
head -c 32 /dev/urandom >"$dir/dlp.key"

"$vigil" analyze --pcap Tests/Fixtures/pcap/sample.pcap \
    --log "nginx:$logs/nginx-combined.log" --log "sshd:$logs/auth-rfc3164.log" \
    --log "postgres:$logs/postgres-stderr.log" \
    --rules rules/ --incidents "$dir/incidents.ndjson" \
    --observer-id demo-node --dlp-key-file "$dir/dlp.key" --output "$out"
echo
echo "== a cleartext HTTP API returning citizens' records (Tests/Fixtures/pcap/pii-api.pcap):"
"$vigil" analyze --pcap Tests/Fixtures/pcap/pii-api.pcap --observer-id demo-node --dlp-key-file "$dir/dlp.key" \
    --rules rules/ --output "$dir/pii.ndjson" 2>&1 | sed -n '/sensitive data/,$p'
python3 - "$dir/pii.ndjson" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "dlp.types" in e:
        shown = {k: v for k, v in e.items() if k.startswith("dlp.") or k in ("url.original", "source.ip")}
        body = e.get("http.response.body.content") or e.get("http.request.body.content") or ""
        shown["body (masked in place)"] = " ".join(body.split())[:160]
        print(json.dumps(shown, ensure_ascii=False, indent=1))
        break
PY
echo
echo "events written to $out, incidents to $dir/incidents.ndjson; one event of each kind:"
for dataset in network.flow dns http tls ssh web.access auth db.statement; do
    grep -m1 "\"event.dataset\":\"$dataset\"" "$out" | cut -c1-400
done

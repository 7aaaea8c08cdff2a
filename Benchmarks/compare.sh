#!/usr/bin/env bash
# Vigil vs tcpdump vs tshark on a large synthetic capture, plus memory per tracked flow.
#
#   bash Benchmarks/compare.sh            # from anywhere; needs root for apt-get if tools are missing
#
# Environment:
#   PACKETS=3000000      packets in the mixed capture (the issue asks for >= 3 M)
#   CONCURRENT=500000    TCP flows open at once in the memory test capture
#   RUNS=3 WARMUP=1      hyperfine settings
#   REGENERATE=1         rebuild the captures even if they exist
#
# Writes Benchmarks/data/*.pcap (git-ignored) and Benchmarks/results/ (hyperfine.md, hyperfine.json,
# summary.txt). Builds vigil in release into ../.build-bench, not the default .build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
PACKETS="${PACKETS:-3000000}"
CONCURRENT="${CONCURRENT:-500000}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-1}"
data="$here/data"
results="$here/results"
mkdir -p "$data" "$results"

# --- tools -------------------------------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- build -------------------------------------------------------------------------------------
echo "== building vigil (release, scratch path ../.build-bench)" >&2
swift build -c release --package-path .. --scratch-path ../.build-bench --product vigil >&2
vigil="$(swift build -c release --package-path .. --scratch-path ../.build-bench --show-bin-path)/vigil"
[ -x "$vigil" ] || { echo "no vigil binary at $vigil" >&2; exit 1; }

# --- captures ----------------------------------------------------------------------------------
big="$data/big.pcap"
conc="$data/concurrent-$CONCURRENT.pcap"
tiny="$data/tiny.pcap"
gen() {  # gen FILE ARGS...: (re)generate when missing, stale, or asked to
    local out="$1"; shift
    if [ -n "${REGENERATE:-}" ] || [ ! -s "$out" ] || [ "$here/make-capture.py" -nt "$out" ] \
        || [ "$(cat "$out.args" 2>/dev/null)" != "$*" ]; then
        python3 "$here/make-capture.py" "$@" --out "$out" 2> "$out.info"
        echo "$*" > "$out.args"
    fi
    cat "$out.info" >&2
}
echo "== captures" >&2
gen "$big" --packets "$PACKETS"
gen "$conc" --concurrent-flows "$CONCURRENT"
gen "$tiny" --concurrent-flows 10

# Page cache warm for everyone (hyperfine's warmup run also does this).
cat "$big" > /dev/null

# --- throughput: one hyperfine run, three commands ---------------------------------------------
echo "== hyperfine (warmup $WARMUP, runs $RUNS)" >&2
hyperfine --warmup "$WARMUP" --runs "$RUNS" --style basic \
    --export-markdown "$results/hyperfine.md" --export-json "$results/hyperfine.json" \
    -n vigil "$vigil analyze --pcap $big --output /dev/null" \
    -n tcpdump "tcpdump -r $big -w /dev/null" \
    -n tshark "tshark -r $big -T fields -e ip.src -e dns.qry.name -e http.host -e tls.handshake.extensions_server_name"

# One more vigil run for its own summary (packets, flows, events) — not timed by hyperfine.
"$vigil" analyze --pcap "$big" --output /dev/null 2> "$results/vigil-summary.txt" || true

# --- memory per tracked flow -------------------------------------------------------------------
maxrss() {  # maxrss FILE -> kB
    /usr/bin/time -v "$vigil" analyze --pcap "$1" --output /dev/null --max-flows 1000000 --tcp-timeout 1000000 \
        2> "$1.time" >/dev/null || true
    awk -F': ' '/Maximum resident set size/ {print $2}' "$1.time"
}
echo "== memory: max RSS with $CONCURRENT concurrent flows vs a 10-flow capture" >&2
rss_tiny="$(maxrss "$tiny")"
rss_conc="$(maxrss "$conc")"
grep -E "flows|packets" "$conc.time" | head -3 >&2 || true

# --- numbers -----------------------------------------------------------------------------------
python3 - "$results/hyperfine.json" "$rss_tiny" "$rss_conc" "$CONCURRENT" "$big" <<'EOF' | tee "$results/summary.txt"
import json, sys, os
path, rss_tiny, rss_conc, flows, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
res = {r["command"]: r for r in json.load(open(path))["results"]}
v, t, s = (res[k]["mean"] for k in ("vigil", "tcpdump", "tshark"))
sd = {k: res[k]["stddev"] or 0.0 for k in res}
vt, sv = v / t, s / v
per_flow = (rss_conc - rss_tiny) * 1024 / flows
info = open(big + ".info").read().strip()
print("capture:         " + info)
print(f"capture size:    {os.path.getsize(big) / 1e6:.0f} MB")
print(f"vigil:           {v:8.3f} s ± {sd['vigil']:.3f}")
print(f"tcpdump:         {t:8.3f} s ± {sd['tcpdump']:.3f}")
print(f"tshark:          {s:8.3f} s ± {sd['tshark']:.3f}")
print(f"vigil/tcpdump:   {vt:8.2f}x   (target <= 3x)   {'PASS' if vt <= 3 else 'FAIL'}")
print(f"tshark/vigil:    {sv:8.2f}x   (target >= 40x)  {'PASS' if sv >= 40 else 'FAIL'}")
print(f"max RSS:         {rss_tiny} kB (10 flows), {rss_conc} kB ({flows} concurrent flows)")
print(f"bytes per flow:  {per_flow:8.1f}     (target <= 200) {'PASS' if per_flow <= 200 else 'FAIL'}")
EOF
echo "== vigil's own summary on the big capture" >&2
cat "$results/vigil-summary.txt" >&2

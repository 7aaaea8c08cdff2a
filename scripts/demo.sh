#!/usr/bin/env bash
# Vigil's main job on bundled sample data: decode a capture the project recorded itself (HTTP, DNS,
# TLS and SSH on loopback) into ECS events, show a few, and print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build -c release --product vigil 2>&1 | tail -n 1
vigil=$(swift build -c release --show-bin-path)/vigil
out=${VIGIL_DEMO_OUT:-$(mktemp -d)/events.ndjson}

"$vigil" analyze --pcap Tests/Fixtures/pcap/sample.pcap --observer-id demo-node --output "$out"
echo
echo "events written to $out; one of each kind:"
for dataset in network.flow dns http tls ssh; do
    grep -m1 "\"event.dataset\":\"$dataset\"" "$out" | cut -c1-400
done

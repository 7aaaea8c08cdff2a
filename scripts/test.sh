#!/usr/bin/env bash
# Runs Vigil's tests: unit, golden (captures through the real CLI) and live capture on lo (as root).
#
# Two passes: first everything but VigilServerTests, then VigilServerTests — real correlators,
# sensors, HTTPS servers and clients with real timeouts. Side by side with the CPU-bound unit tests
# (one runs 30 s without a pause) on 2 cores, their servers waited for the concurrency pool's two
# threads long enough for clients' 5–10 s timeouts to fire (a webhook test took 56 s and failed);
# apart, the whole run takes the same time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
set +e  # run both passes, whatever the first gives
swift test --skip VigilServerTests
unit=$?
swift test --skip-build --filter VigilServerTests
server=$?
if [ "$unit" -ne 0 ] || [ "$server" -ne 0 ]; then
    echo "tests failed: unit and golden pass exit $unit, server pass exit $server" >&2
    exit 1
fi

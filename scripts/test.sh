#!/usr/bin/env bash
# Runs Vigil's tests: unit, golden (captures through the real CLI) and live capture on lo (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift test

#!/usr/bin/env bash
# Builds every libFuzzer target of the Fuzz package and runs each for a bounded time.
#
#   Fuzz/run.sh SECONDS            # e.g. Fuzz/run.sh 30 in CI, Fuzz/run.sh 600 locally
#
# Environment (all optional):
#   TARGETS="FuzzDNS FuzzHTTP"     run only these targets (default: all)
#   JOBS=N                         targets fuzzed at the same time (default: number of CPUs)
#   CONFIG=release|debug           build configuration (default: release; see README.md)
#   SKIP_BUILD=1                   reuse the binaries already in Fuzz/.build-fuzz
#
# Seeds come from Fuzz/Corpus/<Target>/ (read only); inputs libFuzzer finds go to
# Fuzz/corpus-out/<Target>/ (git-ignored) and are reused by the next run. A crash, timeout or
# out-of-memory leaves its input in Fuzz/Crashes/<Target>/ and makes the script exit 1.
# Prints one line per target: executions, time, exec/s, crash yes/no.
set -uo pipefail

DURATION="${1:-}"
if ! [[ "$DURATION" =~ ^[0-9]+$ ]] || [ "$DURATION" -lt 1 ]; then
    echo "usage: $0 SECONDS" >&2
    exit 2
fi

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="$FUZZ_DIR/.build-fuzz"
CONFIG="${CONFIG:-release}"
ALL_TARGETS="FuzzPacket FuzzDNS FuzzDatagram FuzzHTTP FuzzTLS FuzzSSH FuzzStreamAnalyzer FuzzLogs FuzzInspect FuzzRules FuzzEventJSON FuzzPcapFile"
TARGETS="${TARGETS:-$ALL_TARGETS}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 1)}"
LOG_DIR="$BUILD_DIR/logs"
START=$(date +%s)

# ---- build ------------------------------------------------------------------------------------
# No -parse-as-library: each target's main.swift calls libFuzzer's LLVMFuzzerRunDriver (README.md).
mkdir -p "$LOG_DIR"
if [ -z "${SKIP_BUILD:-}" ]; then
    echo "== building ($CONFIG, -sanitize=fuzzer,address) into $BUILD_DIR"
    swift build --package-path "$FUZZ_DIR" --build-path "$BUILD_DIR" -c "$CONFIG" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -g >"$LOG_DIR/build.log" 2>&1
    build_rc=$?
    grep -vE "Cannot export local symbol '__asan|^\[[0-9]+/[0-9]+\]" "$LOG_DIR/build.log"
    if [ "$build_rc" -ne 0 ]; then
        echo "== build FAILED (rc=$build_rc), full log: $LOG_DIR/build.log" >&2
        exit 3
    fi
fi
BIN_DIR="$(swift build --package-path "$FUZZ_DIR" --build-path "$BUILD_DIR" -c "$CONFIG" --show-bin-path)"
BUILD_END=$(date +%s)
echo "== build took $((BUILD_END - START)) s"

# ---- fuzz -------------------------------------------------------------------------------------
MARKER="$LOG_DIR/.started"
touch "$MARKER"
SYMBOLIZER="$(dirname "$(readlink -f "$(command -v swift)")")/llvm-symbolizer"
[ -x "$SYMBOLIZER" ] && export ASAN_SYMBOLIZER_PATH="$SYMBOLIZER"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
# Let libFuzzer/ASan report crashes: the Swift runtime's backtracer reads process memory in a way
# ASan reports as a (false) heap-use-after-free after the real error. SWIFT_BACKTRACE=enable=yes to get it.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

run_target() {
    local t="$1" log="$LOG_DIR/$1.log"
    local seeds="$FUZZ_DIR/Corpus/$t" work="$FUZZ_DIR/corpus-out/$t" crashes="$FUZZ_DIR/Crashes/$t"
    mkdir -p "$work" "$crashes"
    local dirs=("$work") dict=()
    [ -d "$seeds" ] && dirs+=("$seeds")
    [ -f "$FUZZ_DIR/Dictionaries/$t.dict" ] && dict=(-dict="$FUZZ_DIR/Dictionaries/$t.dict")
    local t0
    t0=$(date +%s)
    # -timeout: one input taking over 10 s is a hang. -rss_limit_mb: 2 GB per process.
    "$BIN_DIR/$t" "${dirs[@]}" "${dict[@]}" \
        -max_total_time="$DURATION" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$crashes/" >"$log" 2>&1
    echo $? >"$LOG_DIR/$t.rc"
    echo $(($(date +%s) - t0)) >"$LOG_DIR/$t.time"
}

summarize() {
    local t="$1" log="$LOG_DIR/$1.log" rc execs secs rate crash what
    rc="$(cat "$LOG_DIR/$t.rc" 2>/dev/null || echo 99)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    [ -z "$execs" ] && execs="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    secs="$(cat "$LOG_DIR/$t.time" 2>/dev/null || echo "$DURATION")"
    if [ -n "$execs" ] && { [ -z "$rate" ] || [ "$rate" = 0 ]; }; then rate=$((execs / (secs > 0 ? secs : 1))); fi
    if [ "$rc" -eq 0 ]; then
        crash="no"
    else
        what="$(grep -m1 -oE 'Fatal error: .*|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z -]+' "$log")"
        crash="YES (rc=$rc: ${what:-see log}) input: $(find "$FUZZ_DIR/Crashes/$t" -type f -newer "$MARKER" 2>/dev/null | head -1)"
    fi
    printf '%-20s execs=%-10s time=%ss exec/s=%-7s crash=%s\n' "$t" "${execs:-?}" "$secs" "${rate:-?}" "$crash"
    [ "$rc" -eq 0 ]
}

echo "== fuzzing each target for $DURATION s ($JOBS at a time); logs in $LOG_DIR"
running=0
for t in $TARGETS; do
    if [ ! -x "$BIN_DIR/$t" ]; then
        echo "missing binary $BIN_DIR/$t" >&2
        echo 98 >"$LOG_DIR/$t.rc"
        continue
    fi
    rm -f "$LOG_DIR/$t.rc"
    run_target "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

status=0
echo "== results"
for t in $TARGETS; do
    summarize "$t" || status=1
done
echo "== total $(($(date +%s) - START)) s (build $((BUILD_END - START)) s); $([ $status -eq 0 ] && echo 'no crashes' || echo 'CRASHES FOUND, see Fuzz/Crashes/ and the logs')"
exit $status

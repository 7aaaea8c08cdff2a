#!/usr/bin/env bash
# Starts the correlator and the sensor installed by deploy/install.sh (as root), or stops them.
#
#   deploy/start.sh [--stop] [--root DIR] [--user NAME]
#
# Where systemd is PID 1: `systemctl daemon-reload && systemctl enable --now vigil-correlator
# vigil-sensor` (--stop: systemctl stop; they stay enabled). Logs: journalctl -u vigil-sensor.
#
# Elsewhere (a container, a chroot): both run as plain background processes as the vigil user
# (--user), the sensor with CAP_NET_RAW alone and the adm group (as its unit gives it), the
# correlator with no capability; logs in /var/log/vigil/{correlator,sensor}.log, pid files in
# /run/vigil/. --stop sends SIGTERM and waits up to 30 s for each (then SIGKILL). There is no
# watchdog, restart or resource limit there: systemd is the supported way to run them.
# --root DIR: the tree of `install.sh --root DIR` (always the plain-process way).
set -euo pipefail

usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2; }
stop=no; root=""; user=vigil
while [ $# -gt 0 ]; do
    case "$1" in
        --stop) stop=yes; shift ;;
        --root) root="${2:?--root DIR}"; shift 2 ;;
        --user) user="${2:?--user NAME}"; shift 2 ;;
        -h|--help) usage ;;
        *) echo "start: unknown argument '$1'" >&2; usage ;;
    esac
done
say() { echo "start: $*"; }
[ "$(id -u)" -eq 0 ] || { echo "start: run as root" >&2; exit 1; }

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
    if [ "$stop" = yes ]; then
        systemctl stop vigil-sensor vigil-correlator
        say "stopped vigil-sensor and vigil-correlator (still enabled at boot)"
    else
        systemctl daemon-reload && systemctl enable --now vigil-correlator vigil-sensor
        for u in vigil-correlator vigil-sensor; do say "$u: $(systemctl is-active "$u" || true)"; done
        say "logs: journalctl -u vigil-correlator -u vigil-sensor -f"
    fi
    exit 0
fi

R=""
[ -z "$root" ] || R="$(realpath -m -- "$root")"
run="$R/run/vigil"
logs="$R/var/log/vigil"

running() {  # running NAME: the pid of NAME's process, if its pid file names a live one
    local pid
    pid="$(cat "$run/$1.pid" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    # The pid may have been reused since: it must still run this binary (or the one a reinstall replaced).
    local exe
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
    [ "${exe% (deleted)}" = "$(realpath -m "$R/usr/local/bin/vigil-$1")" ] || return 1
    echo "$pid"
}

if [ "$stop" = yes ]; then
    # The sensor first: it spools what the correlator cannot take any more.
    for name in sensor correlator; do
        if ! pid="$(running "$name")"; then
            rm -f "$run/$name.pid"
            say "vigil-$name is not running"
            continue
        fi
        kill -TERM "$pid"
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid"
            say "vigil-$name (pid $pid) did not stop within 30 s of SIGTERM: killed"
        else
            say "stopped vigil-$name (pid $pid)"
        fi
        rm -f "$run/$name.pid"
    done
    exit 0
fi

id "$user" >/dev/null 2>&1 || { echo "start: no user $user (run deploy/install.sh first)" >&2; exit 1; }
group="$(id -gn "$user")"
umask 027
# root writes the pid files and opens the logs: their folders are root's (a folder the service
# user could write would let it point a log at any file root then appends to).
for d in "$run" "$logs"; do
    mkdir -p "$d"
    chown "root:$group" "$d"
    chmod 0750 "$d"
done
for d in "$R/var/lib/vigil" "$R/var/lib/vigil/sensor"; do
    mkdir -p "$d"
    chown "$user:$group" "$d"
    chmod 0750 "$d"
done

# The same privileges as the units: the correlator none; the sensor CAP_NET_RAW (ambient, so it
# survives the exec of a non-root process) and the adm group for the logs it tails.
as_correlator=(setpriv --reuid "$user" --regid "$group" --clear-groups --no-new-privs --bounding-set -all)
as_sensor=(nice -n 10 ionice -c 2 -n 7 setpriv --reuid "$user" --regid "$group" --groups adm --no-new-privs
    --inh-caps "-all,+net_raw" --ambient-caps +net_raw --bounding-set "-all,+net_raw")

start() {  # start NAME PRIVILEGE-COMMAND...
    local name="$1" pid; shift
    local binary="$R/usr/local/bin/vigil-$name" config="$R/etc/vigil/$name.yaml" log="$logs/$name.log"
    if pid="$(running "$name")"; then
        say "vigil-$name is already running (pid $pid)"
        return
    fi
    [ -x "$binary" ] || { echo "start: $binary: not installed (deploy/install.sh)" >&2; exit 1; }
    if ! "$@" "$binary" --config "$config" --check-config >>"$log" 2>&1; then
        echo "start: $config does not pass --check-config:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
    # setsid: its own session, so it outlives this shell; the exec chain keeps the pid.
    setsid "$@" "$binary" --config "$config" </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" > "$run/$name.pid"
    sleep 2
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$run/$name.pid"
        echo "start: vigil-$name exited at start; the end of $log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
    say "started vigil-$name (pid $pid, log $log)"
}
start correlator "${as_correlator[@]}"
start sensor "${as_sensor[@]}"
say "stop with: $0 --stop${root:+ --root $root}"

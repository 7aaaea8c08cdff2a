#!/usr/bin/env bash
# Installs what Vigil builds and tests with on Debian 12 (run as root). Idempotent: installs only
# what is missing, so it is cheap to call from every other script.
set -euo pipefail

packages=(libpcap-dev libssl-dev zlib1g-dev libsqlite3-dev libpcre2-dev publicsuffix libjemalloc-dev pkg-config tcpdump iproute2 python3 curl openssl ca-certificates systemd sqlite3 tcpreplay groff-base)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages (${missing[*]}); run as root or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$d/swift" ] && export PATH="$d:$PATH"
    done
fi
command -v swift >/dev/null 2>&1 || { echo "setup: Swift 6 toolchain not found (expected on PATH or /opt/swift)" >&2; exit 1; }

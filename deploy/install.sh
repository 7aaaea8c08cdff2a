#!/usr/bin/env bash
# Installs Vigil on this node (Debian 12, as root): vigil, vigil-correlator and vigil-sensor, their
# systemd units, the rule pack and sensor profiles, example configurations, the PKI and the DLP key.
# Then `deploy/start.sh` starts the correlator and the sensor.
#
#   deploy/install.sh [--profile NAME] [--sensor-id ID] [--interface IF]
#                     [--no-build [--from DIR]] [--root DIR]
#   deploy/install.sh --uninstall [--root DIR]
#
#   --profile NAME   the sensor profile of this node: sensors/NAME.yaml (default web-node)
#   --sensor-id ID   this sensor's id, the CN of its certificate (default `hostname -s`, lowercased,
#                    other characters than [a-z0-9._-] made '-')
#   --interface IF   the capture interface written to sensor.yaml (default: the default route's
#                    interface; under --root, the profile's)
#   --no-build       do not build: take the binaries from --from DIR (default .build-release/release)
#   --root DIR       install under DIR instead of / (a staging tree: no user, no chown, no systemctl)
#   --uninstall      remove the binaries, the units, the man pages, /usr/share/vigil and /usr/share/doc/vigil;
#                    /etc/vigil and /var/lib/vigil (configuration, PKI, store, spool) are kept
#
# What it installs (under --root DIR when given):
#   /usr/local/bin/vigil vigil-correlator vigil-sensor
#   /etc/systemd/system/vigil-correlator.service vigil-sensor.service
#   /usr/share/vigil/rules/ sensors/          replaced on each install (the package's files)
#   /usr/local/share/man/man1/vigil.1 man8/vigil-correlator.8 man8/vigil-sensor.8   (deploy/man/)
#   /etc/vigil/correlator.yaml sensor.yaml    from deploy/config/, only when absent (an operator's
#   /etc/vigil/sensors/NAME.yaml              configuration is never overwritten), paths rewritten
#   /etc/vigil/pki/                           deploy/pki/make-pki.sh, when this node's files are absent
#   /etc/vigil/secrets/dlp.key                32 random bytes, only when absent
# Idempotent: a second run changes nothing and says so.
set -euo pipefail

usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2; }
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile=web-node; sensor_id=""; interface=""; build=yes; from=""; root=""; uninstall=no
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile="${2:?--profile NAME}"; shift 2 ;;
        --sensor-id) sensor_id="${2:?--sensor-id ID}"; shift 2 ;;
        --interface) interface="${2:?--interface IF}"; shift 2 ;;
        --no-build) build=no; shift ;;
        --from) from="${2:?--from DIR}"; build=no; shift 2 ;;
        --root) root="${2:?--root DIR}"; shift 2 ;;
        --uninstall) uninstall=yes; shift ;;
        -h|--help) usage ;;
        *) echo "install: unknown argument '$1'" >&2; usage ;;
    esac
done

R=""
if [ -n "$root" ]; then
    R="$(realpath -m -- "$root")"
    [ "$R" != / ] || R=""
fi
staging() { [ -n "$R" ]; }
systemd_running() { ! staging && [ -d /run/systemd/system ]; }
if ! staging && [ "$(id -u)" -ne 0 ]; then
    echo "install: run as root (or with --root DIR for a staging tree)" >&2
    exit 1
fi

changes=0
quiet=no  # yes inside tree(): one summary line for the rule pack, not a line per file
say() { echo "install: $*"; }
did() { changes=$((changes + 1)); [ "$quiet" = yes ] || say "$*"; }

binaries=(vigil vigil-correlator vigil-sensor)
units=(vigil-correlator.service vigil-sensor.service)
manuals=(man1/vigil.1 man8/vigil-correlator.8 man8/vigil-sensor.8)

if [ "$uninstall" = yes ]; then
    if systemd_running; then
        for u in vigil-sensor vigil-correlator; do
            if [ -f "/etc/systemd/system/$u.service" ]; then
                systemctl disable --now "$u" >/dev/null 2>&1 || true
                did "stopped and disabled $u"
            fi
        done
    elif ! staging && compgen -G "/run/vigil/*.pid" >/dev/null; then
        "$repo/deploy/start.sh" --stop
    fi
    for b in "${binaries[@]}"; do
        [ ! -e "$R/usr/local/bin/$b" ] || { rm -f "$R/usr/local/bin/$b"; did "removed $R/usr/local/bin/$b"; }
    done
    for u in "${units[@]}"; do
        f="$R/etc/systemd/system/$u"
        [ ! -e "$f" ] || { rm -f "$f"; did "removed $f"; }
    done
    for m in "${manuals[@]}"; do
        f="$R/usr/local/share/man/$m"
        [ ! -e "$f" ] || { rm -f "$f"; did "removed $f"; }
    done
    for d in "$R/usr/share/vigil" "$R/usr/share/doc/vigil"; do
        [ ! -e "$d" ] || { rm -rf "$d"; did "removed $d"; }
    done
    if systemd_running && [ "$changes" -gt 0 ]; then systemctl daemon-reload; fi
    [ "$changes" -gt 0 ] || say "nothing to remove"
    say "kept $R/etc/vigil (configuration, PKI, secrets) and $R/var/lib/vigil (store, spool) and the" \
        "vigil user; remove them by hand to erase everything"
    exit 0
fi

# --- Checks first: nothing is written when an argument is wrong.
[[ "$profile" =~ ^[a-z0-9][a-z0-9._-]*$ && -f "$repo/sensors/$profile.yaml" ]] || {
    known="$(for f in "$repo"/sensors/*.yaml; do f="${f##*/}"; printf ' %s' "${f%.yaml}"; done)"
    echo "install: no sensor profile '$profile' (one of:$known)" >&2
    exit 2
}
if [ -z "$sensor_id" ]; then
    sensor_id="$(hostname -s 2>/dev/null || uname -n)"
    sensor_id="$(printf '%s' "${sensor_id,,}" | tr -c 'a-z0-9._-' '-')"
    sensor_id="${sensor_id#"${sensor_id%%[a-z0-9]*}"}"
    sensor_id="${sensor_id:0:63}"
    [ -n "$sensor_id" ] || sensor_id=sensor
fi
[[ "$sensor_id" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || {
    echo "install: '$sensor_id' is not a sensor id ([a-z0-9][a-z0-9._-]{0,62})" >&2
    exit 2
}
if [ -z "$interface" ] && ! staging; then
    interface="$(ip -o route show default 2>/dev/null |
        awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')"
fi
[ -z "$interface" ] || [[ "$interface" =~ ^[A-Za-z0-9._@-]{1,15}$ ]] || {
    echo "install: '$interface' is not an interface name" >&2
    exit 2
}

# --- Build.
if [ "$build" = yes ]; then
    # shellcheck source-path=SCRIPTDIR/.. source=scripts/setup.sh
    source "$repo/scripts/setup.sh"
    # `swift build --product` takes one product: one call each (the second and third reuse the first's work).
    for b in "${binaries[@]}"; do
        say "building $b (release)"
        (cd "$repo" && swift build -c release --scratch-path .build-release --product "$b")
    done
    from="$(cd "$repo" && swift build -c release --scratch-path .build-release --show-bin-path)"
fi
[ -n "$from" ] || from="$repo/.build-release/release"
for b in "${binaries[@]}"; do
    [ -x "$from/$b" ] || { echo "install: $from/$b: no such executable (build first, or --from DIR)" >&2; exit 1; }
done

# --- Helpers: each changes a file only when it differs, and says so.
owner() {  # owner PATH USER:GROUP
    staging && return 0
    [ "$(stat -c %U:%G "$1")" = "$2" ] || { chown "$2" "$1"; did "chown $2 $1"; }
}
mode() {  # mode PATH MODE
    [ "$(stat -c %a "$1")" = "${2#0}" ] || { chmod "$2" "$1"; did "chmod $2 $1"; }
}
directory() {  # directory PATH MODE [USER:GROUP]
    [ -d "$1" ] || { mkdir -p "$1"; chmod "$2" "$1"; did "created $1"; }
    mode "$1" "$2"
    [ $# -lt 3 ] || owner "$1" "$3"
}
put() {  # put SRC DEST MODE: DEST is SRC's copy
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
        mode "$2" "$3"
    else
        local what=installed
        [ ! -e "$2" ] || what=updated
        install -m "$3" -T "$1" "$2"
        did "$what $2"
    fi
}
tree() {  # tree SRC DEST: DEST holds SRC's files and no others
    local rel before=$changes
    quiet=yes
    directory "$2" 0755
    while IFS= read -r -d '' rel; do
        directory "$2/$rel" 0755
    done < <(cd "$1" && find . -mindepth 1 -type d -printf '%P\0' | sort -z)
    while IFS= read -r -d '' rel; do
        put "$1/$rel" "$2/$rel" 0644
    done < <(cd "$1" && find . -type f -printf '%P\0' | sort -z)
    while IFS= read -r -d '' rel; do
        [ -e "$1/$rel" ] || { rm -rf "${2:?}/$rel"; did "removed $2/$rel (no longer shipped)"; }
    done < <(cd "$2" && find . -mindepth 1 -depth -printf '%P\0')
    quiet=no
    [ "$changes" -eq "$before" ] || say "$2: $((changes - before)) file(s) and folder(s) installed, updated or removed"
}
example() {  # example SRC DEST SED-SCRIPT: an operator's file, written only when absent
    if [ -e "$2" ]; then
        say "kept $2 (the operator's; the example is $1)"
        return
    fi
    local tmp
    tmp="$(mktemp)"
    sed -e "$3" "$1" > "$tmp"
    install -m 0640 -T "$tmp" "$2"
    rm -f "$tmp"
    did "wrote $2 (from $1)"
    owner "$2" root:vigil
}

# --- The service user: the sensor reads logs through the adm group, which its unit adds
# (SupplementaryGroups=adm) rather than the account, so the correlator does not get it.
if staging; then
    say "staging root $R: no user, no chown, no systemctl"
else
    getent group vigil >/dev/null || { groupadd --system vigil; did "created group vigil"; }
    getent passwd vigil >/dev/null || {
        useradd --system --gid vigil --home-dir /var/lib/vigil --no-create-home --shell /usr/sbin/nologin \
            --comment "Vigil security monitor" vigil
        did "created user vigil (system, nologin)"
    }
fi

# --- Files of the package.
directory "$R/usr/local/bin" 0755
for b in "${binaries[@]}"; do put "$from/$b" "$R/usr/local/bin/$b" 0755; done
directory "$R/etc/systemd/system" 0755
units_before=$changes
for u in "${units[@]}"; do put "$repo/deploy/systemd/$u" "$R/etc/systemd/system/$u" 0644; done
units_changed=$((changes - units_before))
directory "$R/usr/share/vigil" 0755
tree "$repo/rules" "$R/usr/share/vigil/rules"
tree "$repo/sensors" "$R/usr/share/vigil/sensors"
directory "$R/usr/share/doc/vigil" 0755
put "$repo/README.md" "$R/usr/share/doc/vigil/README.md" 0644
for m in "${manuals[@]}"; do
    directory "$R/usr/local/share/man/${m%%/*}" 0755
    put "$repo/deploy/man/${m##*/}" "$R/usr/local/share/man/$m" 0644
done

# --- State: the units make these themselves (StateDirectory=); deploy/start.sh without systemd does not.
directory "$R/var/lib/vigil" 0750 vigil:vigil
directory "$R/var/lib/vigil/sensor" 0750 vigil:vigil

# --- PKI: the CA, the correlator's certificate and this node's sensor certificate.
pki="$R/etc/vigil/pki"
directory "$R/etc/vigil" 0755
if [ ! -f "$pki/ca.crt" ] || [ ! -f "$pki/correlator.crt" ] || [ ! -f "$pki/sensors/$sensor_id.crt" ]; then
    if [ -f "$pki/ca.crt" ] && [ ! -f "$pki/ca.key" ]; then
        echo "install: $pki/ca.key is not here (kept offline): issue this node's certificate where it is" \
            "(deploy/pki/make-pki.sh DIR --sensor $sensor_id) and copy sensors/$sensor_id.crt and .key" \
            "to $pki/sensors/" >&2
        exit 1
    fi
    names=(--server-name localhost --server-name 127.0.0.1)
    for n in "$(hostname -s 2>/dev/null || true)" "$(hostname -f 2>/dev/null || true)"; do
        [[ -z "$n" || "$n" == localhost || " ${names[*]} " == *" $n "* ]] || names+=(--server-name "$n")
    done
    bash "$repo/deploy/pki/make-pki.sh" "$pki" "${names[@]}" --sensor "$sensor_id"
    did "made the PKI in $pki: CA, correlator certificate, sensor certificate $sensor_id"
fi
if [ ! -f "$pki/deny.txt" ]; then
    printf '# Revoked sensor certificates (tls.deny_list): SHA-256 fingerprints, made by make-pki.sh --revoke.\n' \
        > "$pki/deny.txt"
    did "wrote $pki/deny.txt (empty deny-list)"
fi
# The services read the certificates and their own keys; the CA key stays root's.
directory "$pki" 0750 root:vigil
directory "$pki/sensors" 0750 root:vigil
for f in "$pki"/*.crt "$pki"/sensors/*.crt "$pki/deny.txt"; do mode "$f" 0644; done
for f in "$pki"/*.key "$pki"/sensors/*.key; do mode "$f" 0600; done
owner "$pki/correlator.key" vigil:vigil
owner "$pki/sensors/$sensor_id.key" vigil:vigil

# --- The DLP hashing key: the same file must go to every sensor of the platform.
directory "$R/etc/vigil/secrets" 0750 root:vigil
if [ ! -f "$R/etc/vigil/secrets/dlp.key" ]; then
    (umask 077 && head -c 32 /dev/urandom > "$R/etc/vigil/secrets/dlp.key")
    did "wrote $R/etc/vigil/secrets/dlp.key (32 random bytes; copy it to every other sensor)"
fi
mode "$R/etc/vigil/secrets/dlp.key" 0600
owner "$R/etc/vigil/secrets/dlp.key" vigil:vigil

# --- Configuration, from the examples, with this node's paths.
directory "$R/etc/vigil/sensors" 0755
example "$repo/sensors/$profile.yaml" "$R/etc/vigil/sensors/$profile.yaml" ''
example "$repo/deploy/config/correlator.yaml" "$R/etc/vigil/correlator.yaml" \
    's|^  # deny_list: /etc/vigil/pki/deny.txt  |  deny_list: /etc/vigil/pki/deny.txt    |'
rewrite="s|^profile: /etc/vigil/sensors/web-node.yaml|profile: /etc/vigil/sensors/$profile.yaml|"
rewrite+=";s|^  url: https://correlator.example.gov.cn:8443|  url: https://127.0.0.1:8443|"
rewrite+=";s|/etc/vigil/pki/sensors/web-01\\.|/etc/vigil/pki/sensors/$sensor_id.|"
[ -z "$interface" ] || rewrite+=";s|^# interface: eth0|interface: $interface|"
example "$repo/deploy/config/sensor.yaml" "$R/etc/vigil/sensor.yaml" "$rewrite"

# --- systemd.
if systemd_running && [ "$units_changed" -gt 0 ]; then
    systemctl daemon-reload
    did "systemctl daemon-reload"
fi

if [ "$changes" -eq 0 ]; then
    say "nothing changed"
else
    say "$changes change(s)"
fi
if ! staging; then
    say "sensor id $sensor_id, profile /etc/vigil/sensors/$profile.yaml; start with: $repo/deploy/start.sh"
    if systemd_running && systemctl -q is-active vigil-correlator vigil-sensor 2>/dev/null && [ "$changes" -gt 0 ]; then
        say "running services keep the old files until: systemctl restart vigil-correlator vigil-sensor"
    fi
fi

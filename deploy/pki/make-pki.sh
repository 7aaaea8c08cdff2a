#!/usr/bin/env bash
# Makes the platform's PKI for Vigil with the openssl command: a CA, the correlator's server
# certificate, and one client certificate per sensor (mutual TLS, DESIGN §8).
#
#   deploy/pki/make-pki.sh DIR [--server-name NAME]... [--sensor ID]... [--days N] [--revoke ID]...
#
#   DIR/ca.crt ca.key                       the platform CA (keep ca.key offline)
#   DIR/correlator.crt correlator.key       server certificate: SAN = every --server-name (default
#                                           localhost and 127.0.0.1), extendedKeyUsage serverAuth
#   DIR/sensors/<id>.crt <id>.key           client certificate: subject CN = the sensor id,
#                                           extendedKeyUsage clientAuth
#   DIR/deny.txt                            --revoke ID: the SHA-256 fingerprint of
#                                           DIR/sensors/<id>.crt, as `openssl x509 -noout
#                                           -fingerprint -sha256` prints it, under a line
#                                           `# <id> revoked <date>` (once per certificate)
#
# Existing files are kept (run it again with new --sensor ids to add sensors). Keys are EC P-256,
# written mode 0600. Certificates last --days (default 825) days. The correlator reads the
# deny-list named by tls.deny_list at start and on SIGHUP: reload it after --revoke. To issue a new
# certificate to a revoked id, delete its sensors/<id>.crt and .key, then run with --sensor <id>.
set -euo pipefail
usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
dir="$1"; shift
names=(); sensors=(); revokes=(); days=825
while [ $# -gt 0 ]; do
    case "$1" in
        --server-name) names+=("$2"); shift 2 ;;
        --sensor) sensors+=("$2"); shift 2 ;;
        --days) days="$2"; shift 2 ;;
        --revoke) revokes+=("$2"); shift 2 ;;
        *) usage ;;
    esac
done
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1)
# A certificate to revoke must exist already: a mistyped id or DIR must not make a new CA.
for id in "${revokes[@]}"; do
    [ -f "$dir/sensors/$id.crt" ] || { echo "make-pki: $dir/sensors/$id.crt: no such certificate to revoke" >&2; exit 2; }
done
umask 077
mkdir -p "$dir/sensors"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -f "$dir/ca.crt" ]; then
    key "$dir/ca.key"
    openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$days" -subj "/O=Vigil/CN=Vigil platform CA" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$dir/ca.crt"
fi

sign() {  # sign NAME SUBJECT EXTFILE
    openssl req -new -key "$dir/$1.key" -subj "$2" -out "$dir/$1.csr"
    openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
        -days "$days" -sha256 -extfile "$3" -out "$dir/$1.crt" 2>/dev/null
    rm -f "$dir/$1.csr"
}

if [ ! -f "$dir/correlator.crt" ]; then
    san=""
    for n in "${names[@]}"; do
        if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
    done
    ext="$(mktemp)"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "${san%,}" > "$ext"
    key "$dir/correlator.key"
    sign correlator "/O=Vigil/CN=${names[0]}" "$ext"
    rm -f "$ext"
fi

for id in "${sensors[@]}"; do
    [[ "$id" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || { echo "make-pki: '$id' is not a sensor id ([a-z0-9][a-z0-9._-]{0,62})" >&2; exit 2; }
    [ -f "$dir/sensors/$id.crt" ] && continue
    ext="$(mktemp)"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$ext"
    key "$dir/sensors/$id.key"
    sign "sensors/$id" "/O=Vigil/CN=$id" "$ext"
    rm -f "$ext"
done
[ ${#revokes[@]} -gt 0 ] && [ ${#sensors[@]} -eq 0 ] ||
    echo "make-pki: $dir: CA, correlator certificate, ${#sensors[@]} sensor certificate(s)" >&2

for id in "${revokes[@]}"; do
    line="$(openssl x509 -noout -fingerprint -sha256 -in "$dir/sensors/$id.crt")"
    if [ ! -f "$dir/deny.txt" ]; then
        # Fingerprints are public; the correlator's user must read this file.
        printf '# Revoked sensor certificates (tls.deny_list): SHA-256 fingerprints, made by %s.\n' \
            'make-pki.sh --revoke' > "$dir/deny.txt"
        chmod 0644 "$dir/deny.txt"
    fi
    if grep -qixF "$line" "$dir/deny.txt"; then
        echo "make-pki: $id is already on $dir/deny.txt" >&2
        continue
    fi
    printf '# %s revoked %s\n%s\n' "$id" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$line" >> "$dir/deny.txt"
    echo "make-pki: revoked $id (${line#*=}) in $dir/deny.txt" >&2
done
if [ ${#revokes[@]} -gt 0 ]; then
    echo "make-pki: point the correlator's tls.deny_list at $dir/deny.txt" \
        "and reload it (systemctl reload vigil-correlator, or kill -HUP its pid)" >&2
fi

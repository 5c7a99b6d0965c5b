#!/usr/bin/env bash
# A site's own certificate authority, for HQ and site hubs without a public certificate.
#
#   tls.sh ca <dir> [name]                 make <dir>/ca.key (kept secret, 0600) and <dir>/ca.crt
#   tls.sh server <dir> <name> <host>...   make <dir>/<name>.key and <dir>/<name>.crt, signed by
#                                          <dir>/ca.key, valid for each host name or IP address
#
# HQ takes <name>.crt and <name>.key as TLS_CERT and TLS_KEY; a hub as "tls": {"cert","key"}.
# Gates, kiosks and hubs get ca.crt only (config key "ca", a hub's "upstream.ca") and check
# the server against it. Keep ca.key off the servers: it signs whatever it is asked to.
# Keys are ECDSA P-256; the CA lasts 10 years, a server certificate 825 days.
set -euo pipefail
umask 077

usage() { sed -n '4,6p' "$0" >&2; exit 2; }

cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || usage
command -v openssl >/dev/null || { echo "tls.sh: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"

case "$cmd" in
  ca)
    name="${3:-scenic site CA}"
    if [ -e "$dir/ca.key" ]; then echo "tls.sh: $dir/ca.key exists; not replacing a CA devices already trust" >&2; exit 1; fi
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" -subj "/CN=$name" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -addext "subjectKeyIdentifier=hash" 2>/dev/null
    chmod 644 "$dir/ca.crt"
    echo "$dir/ca.crt"
    ;;
  server)
    name="${3:-}"; shift 3 || usage
    [ -n "$name" ] && [ "$#" -gt 0 ] || usage
    [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "tls.sh: name must be letters, digits, _ . or -" >&2; exit 2; }
    [ -r "$dir/ca.key" ] || { echo "tls.sh: no CA in $dir (run: tls.sh ca $dir)" >&2; exit 1; }
    sans=""
    for h in "$@"; do
      if [[ "$h" =~ ^[0-9.]+$ || "$h" == *:* ]]; then sans="$sans,IP:$h"; else sans="$sans,DNS:$h"; fi
    done
    ext="$(mktemp)"; csr="$(mktemp)"
    trap 'rm -f "$ext" "$csr"' EXIT
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\nauthorityKeyIdentifier=keyid\n' "${sans#,}" > "$ext"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
      -keyout "$dir/$name.key" -out "$csr" -subj "/CN=$1" 2>/dev/null
    openssl x509 -req -in "$csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -sha256 -days 825 -extfile "$ext" -out "$dir/$name.crt" 2>/dev/null
    chmod 644 "$dir/$name.crt"
    echo "$dir/$name.crt"
    ;;
  *) usage ;;
esac

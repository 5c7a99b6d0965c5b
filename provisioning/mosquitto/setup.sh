#!/usr/bin/env bash
# Sets up Debian's mosquitto (2.x) as the external broker HQ uses with MQTT_URL, checking the
# same device credentials and topic rules as HQ's built-in broker:
#
#   MQTT_PASSWORD=<hq password> setup.sh <dir> <port> <cert> <key> [hq-username]
#
# writes <dir>/mosquitto.conf (one TLS listener, no anonymous clients, the dynamic security
# plugin, packet and keep-alive limits) and <dir>/dynamic-security.json with one client, HQ's
# login (default username "hq"), holding the plugin's admin role. Everything else HQ does
# itself over MQTT (cloud/mqtt/dynsec.ts): default deny, its own topic rights, and one account
# per device credential it issues. Then run `mosquitto -c <dir>/mosquitto.conf` (or point the
# packaged service at it) and start HQ with
#   MQTT_URL=mqtts://<host>:<port> MQTT_USERNAME=<hq-username> MQTT_PASSWORD=... MQTT_CA=<ca.crt>
#
# Environment: BIND (listen address, default 0.0.0.0), RUN_AS (the user mosquitto drops to
# when started as root, default mosquitto), MAX_PACKET_BYTES (262144), MAX_KEEPALIVE_S (300),
# PERSISTENCE (true: retained messages and sessions survive a restart, in <dir>/data).
set -euo pipefail

dir="${1:-}"; port="${2:-}"; cert="${3:-}"; key="${4:-}"; hq_user="${5:-hq}"
if [ -z "$dir" ] || [ -z "$port" ] || [ -z "$cert" ] || [ -z "$key" ]; then
  sed -n '5p' "$0" >&2; exit 2
fi
[ -n "${MQTT_PASSWORD:-}" ] || { echo "setup.sh: set MQTT_PASSWORD to HQ's password at the broker" >&2; exit 2; }
command -v mosquitto_ctrl >/dev/null || { echo "setup.sh: mosquitto_ctrl not found (apt-get install mosquitto mosquitto-clients)" >&2; exit 1; }
plugin="$(ls /usr/lib/*/mosquitto_dynamic_security.so /usr/lib/mosquitto_dynamic_security.so 2>/dev/null | head -n1 || true)"
[ -n "$plugin" ] || { echo "setup.sh: mosquitto_dynamic_security.so not found (Debian's mosquitto package ships it)" >&2; exit 1; }
for f in "$cert" "$key"; do [ -r "$f" ] || { echo "setup.sh: cannot read $f" >&2; exit 1; }; done

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
dynsec="$dir/dynamic-security.json"
if [ ! -e "$dynsec" ]; then
  (umask 077; mosquitto_ctrl dynsec init "$dynsec" "$hq_user" "$MQTT_PASSWORD" >/dev/null)
fi
persistence="${PERSISTENCE:-true}"
cat > "$dir/mosquitto.conf" <<CONF
# Written by provisioning/mosquitto/setup.sh. HQ keeps the device accounts in the dynamic
# security plugin; no anonymous clients; TLS only.
per_listener_settings false
allow_anonymous false
user ${RUN_AS:-mosquitto}
persistence ${persistence}
persistence_location ${dir}/data/
log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages false

# Packets larger than this are refused and the client dropped; keep-alive is capped, so a
# silent client is found out.
max_packet_size ${MAX_PACKET_BYTES:-262144}
max_keepalive ${MAX_KEEPALIVE_S:-300}
max_queued_messages 1000

listener ${port} ${BIND:-0.0.0.0}
certfile $(cd "$(dirname "$cert")" && pwd)/$(basename "$cert")
keyfile $(cd "$(dirname "$key")" && pwd)/$(basename "$key")
tls_version tlsv1.2

plugin ${plugin}
plugin_opt_config_file ${dynsec}
CONF
mkdir -p "$dir/data"
echo "$dir/mosquitto.conf"

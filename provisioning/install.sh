#!/usr/bin/env bash
# Installs a gate or kiosk agent on a Debian board (bookworm or later, systemd):
#   the system user `scenic` (systemd-sysusers), its folders (systemd-tmpfiles), the device's
#   config in /etc/scenic-ticketing, the TLS folder, the systemd unit, and log rotation.
# The code itself is a checkout with `npm ci` done (default: the one this script is in); the
# script compiles its edge programs (npm run build:edge, into its dist/) for the unit to run
# with plain node. Run it again after updating the checkout: that rebuilds.
#
#   provisioning/install.sh gate  <device> <site> [options]
#   provisioning/install.sh kiosk <device> <site> [options]
#   provisioning/install.sh --setup-qr PHOTO.png [options]   (the QR HQ's 设备登记 screen shows:
#   provisioning/install.sh --setup-code 'TKS1:...' [options]  role, device, site, lane, URLs, token)
#     --cloud-url URL     HQ (or the site hub) HTTP API, e.g. https://hq.example.com:8780
#     --mqtt-url URL      the site's broker, e.g. mqtts://hq.example.com:8883
#     --token TOKEN       the device credential: npm run cli -- device-token <site> <device> [kiosk]
#                         (of a device provisioned at HQ: npm run cli -- provision <device> gate <lane>)
#     --lane NAME         gate only: the lane it serves (default lane-1)
#     --app-dir DIR       the checkout to run (default: this script's repository)
#     --destdir DIR       write everything under DIR instead of / (packaging, tests): no user is
#                         made, nothing is chowned, started or enabled
#     --enable            after installing, enable and start the service
#
# Run it again to update the unit and rotation files: an existing config is kept, never
# overwritten (its token is a secret the operator may have changed).
set -euo pipefail

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
die() { echo "install.sh: $*" >&2; exit 1; }

# A setup code (read from the QR by zbarimg, or typed by a USB scanner) gives everything the
# positional arguments and --cloud-url/--mqtt-url/--token/--lane would: decoded by
# shared/auth/setup-code.ts's rules, restated here so install needs nothing but node.
if [ "${1:-}" = --setup-qr ] || [ "${1:-}" = --setup-code ]; then
  if [ "$1" = --setup-qr ]; then
    command -v zbarimg >/dev/null || { echo "install.sh: zbarimg is needed to read the QR: apt-get install zbar-tools" >&2; exit 1; }
    code=$(zbarimg -q --raw "${2:?a photo of the setup QR}" | head -n 1) || { echo "install.sh: no QR code found in $2" >&2; exit 1; }
  else
    code=${2:?the setup code}
  fi
  shift 2
  mapfile -t setup < <(node -e '
const c = process.argv[1].trim();
if (!c.startsWith("TKS1:")) { console.error("install.sh: not a device setup code (TKS1:...)"); process.exit(1); }
let p; try { p = JSON.parse(Buffer.from(c.slice(5), "base64url").toString("utf8")); } catch { console.error("install.sh: the setup code is damaged: scan it again"); process.exit(1); }
for (const k of ["role", "device", "site", "cloudUrl", "mqttUrl", "token"]) if (typeof p[k] !== "string" || !p[k] || /\n/.test(p[k])) { console.error(`install.sh: the setup code has no ${k}`); process.exit(1); }
console.log([p.role, p.device, p.site, p.cloudUrl, p.mqttUrl, p.token, (p.lanes && p.lanes[0]) || "lane-1"].join("\n"));
' "$code") || exit 1
  [ "${#setup[@]}" -eq 7 ] || { echo "install.sh: could not read the setup code" >&2; exit 1; }
  set -- "${setup[0]}" "${setup[1]}" "${setup[2]}" --cloud-url "${setup[3]}" --mqtt-url "${setup[4]}" --token "${setup[5]}" --lane "${setup[6]}" "$@"
fi

[ $# -ge 3 ] || usage
role=$1 device=$2 site=$3
shift 3
case "$role" in gate|kiosk) ;; *) die "role must be gate or kiosk, not '$role'" ;; esac
name_re='^[A-Za-z0-9_-]{1,64}$'
[[ $device =~ $name_re ]] || die "device must be letters, digits, - or _ (up to 64): '$device'"
[[ $site =~ $name_re ]] || die "site must be letters, digits, - or _ (up to 64): '$site'"

repo=$(cd "$(dirname "$0")/.." && pwd)
app_dir=$repo destdir='' cloud_url='' mqtt_url='' token='' lane=lane-1 enable=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cloud-url) cloud_url=${2:?}; shift 2 ;;
    --mqtt-url) mqtt_url=${2:?}; shift 2 ;;
    --token) token=${2:?}; shift 2 ;;
    --lane) lane=${2:?}; shift 2 ;;
    --app-dir) app_dir=${2:?}; shift 2 ;;
    --destdir) destdir=${2:?}; shift 2 ;;
    --enable) enable=1; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1" ;;
  esac
done
[[ $lane =~ $name_re ]] || die "lane must be letters, digits, - or _ (up to 64): '$lane'"
[ -z "$destdir" ] || destdir=$(mkdir -p "$destdir" && cd "$destdir" && pwd)
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (or give --destdir)"; fi
node_bin=$(command -v node) || die "node (20 or later) is needed: apt-get install nodejs"
node_bin=$(readlink -f "$node_bin")

user=scenic
etc=/etc/scenic-ticketing
state=/var/lib/scenic-ticketing
logs=/var/log/scenic-ticketing
unit=scenic-$role.service
config=$etc/$role.json
# The groups of the devices each agent opens: serial readers and printers (dialout), the
# turnstile's GPIO lines (gpio), the face camera (video), voice prompts (audio), USB printers (lp).
case "$role" in
  gate) groups="dialout gpio video audio" ;;
  kiosk) groups="dialout lp audio" ;;
esac

put() { # put <mode> <path under />  (content on stdin)
  local target=$destdir$2
  mkdir -p "$(dirname "$target")"
  cat > "$target"
  chmod "$1" "$target"
}

# The user and its groups, made by systemd-sysusers (as Debian packages do).
{
  echo "# Scenic ticketing devices ($role agent): written by provisioning/install.sh"
  echo "u $user - \"Scenic ticketing\" $state /usr/sbin/nologin"
  for g in $groups; do echo "m $user $g"; done
} | put 0644 /usr/lib/sysusers.d/scenic-ticketing.conf

# Folders and their owners, made by systemd-tmpfiles (again at every boot).
put 0644 /usr/lib/tmpfiles.d/scenic-ticketing.conf <<EOF
# Scenic ticketing devices: written by provisioning/install.sh
d $etc 0750 root $user -
d $etc/tls 0750 root $user -
d $state 0750 $user $user -
d $state/$device 0750 $user $user -
d $logs 0750 $user $user -
f $logs/$role.log 0640 $user $user -
d $app_dir/data 0750 $user $user -
EOF

# Certificates: where they go; none is made here.
put 0644 $etc/tls/README <<EOF
TLS files of this $role, readable by root and the $user group:
  ca.pem        the certificate of the CA that signed HQ's (or the site hub's) server
                certificate: the site CA made at HQ, or none when HQ has a public one
  $device.pem   this device's certificate, where the site requires client certificates
  $device.key   its private key (mode 0640 root:$user)
EOF

# The config, from the example beside this script, unless one is already there.
if [ -e "$destdir$config" ]; then
  echo "keeping the existing $config"
else
  mkdir -p "$destdir$etc"
  (umask 027 && node - "$repo/provisioning/$role/$role.example.json" "$destdir$config" \
    "$device" "$site" "$state/$device" "$cloud_url" "$mqtt_url" "$token" "$role" "$lane" <<'EOF'
const fs = require('node:fs');
const [src, dst, device, site, dataDir, cloudUrl, mqttUrl, token, role, lane] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(src, 'utf8'));
Object.assign(c, { device, site, dataDir });
if (role === 'gate') c.lane = lane;
if (cloudUrl) c.cloudUrl = cloudUrl;
if (mqttUrl) c.mqttUrl = mqttUrl;
if (token) c.token = token;
fs.writeFileSync(dst, JSON.stringify(c, null, 2) + '\n');
EOF
  )
  echo "wrote $config: check its hardware sections (scanner, turnstile, printer...) for this board"
fi

# The programs the unit runs: compiled JavaScript in the checkout's dist/ (tsx is for
# development). Packaging into --destdir builds only where the checkout is at hand.
if [ -f "$app_dir/edge/build.ts" ]; then
  (cd "$app_dir" && npm run --silent build:edge >/dev/null) || die "could not build the edge programs in $app_dir (npm run build:edge)"
  [ -f "$app_dir/dist/edge/$role/main.js" ] || die "the build made no $app_dir/dist/edge/$role/main.js"
  echo "built $app_dir/dist/edge/$role/main.js"
elif [ -z "$destdir" ]; then
  die "no checkout in $app_dir (give --app-dir)"
else
  echo "no checkout in $app_dir: run npm run build:edge there before starting $unit"
fi

# The unit, from provisioning/systemd, pointed at this checkout and this node.
sed -e "s|/opt/scenic-ticketing|$app_dir|g" -e "s|/usr/bin/node |$node_bin |" "$repo/provisioning/systemd/$unit" | put 0644 /etc/systemd/system/$unit

# Log rotation: the unit appends to $logs/$role.log; copytruncate, since systemd holds it open.
put 0644 /etc/logrotate.d/scenic-ticketing <<EOF
$logs/*.log {
    su $user $user
    daily
    maxsize 20M
    rotate 14
    compress
    delaycompress
    missingok
    notifempty
    copytruncate
}
EOF

if [ -n "$destdir" ]; then
  echo "installed under $destdir (no user made, nothing started)"
  exit 0
fi

systemd-sysusers /usr/lib/sysusers.d/scenic-ticketing.conf
systemd-tmpfiles --create /usr/lib/tmpfiles.d/scenic-ticketing.conf
chown root:$user "$config" "$etc/tls/README"
chmod 0640 "$config"
systemctl daemon-reload
if [ "$enable" = 1 ]; then
  systemctl enable --now "$unit"
else
  echo "next: edit $config, put the certificates in $etc/tls, then: systemctl enable --now $unit"
fi

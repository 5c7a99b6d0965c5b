#!/usr/bin/env bash
# Base backups and point-in-time restore of HQ's Postgres (Debian's PostgreSQL tools).
# WAL archiving is set on the servers (pgaf.sh node ... <archive-dir>, or by hand:
# archive_mode = on, archive_command copying %p into the archive); keep the archive on
# another disk or machine (an NFS mount, or rsync it away).
#
#   backup.sh base <postgres-url> <backups-dir>
#       a base backup (pg_basebackup, plain format, WAL for consistency included) into
#       <backups-dir>/base-<UTC time>; prints its directory. Nightly from a timer.
#   backup.sh restore <base-backup-dir> <archive-dir> <new-pgdata> [time <'YYYY-MM-DD HH:MM:SS+00'> | name <restore point> | latest]
#       a data directory that, once started (pg_ctl -D <new-pgdata> start), replays the
#       archived WAL up to the target and then becomes a primary (a new timeline).
#   backup.sh mark <postgres-url> <name>
#       a named restore point (before a risky change, at a day's close), then a WAL switch so
#       it reaches the archive at once.
# Run as the postgres user (the new data directory must belong to it).
set -euo pipefail
BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
export PATH="$BIN:$PATH"

case "${1:-}" in
  base)
    url=$2 dir=$3
    target="$dir/base-$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir -p "$dir"
    pg_basebackup -d "$url" -D "$target" -Fp -X stream -c fast --no-password
    echo "$target"
    ;;
  restore)
    base=$2 archive=$3 pgdata=$4 kind=${5:-latest} value=${6:-}
    if [ -e "$pgdata" ] && [ -n "$(ls -A "$pgdata" 2>/dev/null)" ]; then echo "$pgdata is not empty" >&2; exit 1; fi
    mkdir -p "$pgdata"
    cp -a "$base/." "$pgdata/"
    chmod 700 "$pgdata"
    rm -f "$pgdata/postmaster.pid" "$pgdata/standby.signal"
    {
      echo "restore_command = 'cp $archive/%f %p'"
      case "$kind" in
        time) echo "recovery_target_time = '$value'" ;;
        name) echo "recovery_target_name = '$value'" ;;
        latest) ;;
        *) echo "unknown target kind $kind" >&2; exit 2 ;;
      esac
      echo "recovery_target_action = 'promote'"
    } >> "$pgdata/postgresql.auto.conf"
    touch "$pgdata/recovery.signal"
    echo "$pgdata"
    ;;
  mark)
    psql -d "$2" -qAt -c "select pg_create_restore_point('$3')" -c "select pg_switch_wal()" >/dev/null
    ;;
  *)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac

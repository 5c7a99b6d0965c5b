#!/usr/bin/env bash
# Creates the pieces of a pg_auto_failover formation for HQ (Debian: postgresql-15-auto-failover,
# pg-auto-failover-cli), with the timeouts HQ's failover goal (< 30 s without writes) needs.
# Run as the postgres user; then run `pg_autoctl run --pgdata <dir>` for each (systemd:
# pg-autoctl@.service beside this file).
#
#   pgaf.sh monitor <pgdata> <port> <hostname>
#   pgaf.sh node    <pgdata> <port> <hostname> <monitor-uri> <name> [archive-dir]
#   pgaf.sh uri     <monitor-pgdata>          # the multi-host URI to put in HQ's DATABASE_URL
#
# Environment: PGAF_AUTH (trust|scram-sha-256, default scram-sha-256), PGAF_LISTEN (listen_addresses,
# default the hostname), PGAF_DBNAME (hq), PGAF_SSL (--no-ssl | --ssl-self-signed, default the latter).
set -euo pipefail

BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
export PATH="$BIN:$PATH"
AUTH=${PGAF_AUTH:-scram-sha-256}
DBNAME=${PGAF_DBNAME:-hq}
SSL=${PGAF_SSL:---ssl-self-signed}

# Failure detection. The monitor declares a node unhealthy when its keeper has not reported for
# node_considered_unhealthy_timeout AND its Postgres failed health checks; it then waits
# primary_demote_timeout for the old primary to step down before the standby may write. The
# old primary's keeper demotes itself after network_partition_timeout without the monitor and
# the standby, so that must be shorter than primary_demote_timeout (no two primaries). Defaults
# (20 s + 30 s) give ~50 s without writes; these give ~20 s.
UNHEALTHY_MS=${PGAF_UNHEALTHY_MS:-8000}
DEMOTE_MS=${PGAF_DEMOTE_MS:-10000}
PARTITION_S=${PGAF_PARTITION_S:-8}

case "${1:-}" in
  monitor)
    pgdata=$2 port=$3 host=$4
    pg_autoctl create monitor --pgdata "$pgdata" --pgport "$port" --hostname "$host" --auth "$AUTH" $SSL
    pg_autoctl config set --pgdata "$pgdata" postgresql.listen_addresses "${PGAF_LISTEN:-$host}" >/dev/null
    cat >> "$pgdata/postgresql.conf" <<CONF
pgautofailover.node_considered_unhealthy_timeout = $UNHEALTHY_MS
pgautofailover.primary_demote_timeout = $DEMOTE_MS
pgautofailover.health_check_period = 2000
pgautofailover.health_check_timeout = 2000
pgautofailover.health_check_retry_delay = 1000
pgautofailover.health_check_max_retries = 2
CONF
    ;;
  node)
    pgdata=$2 port=$3 host=$4 monitor=$5 name=$6 archive=${7:-}
    pg_autoctl create postgres --pgdata "$pgdata" --pgport "$port" --hostname "$host" --listen "${PGAF_LISTEN:-$host}" \
      --auth "$AUTH" $SSL --monitor "$monitor" --name "$name" --dbname "$DBNAME"
    pg_autoctl config set --pgdata "$pgdata" timeout.network_partition_timeout "$PARTITION_S" >/dev/null
    # WAL archiving for point-in-time restore (see backup.sh): only the primary archives
    # (archive_mode=on), so after a failover the new primary carries on into the same archive.
    if [ -n "$archive" ]; then
      cat >> "$pgdata/postgresql.conf" <<CONF
archive_mode = on
archive_command = 'test ! -f $archive/%f && cp %p $archive/%f.tmp && mv $archive/%f.tmp $archive/%f'
archive_timeout = 60
CONF
    fi
    ;;
  uri)
    pg_autoctl show uri --pgdata "$2" --formation default
    ;;
  *)
    sed -n '2,13p' "$0" >&2
    exit 2
    ;;
esac

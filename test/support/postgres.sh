#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the suites that run on Postgres, and
# prints the URL to use. Installs the server from Debian's packages when it is missing.
# Usage: eval "$(bash test/support/postgres.sh start)"   then   bash test/support/postgres.sh stop
# PG_TEST_FSYNC=on starts it durable (fsync on, the default of a real server; fsync is
# server-wide, so a durable one is a separate instance: PG_TEST_PORT and PG_TEST_DIR of its own).
set -euo pipefail
PORT=${PG_TEST_PORT:-54329}
DIR=${PG_TEST_DIR:-/tmp/tk-postgres-$PORT}
FSYNC=${PG_TEST_FSYNC:-off}

pgbin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
    echo "installing postgresql from Debian packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && su postgres -s /bin/bash -c "$*"); else bash -c "$*"; fi
}

case "${1:-start}" in
  start)
    BIN=$(pgbin)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      rm -rf "$DIR"; mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
      as_pg "$BIN/initdb -D $DIR -A trust -U postgres -E UTF8 --no-locale" >/dev/null
    fi
    as_pg "$BIN/pg_ctl -D $DIR -l $DIR/server.log -w -o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=$FSYNC\" start" >&2 \
      || as_pg "$BIN/pg_ctl -D $DIR status" >&2
    echo "export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    BIN=$(pgbin)
    as_pg "$BIN/pg_ctl -D $DIR -m fast stop" >&2 || true
    ;;
esac

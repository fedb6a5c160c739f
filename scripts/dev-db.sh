#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests.
#
#   scripts/dev-db.sh start   print DATABASE_URL's value if it is set; otherwise initdb a cluster in a
#                             temporary directory (trust auth, 127.0.0.1, a free port, room for the
#                             connections of tests running at once), start it, print its URL
#   scripts/dev-db.sh stop    stop the private cluster (fast shutdown) and delete its directory
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
# State lives in $OSIRIS_RUN_DIR (default .osiris/run): db.dir, db.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_dir=${OSIRIS_RUN_DIR:-$ROOT/.osiris/run}
mkdir -p "$run_dir"

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; exit 0; fi
    [ ! -f "$run_dir/db.dir" ] || die "a private cluster is already running ($(cat "$run_dir/db.dir")); run '$0 stop' first"
    dir=$(mktemp -d "${TMPDIR:-/tmp}/osiris-db.XXXXXX")
    [ "$(id -u)" != 0 ] || chown postgres: "$dir"
    port=$(free_port)
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$run_dir/db.log" 2>&1 \
      || { cat "$run_dir/db.log" >&2; die "initdb failed"; }
    echo "$dir" >"$run_dir/db.dir"
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300" start >>"$run_dir/db.log" 2>&1 \
      || { cat "$dir/server.log" >&2; "$0" stop; die "PostgreSQL did not start"; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$run_dir/db.dir" ] || exit 0
    dir=$(cat "$run_dir/db.dir")
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$run_dir/db.dir"
    ;;
  *) echo "usage: $0 start | stop" >&2; exit 2 ;;
esac

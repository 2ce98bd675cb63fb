#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the store tests.
#
#   scripts/test-postgres.sh start   # initdb in a temp dir, start on a free 127.0.0.1 port
#   eval "$(scripts/test-postgres.sh env)"   # export TIDE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres
#   scripts/test-postgres.sh stop    # stop it and delete the temp dir
#
# The cluster trusts every local connection and runs with fsync off: it holds nothing worth keeping.
# Each test file creates (and drops) its own database in it, so test files can run in parallel.
# State lives in $TIDE_PG_STATE_FILE (default /tmp/tide-test-postgres.state).
set -euo pipefail

PG_BIN="${TIDE_PG_BIN:-/usr/lib/postgresql/15/bin}"
STATE_FILE="${TIDE_PG_STATE_FILE:-/tmp/tide-test-postgres.state}"

die() {
  echo "test-postgres: $*" >&2
  exit 1
}

# initdb and postgres refuse to run as root, so as root we drop to the `postgres` system user.
as_cluster_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}

read_state() {
  [ -f "$STATE_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE_FILE"
}

is_running() {
  read_state && as_cluster_owner "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

start() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 is not installed at $PG_BIN; install it with: apt-get install -y postgresql-15"
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    die "running as root needs a 'postgres' system user (apt-get install -y postgresql-15 creates it)"
  fi
  if is_running; then
    echo "test-postgres: already running: $TIDE_TEST_DATABASE_URL"
    return 0
  fi

  local root port
  root="$(mktemp -d "${TMPDIR:-/tmp}/tide-test-postgres.XXXXXX")"
  chmod 755 "$root"
  mkdir -p "$root/data" "$root/socket"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$root"; fi

  as_cluster_owner "$PG_BIN/initdb" -D "$root/data" -U postgres --auth=trust --encoding=UTF8 --no-locale \
    >"$root/initdb.log" 2>&1 || {
    cat "$root/initdb.log" >&2
    die "initdb failed"
  }

  port="$(free_port)"
  # Tests run many pools and child processes at once; the default of 100 connections is too tight.
  local options="-p $port -k $root/socket -c listen_addresses=127.0.0.1 -c max_connections=300"
  options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  as_cluster_owner "$PG_BIN/pg_ctl" start -w -t 60 -D "$root/data" -l "$root/postgres.log" -o "$options" \
    >/dev/null || {
    cat "$root/postgres.log" >&2
    die "pg_ctl start failed"
  }

  cat >"$STATE_FILE" <<EOF
PGDATA_DIR='$root/data'
PG_ROOT_DIR='$root'
TIDE_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'
EOF
  echo "test-postgres: started PostgreSQL 15 on 127.0.0.1:$port (data in $root)"
}

stop() {
  if ! read_state; then
    echo "test-postgres: not running (no $STATE_FILE)"
    return 0
  fi
  as_cluster_owner "$PG_BIN/pg_ctl" stop -w -m fast -D "$PGDATA_DIR" >/dev/null 2>&1 || true
  case "$PG_ROOT_DIR" in
    "${TMPDIR:-/tmp}"/tide-test-postgres.*) rm -rf "$PG_ROOT_DIR" ;;
    *) die "refusing to delete unexpected directory $PG_ROOT_DIR" ;;
  esac
  rm -f "$STATE_FILE"
  echo "test-postgres: stopped"
}

env_cmd() {
  is_running || die "not running; start it with: scripts/test-postgres.sh start"
  echo "export TIDE_TEST_DATABASE_URL='$TIDE_TEST_DATABASE_URL'"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) env_cmd ;;
  *) die "usage: $0 start|stop|env" ;;
esac

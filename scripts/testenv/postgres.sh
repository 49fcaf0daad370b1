#!/usr/bin/env bash
# postgres.sh start|stop|env|status
#
# A private PostgreSQL server for the postgres state backend's integration
# tests: Debian's PostgreSQL (package postgresql), a cluster made with
# initdb as the postgres user (initdb refuses root) in a directory that
# user owns, listening on 127.0.0.1 only, its socket in /tmp.
#
# `start` is idempotent: a running server is kept. `env` prints the export
# the integration tests read:  eval "$(scripts/testenv/postgres.sh env)".
# `stop` stops the server and removes the cluster.
#
# Settings (environment): BERTH_TESTENV_PG_DIR and BERTH_TESTENV_PG_PORT;
# the defaults are this checkout's own (scripts/testenv/lib/settings.sh).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib/settings.sh"
DIR=$TESTENV_PG_DIR
PORT=$TESTENV_PG_PORT
DATA=$DIR/data
LOG=$DIR/server.log
PGUSER_OS=postgres
DB=berth_test

log() { echo "testenv-pg: $*" >&2; }
die() { log "error: $*"; exit 1; }

bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	return 1
}

install_packages() {
	bindir >/dev/null && return
	[ "$(id -u)" = 0 ] || die "PostgreSQL is not installed, and installing it needs root"
	log "installing postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq postgresql >/dev/null 2>&1 || {
		apt-get update -qq
		apt-get install -y -qq postgresql >/dev/null
	}
	bindir >/dev/null || die "postgresql installed, but no initdb under /usr/lib/postgresql"
}

# as_pg runs a command as the postgres user (or as ourselves, if we are not
# root: then we own the cluster).
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		su "$PGUSER_OS" -s /bin/sh -c "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

ready() {
	as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"
}

start() {
	install_packages
	BIN=$(bindir)
	if [ -f "$DATA/postmaster.pid" ] && ready; then
		log "running on 127.0.0.1:$PORT"
		return
	fi
	mkdir -p "$DIR"
	[ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$DIR"
	if [ ! -f "$DATA/PG_VERSION" ]; then
		log "initdb $DATA"
		as_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust --no-sync >/dev/null
	fi
	# A server killed without pg_ctl stop leaves its pid file: pg_ctl
	# removes a stale one itself.
	log "starting on 127.0.0.1:$PORT"
	as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
		-o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
		{ tail -20 "$LOG" >&2; die "the server did not start"; }
	for _ in $(seq 1 60); do
		ready && break
		sleep 1
	done
	ready || die "the server is not ready after 60 s"
	if ! as_pg "$BIN/psql" -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
		-c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
		as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
	fi
	log "ready"
}

stop() {
	BIN=$(bindir) || return 0
	if [ -f "$DATA/postmaster.pid" ]; then
		as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true
	fi
	rm -rf "$DIR"
}

case ${1:-} in
start) start ;;
stop) stop ;;
env) echo "export BERTH_TEST_PG_CONN_STR='postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable'" ;;
status)
	BIN=$(bindir) || die "PostgreSQL is not installed"
	ready && echo "running on 127.0.0.1:$PORT" || { echo "not running"; exit 1; }
	;;
*) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac

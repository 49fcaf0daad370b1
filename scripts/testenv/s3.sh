#!/usr/bin/env bash
# s3.sh start|stop|env|status
#
# A private S3 server for the s3 state backend's integration tests:
# internal/s3server (gofakes3, in memory, with S3's conditional writes),
# built from this checkout and listening on 127.0.0.1 at a port the
# kernel picks, so that two users, or two checkouts, never collide.
#
# `start` is idempotent: a running server is kept. `env` prints the
# exports the integration tests read:  eval "$(scripts/testenv/s3.sh env)".
# `stop` stops the server and removes its directory. The server checks no
# credentials; the ones printed are for the SDK's standard chain.
#
# Settings (environment): BERTH_TESTENV_S3_DIR, the server's directory
# (default: one per user and checkout under ${TMPDIR:-/tmp}).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECKOUT=$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
DIR=${BERTH_TESTENV_S3_DIR:-${TMPDIR:-/tmp}/berth-testenv-s3-$(id -u)-$CHECKOUT}
BUCKET=berth-test
PIDFILE=$DIR/pid
ADDRFILE=$DIR/addr
LOG=$DIR/server.log

log() { echo "testenv-s3: $*" >&2; }
die() { log "error: $*"; exit 1; }

running() {
	[ -f "$PIDFILE" ] && [ -f "$ADDRFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

start() {
	if running; then
		log "running on $(cat "$ADDRFILE")"
		return
	fi
	mkdir -p "$DIR"
	rm -f "$ADDRFILE"
	log "building internal/s3server"
	(cd "$ROOT" && go build -o "$DIR/s3server" ./internal/s3server)
	log "starting"
	# Its own session: it outlives the shell (and process group) that started it.
	setsid nohup "$DIR/s3server" -addr 127.0.0.1:0 -addr-file "$ADDRFILE" -bucket "$BUCKET" >"$LOG" 2>&1 </dev/null &
	echo $! >"$PIDFILE"
	for _ in $(seq 1 600); do
		[ -f "$ADDRFILE" ] && break
		kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -20 "$LOG" >&2; die "the server exited"; }
		sleep 0.1
	done
	[ -f "$ADDRFILE" ] || { tail -20 "$LOG" >&2; die "the server is not listening after 60 s"; }
	log "ready on $(cat "$ADDRFILE")"
}

stop() {
	if [ -f "$PIDFILE" ]; then
		local pid
		pid=$(cat "$PIDFILE")
		if kill "$pid" 2>/dev/null; then
			for _ in $(seq 1 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
	fi
	rm -rf "$DIR"
}

case ${1:-} in
start) start ;;
stop) stop ;;
env)
	running || die "the server is not running: $0 start"
	cat <<EOF
export BERTH_TEST_S3_ENDPOINT='http://$(cat "$ADDRFILE")'
export BERTH_TEST_S3_BUCKET='$BUCKET'
export AWS_ACCESS_KEY_ID='berth-test'
export AWS_SECRET_ACCESS_KEY='berth-test-secret'
export AWS_REGION='us-east-1'
EOF
	;;
status) running && echo "running on $(cat "$ADDRFILE")" || { echo "not running"; exit 1; } ;;
*) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# elbv2.sh start|stop|env|status
#
# A private AWS ELBv2 API for the AWS provider's tests: internal/elbv2server
# (the emulator in internal/elbv2emulator, see docs/elbv2-emulator.md),
# built from this checkout and listening on 127.0.0.1 at a port the kernel
# picks, so that two users, or two checkouts, never collide. Every
# listener created through it is served on its own 127.0.0.1 port:
# GET $AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2/_emulator/listeners
# lists them.
#
# `start` is idempotent: a running server is kept. `env` prints the
# exports the tests read:  eval "$(scripts/testenv/elbv2.sh env)".
# `stop` stops the server and removes its directory. The server checks no
# credentials; the ones printed are for the SDK's standard chain.
#
# Settings (environment): BERTH_TESTENV_ELBV2_DIR, the server's directory
# (default: one per user and checkout under ${TMPDIR:-/tmp});
# BERTH_TESTENV_ELBV2_TIME_SCALE, the emulator's time scale at start
# (default 1; 0.1 runs health check intervals and deregistration delays
# ten times faster).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECKOUT=$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
DIR=${BERTH_TESTENV_ELBV2_DIR:-${TMPDIR:-/tmp}/berth-testenv-elbv2-$(id -u)-$CHECKOUT}
REGION=us-east-1
SCALE=${BERTH_TESTENV_ELBV2_TIME_SCALE:-1}
PIDFILE=$DIR/pid
ADDRFILE=$DIR/addr
LOG=$DIR/server.log

log() { echo "testenv-elbv2: $*" >&2; }
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
	log "building internal/elbv2server"
	(cd "$ROOT" && go build -o "$DIR/elbv2server" ./internal/elbv2server)
	log "starting"
	# Its own session: it outlives the shell (and process group) that started it.
	setsid nohup "$DIR/elbv2server" -addr 127.0.0.1:0 -addr-file "$ADDRFILE" -region "$REGION" -time-scale "$SCALE" -v >"$LOG" 2>&1 </dev/null &
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
	cat <<EOV
export AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2='http://$(cat "$ADDRFILE")'
export AWS_REGION='$REGION'
export AWS_ACCESS_KEY_ID='test'
export AWS_SECRET_ACCESS_KEY='test'
EOV
	;;
status) running && echo "running on $(cat "$ADDRFILE")" || { echo "not running"; exit 1; } ;;
*) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac

# goserver.sh: sourced by the test environment scripts whose server is a
# Go command of this checkout that writes the address it listens on to a
# file once it accepts connections (internal/s3server, internal/elbv2server).
#
# The sourcing script sets NAME (for messages), PKG (./internal/...),
# DIR (the server's directory), ARGS (an array: the server's flags beyond
# -addr and -addr-file) and defines print_env (the exports of `env`, with
# the address in $ADDRFILE), then calls goserver_main "$@", which runs
# start|stop|env|status.

PIDFILE=$DIR/pid
ADDRFILE=$DIR/addr
LOG=$DIR/server.log

log() { echo "testenv-$NAME: $*" >&2; }
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
	local bin
	bin=$DIR/$(basename "$PKG")
	log "building ${PKG#./}"
	(cd "$ROOT" && go build -o "$bin" "$PKG")
	log "starting"
	# Its own session: it outlives the shell (and process group) that started it.
	setsid nohup "$bin" -addr 127.0.0.1:0 -addr-file "$ADDRFILE" "${ARGS[@]}" >"$LOG" 2>&1 </dev/null &
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

goserver_main() {
	case ${1:-} in
	start) start ;;
	stop) stop ;;
	env)
		running || die "the server is not running: $0 start"
		print_env
		;;
	status) running && echo "running on $(cat "$ADDRFILE")" || { echo "not running"; exit 1; } ;;
	*) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
	esac
}

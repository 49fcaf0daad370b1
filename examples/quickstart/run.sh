#!/usr/bin/env bash
# The quickstart: deploy the hello app as 3 replicas on a real Docker
# Engine, then roll out a new version in waves (1, then 2).
#
#   examples/quickstart/run.sh         # plan, apply, rolling update
#   examples/quickstart/run.sh stop    # destroy the app, stop what it started
#
# It uses the Docker Engine at $DOCKER_HOST or /var/run/docker.sock; where
# none answers it installs Debian's docker.io (if missing) and starts a
# private dockerd for the demo (on a bridge of its own). The image is built
# FROM scratch around the Go program in app/ and pushed to a local registry
# (Debian's docker-registry on 127.0.0.1, started if none answers there).
# The demo's directory, the registry's port and the private dockerd's
# bridge and subnet are this checkout's own, so two clones on one machine
# do not collide (scripts/testenv/lib/settings.sh: BERTH_QUICKSTART_DIR,
# BERTH_QUICKSTART_REGISTRY_PORT, BERTH_TESTENV_SLOT).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EX=$REPO/examples/quickstart
. "$REPO/scripts/testenv/lib/settings.sh"
QS=$QUICKSTART_DIR
REGISTRY=127.0.0.1:$QUICKSTART_REGISTRY_PORT
BERTH=$REPO/bin/berth

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "quickstart: $*" >&2; exit 1; }

# apt_get runs apt-get quietly, its output in $QS/apt.log (shown on failure).
apt_get() {
	mkdir -p "$QS"
	if ! DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >"$QS/apt.log" 2>&1; then
		tail -n 20 "$QS/apt.log" >&2
		return 1
	fi
}

# have_package_lists reports whether apt has package lists to install from
# (a fresh container image or a cleaned machine has none).
have_package_lists() {
	compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

apt_update() {
	say "Updating the package lists: apt-get update (this takes up to a minute on a cold machine)"
	apt_get update || die "apt-get update failed; see $QS/apt.log"
}

# missing_packages prints the Debian packages the demo needs and lacks.
missing_packages() {
	command -v dockerd >/dev/null || echo docker.io
	[ -x /usr/bin/docker-registry ] || echo docker-registry
	command -v curl >/dev/null || echo curl
}

install_missing() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" = 0 ] || die "please install ${missing[*]} (Debian packages), or run as root"
	have_package_lists || apt_update
	say "Installing ${missing[*]} with apt-get (this takes about 1 to 2 minutes on a cold machine)"
	if ! apt_get install "${missing[@]}"; then
		# Stale lists name package versions the mirror no longer has.
		echo "apt-get install failed; updating the package lists and trying again"
		apt_update
		apt_get install "${missing[@]}" || die "apt-get install ${missing[*]} failed; see $QS/apt.log"
	fi
}

# docker_endpoint prints the Engine API endpoint to use, starting a private
# dockerd when no engine answers.
docker_endpoint() {
	if [ -n "${DOCKER_HOST:-}" ] && docker -H "$DOCKER_HOST" info >/dev/null 2>&1; then
		echo "$DOCKER_HOST"; return
	fi
	if docker -H unix:///var/run/docker.sock info >/dev/null 2>&1; then
		echo unix:///var/run/docker.sock; return
	fi
	local sock=unix://$QS/docker.sock
	if ! docker -H "$sock" info >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "no Docker Engine answers and starting one needs root"
		say "Starting a private dockerd for the demo on $sock (up to 30 seconds)" >&2
		mkdir -p "$QS"
		echo '{}' >"$QS/daemon.json"
		# A bridge of its own: docker0 may belong to another daemon.
		if ! ip link show "$QUICKSTART_BRIDGE" >/dev/null 2>&1; then
			ip link add "$QUICKSTART_BRIDGE" type bridge
			ip addr add "$QUICKSTART_BRIDGE_CIDR" dev "$QUICKSTART_BRIDGE"
		fi
		ip link set "$QUICKSTART_BRIDGE" up
		dockerd --config-file "$QS/daemon.json" --data-root "$QS/data" --exec-root "$QS/exec" \
			-H "$sock" --pidfile "$QS/dockerd.pid" --bridge "$QUICKSTART_BRIDGE" \
			--iptables=false --ip-masq=false >"$QS/dockerd.log" 2>&1 &
		for _ in $(seq 1 60); do docker -H "$sock" info >/dev/null 2>&1 && break; sleep 0.5; done
		docker -H "$sock" info >/dev/null 2>&1 || die "dockerd did not start; see $QS/dockerd.log"
	fi
	echo "$sock"
}

start_registry() {
	if curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1; then return; fi
	mkdir -p "$QS/registry"
	cat >"$QS/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $QS/registry
http:
  addr: $REGISTRY
YML
	/usr/bin/docker-registry serve "$QS/registry.yml" >"$QS/registry.log" 2>&1 &
	echo $! >"$QS/registry.pid"
	for _ in $(seq 1 40); do curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 && return; sleep 0.25; done
	die "the registry did not start; see $QS/registry.log"
}

build_push() { # version
	local v=$1 dir=$QS/build-$1
	mkdir -p "$dir"
	(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$v" -o "$dir/hello" ./examples/quickstart/app)
	cp "$EX/app/Dockerfile" "$dir/"
	echo "hello:$v"
	# The legacy builder's deprecation notice is noise here: the log keeps it.
	docker -H "$ENDPOINT" build -q -t "$REGISTRY/hello:$v" "$dir" >"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log" >&2; die "docker build of hello:$v failed"; }
	docker -H "$ENDPOINT" push -q "$REGISTRY/hello:$v" >/dev/null
}

berth() { (set -x; "$BERTH" -chdir="$EX" "$@"); }

stop() {
	if [ -f "$EX/local.auto.vars.hcl" ] && [ -x "$BERTH" ]; then
		"$BERTH" -chdir="$EX" destroy -auto-approve || true
	fi
	[ -f "$QS/registry.pid" ] && kill "$(cat "$QS/registry.pid")" 2>/dev/null || true
	if [ -f "$QS/dockerd.pid" ]; then
		local pid
		pid=$(cat "$QS/dockerd.pid")
		kill "$pid" 2>/dev/null || true
		# The bridge goes once its daemon has.
		for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
		ip link del "$QUICKSTART_BRIDGE" 2>/dev/null || true
	fi
	rm -f "$EX/local.auto.vars.hcl"
}

# Sourced (by app/runscript_test.go): only define the functions.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

if [ "${1:-}" = stop ]; then stop; exit 0; fi

say "Building berth (the first build downloads and compiles its Go modules: about 3 to 5 minutes on a cold machine, more on a busy one; seconds after that)"
make -C "$REPO" -s build
install_missing
ENDPOINT=$(docker_endpoint)
echo "Docker Engine: $ENDPOINT"
start_registry
echo "Registry: $REGISTRY"
say "Building the hello image FROM scratch, versions v1 and v2, and pushing them to $REGISTRY (about 30 seconds on a cold machine)"
build_push v1
build_push v2
cat >"$EX/local.auto.vars.hcl" <<VARS
# Written by run.sh: where the quickstart's Docker Engine and registry are.
docker_endpoint = "$ENDPOINT"
registry_port   = $QUICKSTART_REGISTRY_PORT
tag             = "v1"
VARS

say "berth plan: 3 replicas of hello v1"
berth plan
say "berth apply: 3 containers, each gated on its readiness probe (about 10 seconds)"
berth apply -auto-approve
say "The app answers on / (and 404 on any path it does not serve)"
last=
for port in $(docker -H "$ENDPOINT" ps --filter label=sh.berth.app=hello --format '{{.Ports}}' | sed -n 's/.*127.0.0.1:\([0-9]*\)->.*/\1/p'); do
	curl -fsS "http://127.0.0.1:$port/"
	last=$port
done
[ -z "$last" ] || echo "GET /nope: $(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$last/nope")"

say "A new version: berth plan shows the rollout waves"
berth plan -var tag=v2
say "berth apply: rolled out in waves, each ready before the next (about 20 seconds)"
berth apply -auto-approve -var tag=v2
# v2 is what runs now: later commands (plan, drift) compare against it.
sed -i 's/^tag *= .*/tag             = "v2"/' "$EX/local.auto.vars.hcl"

say "Done. Look around:"
echo "  $BERTH -chdir=examples/quickstart show"
echo "  $BERTH -chdir=examples/quickstart drift        # exit 0: reality matches the state"
echo "  docker -H $ENDPOINT ps --filter label=sh.berth.app=hello"
echo "  docker -H $ENDPOINT rm -f <one of them>; $BERTH -chdir=examples/quickstart plan   # drift, and its repair"
echo "  $BERTH -chdir=examples/quickstart apply -auto-approve -var probe_path=/nope"
echo "      # a failed rollout: /nope answers 404, so wave 1 is never ready; after"
echo "      # healthy_deadline (1m) berth rolls it back and the 3 instances keep /healthz"
echo "  examples/quickstart/run.sh stop     # destroy the app and stop the demo's daemons"

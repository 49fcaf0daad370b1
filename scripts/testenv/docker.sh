#!/usr/bin/env bash
# docker.sh start|stop|env|status
#
# The real Docker test environment of berth's Docker provider, on one
# machine and only on 127.0.0.0/8:
#
#   host A, host B  two private dockerd daemons (Debian docker.io), each with
#                   its own socket, data root, exec root, managed containerd
#                   and Linux bridge, started with --iptables=false; ports
#                   published on 127.0.0.1 reach containers through
#                   docker-proxy (the userland proxy).
#   registry        Debian docker-registry (distribution 2.8) on 127.0.0.1
#                   with htpasswd auth (berth / berth-test), filesystem storage.
#   images          providers/docker/testdata/testserver built FROM scratch
#                   (no base image is ever pulled) and pushed as
#                   berth/testserver:v1, :v2 and :never-ready.
#
# `start` is idempotent: what already runs is kept, the image is rebuilt only
# when the test server's sources changed. `env` prints the shell exports the
# integration tests read:  eval "$(scripts/testenv/docker.sh env)".
# `stop` stops everything by pidfile and removes all state.
#
# Its directory, the registry's port and the hosts' bridges and subnets are
# this checkout's own (scripts/testenv/lib/settings.sh: BERTH_TESTENV_SLOT,
# BERTH_TESTENV_DIR, BERTH_TESTENV_REGISTRY_PORT), so two clones on one
# machine run two environments side by side.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib/settings.sh"
ROOT=$TESTENV_DOCKER_DIR
REGISTRY=127.0.0.1:$TESTENV_REGISTRY_PORT
REGISTRY_USER=berth
REGISTRY_PASSWORD=berth-test
IMAGE_REPO=berth/testserver
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERVER_SRC=$REPO_DIR/providers/docker/testdata/testserver

# One line per host: name, bridge, bridge address (the bridge's own IP; its
# subnet is the containers' subnet). Distinct bridges and subnets keep the
# two daemons' IPAM from handing out the same addresses.
HOSTS=("${TESTENV_DOCKER_HOSTS[@]}")

log() { echo "testenv: $*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (dockerd, bridges)"
}

# install_packages installs the Debian packages that are missing; a fresh CI
# machine has none of them.
install_packages() {
	local missing=()
	command -v dockerd >/dev/null || missing+=(docker.io)
	[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
	command -v htpasswd >/dev/null || missing+=(apache2-utils)
	command -v curl >/dev/null || missing+=(curl)
	command -v ip >/dev/null || missing+=(iproute2)
	# The certificates of docs/getting-started.md, whose commands
	# TestDocsGuides runs against this environment.
	command -v openssl >/dev/null || missing+=(openssl)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	# apt may start the distribution's own registry service on :5000; ours
	# is separate, so leave it alone.
}

alive() { # pidfile
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

sock() { echo "$ROOT/$1/d.sock"; }

dockerc() { # host, docker args...
	local h=$1
	shift
	DOCKER_CONFIG=$ROOT/docker-config DOCKER_BUILDKIT=0 docker -H "unix://$(sock "$h")" "$@"
}

start_daemon() { # name bridge cidr
	local name=$1 bridge=$2 cidr=$3 dir=$ROOT/$1
	mkdir -p "$dir"
	if alive "$dir/dockerd.pid" && dockerc "$name" info >/dev/null 2>&1; then
		log "dockerd $name already running"
		return
	fi
	if ! ip link show "$bridge" >/dev/null 2>&1; then
		ip link add "$bridge" type bridge
		ip addr add "$cidr" dev "$bridge"
	fi
	ip link set "$bridge" up
	# An empty config file: /etc/docker/daemon.json (if any) is not ours.
	echo '{}' >"$dir/daemon.json"
	log "starting dockerd $name on $(sock "$name")"
	setsid dockerd \
		--config-file "$dir/daemon.json" \
		--host "unix://$(sock "$name")" \
		--data-root "$dir/data" \
		--exec-root "$dir/x" \
		--pidfile "$dir/dockerd.pid" \
		--bridge "$bridge" \
		--iptables=false --ip-masq=false \
		--userland-proxy=true \
		--storage-driver overlay2 \
		>"$dir/dockerd.log" 2>&1 </dev/null &
}

wait_daemon() { # name
	local name=$1 i
	for i in $(seq 1 120); do
		if dockerc "$name" info >/dev/null 2>&1; then
			return
		fi
		sleep 0.25
	done
	tail -n 30 "$ROOT/$name/dockerd.log" >&2 || true
	die "dockerd $name did not answer on $(sock "$name") within 30s"
}

start_registry() {
	local dir=$ROOT/registry
	mkdir -p "$dir/data"
	if alive "$dir/registry.pid" && registry_answers; then
		log "registry already running on $REGISTRY"
		return
	fi
	htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$dir/htpasswd"
	cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  secret: berth-testenv-not-a-secret
auth:
  htpasswd:
    realm: berth-testenv
    path: $dir/htpasswd
EOF
	log "starting docker-registry on $REGISTRY"
	setsid /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
	echo $! >"$dir/registry.pid"
	local i
	for i in $(seq 1 80); do
		registry_answers && return
		sleep 0.25
	done
	cat "$dir/registry.log" >&2 || true
	die "registry did not answer 401 on http://$REGISTRY/v2/ within 20s"
}

# registry_answers: /v2/ asks for credentials, so the auth config is live.
registry_answers() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/")" = 401 ]
}

# build_images builds the test server image on host A and pushes its tags,
# unless the registry already holds the images of the current sources.
build_images() {
	local sum
	sum=$(cat "$SERVER_SRC"/*.go "$SERVER_SRC/Dockerfile" | sha256sum | cut -c1-16)
	if [ "$(cat "$ROOT/images.sum" 2>/dev/null)" = "$sum" ] &&
		[ "$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" \
			-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
			"http://$REGISTRY/v2/$IMAGE_REPO/manifests/never-ready")" = 200 ]; then
		log "test images up to date in $REGISTRY/$IMAGE_REPO"
		return
	fi
	command -v go >/dev/null || die "go is needed to build the test server"
	local ctx=$ROOT/build
	rm -rf "$ctx"
	mkdir -p "$ctx"
	(cd "$REPO_DIR" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/server" ./providers/docker/testdata/testserver)
	cp "$SERVER_SRC/Dockerfile" "$ctx/"
	# Output goes to a log (the legacy builder and login are chatty); shown
	# only on failure.
	local out=$ROOT/build.log tag
	if ! (
		echo "$REGISTRY_PASSWORD" | dockerc a login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" &&
			for tag in v1 v2 never-ready; do
				local args=(--build-arg "VERSION=$tag")
				[ "$tag" = never-ready ] && args+=(--build-arg NEVER_READY=1)
				dockerc a build -q "${args[@]}" -t "$REGISTRY/$IMAGE_REPO:$tag" "$ctx" &&
					dockerc a push -q "$REGISTRY/$IMAGE_REPO:$tag" || exit 1
			done
	) >"$out" 2>&1; then
		cat "$out" >&2
		die "building or pushing the test images failed"
	fi
	echo "$sum" >"$ROOT/images.sum"
	log "pushed $REGISTRY/$IMAGE_REPO:{v1,v2,never-ready}"
}

cmd_start() {
	need_root
	install_packages
	mkdir -p "$ROOT"
	local h
	for h in "${HOSTS[@]}"; do
		# shellcheck disable=SC2086
		start_daemon $h
	done
	start_registry
	for h in "${HOSTS[@]}"; do
		wait_daemon "${h%% *}"
	done
	build_images
	log "ready; eval \"\$($0 env)\""
}

stop_pid() { # pidfile what
	local pf=$1 what=$2 pid i
	[ -f "$pf" ] || return 0
	pid=$(cat "$pf")
	if kill -0 "$pid" 2>/dev/null; then
		log "stopping $what ($pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 80); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pf"
}

cmd_stop() {
	need_root
	local h name bridge
	for h in "${HOSTS[@]}"; do
		name=${h%% *}
		# Containers first, so dockerd's shutdown does not wait on them.
		if dockerc "$name" info >/dev/null 2>&1; then
			# shellcheck disable=SC2046
			dockerc "$name" rm -f $(dockerc "$name" ps -aq) >/dev/null 2>&1 || true
		fi
		stop_pid "$ROOT/$name/dockerd.pid" "dockerd $name"
	done
	stop_pid "$ROOT/registry/registry.pid" registry
	# Whatever dockerd left mounted under the test root (overlay, netns).
	if [ -d "$ROOT" ]; then
		{ findmnt -rn -o TARGET | grep "^$ROOT/" || true; } | sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done
	fi
	for h in "${HOSTS[@]}"; do
		bridge=$(echo "$h" | cut -d' ' -f2)
		ip link del "$bridge" 2>/dev/null || true
	done
	rm -rf "$ROOT"
	log "stopped"
}

cmd_env() {
	cat <<EOF
export BERTH_TEST_DOCKER_A=unix://$(sock a)
export BERTH_TEST_DOCKER_B=unix://$(sock b)
export BERTH_TEST_REGISTRY=$REGISTRY
export BERTH_TEST_REGISTRY_USER=$REGISTRY_USER
export BERTH_TEST_REGISTRY_PASSWORD=$REGISTRY_PASSWORD
export BERTH_TEST_IMAGE=$REGISTRY/$IMAGE_REPO
EOF
}

cmd_status() {
	local h rc=0
	for h in a b; do
		if dockerc "$h" info >/dev/null 2>&1; then echo "dockerd $h: up"; else echo "dockerd $h: down"; rc=1; fi
	done
	if registry_answers; then echo "registry: up"; else echo "registry: down"; rc=1; fi
	return $rc
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
status) cmd_status ;;
*)
	echo "usage: $0 start|stop|env|status" >&2
	exit 2
	;;
esac

#!/usr/bin/env bash
# kube.sh start|stop|env|status
#
# A real Kubernetes control plane on 127.0.0.1, for berth's kubernetes state
# backend and Kubernetes tests:
#
#   etcd 3.7.0                  one member, --unsafe-no-fsync
#   kube-apiserver v1.37.1      TLS from a CA made here with openssl, a static
#                               admin token (system:masters), RBAC
#   kube-controller-manager     Deployments make ReplicaSets and Pods,
#   kube-scheduler              namespaces finish deleting, default SAs exist;
#                               all controllers but the node lifecycle one:
#                               on a busy machine kwok's node flaps not
#                               ready for a moment, and that controller
#                               then marks every pod not ready for good
#                               (no kubelet makes them ready again)
#   kwok v0.8.0                 simulated kubelets: one fake Node "kwok-node-0"
#                               goes Ready, its pods Running/Ready
#
# The binaries are built from the Go module tools/kube-testenv (not berth's
# module) into a cache directory, once: a rebuild happens only when that
# module's go.mod, go.sum, sources or the Go version change. A cold build
# takes 12 minutes on 2 idle cores, 30 on 2 cores shared with other builds
# (about 28 CPU-minutes); GOCACHE/GOMODCACHE keep their defaults, so a
# rebuild with a warm cache takes under a minute. A start takes about 5 s.
#
# Everything runs as the calling user (no root needed). The run directory is
# per user and checkout (scripts/testenv/lib/settings.sh), and the ports are
# picked free at start and kept in the run directory, so two users' or two
# clones' environments on one machine do not collide.
#
# `start` is idempotent: a healthy environment is kept; a broken one is
# stopped and started afresh. `env` prints the exports tests read:
#   eval "$(scripts/testenv/kube.sh env)"
# `stop` kills every component and removes the run directory.
#
# Settings (environment): BERTH_TESTENV_KUBE_DIR (run directory, default
# per user and checkout), BERTH_TESTENV_KUBE_CACHE (binaries, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/berth-kube-testenv).
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODULE=$REPO_DIR/tools/kube-testenv
. "$REPO_DIR/scripts/testenv/lib/settings.sh"
DIR=$TESTENV_KUBE_DIR
CACHE=${BERTH_TESTENV_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/berth-kube-testenv}
BIN=$CACHE/bin
KUBE_VERSION=v1.37.1
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
NODE=kwok-node-0
# The node's pod capacity: kwok's pods cost nothing, and the Kubernetes
# provider's no-op plan benchmark runs 200 apps' pods beside what other
# tests' namespaces hold while they finish deleting; a kubelet's 110 would
# leave its pods unscheduled.
NODE_PODS=1000

log() { echo "testenv-kube: $*" >&2; }
die() { log "error: $*"; exit 1; }

install_packages() {
	local missing=()
	command -v openssl >/dev/null || missing+=(openssl)
	command -v curl >/dev/null || missing+=(curl)
	command -v flock >/dev/null || missing+=(util-linux)
	[ ${#missing[@]} -eq 0 ] && return
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]}, and installing needs root"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build builds the five binaries into $BIN unless the stamp of the module's
# inputs matches the one of the last build. A lock keeps two concurrent starts
# from building at once.
build() {
	command -v go >/dev/null || die "go is needed to build the test environment"
	mkdir -p "$CACHE"
	exec 8>"$CACHE/build.lock"
	flock 8
	local stamp
	stamp=$( (
		cd "$MODULE"
		go version
		echo "$KUBE_VERSION"
		find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort | xargs sha256sum
	) | sha256sum | cut -c1-16)
	local c ok=1
	for c in "${COMPONENTS[@]}"; do [ -x "$BIN/$c" ] || ok=0; done
	if [ "$ok" = 1 ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$stamp" ]; then
		flock -u 8
		return
	fi
	log "building ${COMPONENTS[*]} into $BIN (a cold build takes 12 to 30 minutes on 2 cores)"
	local t0=$SECONDS
	rm -rf "$BIN.new"
	mkdir -p "$BIN.new"
	local minor=${KUBE_VERSION#v1.}
	minor=${minor%%.*}
	# Without the -X flags /version says v0.0.0-master.
	if ! (cd "$MODULE" && GOWORK=off CGO_ENABLED=0 go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
		-o "$BIN.new/" ./cmd/...) >"$CACHE/build.log" 2>&1; then
		tail -n 40 "$CACHE/build.log" >&2
		die "building the test environment failed (log: $CACHE/build.log)"
	fi
	rm -rf "$BIN"
	mv "$BIN.new" "$BIN"
	echo "$stamp" >"$CACHE/stamp"
	log "built in $((SECONDS - t0)) s"
	flock -u 8
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on and that
# this run has not handed out yet, below the ephemeral range so outgoing
# connections do not take it meanwhile, and above the checkouts' fixed
# ports (lib/settings.sh: 20000 to 21439).
PICKED=" "
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((21440 + RANDOM % 11000))
		case $PICKED in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			PICKED="$PICKED$p "
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

pki() {
	local d=$DIR/pki
	mkdir -p "$d"
	(
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=berth-testenv-ca" \
			-keyout ca.key -out ca.crt
		openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
			-keyout apiserver.key -out apiserver.csr
		cat >apiserver.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
		openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
			-extfile apiserver.ext -out apiserver.crt
		openssl genrsa -out sa.key 2048
		openssl rsa -in sa.key -pubout -out sa.pub
	) >"$DIR/log/pki.log" 2>&1 || { cat "$DIR/log/pki.log" >&2; die "openssl failed"; }
	local token
	token=$(openssl rand -hex 24)
	echo "$token,admin,admin-uid,system:masters" >"$d/tokens.csv"
	echo "$token" >"$d/admin.token"
	chmod 600 "$d"/*.key "$d/tokens.csv" "$d/admin.token"
}

kubeconfig() {
	local ca
	ca=$(base64 -w0 "$DIR/pki/ca.crt")
	cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: berth-testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $ca
users:
- name: admin
  user:
    token: $(cat "$DIR/pki/admin.token")
contexts:
- name: berth-testenv
  context:
    cluster: berth-testenv
    user: admin
current-context: berth-testenv
EOF
	chmod 600 "$DIR/kubeconfig"
}

launch() { # component, args...
	local c=$1
	shift
	# 8>&- 9>&-: the lock files' descriptors must not outlive this script
	# in the daemons, or the next start would wait for them to exit.
	setsid "$@" >"$DIR/log/$c.log" 2>&1 </dev/null 8>&- 9>&- &
	echo $! >"$DIR/run/$c.pid"
}

alive() { # component
	local pf=$DIR/run/$1.pid
	[ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null
}

# failed reports a component that did not come up, with its log's tail, then
# stops what runs (the logs stay in $DIR/log).
failed() { # component, what
	log "error: $1: $2"
	if [ -f "$DIR/log/$1.log" ]; then
		echo "---- last lines of $DIR/log/$1.log" >&2
		tail -n 30 "$DIR/log/$1.log" >&2
		echo "----" >&2
	fi
	kill_all
	exit 1
}

# wait_for polls a check until it passes, failing early if the component died.
wait_for() { # component, seconds, what, check...
	local c=$1 secs=$2 what=$3 i
	shift 3
	for i in $(seq 1 $((secs * 4))); do
		"$@" && return
		alive "$c" || failed "$c" "exited while waiting for $what"
		sleep 0.25
	done
	failed "$c" "no $what within $secs s"
}

api() { # curl args... (path relative to the apiserver)
	local path=$1
	shift
	curl -fsS --max-time 10 --cacert "$DIR/pki/ca.crt" -H "Authorization: Bearer $(cat "$DIR/pki/admin.token")" \
		"$@" "https://127.0.0.1:$APISERVER_PORT$path"
}

etcd_healthy() { curl -fsS --max-time 5 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; }
apiserver_ready() { [ "$(api /readyz 2>/dev/null)" = ok ]; }
node_ready() {
	api "/api/v1/nodes/$NODE" 2>/dev/null | tr -d ' \n' |
		grep -q '"type":"Ready","status":"True"'
}
# node_capacity raises the pod capacity of a node made with a lower one
# (an environment started by an older version of this script).
node_capacity() {
	api "/api/v1/nodes/$NODE/status" -X PATCH -H 'Content-Type: application/merge-patch+json' -o /dev/null \
		-d "{\"status\":{\"capacity\":{\"pods\":\"$NODE_PODS\"},\"allocatable\":{\"pods\":\"$NODE_PODS\"}}}"
}
default_sa() { api /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1; }

load_ports() {
	# shellcheck disable=SC1091
	[ -f "$DIR/ports" ] && . "$DIR/ports"
	return 0
}

healthy() {
	load_ports
	[ -n "${APISERVER_PORT:-}" ] || return 1
	local c
	for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done
	apiserver_ready && node_ready
}

cmd_start() {
	install_packages
	build
	mkdir -p "$DIR"
	exec 9>"$DIR.lock"
	flock 9
	if healthy; then
		node_capacity || log "warning: cannot set node $NODE's pod capacity to $NODE_PODS"
		log "running: https://127.0.0.1:$APISERVER_PORT"
		return
	fi
	if [ -d "$DIR/run" ]; then
		log "a previous environment is incomplete: starting afresh"
		kill_all
	fi
	rm -rf "${DIR:?}"/*
	mkdir -p "$DIR/log" "$DIR/run" "$DIR/etcd" "$DIR/kwok-home"
	local t0
	t0=$(date +%s%3N)
	ETCD_PORT=$(free_port)
	ETCD_PEER_PORT=$(free_port)
	APISERVER_PORT=$(free_port)
	printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\n' \
		"$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" >"$DIR/ports"
	pki
	kubeconfig
	local p=$DIR/pki kc=$DIR/kubeconfig

	log "starting etcd on 127.0.0.1:$ETCD_PORT"
	launch etcd "$BIN/etcd" --name=berth-testenv --data-dir="$DIR/etcd" --unsafe-no-fsync \
		--listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
		--advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster="berth-testenv=http://127.0.0.1:$ETCD_PEER_PORT" \
		--log-level=warn
	wait_for etcd 30 "healthy etcd" etcd_healthy

	log "starting kube-apiserver on 127.0.0.1:$APISERVER_PORT"
	# --endpoint-reconciler-type=none: with --advertise-address=127.0.0.1
	# alone the apiserver exits.
	launch kube-apiserver "$BIN/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
		--advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
		--tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
		--client-ca-file="$p/ca.crt" --token-auth-file="$p/tokens.csv" \
		--authorization-mode=RBAC \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
		--service-cluster-ip-range=10.96.0.0/16 --enable-priority-and-fairness=false
	wait_for kube-apiserver 60 "/readyz ok" apiserver_ready

	log "starting kube-controller-manager, kube-scheduler, kwok"
	launch kube-controller-manager "$BIN/kube-controller-manager" \
		--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
		--leader-elect=false --secure-port=0 \
		--service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
		--cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
		--controllers='*,-node-lifecycle-controller'
	launch kube-scheduler "$BIN/kube-scheduler" \
		--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
		--leader-elect=false --secure-port=0
	# HOME: kwok also loads ~/.kwok/kwok.yaml when it exists; not ours.
	HOME=$DIR/kwok-home launch kwok "$BIN/kwok" --kubeconfig="$kc" \
		--config="$MODULE/kwok-stages.yaml" \
		--manage-all-nodes=false \
		--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake

	api /api/v1/nodes -X POST -H 'Content-Type: application/json' -o /dev/null -d @- <<EOF ||
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$NODE",
 "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
 "labels":{"kubernetes.io/hostname":"$NODE","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},
 "status":{"capacity":{"cpu":"32","memory":"256Gi","pods":"$NODE_PODS"},
  "allocatable":{"cpu":"32","memory":"256Gi","pods":"$NODE_PODS"}}}
EOF
		failed kube-apiserver "creating the fake node failed"
	wait_for kwok 60 "Ready node $NODE" node_ready
	# The node lifecycle controller, which is not running, would lift the
	# not-ready taint the API server puts on a new node once it is Ready.
	api "/api/v1/nodes/$NODE" -X PATCH -H 'Content-Type: application/merge-patch+json' -o /dev/null \
		-d '{"spec":{"taints":null}}' || failed kube-apiserver "removing the new node's taints failed"
	wait_for kube-controller-manager 60 "default ServiceAccount" default_sa
	for c in kube-scheduler; do alive "$c" || failed "$c" "exited"; done
	local ms=$(($(date +%s%3N) - t0))
	log "ready in $((ms / 1000)).$(printf %03d $((ms % 1000))) s: https://127.0.0.1:$APISERVER_PORT; eval \"\$($0 env)\""
}

# kill_all stops every component by its pidfile: all at once (each takes
# 1-3 s to shut down, and nothing here needs an orderly one), killed after
# 5 s.
kill_all() {
	local c pf pids=() pid n
	for c in "${COMPONENTS[@]}"; do
		pf=$DIR/run/$c.pid
		[ -f "$pf" ] || continue
		pid=$(cat "$pf")
		kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
		rm -f "$pf"
	done
	for n in $(seq 1 20); do
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null && break
			pid=
		done
		[ -z "${pid:-}" ] && return
		sleep 0.25
	done
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

cmd_stop() {
	[ -d "$DIR" ] || return 0
	kill_all
	rm -rf "$DIR" "$DIR.lock"
	log "stopped"
}

cmd_env() {
	load_ports
	[ -f "$DIR/kubeconfig" ] || die "not started ($0 start)"
	cat <<EOF
export KUBECONFIG=$DIR/kubeconfig
export BERTH_TEST_KUBECONFIG=$DIR/kubeconfig
EOF
}

cmd_status() {
	local c rc=0
	load_ports
	for c in "${COMPONENTS[@]}"; do
		if alive "$c"; then echo "$c: up"; else echo "$c: down"; rc=1; fi
	done
	if [ -n "${APISERVER_PORT:-}" ] && apiserver_ready; then
		echo "apiserver: ready on https://127.0.0.1:$APISERVER_PORT"
	else
		echo "apiserver: not ready"
		rc=1
	fi
	if [ -n "${APISERVER_PORT:-}" ] && node_ready; then echo "node $NODE: Ready"; else echo "node $NODE: not Ready"; rc=1; fi
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

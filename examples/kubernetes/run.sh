#!/usr/bin/env bash
# The Kubernetes example against berth's own test control plane: a real
# kube-apiserver, etcd, controller-manager and scheduler, with kwok as the
# kubelet (pods become Ready without running), and the Docker test
# environment's registry for the image (its digest is resolved at plan).
#
#   examples/kubernetes/run.sh        # plan, apply, a rolling update, the autoscaler
#   examples/kubernetes/run.sh stop   # destroy, stop the control plane and the registry
#
# On a fresh machine the control plane is built from Go modules first:
# 12 to 30 minutes (scripts/testenv/kube.sh). With your own cluster, run
# berth on main.berth.hcl directly: set kubeconfig, namespace and registry.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${BERTH_KUBE_EXAMPLE_DIR:-/tmp/berth-kube-example-$(id -u)}
BERTH=$REPO/bin/berth

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ "${1:-}" = stop ]; then
	if [ -f "$WORK/main.berth.hcl" ]; then
		say "berth destroy"
		(cd "$WORK" && "$BERTH" destroy -auto-approve) || true
	fi
	"$REPO/scripts/testenv/kube.sh" stop || true
	"$REPO/scripts/testenv/docker.sh" stop || true
	rm -rf "$WORK"
	exit 0
fi

say "Building berth"
make -C "$REPO" build >/dev/null
say "Starting the test control plane and the registry"
"$REPO/scripts/testenv/kube.sh" start
"$REPO/scripts/testenv/docker.sh" start
eval "$("$REPO/scripts/testenv/kube.sh" env)"
eval "$("$REPO/scripts/testenv/docker.sh" env)"

mkdir -p "$WORK"
cp "$REPO/examples/kubernetes/main.berth.hcl" "$WORK/"
cd "$WORK"
export BERTH_VAR_kubeconfig=$BERTH_TEST_KUBECONFIG
export BERTH_VAR_registry=$BERTH_TEST_REGISTRY
export BERTH_VAR_registry_password=$BERTH_TEST_REGISTRY_PASSWORD
export BERTH_VAR_namespace=shop

"$BERTH" init >/dev/null
say "berth plan (v1)"
"$BERTH" plan
say "berth apply (v1)"
"$BERTH" apply -auto-approve
say "berth plan again: nothing to do"
"$BERTH" plan
say "berth apply -var tag=v2: a rolling update in waves of 1, 2, 1"
"$BERTH" apply -auto-approve -var tag=v2
say "The autoscaler owns the replica count: scale to 6 as it would, then plan"
(cd "$REPO" && go run ./examples/kubernetes/scale -kubeconfig "$BERTH_TEST_KUBECONFIG" -namespace shop -app web -replicas 6)
"$BERTH" plan -var tag=v2
say "Done. examples/kubernetes/run.sh stop removes it all."

#!/usr/bin/env bash
# capture.sh records the event streams that docs/img's rollout timeline and
# placement pictures are drawn from (`go run ./tools/docimg`): berth apply
# -json of the app of docs/getting-started.md (6 replicas on two hosts,
# waves of 1, 2 and 3) as it is created, rolled out to a new version, and
# rolled out to a version that never gets ready (reverted). It runs against
# the Docker test environment:
#
#   scripts/testenv/docker.sh start && eval "$(scripts/testenv/docker.sh env)"
#   make build && tools/docimg/capture.sh     # or: make docs-capture
#
# and writes docs/img/data/{create,rollout,failed-rollout}.jsonl: the
# stream's lines about the apply, its waves and its instances (the plan's
# lines left out), exactly as berth printed them.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$REPO/docs/img/data
BIN=$REPO/bin/berth
for v in BERTH_TEST_DOCKER_A BERTH_TEST_DOCKER_B BERTH_TEST_REGISTRY BERTH_TEST_REGISTRY_USER BERTH_TEST_REGISTRY_PASSWORD BERTH_TEST_IMAGE; do
	if [ -z "${!v:-}" ]; then
		echo "capture.sh: $v is not set: scripts/testenv/docker.sh start && eval \"\$(scripts/testenv/docker.sh env)\"" >&2
		exit 1
	fi
done
[ -x "$BIN" ] || { echo "capture.sh: $BIN is missing: make build" >&2; exit 1; }

work=$(mktemp -d)
berth() { "$BIN" -chdir="$work" "$@"; }
cleanup() {
	berth destroy -auto-approve -no-color -var tag=v1 >/dev/null || echo "capture.sh: destroy failed; the app web is left in $work" >&2
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/main.berth.hcl" <<HCL
variable "tag" {
  type = string
}
variable "registry_password" {
  type      = string
  sensitive = true
}
cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "$BERTH_TEST_DOCKER_A"
    }
    host "edge-2" {
      endpoint = "$BERTH_TEST_DOCKER_B"
    }
  }
}
registry "harbor" {
  address  = "$BERTH_TEST_REGISTRY"
  username = "$BERTH_TEST_REGISTRY_USER"
  password = var.registry_password
}
app "web" {
  cluster  = cluster.edge
  image    = "$BERTH_TEST_IMAGE:\${var.tag}"
  replicas = 6
  port "http" {
    container = 8080
  }
  placement {
    spread = "host"
  }
  readiness {
    http {
      path = "/healthz"
      port = "http"
    }
    period  = "1s"
    timeout = "500ms"
  }
  rollout {
    initial_batch    = 1
    growth           = 2
    min_healthy      = "3s"
    healthy_deadline = "20s"
  }
}
HCL
export BERTH_VAR_registry_password=$BERTH_TEST_REGISTRY_PASSWORD

keep='"type":"(version|apply_start|apply_complete|apply_errored|wave_start|wave_complete|revert|provider_event)"'
# capture TAG FILE STATUS: apply TAG, keep its lines in FILE, expect STATUS.
capture() {
	local status=0
	berth apply -auto-approve -json -var "tag=$1" >"$work/out.jsonl" || status=$?
	if [ "$status" != "$3" ]; then
		cat "$work/out.jsonl" >&2
		echo "capture.sh: berth apply -var tag=$1 exited $status, want $3" >&2
		exit 1
	fi
	grep -E "$keep" "$work/out.jsonl" >"$OUT/$2"
	echo "capture.sh: $OUT/$2: $(wc -l <"$OUT/$2") events"
}
berth init -no-color >/dev/null
mkdir -p "$OUT"
capture v1 create.jsonl 0
capture v2 rollout.jsonl 0
capture never-ready failed-rollout.jsonl 1

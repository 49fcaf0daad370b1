#!/usr/bin/env bash
# The AWS load balancer example against berth's ELBv2 emulator (real
# health checks, draining and listeners that forward requests; the real
# AWS SDK talks to it) and the Docker test environment (two dockerd hosts
# and a registry).
#
#   examples/aws-lb/run.sh        # apply, a rolling update under traffic, then a canary promoted
#   examples/aws-lb/run.sh stop   # destroy, stop the emulator and the Docker hosts
#
# With real AWS, run berth on main.berth.hcl directly (docs/aws.md).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${BERTH_AWS_EXAMPLE_DIR:-/tmp/berth-aws-example-$(id -u)}
BERTH=$REPO/bin/berth

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ "${1:-}" = stop ]; then
	if [ -f "$WORK/main.berth.hcl" ]; then
		say "berth destroy"
		eval "$("$REPO/scripts/testenv/elbv2.sh" env)" 2>/dev/null || true
		(cd "$WORK" && BERTH_VAR_endpoint=${AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2:-} "$BERTH" destroy -auto-approve) || true
	fi
	"$REPO/scripts/testenv/elbv2.sh" stop || true
	"$REPO/scripts/testenv/docker.sh" stop || true
	rm -rf "$WORK"
	exit 0
fi

say "Building berth"
make -C "$REPO" build >/dev/null
say "Starting the ELBv2 emulator and the Docker test environment"
"$REPO/scripts/testenv/elbv2.sh" start
"$REPO/scripts/testenv/docker.sh" start
eval "$("$REPO/scripts/testenv/elbv2.sh" env)"
eval "$("$REPO/scripts/testenv/docker.sh" env)"

mkdir -p "$WORK"
cp "$REPO/examples/aws-lb/main.berth.hcl" "$WORK/"
cd "$WORK"
export BERTH_VAR_endpoint=$AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2
export BERTH_VAR_docker_a=$BERTH_TEST_DOCKER_A BERTH_VAR_docker_b=$BERTH_TEST_DOCKER_B
export BERTH_VAR_registry=$BERTH_TEST_REGISTRY BERTH_VAR_registry_password=$BERTH_TEST_REGISTRY_PASSWORD

"$BERTH" init >/dev/null
say "berth apply (v1): the app, then the load balancer with its instances as targets"
"$BERTH" apply -auto-approve

# The emulator serves each listener on a port of 127.0.0.1 of its own.
arn=$("$BERTH" output -raw listener_arn)
addr=$(curl -fsS "$AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2/_emulator/listeners" |
	tr '{' '\n' | grep -F "\"$arn\"" | sed -n 's/.*"address": *"\([^"]*\)".*/\1/p')
say "The listener ($("$BERTH" output -raw dns_name)) is served at $addr"
curl -fsS "http://$addr/version"; echo

say "berth plan -var tag=v2: each wave drains and admits through load_balancer.web"
"$BERTH" plan -var tag=v2

say "berth apply -var tag=v2, with a client sending requests all along"
ok=0 failed=0
( while :; do
	if curl -fsS -m 10 -o /dev/null "http://$addr/version"; then echo ok; else echo failed; fi
  done ) >"$WORK/client.log" 2>/dev/null &
client=$!
"$BERTH" apply -auto-approve -var tag=v2
kill "$client" 2>/dev/null || true
wait "$client" 2>/dev/null || true
ok=$(grep -c '^ok' "$WORK/client.log" || true)
failed=$(grep -c '^failed' "$WORK/client.log" || true)
say "The client sent $((ok + failed)) requests during the rollout: $failed failed"
curl -fsS "http://$addr/version"; echo

say "berth apply -var tag=v1 -var strategy=canary: one v1 instance takes 10% of the traffic, then the rollout pauses"
"$BERTH" apply -auto-approve -var tag=v1 -var strategy=canary
v1=0
for _ in $(seq 200); do
	if [ "$(curl -fsS -m 10 "http://$addr/version")" = v1 ]; then v1=$((v1 + 1)); fi
done
say "Of 200 requests, $v1 reached the canary"
"$BERTH" rollout status app.web
say "berth rollout promote app.web: the rest rolls out, then the canary is retired"
"$BERTH" rollout promote -auto-approve -var tag=v1 -var strategy=canary app.web
curl -fsS "http://$addr/version"; echo
say "Done. examples/aws-lb/run.sh stop removes it all."

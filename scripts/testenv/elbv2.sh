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
. "$ROOT/scripts/testenv/lib/settings.sh"
DIR=$TESTENV_ELBV2_DIR
REGION=us-east-1
SCALE=${BERTH_TESTENV_ELBV2_TIME_SCALE:-1}
NAME=elbv2
PKG=./internal/elbv2server
ARGS=(-region "$REGION" -time-scale "$SCALE" -v)

print_env() {
	cat <<EOV
export AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2='http://$(cat "$ADDRFILE")'
export AWS_REGION='$REGION'
export AWS_ACCESS_KEY_ID='test'
export AWS_SECRET_ACCESS_KEY='test'
EOV
}

. "$ROOT/scripts/testenv/lib/goserver.sh"
goserver_main "$@"

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
. "$ROOT/scripts/testenv/lib/settings.sh"
DIR=$TESTENV_S3_DIR
BUCKET=berth-test
NAME=s3
PKG=./internal/s3server
ARGS=(-bucket "$BUCKET")

print_env() {
	cat <<EOF
export BERTH_TEST_S3_ENDPOINT='http://$(cat "$ADDRFILE")'
export BERTH_TEST_S3_BUCKET='$BUCKET'
export AWS_ACCESS_KEY_ID='berth-test'
export AWS_SECRET_ACCESS_KEY='berth-test-secret'
export AWS_REGION='us-east-1'
EOF
}

. "$ROOT/scripts/testenv/lib/goserver.sh"
goserver_main "$@"

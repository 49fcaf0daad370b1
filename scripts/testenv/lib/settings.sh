# settings.sh: sourced by every test environment script and by
# examples/quickstart/run.sh. It is the one place that decides where a
# checkout's servers live: directories, ports, bridge names and subnets.
#
# The defaults are per user and per checkout, so that two users, or two
# clones (two CI jobs) on one machine, never share a daemon, a port, a
# bridge or a subnet. Every value can be set in the environment instead.
#
#   BERTH_TESTENV_SLOT   a number 0..179 that picks this checkout's ports,
#                        bridges and subnets (default: from a checksum of
#                        the checkout's path and the user id)
#   BERTH_TESTENV_DIR    the Docker environment's directory (default
#                        ${TMPDIR:-/tmp}/berth-te-SLOT; keep it short: socket
#                        paths are limited to 108 bytes)
#   BERTH_TESTENV_REGISTRY_PORT   the test registry (default 20000+SLOT*8)
#   BERTH_TESTENV_PG_DIR, BERTH_TESTENV_PG_PORT (default 20000+SLOT*8+1)
#   BERTH_TESTENV_KUBE_DIR        the Kubernetes control plane's directory
#   BERTH_QUICKSTART_DIR, BERTH_QUICKSTART_REGISTRY_PORT (default
#                        20000+SLOT*8+2) for examples/quickstart/run.sh
#
# The sourcing script sets nothing before; it gets the variables below.

BERTH_CHECKOUT=${BERTH_CHECKOUT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
# 180 slots: the subnets 10.20.x.0 to 10.199.x.0 and the ports 20000 to
# 21439 (below Linux's ephemeral range, 32768 and up).
if [ -z "${BERTH_TESTENV_SLOT:-}" ]; then
	BERTH_TESTENV_SLOT=$(($(printf '%s:%s' "$(id -u)" "$BERTH_CHECKOUT" | cksum | cut -d' ' -f1) % 180))
fi
case "$BERTH_TESTENV_SLOT" in
'' | *[!0-9]*) echo "BERTH_TESTENV_SLOT must be a number from 0 to 179, not \"$BERTH_TESTENV_SLOT\"" >&2; exit 2 ;;
esac
[ "$BERTH_TESTENV_SLOT" -lt 180 ] || { echo "BERTH_TESTENV_SLOT must be a number from 0 to 179, not $BERTH_TESTENV_SLOT" >&2; exit 2; }

testenv_port() { # offset 0..7
	echo $((20000 + BERTH_TESTENV_SLOT * 8 + $1))
}

TESTENV_TMP=${TMPDIR:-/tmp}
TESTENV_DOCKER_DIR=${BERTH_TESTENV_DIR:-$TESTENV_TMP/berth-te-$BERTH_TESTENV_SLOT}
TESTENV_REGISTRY_PORT=${BERTH_TESTENV_REGISTRY_PORT:-$(testenv_port 0)}
# The two test hosts' bridges (at most 15 characters) and subnets: one
# line per host, name, bridge, bridge address.
TESTENV_DOCKER_HOSTS=(
	"a bte${BERTH_TESTENV_SLOT}a 10.$((20 + BERTH_TESTENV_SLOT)).1.1/24"
	"b bte${BERTH_TESTENV_SLOT}b 10.$((20 + BERTH_TESTENV_SLOT)).2.1/24"
)
TESTENV_PG_DIR=${BERTH_TESTENV_PG_DIR:-$TESTENV_TMP/berth-te-pg-$BERTH_TESTENV_SLOT}
TESTENV_PG_PORT=${BERTH_TESTENV_PG_PORT:-$(testenv_port 1)}
TESTENV_KUBE_DIR=${BERTH_TESTENV_KUBE_DIR:-$TESTENV_TMP/berth-te-kube-$BERTH_TESTENV_SLOT}
TESTENV_S3_DIR=${BERTH_TESTENV_S3_DIR:-$TESTENV_TMP/berth-te-s3-$BERTH_TESTENV_SLOT}
TESTENV_ELBV2_DIR=${BERTH_TESTENV_ELBV2_DIR:-$TESTENV_TMP/berth-te-elbv2-$BERTH_TESTENV_SLOT}
QUICKSTART_DIR=${BERTH_QUICKSTART_DIR:-$TESTENV_TMP/berth-qs-$BERTH_TESTENV_SLOT}
QUICKSTART_REGISTRY_PORT=${BERTH_QUICKSTART_REGISTRY_PORT:-$(testenv_port 2)}
# The quickstart's private dockerd (when no engine answers): its bridge
# and subnet.
QUICKSTART_BRIDGE=bqs${BERTH_TESTENV_SLOT}
QUICKSTART_BRIDGE_CIDR=10.$((20 + BERTH_TESTENV_SLOT)).3.1/24

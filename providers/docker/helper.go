package docker

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:generate sh -c "CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags='-s -w' -o helperbin/probe-linux-amd64 ./probehelper"
//go:generate sh -c "CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -ldflags='-s -w' -o helperbin/probe-linux-arm64 ./probehelper"

// helpers holds the probe helper binaries built by go generate; the
// directory is embedded whole so that a build without them still compiles
// (and refuses http/tcp liveness, see ProbeHelper).
//
//go:embed all:helperbin
var helpers embed.FS

// ProbeHelperPath is where berth installs its probe helper in a container.
const ProbeHelperPath = "/.berth/probe"

// ProbeHelperVersion is part of the config hash of apps whose liveness
// uses the helper: bump it when probehelper changes, so it rolls out.
const ProbeHelperVersion = "1"

// ProbeHelper returns the helper binary for an engine's architecture as
// /info reports it (x86_64, aarch64, ...).
func ProbeHelper(arch string) ([]byte, error) {
	goarch := map[string]string{"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[arch]
	if goarch == "" {
		return nil, fmt.Errorf("liveness http/tcp on Docker needs berth's probe helper, which exists for linux/amd64 and linux/arm64; the host is %s: use an exec liveness probe", arch)
	}
	b, err := fs.ReadFile(helpers, "helperbin/probe-linux-"+goarch)
	if err != nil {
		return nil, fmt.Errorf("liveness http/tcp on Docker needs berth's probe helper for linux/%s, which this build of berth lacks (build berth with `make`, which runs go generate): use an exec liveness probe", goarch)
	}
	return b, nil
}

// Package version holds berth's own version, used by the CLI, by
// required_version checks and recorded in state and plan files.
package version

import goversion "github.com/hashicorp/go-version"

// Version is berth's semantic version. Release builds override it with
// -ldflags "-X github.com/berth-sh/berth/version.Version=...".
var Version = "0.1.0"

// Prerelease marks development builds ("dev"); empty for releases.
var Prerelease = "dev"

// String returns the version as printed by `berth version`, e.g. "0.1.0-dev".
func String() string {
	if Prerelease != "" {
		return Version + "-" + Prerelease
	}
	return Version
}

// SemVer returns the version for constraint checks. Prerelease tags are
// dropped so that "0.1.0-dev" satisfies ">= 0.1".
func SemVer() *goversion.Version {
	return goversion.Must(goversion.NewVersion(Version))
}

// Package all imports every built-in state backend, so that each registers
// itself with package backend: the berth binary imports it, and so do
// tests that need the backends as the binary has them.
package all

import (
	_ "github.com/berth-sh/berth/state/backend/kubernetes"
	_ "github.com/berth-sh/berth/state/backend/local"
	_ "github.com/berth-sh/berth/state/backend/postgres"
	_ "github.com/berth-sh/berth/state/backend/s3"
)

// Package all imports every built-in provider, so that each registers
// itself with providers/builtin: the berth binary imports it, and so do
// tests that need the built-in list as the binary has it.
package all

import (
	_ "github.com/berth-sh/berth/providers/aws"
	_ "github.com/berth-sh/berth/providers/berth"
	_ "github.com/berth-sh/berth/providers/docker"
	_ "github.com/berth-sh/berth/providers/kubernetes"
)

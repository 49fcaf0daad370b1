package main

// The built-in providers register themselves with providers/builtin from
// their packages' init functions; importing them here ships them in the
// berth binary (served by `berth internal-provider NAME`).
import (
	_ "github.com/berth-sh/berth/providers/docker"
)

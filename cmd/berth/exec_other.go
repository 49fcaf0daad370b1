//go:build !unix

package main

import (
	"context"
	"os"

	"github.com/berth-sh/berth/providers"
)

// watchResize delivers nothing where there is no SIGWINCH: the terminal
// keeps the size it had at the start.
func watchResize(context.Context, *os.File) (<-chan providers.TerminalSize, func()) {
	return nil, func() {}
}

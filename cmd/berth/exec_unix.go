//go:build unix

package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/berth-sh/berth/providers"
)

// watchResize delivers the terminal's size whenever it changes (SIGWINCH)
// until stop is called or ctx ends.
func watchResize(ctx context.Context, out *os.File) (<-chan providers.TerminalSize, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	sizes := make(chan providers.TerminalSize, 1)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				if w, h, err := term.GetSize(int(out.Fd())); err == nil {
					select {
					case sizes <- providers.TerminalSize{Width: uint(w), Height: uint(h)}:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return sizes, func() { signal.Stop(sig); cancel() }
}

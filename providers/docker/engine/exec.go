package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// ExecResult is the outcome of a command run in a container.
type ExecResult struct {
	ExitCode int
	Stdout   string
	Stderr   string
}

// Exec runs cmd in a running container and waits for it, capturing its
// output and exit code (hooks, exec probes). Cancelling ctx abandons the
// wait; the engine offers no way to kill an exec'd process.
func (h *Host) Exec(ctx context.Context, id string, cmd []string) (ExecResult, error) {
	var stdout, stderr bytes.Buffer
	code, err := h.ExecAttached(ctx, id, ExecOptions{Cmd: cmd, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		return ExecResult{}, err
	}
	return ExecResult{ExitCode: code, Stdout: stdout.String(), Stderr: stderr.String()}, nil
}

// ExecOptions is a command to run in a container attached to its
// standard streams (berth exec).
type ExecOptions struct {
	Cmd []string
	// TTY allocates a terminal of Width × Height (0: the engine's
	// default); its output then comes as one stream, to Stdout.
	TTY           bool
	Width, Height uint
	// Stdin, when not nil, is the command's input.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Resize, when not nil, delivers the terminal's new sizes [width, height].
	Resize <-chan [2]uint
}

// closeWriter is a connection whose sending half can be closed: how the
// command sees the end of its input.
type closeWriter interface{ CloseWrite() error }

// ExecAttached runs o.Cmd in a running container, streaming its standard
// streams, and returns its exit code once its output is all written.
// Cancelling ctx abandons it (the engine cannot kill an exec'd process;
// closing the connection ends one that reads its input or a terminal).
func (h *Host) ExecAttached(ctx context.Context, id string, o ExecOptions) (int, error) {
	op := fmt.Sprintf("exec %q in container %s", o.Cmd, ShortID(id))
	size := client.ConsoleSize{}
	if o.TTY {
		size = client.ConsoleSize{Width: o.Width, Height: o.Height}
	}
	created, err := h.api.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: o.Cmd, TTY: o.TTY, ConsoleSize: size,
		AttachStdin: o.Stdin != nil, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return -1, h.wrap(op, err)
	}
	att, err := h.api.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: o.TTY, ConsoleSize: size})
	if err != nil {
		return -1, h.wrap(op, err)
	}
	defer att.Close()
	if o.Stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, o.Stdin)
			if cw, ok := att.Conn.(closeWriter); ok {
				_ = cw.CloseWrite()
			}
		}()
	}
	if o.Resize != nil {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			for {
				select {
				case <-rctx.Done():
					return
				case sz := <-o.Resize:
					_, _ = h.api.ExecResize(rctx, created.ID, client.ExecResizeOptions{Width: sz[0], Height: sz[1]})
				}
			}
		}()
	}
	stdout, stderr := o.Stdout, o.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	copied := make(chan error, 1)
	go func() {
		var err error
		if o.TTY {
			_, err = io.Copy(stdout, att.Reader)
		} else {
			_, err = stdcopy.StdCopy(stdout, stderr, att.Reader)
		}
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		att.Close()
		<-copied
		return -1, h.wrap(op, ctx.Err())
	}
	if err != nil {
		return -1, h.wrap(op, err)
	}
	// The stream ends when the process exits; the exit code follows shortly.
	for {
		in, err := h.api.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return -1, h.wrap(op, err)
		}
		if !in.Running {
			return in.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, h.wrap(op, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ExecCheck runs Command inside the container through the engine, healthy
// on exit code 0: the Docker platform's own probe.Check, beside the http
// and tcp checks of platform/probe.
type ExecCheck struct {
	Host      *Host
	Container string
	Command   []string
}

// Check runs the command once.
func (c ExecCheck) Check(ctx context.Context) error {
	res, err := c.Host.Exec(ctx, c.Container, c.Command)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		out := strings.TrimSpace(res.Stderr + res.Stdout)
		if len(out) > 200 {
			out = out[:200] + "..."
		}
		if out != "" {
			return fmt.Errorf("exit code %d: %s", res.ExitCode, out)
		}
		return fmt.Errorf("exit code %d", res.ExitCode)
	}
	return nil
}

func (c ExecCheck) String() string {
	return fmt.Sprintf("exec %q in %s", c.Command, ShortID(c.Container))
}

package engine

import (
	"bytes"
	"context"
	"fmt"
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
	op := fmt.Sprintf("exec %q in container %s", cmd, ShortID(id))
	created, err := h.api.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return ExecResult{}, h.wrap(op, err)
	}
	att, err := h.api.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return ExecResult{}, h.wrap(op, err)
	}
	defer att.Close()
	var stdout, stderr bytes.Buffer
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		att.Close()
		<-copied
		return ExecResult{}, h.wrap(op, ctx.Err())
	}
	if err != nil {
		return ExecResult{}, h.wrap(op, err)
	}
	// The stream ends when the process exits; the exit code follows shortly.
	for {
		in, err := h.api.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return ExecResult{}, h.wrap(op, err)
		}
		if !in.Running {
			return ExecResult{ExitCode: in.ExitCode, Stdout: stdout.String(), Stderr: stderr.String()}, nil
		}
		select {
		case <-ctx.Done():
			return ExecResult{}, h.wrap(op, ctx.Err())
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

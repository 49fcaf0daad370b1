package docker

import (
	"context"
	"fmt"
	"strings"
)

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
	return fmt.Sprintf("exec %q in %s", c.Command, short(c.Container))
}

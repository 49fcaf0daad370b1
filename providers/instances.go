package providers

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// InstanceOperator is what a provider whose objects run instances (apps)
// serves beyond Interface: the day-2 operations berth status, logs and
// exec. It is optional: the plugin client always has it, and answers for
// a provider that lacks it with a diagnostic saying so.
type InstanceOperator interface {
	// DescribeInstances reads the target's instances live.
	DescribeInstances(ctx context.Context, req DescribeInstancesRequest) DescribeInstancesResponse
	// InstanceLogs delivers the output of the target's instances to lines,
	// a batch at a time, until it is all delivered or, with Follow, until
	// ctx is cancelled (which is not an error).
	InstanceLogs(ctx context.Context, req InstanceLogsRequest, lines func([]LogLine)) hcl.Diagnostics
	// InstanceExec runs a command in one instance and returns its exit
	// code once it has ended and its output is written.
	InstanceExec(ctx context.Context, req InstanceExecRequest) (int, hcl.Diagnostics)
}

// InstanceTarget names the object whose instances a day-2 call is about,
// by its recorded state and private data.
type InstanceTarget struct {
	TypeName string
	State    cty.Value
	Private  []byte
}

// DescribeInstancesRequest asks for the live instances of Target.
type DescribeInstancesRequest struct {
	Target InstanceTarget
}

// DescribeInstancesResponse lists them.
type DescribeInstancesResponse struct {
	Instances   []InstanceDetail
	Diagnostics hcl.Diagnostics
}

// InstanceDetail is one instance as its platform reports it now: the app
// contract's instance and what a state does not record.
type InstanceDetail struct {
	app.Instance
	// Started is when it (last) started; zero when unknown.
	Started time.Time
	// Restarts is how many times the platform restarted it.
	Restarts int
	// Message says why it is not running or not ready, when the platform
	// says.
	Message string
}

// InstanceLogsRequest asks for the output of Target's instances.
type InstanceLogsRequest struct {
	Target InstanceTarget
	// Instances are the names to read; empty: all.
	Instances []string
	// Follow keeps streaming new output until the context ends.
	Follow bool
	// Since: only output written at or after it; zero: from the start.
	Since time.Time
	// Tail: only the last Tail lines of each instance; negative: all.
	Tail int
}

// LogLine is one line of an instance's output, without its line feed.
type LogLine struct {
	Instance string
	// Stream is "stdout" or "stderr".
	Stream string
	// Time is when it was written; zero when unknown.
	Time time.Time
	Text string
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Width, Height uint
}

// InstanceExecRequest runs Command in the instance named Instance of
// Target (empty: the first ready one).
type InstanceExecRequest struct {
	Target   InstanceTarget
	Instance string
	Command  []string
	// TTY allocates a terminal of Size: the command's output then comes
	// as one stream, to Stdout.
	TTY  bool
	Size TerminalSize
	// Stdin, when not nil, is the command's input.
	Stdin io.Reader
	// Stdout and Stderr receive its output.
	Stdout, Stderr io.Writer
	// Resize, when not nil, delivers the terminal's new sizes.
	Resize <-chan TerminalSize
}

// ExecInstance is the index in ins of the instance a command runs in:
// the one named (a ready one first, when a rollout left two; else one
// running, though not ready: a shell helps find why), or the first ready
// one when name is ""; -1 for none.
func ExecInstance(ins []app.Instance, name string) int {
	best := -1
	for i, in := range ins {
		if name != "" && in.Name != name {
			continue
		}
		if in.Ready {
			return i
		}
		switch in.Status {
		case "running", "not_ready", "unhealthy":
			if best < 0 && name != "" {
				best = i
			}
		}
	}
	return best
}

// MissingInstances reports the instances of names that found lacks: an
// InstanceLogs request named instances the app does not run now.
func MissingInstances(names []string, found map[string]bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range names {
		if !found[name] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No such instance",
				Detail: fmt.Sprintf("The app runs no instance %q now: berth status shows its instances.", name)})
		}
	}
	return diags
}

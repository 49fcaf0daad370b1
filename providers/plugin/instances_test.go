package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
)

// dayTwo is the test provider with the day-2 calls: it describes one
// instance named after the target's "name", logs two lines of it (or
// follows until cancelled), and runs "cat" (its input back), "fail N"
// and anything else as an unknown command.
type dayTwo struct{ providers.Interface }

var t0 = time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)

func (dayTwo) DescribeInstances(_ context.Context, req providers.DescribeInstancesRequest) providers.DescribeInstancesResponse {
	name := req.Target.State.GetAttr("name").AsString()
	return providers.DescribeInstancesResponse{Instances: []providers.InstanceDetail{{
		Instance: app.Instance{Name: name + "-1", Host: "h", ID: "c1", Status: "running", Ready: true, ConfigHash: req.Target.TypeName,
			Addresses: map[string]app.Address{"http": {IP: "10.0.0.1", Port: 8080}}},
		Started: t0, Restarts: 2, Message: string(req.Target.Private),
	}}, Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "described"}}}
}

func (dayTwo) InstanceLogs(ctx context.Context, req providers.InstanceLogsRequest, lines func([]providers.LogLine)) hcl.Diagnostics {
	lines([]providers.LogLine{
		{Instance: "web-1", Stream: "stdout", Time: t0, Text: fmt.Sprintf("tail %d since %s", req.Tail, req.Since.UTC().Format(time.RFC3339))},
		{Instance: "web-1", Stream: "stderr", Text: strings.Join(req.Instances, ",")},
	})
	if req.Follow {
		<-ctx.Done()
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "after the lines"}}
}

func (dayTwo) InstanceExec(_ context.Context, req providers.InstanceExecRequest) (int, hcl.Diagnostics) {
	switch req.Command[0] {
	case "cat":
		_, _ = io.Copy(req.Stdout, req.Stdin)
		fmt.Fprintf(req.Stderr, "tty=%v %dx%d on %s", req.TTY, req.Size.Width, req.Size.Height, req.Instance)
		return 0, nil
	case "fail":
		return 7, nil
	}
	return -1, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "unknown command " + req.Command[0]}}
}

func launchDayTwo(t *testing.T) *plugin.Client {
	t.Helper()
	spec, err := plugin.BuiltinSpec("daytwo")
	if err != nil {
		t.Fatal(err)
	}
	c, err := plugin.Launch(context.Background(), spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var target = providers.InstanceTarget{TypeName: "app", State: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("web")}), Private: []byte("private")}

func TestDescribeInstancesCrosses(t *testing.T) {
	c := launchDayTwo(t)
	resp := c.DescribeInstances(context.Background(), providers.DescribeInstancesRequest{Target: target})
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "described" || len(resp.Instances) != 1 {
		t.Fatalf("DescribeInstances = %+v", resp)
	}
	in := resp.Instances[0]
	if in.Name != "web-1" || !in.Ready || in.ConfigHash != "app" || !in.Started.Equal(t0) || in.Restarts != 2 || in.Message != "private" ||
		in.Addresses["http"] != (app.Address{IP: "10.0.0.1", Port: 8080}) {
		t.Errorf("instance = %+v", in)
	}
}

func TestInstanceLogsCrosses(t *testing.T) {
	c := launchDayTwo(t)
	var got []providers.LogLine
	since := t0.Add(-time.Hour)
	diags := c.InstanceLogs(context.Background(), providers.InstanceLogsRequest{Target: target, Instances: []string{"web-1"}, Tail: -1, Since: since},
		func(b []providers.LogLine) { got = append(got, b...) })
	if len(diags) != 1 || diags[0].Summary != "after the lines" {
		t.Errorf("diagnostics = %v", diags)
	}
	if len(got) != 2 || got[0].Text != "tail -1 since 2026-12-03T14:00:00Z" || !got[0].Time.Equal(t0) || got[0].Stream != "stdout" ||
		got[1].Text != "web-1" || !got[1].Time.IsZero() || got[1].Stream != "stderr" {
		t.Errorf("lines = %+v", got)
	}

	// A follow ends when berth cancels it, without a diagnostic.
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	diags = c.InstanceLogs(ctx, providers.InstanceLogsRequest{Target: target, Follow: true}, func(b []providers.LogLine) {
		if n += len(b); n == 2 {
			cancel()
		}
	})
	if diags != nil || n != 2 {
		t.Errorf("follow cancelled after %d lines: %v", n, diags)
	}
}

func TestInstanceExecCrosses(t *testing.T) {
	c := launchDayTwo(t)
	var stdout, stderr bytes.Buffer
	code, diags := c.InstanceExec(context.Background(), providers.InstanceExecRequest{
		Target: target, Instance: "web-1", Command: []string{"cat"}, TTY: true, Size: providers.TerminalSize{Width: 80, Height: 24},
		Stdin: strings.NewReader("typed\n"), Stdout: &stdout, Stderr: &stderr,
	})
	if code != 0 || diags != nil || stdout.String() != "typed\n" || stderr.String() != "tty=true 80x24 on web-1" {
		t.Errorf("cat: exit %d, %v, stdout %q, stderr %q", code, diags, &stdout, &stderr)
	}
	code, diags = c.InstanceExec(context.Background(), providers.InstanceExecRequest{Target: target, Command: []string{"fail"}})
	if code != 7 || diags != nil {
		t.Errorf("fail: exit %d, %v", code, diags)
	}
	_, diags = c.InstanceExec(context.Background(), providers.InstanceExecRequest{Target: target, Command: []string{"nope"}})
	if !diags.HasErrors() || diags[0].Summary != "unknown command nope" {
		t.Errorf("unknown command: %v", diags)
	}
}

// TestDayTwoUnimplemented: a provider without the calls answers each
// with an error naming it, not a crash.
func TestDayTwoUnimplemented(t *testing.T) {
	c := launch(t)
	resp := c.DescribeInstances(context.Background(), providers.DescribeInstancesRequest{Target: target})
	if !resp.Diagnostics.HasErrors() || !strings.Contains(resp.Diagnostics[0].Summary, "cannot DescribeInstances") {
		t.Errorf("DescribeInstances: %v", resp.Diagnostics)
	}
	if d := c.InstanceLogs(context.Background(), providers.InstanceLogsRequest{Target: target}, func([]providers.LogLine) {}); !d.HasErrors() || !strings.Contains(d[0].Summary, "cannot InstanceLogs") {
		t.Errorf("InstanceLogs: %v", d)
	}
	if _, d := c.InstanceExec(context.Background(), providers.InstanceExecRequest{Target: target, Command: []string{"sh"}}); !d.HasErrors() || !strings.Contains(d[0].Summary, "cannot InstanceExec") {
		t.Errorf("InstanceExec: %v", d)
	}
}

package kubernetes

import (
	"bufio"
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
)

// The day-2 operations on an app's pods (berth status, logs and exec):
// providers.InstanceOperator. Logs and exec need a kubelet behind the
// pods: on a cluster of fake nodes (kwok, the test environment's) they
// fail with the API server's error.
var _ providers.InstanceOperator = (*Provider)(nil)

// appPods are the target app's pods now, each with its instance.
type appPods struct {
	c         *kube.Cluster
	a         *deployment
	pods      map[string]pod // by pod name
	instances []app.Instance
}

func (p *Provider) appPods(ctx context.Context, t providers.InstanceTarget) (*appPods, hcl.Diagnostics) {
	if t.TypeName != TypeApp {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Not an app",
			Detail: fmt.Sprintf("Only apps run instances, not %s.", t.TypeName)}}
	}
	prior, _ := t.State.UnmarkDeep()
	a, err := decodeApp(prior)
	if err != nil {
		return nil, hcl.Diagnostics{errDiag("Invalid app in the state", err)}
	}
	c, err := p.cluster(ctx, a.Target)
	if err != nil {
		return nil, hcl.Diagnostics{errDiag("Cannot reach the app's cluster", err)}
	}
	l, err := p.liveOf(ctx, c, a, false)
	if err != nil {
		return nil, hcl.Diagnostics{errDiag("Cannot read the app's pods", err)}
	}
	out := &appPods{c: c, a: a, pods: map[string]pod{}}
	for _, pd := range l.Pods {
		out.pods[pd.Name] = pd
	}
	out.instances = assignment{App: a.Name, Ports: a.Spec.Ports, Prior: app.DecodeInstances(prior)}.instances(l.Pods)
	return out, nil
}

// DescribeInstances reads the app's pods.
func (p *Provider) DescribeInstances(ctx context.Context, req providers.DescribeInstancesRequest) providers.DescribeInstancesResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	ap, diags := p.appPods(ctx, req.Target)
	if diags.HasErrors() {
		return providers.DescribeInstancesResponse{Diagnostics: diags}
	}
	out := make([]providers.InstanceDetail, len(ap.instances))
	for i, in := range ap.instances {
		pd := ap.pods[in.ID]
		out[i] = providers.InstanceDetail{Instance: in, Started: pd.Started, Restarts: pd.Restarts, Message: pd.Reason}
	}
	return providers.DescribeInstancesResponse{Instances: out}
}

// InstanceLogs reads the app container's output in the pods of the
// instances named (or all), concurrently.
func (p *Provider) InstanceLogs(ctx context.Context, req providers.InstanceLogsRequest, lines func([]providers.LogLine)) hcl.Diagnostics {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	ap, diags := p.appPods(ctx, req.Target)
	if diags.HasErrors() {
		return diags
	}
	names := make([]string, len(ap.instances))
	for i, in := range ap.instances {
		names[i] = in.Name
	}
	return append(diags, providers.ReadInstanceLogs(ctx, req, names, func(i int, add func(providers.LogLine)) error {
		return podLogs(ctx, ap.c, ap.instances[i].ID, ap.a.Object, kube.LogOptions{Follow: req.Follow, Since: req.Since, Tail: req.Tail}, add)
	}, lines)...)
}

// podLogs reads one pod's container output line by line. The API server
// sends stdout and stderr as one stream: every line reads as stdout.
func podLogs(ctx context.Context, c *kube.Cluster, pod, container string, o kube.LogOptions, line func(providers.LogLine)) error {
	rc, err := c.PodLogs(ctx, pod, container, o)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		t, text := providers.SplitLogTimestamp(sc.Text())
		line(providers.LogLine{Stream: "stdout", Time: t, Text: text})
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return sc.Err()
}

// sizeQueue is the terminal's sizes as remotecommand reads them: the
// first one, then each resize, until ctx ends.
type sizeQueue struct {
	ctx   context.Context
	first *remotecommand.TerminalSize
	next  <-chan providers.TerminalSize
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if f := q.first; f != nil {
		q.first = nil
		return f
	}
	select {
	case <-q.ctx.Done():
		return nil
	case sz, ok := <-q.next:
		if !ok {
			return nil
		}
		return &remotecommand.TerminalSize{Width: uint16(sz.Width), Height: uint16(sz.Height)}
	}
}

// InstanceExec runs the command in the app container of the pod of the
// instance named, or of the first ready one.
func (p *Provider) InstanceExec(ctx context.Context, req providers.InstanceExecRequest) (int, hcl.Diagnostics) {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	ap, diags := p.appPods(ctx, req.Target)
	if diags.HasErrors() {
		return -1, diags
	}
	i := providers.ExecInstance(ap.instances, req.Instance)
	if i < 0 {
		return -1, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No instance to run the command in",
			Detail: "No pod of the app (or of the instance named) is running: berth status shows its instances."})
	}
	in := ap.instances[i]
	o := kube.ExecOptions{Container: ap.a.Object, Command: req.Command, TTY: req.TTY, Stdin: req.Stdin, Stdout: req.Stdout, Stderr: req.Stderr}
	if req.TTY {
		q := &sizeQueue{ctx: ctx, next: req.Resize}
		if req.Size.Width > 0 && req.Size.Height > 0 {
			q.first = &remotecommand.TerminalSize{Width: uint16(req.Size.Width), Height: uint16(req.Size.Height)}
		}
		o.Sizes = q
	}
	code, err := ap.c.Exec(ctx, in.ID, o)
	if err != nil {
		return -1, append(diags, errDiag("Cannot run the command in instance "+in.Name, err))
	}
	return code, diags
}

package docker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// The day-2 operations on an app's containers (berth status, logs and
// exec): providers.InstanceOperator.
var _ providers.InstanceOperator = (*Provider)(nil)

// appContainers lists the target app's containers on its hosts (and the
// hosts it is retiring from) now, with each container's instance.
type appContainers struct {
	live      []live
	instances []app.Instance
	hosts     map[string]engine.HostConfig
}

func (p *Provider) appContainers(ctx context.Context, t providers.InstanceTarget) (*appContainers, hcl.Diagnostics) {
	if t.TypeName != TypeApp {
		return nil, hcl.Diagnostics{unknownType(t.TypeName)}
	}
	a, err := decodeApp(t.State)
	if err != nil {
		return nil, hcl.Diagnostics{errDiag("Cannot read the app's state", err)}
	}
	hosts := append(slices.Clone(a.Cluster.Hosts), decodePrivate(t.Private).Retired...)
	out := &appContainers{hosts: map[string]engine.HostConfig{}}
	endpoints := map[string]engine.HostConfig{}
	for _, h := range hosts {
		endpoints[h.Endpoint] = h
		out.hosts[h.Name] = h
	}
	ls, errs := collect(p.listEndpoints(ctx, endpoints), hosts, func(c engine.Container) bool { return c.Labels.ID == a.ID && c.Labels.App == a.Name })
	var diags hcl.Diagnostics
	for _, err := range errs {
		if err != nil {
			diags = append(diags, errDiag("Cannot read app "+a.Name, err))
		}
	}
	slices.SortStableFunc(ls, func(x, y live) int {
		return cmp.Or(app.CompareNames(x.Labels.Instance, y.Labels.Instance), strings.Compare(x.ID, y.ID))
	})
	out.live = ls
	out.instances = instancesOf(ls, a.Spec.Ports, unvouched(ls, app.DecodeInstances(t.State)))
	return out, diags
}

// hostOf connects to the host a container runs on.
func (p *Provider) hostOf(ctx context.Context, ac *appContainers, c live) (*engine.Host, error) {
	cfg, ok := ac.hosts[c.Host]
	if !ok {
		return nil, fmt.Errorf("host %s of container %s is not in the app's cluster", c.Host, engine.ShortID(c.ID))
	}
	h, _, err := p.host(ctx, cfg)
	return h, err
}

// DescribeInstances lists the app's containers and inspects each one for
// when it started and how often it restarted.
func (p *Provider) DescribeInstances(ctx context.Context, req providers.DescribeInstancesRequest) providers.DescribeInstancesResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	ac, diags := p.appContainers(ctx, req.Target)
	if diags.HasErrors() {
		return providers.DescribeInstancesResponse{Diagnostics: diags}
	}
	out := make([]providers.InstanceDetail, len(ac.live))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, c := range ac.live {
		out[i].Instance = ac.instances[i]
		wg.Go(func() {
			h, err := p.hostOf(ctx, ac, c)
			var info engine.ContainerInfo
			if err == nil {
				info, err = h.Inspect(ctx, c.ID)
			}
			if err != nil {
				mu.Lock()
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Cannot inspect instance " + c.Labels.Instance, Detail: err.Error()})
				mu.Unlock()
				return
			}
			out[i].Started, out[i].Restarts = info.Started, info.Restarts
			out[i].Message = containerMessage(info)
		})
	}
	wg.Wait()
	return providers.DescribeInstancesResponse{Instances: out, Diagnostics: diags}
}

// containerMessage says why a container is not running or not healthy.
func containerMessage(info engine.ContainerInfo) string {
	switch {
	case info.Error != "":
		return info.Error
	case info.Status == "exited" || info.Status == "dead":
		return fmt.Sprintf("exited with code %d", info.ExitCode)
	case info.Health == "unhealthy":
		return "failing its liveness check"
	}
	return ""
}

// InstanceLogs reads the output of the app's containers (those of the
// instances named, or all), concurrently. Without Follow, the lines of
// all containers are delivered in time order once all are read; with it,
// each line as it comes.
func (p *Provider) InstanceLogs(ctx context.Context, req providers.InstanceLogsRequest, lines func([]providers.LogLine)) hcl.Diagnostics {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	ac, diags := p.appContainers(ctx, req.Target)
	if diags.HasErrors() {
		return diags
	}
	names := make([]string, len(ac.live))
	for i, c := range ac.live {
		names[i] = c.Labels.Instance
	}
	return append(diags, providers.ReadInstanceLogs(ctx, req, names, func(i int, add func(providers.LogLine)) error {
		c := ac.live[i]
		h, err := p.hostOf(ctx, ac, c)
		if err != nil {
			return err
		}
		return h.Logs(ctx, c.ID, engine.LogOptions{Follow: req.Follow, Since: req.Since, Tail: req.Tail}, func(stream string, t time.Time, text string) {
			add(providers.LogLine{Stream: stream, Time: t, Text: text})
		})
	}, lines)...)
}

// InstanceExec runs the command in the container of the instance named
// (the ready one when a rollout left two), or in the first ready one.
func (p *Provider) InstanceExec(ctx context.Context, req providers.InstanceExecRequest) (int, hcl.Diagnostics) {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	ac, diags := p.appContainers(ctx, req.Target)
	if diags.HasErrors() {
		return -1, diags
	}
	i := providers.ExecInstance(ac.instances, req.Instance)
	if i < 0 {
		what := "no instance is running"
		if req.Instance != "" {
			what = fmt.Sprintf("instance %q is not running", req.Instance)
		}
		return -1, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No instance to run the command in",
			Detail: fmt.Sprintf("%s: berth status shows the app's instances.", what)})
	}
	c := ac.live[i]
	h, err := p.hostOf(ctx, ac, c)
	if err != nil {
		return -1, append(diags, errDiag("Cannot reach the host of instance "+c.Labels.Instance, err))
	}
	o := engine.ExecOptions{Cmd: req.Command, TTY: req.TTY, Width: req.Size.Width, Height: req.Size.Height,
		Stdin: req.Stdin, Stdout: req.Stdout, Stderr: req.Stderr}
	if req.Resize != nil {
		resize := make(chan [2]uint)
		o.Resize = resize
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case sz, ok := <-req.Resize:
					if !ok {
						return
					}
					select {
					case resize <- [2]uint{sz.Width, sz.Height}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	code, err := h.ExecAttached(ctx, c.ID, o)
	if err != nil {
		return -1, append(diags, errDiag("Cannot run the command in instance "+c.Labels.Instance, err))
	}
	return code, diags
}

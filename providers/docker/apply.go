package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
)

// ApplyResourceChange carries out a planned change or one step of its
// rollout. It always returns the state that exists afterwards, also when
// it fails or is stopped.
func (p *Provider) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	ctx, cancel := p.opCtx(ctx)
	defer cancel()
	switch req.TypeName {
	case TypeScalingPolicy:
		// Bounds on replicas only: nothing exists on the hosts.
		if req.PlannedState.IsNull() {
			return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(scalingPolicyType)}
		}
		return providers.ApplyResourceChangeResponse{NewState: req.PlannedState}
	case TypeApp:
	default:
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
	}
	// Containers change: listings cached for plans are stale.
	p.invalidateListings()
	defer p.invalidateListings()
	ap := &applier{p: p, events: events, notReady: map[string]bool{}, retired: decodePrivate(req.PlannedPrivate).Retired}
	for _, in := range stateInstances(req.PriorState) {
		if in.Status == statusNotReady {
			ap.notReady[in.ContainerID] = true
		}
	}
	switch req.Step.Kind {
	case providers.StepWave:
		return ap.applyWave(ctx, req)
	case providers.StepRevert:
		return ap.revert(ctx, req)
	}
	if req.PlannedState.IsNull() {
		return ap.destroy(ctx, req)
	}
	return ap.all(ctx, req)
}

// applier is one ApplyResourceChange call.
type applier struct {
	p      *Provider
	a      *app
	hosts  map[string]*Host
	infos  map[string]HostInfo
	events func(providers.ApplyEvent)
	evMu   sync.Mutex
	waveNo int

	// retired are hosts removed from the cluster that still held
	// containers of the app at plan time (see private.Retired).
	retired []HostConfig
	// retiredNow are the retired hosts on which the last listing found
	// containers of the app: returned as private data, so that refresh and
	// the next plan keep looking there.
	retiredNow []HostConfig

	mu sync.Mutex
	// notReady holds the ids of containers that never passed readiness.
	notReady map[string]bool
}

// private is the response's private data.
func (ap *applier) private() []byte {
	return private{Retired: ap.retiredNow}.encode()
}

func (ap *applier) emit(kind, inst, format string, args ...any) {
	if ap.events == nil {
		return
	}
	ap.evMu.Lock()
	defer ap.evMu.Unlock()
	ap.events(providers.ApplyEvent{Kind: kind, Instance: inst, Wave: ap.waveNo, Message: fmt.Sprintf(format, args...)})
}

// setup decodes the app of value v (planned or prior state) and connects
// to its hosts.
func (ap *applier) setup(ctx context.Context, v cty.Value) error {
	a, err := decodeApp(v)
	if err != nil {
		return err
	}
	if a.ID == "" {
		// Planned as known after apply: this is the app's first apply.
		a.ID = newDeploymentID()
		ap.p.reserveID(a.Name, a.ID)
	}
	if a.Pinned == "" || a.Hash == "" {
		return errors.New("the app's planned state lacks image_digest or config_hash")
	}
	ap.a = a
	hosts, infos, err := ap.p.clusterHosts(ctx, a.Spec.Cluster)
	if err != nil {
		return err
	}
	ap.hosts, ap.infos = map[string]*Host{}, map[string]HostInfo{}
	endpoints := map[string]bool{}
	for i, h := range hosts {
		ap.hosts[h.Config.Name] = h
		ap.infos[h.Config.Name] = infos[i]
		endpoints[h.Config.Endpoint] = true
	}
	// Hosts removed from the cluster: listed, and their containers of the
	// app removed once the new ones are ready; never placed on.
	var errs []error
	retired := ap.retired
	ap.retired = nil
	for _, cfg := range retired {
		if endpoints[cfg.Endpoint] || ap.hosts[cfg.Name] != nil {
			continue // back in the cluster (a revert's)
		}
		ap.retired = append(ap.retired, cfg)
		h, info, err := ap.p.host(ctx, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("host %q (%s) was removed from the cluster of app %s and still holds containers of it, which berth cannot remove: %w", cfg.Name, cfg.Endpoint, a.Name, err))
			continue
		}
		ap.hosts[cfg.Name], ap.infos[cfg.Name] = h, info
	}
	return errors.Join(errs...)
}

// current: c runs the app's spec (hash and image digest), and passed
// readiness.
func (ap *applier) current(c live) bool {
	return c.Labels.ConfigHash == ap.a.Hash && c.Image == ap.a.Pinned && c.State == statusRunning && !ap.isNotReady(c.ID)
}

// live is one of the app's containers as it exists.
type live struct {
	Container
	Host string
}

// list returns the app's containers on all its hosts: one label-filtered
// call per host.
func (ap *applier) list(ctx context.Context) ([]live, error) {
	var (
		mu   sync.Mutex
		out  []live
		errs []error
		wg   sync.WaitGroup
	)
	for name, h := range ap.hosts {
		wg.Go(func() {
			cs, err := h.ListManaged(ctx, ap.a.ID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, c := range cs {
				if c.Labels.App == ap.a.Name {
					out = append(out, live{Container: c, Host: name})
				}
			}
		})
	}
	wg.Wait()
	slices.SortFunc(out, func(x, y live) int { return strings.Compare(x.Name, y.Name) })
	return out, errors.Join(errs...)
}

// stateOf is top (a planned or prior state) with "instances" as they
// truly exist now. It lists with a fresh context: it must work after the
// call was cancelled, to report what exists.
func (ap *applier) stateOf(top cty.Value) (cty.Value, hcl.Diagnostics) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ls, err := ap.list(ctx)
	var diags hcl.Diagnostics
	if err != nil {
		diags = append(diags, errDiag("Cannot list the app's containers", err))
	}
	ap.mu.Lock()
	ins := instancesOf(ls, ap.a.Spec.Ports, ap.notReady)
	ap.mu.Unlock()
	ap.retiredNow = nil
	for _, cfg := range ap.retired {
		if slices.ContainsFunc(ls, func(c live) bool { return c.Host == cfg.Name }) || err != nil {
			ap.retiredNow = append(ap.retiredNow, cfg)
		}
	}
	st := withInstances(top, ins)
	if !top.IsNull() && ap.a.ID != "" {
		// The deployment id is known after the first apply picked it.
		u, pvm := st.UnmarkDeepWithPaths()
		st = conform(u, appType, map[string]cty.Value{"deployment_id": cty.StringVal(ap.a.ID)}).MarkWithPaths(pvm)
	}
	return st, diags
}

// instancesOf maps containers to "instances" entries.
func instancesOf(ls []live, ports []lang.PortSpec, notReady map[string]bool) []instance {
	out := make([]instance, 0, len(ls))
	for _, c := range ls {
		in := instance{Name: c.Labels.Instance, Host: c.Host, ContainerID: c.ID, ImageDigest: c.Image,
			ConfigHash: c.Labels.ConfigHash, Status: c.State, HostPorts: map[string]int{}}
		if c.State == statusRunning && c.Health == "unhealthy" {
			in.Status = statusUnhealthy
		}
		if notReady[c.ID] {
			// Never passed readiness: so recorded whatever the engine says of
			// it now (created, paused, restarting...), until it is replaced.
			in.Status = statusNotReady
		}
		for k, hp := range c.Ports {
			name := k
			for _, p := range ports {
				proto := cmpOr(p.Protocol, "tcp")
				if strconv.Itoa(p.Container)+"/"+proto == k {
					name = p.Name
				}
			}
			in.HostPorts[name] = int(hp)
		}
		out = append(out, in)
	}
	return out
}

// withInstances replaces the instances of a state value, keeping its marks.
func withInstances(state cty.Value, ins []instance) cty.Value {
	u, pvm := state.UnmarkDeepWithPaths()
	return conform(u, appType, map[string]cty.Value{"instances": instancesValue(ins)}).MarkWithPaths(pvm)
}

func fail(state cty.Value, diags hcl.Diagnostics, summary string, err error) providers.ApplyResourceChangeResponse {
	return providers.ApplyResourceChangeResponse{NewState: state, Diagnostics: append(diags, errDiag(summary, err))}
}

// fail, with the private data of what the last listing found; a call
// that berth stopped (ctx cancelled) says it was interrupted instead.
func (ap *applier) fail(ctx context.Context, state cty.Value, diags hcl.Diagnostics, summary string, err error) providers.ApplyResourceChangeResponse {
	if ctx.Err() != nil {
		// Stopped, not failed: the errors are only cancellations.
		summary = "Apply of app " + ap.a.Name + " interrupted"
		err = errors.New("berth stopped before every instance was ready; the state records the containers as they are: the ready ones running, the others not_ready, replaced by the next apply")
	}
	r := fail(state, diags, summary, err)
	r.Private = ap.private()
	// The state lists the containers as they are, the ready ones and the
	// failed (not_ready) ones: the next plan keeps the first and replaces
	// the others, so a failed create need not replace the whole app.
	r.Resumable = true
	return r
}

// all applies a change without rollout: create, scale, drift repair, or a
// change that touches no container. New containers are ready before the
// containers they replace, and those of removed instances, go.
func (ap *applier) all(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	if err := ap.setup(ctx, req.PlannedState); err != nil {
		return fail(req.PriorState, nil, "Cannot apply the app", err)
	}
	ls, err := ap.list(ctx)
	if err != nil {
		st, diags := ap.stateOf(req.PlannedState)
		return ap.fail(ctx, st, diags, "Cannot list the app's containers", err)
	}
	planned := stateInstances(req.PlannedState)
	keep := map[string]bool{}
	var todo []instance
	for _, in := range planned {
		if in.ContainerID != "" && slices.ContainsFunc(ls, func(c live) bool { return c.ID == in.ContainerID && c.Host == in.Host && ap.current(c) }) {
			keep[in.ContainerID] = true
			continue
		}
		// Planned new, or a kept container that vanished since the plan.
		todo = append(todo, in)
	}
	started, err := ap.startAll(ctx, todo)
	for _, s := range started {
		keep[s] = true
	}
	if err != nil {
		st, diags := ap.stateOf(req.PlannedState)
		return ap.fail(ctx, st, diags, "Instances of app "+ap.a.Name+" failed", err)
	}
	// Everything else of the app goes: replaced, surplus, broken.
	var remove []live
	for _, c := range ls {
		if !keep[c.ID] {
			remove = append(remove, c)
		}
	}
	err = ap.stopAll(ctx, remove)
	st, diags := ap.stateOf(req.PlannedState)
	if err != nil {
		return ap.fail(ctx, st, diags, "Cannot remove containers of app "+ap.a.Name, err)
	}
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags, Private: ap.private()}
}

// destroy removes every container of the app (found by its labels, not
// only those in the state).
func (ap *applier) destroy(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	if err := ap.setup(ctx, req.PriorState); err != nil {
		return fail(req.PriorState, nil, "Cannot destroy the app", err)
	}
	ls, err := ap.list(ctx)
	if err == nil {
		err = ap.stopAll(ctx, ls)
	}
	if err != nil {
		st, diags := ap.stateOf(req.PriorState)
		return ap.fail(ctx, st, diags, "Cannot destroy app "+ap.a.Name, err)
	}
	return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(appType)}
}

// wave replaces the instances of one rollout wave: for each, the new
// container is started and made ready (and held ready for min_healthy)
// before the old one drains and goes; the first max_unavailable old ones
// go first instead.
func (ap *applier) applyWave(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	ap.waveNo = req.Step.Wave
	if err := ap.setup(ctx, req.PlannedState); err != nil {
		return fail(req.PriorState, nil, "Cannot apply the rollout", err)
	}
	var priv private
	if err := json.Unmarshal(req.PlannedPrivate, &priv); err != nil || ap.waveNo < 0 || ap.waveNo >= len(priv.Waves) {
		st, diags := ap.stateOf(req.PriorState)
		return ap.fail(ctx, st, diags, "Invalid rollout step", fmt.Errorf("the plan has %d waves, wave %d was asked for", len(priv.Waves), ap.waveNo))
	}
	names := priv.Waves[ap.waveNo]
	last := ap.waveNo == len(priv.Waves)-1
	ls, err := ap.list(ctx)
	if err != nil {
		// The wave did not run: the app keeps its recorded spec (see below).
		st, diags := ap.stateOf(req.PriorState)
		return ap.fail(ctx, st, diags, "Cannot list the app's containers", err)
	}
	planned := map[string]instance{}
	for _, in := range stateInstances(req.PlannedState) {
		planned[in.Name] = in
	}
	// The core announces the wave ("wave 1/3 started"); this names what
	// it replaces where.
	var where []string
	for _, n := range names {
		if in, ok := planned[n]; ok {
			where = append(where, n+" on "+in.Host)
		} else {
			where = append(where, n)
		}
	}
	ap.emit("wave_started", "", "%s", strings.Join(where, ", "))

	maxUnavail := ap.a.Spec.Rollout.MaxUnavailable
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, ap.p.CreateParallelism))
	for i, name := range names {
		target, ok := planned[name]
		if !ok {
			errs[i] = fmt.Errorf("%s is not in the plan", name)
			continue
		}
		var olds []live
		done := false
		for _, c := range ls {
			if c.Labels.Instance != name {
				continue
			}
			if ap.current(c) && c.Host == target.Host {
				done = true // a retried wave: this one is already replaced
			} else {
				olds = append(olds, c)
			}
		}
		wg.Go(func() {
			if !done && i < maxUnavail {
				if errs[i] = ap.stopAll(ctx, olds); errs[i] != nil {
					return
				}
				olds = nil
			}
			if !done {
				if _, errs[i] = ap.start(ctx, sem, target, true); errs[i] != nil {
					return
				}
			}
			errs[i] = ap.stopAll(ctx, olds)
		})
	}
	wg.Wait()
	err = errors.Join(errs...)
	if err == nil && last {
		// Leftovers: surplus instances of a scale-down and stale containers.
		if ls, err = ap.list(ctx); err == nil {
			var stale []live
			for _, c := range ls {
				if in, ok := planned[c.Labels.Instance]; !ok || in.Host != c.Host || !ap.current(c) {
					stale = append(stale, c)
				}
			}
			err = ap.stopAll(ctx, stale)
		}
	}
	// The app takes the new spec when its rollout completes: until then the
	// state records the previous spec (the prior's) with the instances as
	// they run, some on each. The next plan then rolls on from there, and
	// a revert goes back to the spec the untouched instances still run,
	// never to the one being rolled out.
	top := req.PriorState
	if err == nil && last {
		top = req.PlannedState
	}
	st, diags := ap.stateOf(top)
	if err != nil && ctx.Err() != nil {
		// Stopped (Ctrl-C), not failed: what was cut short is not the app's
		// fault, and the state says what runs.
		ap.emit("wave_failed", "", "wave %d interrupted", ap.waveNo+1)
		return ap.fail(ctx, st, diags, fmt.Sprintf("Wave %d of app %s interrupted", ap.waveNo+1, ap.a.Name), errors.New("berth stopped the rollout before the wave was complete"))
	}
	if err != nil {
		ap.emit("wave_failed", "", "wave %d failed: %v", ap.waveNo+1, err)
		return ap.fail(ctx, st, diags, fmt.Sprintf("Wave %d of app %s failed", ap.waveNo+1, ap.a.Name), err)
	}
	ap.emit("wave_done", "", "replaced %s", strings.Join(where, ", "))
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags, Private: ap.private()}
}

// revert brings the app back to PlannedState, the state from before the
// rollout (see providers.StepRevert): every instance of it runs the prior
// spec (recreated from it where a wave replaced it), ready, before the new
// and failed containers go. PriorState, what the failed wave left, is not
// needed: the containers are listed live.
func (ap *applier) revert(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	target := req.PlannedState
	if err := ap.setup(ctx, target); err != nil {
		return fail(req.PriorState, nil, "Cannot revert the rollout", err)
	}
	ap.emit("progress", "", "reverting app %s to its previous spec (%s)", ap.a.Name, ap.a.Pinned)
	ls, err := ap.list(ctx)
	if err != nil {
		st, diags := ap.stateOf(target)
		return ap.fail(ctx, st, diags, "Cannot list the app's containers", err)
	}
	keep := map[string]bool{}
	var todo []instance
	seen := map[string]bool{}
	for _, in := range stateInstances(target) {
		if seen[in.Name] {
			continue
		}
		seen[in.Name] = true
		i := slices.IndexFunc(ls, func(c live) bool {
			return c.Labels.Instance == in.Name && ap.current(c) && c.Host == in.Host
		})
		if i >= 0 {
			keep[ls[i].ID] = true
			continue
		}
		in.ImageDigest, in.ConfigHash, in.planned = ap.a.Pinned, ap.a.Hash, true
		todo = append(todo, in)
	}
	started, err := ap.startAll(ctx, todo)
	for _, s := range started {
		keep[s] = true
	}
	if err == nil {
		var remove []live
		for _, c := range ls {
			if !keep[c.ID] {
				remove = append(remove, c)
			}
		}
		err = ap.stopAll(ctx, remove)
	}
	st, diags := ap.stateOf(target)
	if err != nil {
		return ap.fail(ctx, st, diags, "Revert of app "+ap.a.Name+" failed", err)
	}
	ap.emit("progress", "", "app %s reverted", ap.a.Name)
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags, Private: ap.private()}
}

func (ap *applier) isNotReady(id string) bool {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	return ap.notReady[id]
}

// startAll starts instances concurrently and returns the ids of the
// containers that became ready.
func (ap *applier) startAll(ctx context.Context, ins []instance) ([]string, error) {
	sem := make(chan struct{}, max(1, ap.p.CreateParallelism))
	ids := make([]string, len(ins))
	errs := make([]error, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() { ids[i], errs[i] = ap.start(ctx, sem, in, false) })
	}
	wg.Wait()
	var ok []string
	for i, id := range ids {
		if errs[i] == nil {
			ok = append(ok, id)
		}
	}
	return ok, errors.Join(errs...)
}

// start creates and starts the container of one instance on its planned
// host, runs after_start, and waits until it is ready (within
// healthy_deadline); with hold, it then holds it ready for min_healthy.
// sem bounds the engine calls, not the waiting.
func (ap *applier) start(ctx context.Context, sem chan struct{}, in instance, hold bool) (string, error) {
	h := ap.hosts[in.Host]
	if h == nil {
		return "", fmt.Errorf("%s: host %q is not in the cluster", in.Name, in.Host)
	}
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("%s: %w", in.Name, ctx.Err())
	}
	id, info, err := ap.create(ctx, h, in.Name)
	<-sem
	// Not ready until readiness passes: a container left behind by an
	// error or an interrupt (the engine may finish starting it after the
	// call was cancelled) is recorded not_ready, never taken for a
	// replaced instance.
	markNotReady := func() {
		ap.mu.Lock()
		ap.notReady[id] = true
		ap.mu.Unlock()
	}
	if id != "" {
		markNotReady()
	}
	if err != nil {
		return id, fmt.Errorf("%s: %w", in.Name, err)
	}
	ap.emit("instance_started", in.Name, "%s started on %s (container %s)", in.Name, in.Host, short(id))
	if hk := ap.a.Spec.Hooks; hk != nil && hk.AfterStart != nil {
		if err := ap.hook(ctx, h, id, in.Name, "after_start", hk.AfterStart); err != nil && hk.AfterStart.Required {
			markNotReady()
			// The hook's output is logged already: this only says what it
			// means for the instance.
			ap.emit("instance_unhealthy", in.Name, "%s on %s: its required after_start hook failed", in.Name, in.Host)
			return id, fmt.Errorf("%s on %s: %w", in.Name, in.Host, err)
		}
	}
	began := time.Now()
	ready := func() {
		ap.mu.Lock()
		delete(ap.notReady, id)
		ap.mu.Unlock()
	}
	err = ap.waitReady(ctx, h, info, hold, ready)
	if ap.p.observeProbe != nil {
		ap.p.observeProbe(in.Name, time.Since(began))
	}
	switch {
	case err != nil && ctx.Err() != nil:
		// Interrupted: a container that passed readiness stays ready (only
		// the min_healthy hold was cut short), one that did not stays
		// not_ready; neither is the instance's fault.
		return id, fmt.Errorf("%s on %s: interrupted", in.Name, in.Host)
	case err != nil:
		markNotReady()
		ap.emit("instance_unhealthy", in.Name, "%s on %s: %v", in.Name, in.Host, err)
		return id, fmt.Errorf("%s on %s: %w", in.Name, in.Host, err)
	}
	ready()
	ap.emit("instance_healthy", in.Name, "%s ready on %s", in.Name, in.Host)
	return id, nil
}

// create pulls the planned digest if the host lacks it, creates the
// container (installing the probe helper when liveness needs it) and
// starts it.
func (ap *applier) create(ctx context.Context, h *Host, name string) (string, ContainerInfo, error) {
	arch := ap.infos[h.Config.Name].Architecture
	cs, err := ap.a.containerSpec(name, arch)
	if err != nil {
		return "", ContainerInfo{}, err
	}
	if err := ap.ensureImage(ctx, h); err != nil {
		return "", ContainerInfo{}, err
	}
	// Create, copy and start go through once begun (see engineStep).
	if err := ctx.Err(); err != nil {
		return "", ContainerInfo{}, err
	}
	sctx, cancel := engineStep(ctx, engineStepTimeout)
	defer cancel()
	id, err := h.Create(sctx, cs)
	if err != nil {
		return "", ContainerInfo{}, err
	}
	if ap.a.needsHelper(h) {
		bin, err := ProbeHelper(arch)
		if err == nil {
			err = h.CopyFile(sctx, id, ProbeHelperPath, 0o755, bin)
		}
		if err != nil {
			return id, ContainerInfo{}, err
		}
	}
	if err := h.Start(sctx, id); err != nil {
		return id, ContainerInfo{}, err
	}
	info, err := h.Inspect(sctx, id)
	return id, info, err
}

func (ap *applier) ensureImage(ctx context.Context, h *Host) error {
	m := ap.p.pullLock(h.Config.Endpoint, ap.a.Pinned)
	m.Lock()
	defer m.Unlock()
	ok, err := h.HasImage(ctx, ap.a.Pinned)
	if err != nil || ok {
		return err
	}
	auth, err := registryOf(ap.a.Spec).PullAuth()
	if err != nil {
		return err
	}
	ap.emit("progress", "", "pulling %s on %s", ap.a.Pinned, h.Config.Name)
	return h.Pull(ctx, ap.a.Pinned, auth)
}

// waitReady waits for the startup probe, then readiness, within
// healthy_deadline; with hold, readiness must then hold for min_healthy.
// Without a readiness probe, a running container is ready. ready is called
// when readiness first passes, before the hold.
func (ap *applier) waitReady(ctx context.Context, h *Host, info ContainerInfo, hold bool, ready func()) error {
	ro := ap.a.Spec.Rollout
	deadline := ro.HealthyDeadline
	if deadline <= 0 {
		deadline = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	var probe Probe
	if r := ap.a.Spec.Readiness; r != nil {
		pr, err := ap.a.probe(r, h, info)
		if err != nil {
			return err
		}
		probe = pr
	} else {
		probe = Probe{Check: runningCheck{host: h, id: info.ID}, Period: 200 * time.Millisecond, Timeout: 5 * time.Second}
	}
	if s := ap.a.Spec.Startup; s != nil {
		pr, err := ap.a.probe(s, h, info)
		if err != nil {
			return err
		}
		if err := WaitReady(ctx, pr, nil); err != nil {
			return fmt.Errorf("startup probe: %w within healthy_deadline %s", err, deadline)
		}
	}
	if err := WaitReady(ctx, probe, nil); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("not ready within healthy_deadline %s: %w", deadline, err)
		}
		return err
	}
	ready()
	if hold && ro.MinHealthy > 0 {
		if err := HoldReady(ctx, probe, ro.MinHealthy, nil); err != nil {
			return fmt.Errorf("did not stay ready for min_healthy %s: %w", ro.MinHealthy, err)
		}
	}
	return nil
}

// hook runs an exec hook, logging its output and exit code as events.
func (ap *applier) hook(ctx context.Context, h *Host, id, inst, which string, hk *lang.HookSpec) error {
	t := hk.Timeout
	if t <= 0 {
		t = 30 * time.Second
	}
	hctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	res, err := h.Exec(hctx, id, hk.Exec)
	if err != nil {
		ap.emit("log", inst, "%s hook of %s failed: %v", which, inst, err)
		return fmt.Errorf("%s hook: %w", which, err)
	}
	out := strings.TrimSpace(res.Stdout + res.Stderr)
	ap.emit("log", inst, "%s hook of %s exited %d: %s", which, inst, res.ExitCode, out)
	if res.ExitCode != 0 {
		return fmt.Errorf("%s hook %q exited %d: %s", which, hk.Exec, res.ExitCode, out)
	}
	return nil
}

// stopAll drains and removes containers concurrently.
func (ap *applier) stopAll(ctx context.Context, cs []live) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { errs[i] = ap.stop(ctx, c) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stop retires one container: before_stop hook, the drain wait, stop
// (SIGTERM, SIGKILL after the stop timeout) and remove. Only containers
// listed by berth's labels ever get here.
func (ap *applier) stop(ctx context.Context, c live) error {
	h := ap.hosts[c.Host]
	if h == nil {
		return fmt.Errorf("container %s: host %q is not in the cluster", c.Name, c.Host)
	}
	inst := c.Labels.Instance
	if c.State == statusRunning {
		if hk := ap.a.Spec.Hooks; hk != nil {
			if hk.BeforeStop != nil {
				_ = ap.hook(ctx, h, c.ID, inst, "before_stop", hk.BeforeStop)
			}
			if hk.Drain > 0 {
				ap.emit("progress", inst, "draining %s for %s", inst, hk.Drain)
				t := time.NewTimer(hk.Drain)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			}
		}
	}
	// Stop and remove, once begun, are not cut short (see engineStep).
	if err := ctx.Err(); err != nil {
		return err
	}
	sctx, cancel := engineStep(ctx, ap.a.stopTimeout()+engineStepTimeout)
	defer cancel()
	if c.State == statusRunning {
		if err := h.Stop(sctx, c.ID, -1); err != nil {
			return err
		}
	}
	if err := h.Remove(sctx, c.ID); err != nil {
		return err
	}
	ap.emit("progress", inst, "removed %s (container %s) from %s", inst, short(c.ID), c.Host)
	return nil
}

// engineStepTimeout bounds one engine step that berth does not cancel.
const engineStepTimeout = 2 * time.Minute

// engineStep is the context of an engine call that changes containers
// (create, copy, start, stop, remove): not cancelled with ctx, only
// bounded by d. A cancelled request may still be carried out by the
// engine after berth stopped listening, and the state, listed just after,
// would then miss a container that exists or keep one that is gone.
// berth stops between such steps instead.
func engineStep(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

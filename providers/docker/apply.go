package docker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// ApplyResourceChange carries out a planned change or one step of its
// rollout. It always returns the state that exists afterwards, also when
// it fails or is stopped.
func (p *Provider) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	switch req.TypeName {
	case TypeScalingPolicy:
		// Bounds on replicas only: nothing exists on the hosts.
		return providers.ApplyResourceChangeResponse{NewState: req.PlannedState}
	case TypeApp:
	default:
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
	}
	// Containers change: listings cached for plans are stale.
	p.invalidateListings()
	defer p.invalidateListings()
	ap := &applier{p: p, events: events, notReady: map[string]bool{}, known: map[string]bool{}, retired: decodePrivate(req.PlannedPrivate).Retired}
	for _, in := range app.DecodeInstances(req.PriorState) {
		ap.known[in.ID] = true
		if in.Status == statusNotReady {
			ap.notReady[in.ID] = true
		}
	}
	if req.PriorState.IsNull() {
		// A create: its containers carry its key, so that LookupResources
		// finds them if berth is killed before it records the app.
		// Containers of later changes need none: they carry the
		// deployment id that the recorded state holds.
		ap.createKey = req.IdempotencyKey
	}
	switch req.Step.Kind {
	case providers.StepStart:
		return ap.stepStart(ctx, req)
	case providers.StepStop:
		return ap.stepStop(ctx, req)
	}
	if req.PlannedState.IsNull() {
		return ap.destroy(ctx, req)
	}
	return ap.all(ctx, req)
}

// applier is one ApplyResourceChange call.
type applier struct {
	p      *Provider
	a      *deployment
	hosts  map[string]*engine.Host
	infos  map[string]engine.HostInfo
	events func(providers.ApplyEvent)
	evMu   sync.Mutex
	waveNo int

	// createKey is the idempotency key of a create, "" for other changes.
	createKey string

	// retired are hosts outside the planned cluster that may hold
	// containers of the app (see private.Retired).
	retired []engine.HostConfig
	// order is the hosts' names, the cluster's then the retired ones.
	order []string
	// holding are the hosts on which the last listing found containers of
	// the app; listFailed says it failed, so any host may hold some.
	holding    map[string]bool
	listFailed bool

	mu sync.Mutex
	// notReady holds the ids of containers that never passed readiness,
	// known those of the containers berth knows of: the prior state's and
	// those this call made. A container listed that is neither is
	// not_ready (see unvouched).
	notReady map[string]bool
	known    map[string]bool
}

// private is the response's private data with state st: the hosts outside
// st's cluster that hold containers of the app (a removed host not yet
// emptied; a host added by a rollout whose state still records the
// previous cluster), so that refresh and the next plan look there too.
func (ap *applier) private(st cty.Value) []byte {
	inCluster := map[string]bool{}
	if u, _ := st.UnmarkDeep(); !u.IsNull() {
		if a, err := decodeApp(u); err == nil {
			for _, h := range a.Cluster.Hosts {
				inCluster[h.Endpoint] = true
			}
		}
	}
	var out []engine.HostConfig
	for _, name := range ap.order {
		cfg := ap.hosts[name].Config
		if !inCluster[cfg.Endpoint] && (ap.holding[name] || ap.listFailed) {
			out = append(out, cfg)
		}
	}
	return private{Retired: out}.encode()
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
	a.CreateKey = ap.createKey
	if a.ID == "" {
		// Planned as known after apply: this is the app's first apply.
		a.ID = newDeploymentID()
		ap.p.reserveID(a.Name, a.ID)
	}
	if a.Pinned == "" || a.Hash == "" {
		return errors.New("the app's planned state lacks image_digest or config_hash")
	}
	ap.a = a
	hosts, infos, err := ap.p.clusterHosts(ctx, a.Cluster)
	if err != nil {
		return err
	}
	ap.hosts, ap.infos = map[string]*engine.Host{}, map[string]engine.HostInfo{}
	endpoints := map[string]bool{}
	for i, h := range hosts {
		ap.hosts[h.Config.Name] = h
		ap.infos[h.Config.Name] = infos[i]
		ap.order = append(ap.order, h.Config.Name)
		endpoints[h.Config.Endpoint] = true
	}
	// Hosts outside the cluster (removed from it; in a revert, added by
	// the rollout): listed, and their containers of the app removed once
	// the new ones are ready; never placed on.
	var errs []error
	retired := ap.retired
	ap.retired = nil
	for _, cfg := range retired {
		if endpoints[cfg.Endpoint] || ap.hosts[cfg.Name] != nil {
			continue // in the cluster (back in it, or a rollout's new host)
		}
		ap.retired = append(ap.retired, cfg)
		h, info, err := ap.p.host(ctx, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("host %q (%s) is not in the cluster of app %s but may hold containers of it, which berth must remove: %w", cfg.Name, cfg.Endpoint, a.Name, err))
			continue
		}
		ap.hosts[cfg.Name], ap.infos[cfg.Name] = h, info
		ap.order = append(ap.order, cfg.Name)
	}
	return errors.Join(errs...)
}

// current: c runs the app's spec (hash and image digest), and passed
// readiness.
func (ap *applier) current(c live) bool {
	return ap.onSpec(c) && c.State == statusRunning && !ap.isNotReady(c.ID)
}

// onSpec reports whether c was made of the planned spec, ready or not.
func (ap *applier) onSpec(c live) bool {
	return c.Labels.ConfigHash == ap.a.Hash && c.Image == ap.a.Pinned
}

// live is one of the app's containers as it exists, on the host of that
// name, reached at Address.
type live struct {
	engine.Container
	Host    string
	Address netip.Addr
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
					out = append(out, live{Container: c, Host: name, Address: h.Address()})
				}
			}
		})
	}
	wg.Wait()
	slices.SortFunc(out, func(x, y live) int { return strings.Compare(x.Name, y.Name) })
	ap.mu.Lock()
	for _, c := range out {
		if !ap.known[c.ID] {
			// Neither recorded nor made by this call (see unvouched).
			ap.known[c.ID], ap.notReady[c.ID] = true, true
		}
	}
	ap.mu.Unlock()
	return out, errors.Join(errs...)
}

// stateOf is top (a planned or prior state) with "instances" as they
// truly exist now.
func (ap *applier) stateOf(top cty.Value) (cty.Value, hcl.Diagnostics) {
	ins, diags := ap.existing()
	return ap.withExisting(top, ins), diags
}

// stepState is the state after a rollout step (providers.StepStart,
// StepStop): the instances as they exist, with planned's other attributes
// once every instance runs as planned and nothing else remains, prior's
// until then. The app takes the new spec when its rollout completes, so
// the next plan rolls on from where a stopped rollout left off, and a
// revert goes back to the spec the untouched instances still run.
func (ap *applier) stepState(prior, planned cty.Value) (cty.Value, hcl.Diagnostics) {
	ins, diags := ap.existing()
	want := app.DecodeTarget(planned)
	complete := !diags.HasErrors()
	for _, in := range ins {
		complete = complete && app.Keeps(want, in)
	}
	for _, w := range want {
		complete = complete && slices.ContainsFunc(ins, func(in app.Instance) bool { return in.Name == w.Name && app.Keeps(want, in) })
	}
	if complete {
		return ap.withExisting(planned, ins), diags
	}
	return ap.withExisting(prior, ins), diags
}

// existing lists the app's instances as they are. It lists with a fresh
// context: it must work after the call was cancelled, to report what
// exists.
func (ap *applier) existing() ([]app.Instance, hcl.Diagnostics) {
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
	ap.holding, ap.listFailed = map[string]bool{}, err != nil
	for _, c := range ls {
		ap.holding[c.Host] = true
	}
	return ins, diags
}

// withExisting is top with instances ins, and the deployment id known
// once the first apply picked it.
func (ap *applier) withExisting(top cty.Value, ins []app.Instance) cty.Value {
	return withDeployment(top, ap.a.ID, ins)
}

// instancesOf maps containers to "instances" entries.
func instancesOf(ls []live, ports []app.Port, notReady map[string]bool) []app.Instance {
	out := make([]app.Instance, 0, len(ls))
	for _, c := range ls {
		in := app.Instance{Name: c.Labels.Instance, Host: c.Host, ID: c.ID, ImageDigest: c.Image,
			ConfigHash: c.Labels.ConfigHash, Status: c.State, Addresses: map[string]app.Address{}}
		if c.State == statusRunning && c.Health == "unhealthy" {
			in.Status = statusUnhealthy
		}
		if notReady[c.ID] {
			// Never passed readiness: so recorded whatever the engine says of
			// it now (created, paused, restarting...), until it is replaced.
			in.Status = statusNotReady
		}
		in.Ready = in.Status == statusRunning
		for k, hp := range c.Ports {
			name := k
			for _, p := range ports {
				proto := cmp.Or(p.Protocol, app.DefaultProtocol)
				if strconv.Itoa(p.Container)+"/"+proto == k {
					name = p.Name
				}
			}
			in.Addresses[name] = app.Address{IP: c.Address.String(), Port: int(hp)}
		}
		out = append(out, in)
	}
	return out
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
	r.Private = ap.private(state)
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
	planned := app.DecodeInstances(req.PlannedState)
	keep := map[string]bool{}
	var todo []app.Instance
	for _, in := range planned {
		if in.ID != "" && slices.ContainsFunc(ls, func(c live) bool { return c.ID == in.ID && c.Host == in.Host && ap.current(c) }) {
			keep[in.ID] = true
			continue
		}
		// Planned new, or a kept container that vanished since the plan.
		todo = append(todo, in)
	}
	names := map[string]bool{}
	for _, in := range todo {
		names[in.Name] = true
	}
	ls, err = ap.removeFailedAttempts(ctx, ls, names)
	if err == nil {
		ls, err = ap.freePorts(ctx, ls, todo)
	}
	if err != nil {
		st, diags := ap.stateOf(req.PlannedState)
		return ap.fail(ctx, st, diags, "Cannot remove containers of app "+ap.a.Name, err)
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
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags, Private: ap.private(st)}
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
	return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(req.PriorState.Type())}
}

// stepStart is providers.StepStart: each instance named in the step gets
// a container that PlannedState keeps, on its planned host, ready (and
// held ready for the step's HoldFor); the old containers of those names
// keep running. In a rollout PlannedState is the plan; in a revert it is
// the state from before the rollout, whose spec the app was decoded with.
func (ap *applier) stepStart(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	ap.waveNo = req.Step.Wave
	if err := ap.setup(ctx, req.PlannedState); err != nil {
		return fail(req.PriorState, nil, "Cannot apply the rollout", err)
	}
	ls, err := ap.list(ctx)
	if err != nil {
		st, diags := ap.stepState(req.PriorState, req.PlannedState)
		return ap.fail(ctx, st, diags, "Cannot list the app's containers", err)
	}
	var todo []app.Instance
	var errs []error
	seen := map[string]bool{}
	want := app.DecodeTarget(req.PlannedState)
	for _, name := range req.Step.Instances {
		if seen[name] {
			continue
		}
		seen[name] = true
		i := slices.IndexFunc(want, func(in app.Instance) bool { return in.Name == name })
		if i < 0 {
			errs = append(errs, fmt.Errorf("%s is not an instance of the planned state", name))
			continue
		}
		target := want[i]
		if slices.ContainsFunc(ls, func(c live) bool {
			return c.Labels.Instance == name && c.Host == target.Host && ap.current(c)
		}) {
			continue // a retried step: this one runs already
		}
		target.ImageDigest, target.ConfigHash, target.Planned = ap.a.Pinned, ap.a.Hash, true
		todo = append(todo, target)
	}
	if ap.waveNo == 0 {
		ap.emit("progress", "", "reverting app %s to its previous spec (%s)", ap.a.Name, ap.a.Pinned)
	}
	ls, err = ap.removeFailedAttempts(ctx, ls, seen)
	if err == nil {
		_, err = ap.freePorts(ctx, ls, todo)
	}
	if err == nil {
		_, err = ap.startHeld(ctx, todo, req.Step.HoldFor)
	}
	st, diags := ap.stepState(req.PriorState, req.PlannedState)
	if err = errors.Join(append(errs, err)...); err != nil {
		return ap.fail(ctx, st, diags, ap.stepFailed(), err)
	}
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags, Private: ap.private(st)}
}

// removeFailedAttempts removes, before the instances of names start, their
// containers (of ls) on the planned spec that are not ready: earlier
// attempts at the same instances (a start cut short by Ctrl-C or a kill
// of berth, recorded not_ready, or one that failed), so that no attempt
// is ever left beside a fresh container of its instance. A wave's
// StepStop would remove them only after the wave, and a canary stops
// nothing. berth never vouched for their readiness, so it does not adopt
// them: their after_start hook may not have run. It returns the
// containers of ls that remain.
func (ap *applier) removeFailedAttempts(ctx context.Context, ls []live, names map[string]bool) ([]live, error) {
	var stop, rest []live
	for _, c := range ls {
		n := c.Labels.Instance
		if names[n] && ap.onSpec(c) && !ap.current(c) {
			ap.emit("progress", n, "removing %s's container %s, an earlier attempt that never turned ready, before starting %s again", n, engine.ShortID(c.ID), n)
			stop = append(stop, c)
		} else {
			rest = append(rest, c)
		}
	}
	return rest, ap.stopAll(ctx, stop)
}

// stepStop is providers.StepStop: the containers of the instances named in
// the step that PlannedState does not keep go (the core drained them).
func (ap *applier) stepStop(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	ap.waveNo = req.Step.Wave
	if err := ap.setup(ctx, req.PlannedState); err != nil {
		return fail(req.PriorState, nil, "Cannot apply the rollout", err)
	}
	ls, err := ap.list(ctx)
	if err == nil {
		planned := app.DecodeTarget(req.PlannedState)
		var stop []live
		ap.mu.Lock()
		ins := instancesOf(ls, ap.a.Spec.Ports, ap.notReady)
		ap.mu.Unlock()
		for i, c := range ls {
			if slices.Contains(req.Step.Instances, c.Labels.Instance) && !app.Keeps(planned, ins[i]) {
				stop = append(stop, c)
			}
		}
		err = ap.stopAll(ctx, stop)
	}
	st, diags := ap.stepState(req.PriorState, req.PlannedState)
	if err != nil {
		return ap.fail(ctx, st, diags, ap.stepFailed(), err)
	}
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags, Private: ap.private(st)}
}

// stepFailed is the summary of a failed rollout step.
func (ap *applier) stepFailed() string {
	if ap.waveNo == 0 {
		return "Revert of app " + ap.a.Name + " failed"
	}
	return fmt.Sprintf("Wave %d of app %s failed", ap.waveNo, ap.a.Name)
}

func (ap *applier) isNotReady(id string) bool {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	return ap.notReady[id]
}

// startAll starts instances concurrently and returns the ids of the
// containers that became ready.
func (ap *applier) startAll(ctx context.Context, ins []app.Instance) ([]string, error) {
	return ap.startHeld(ctx, ins, 0)
}

// startHeld is startAll, each new container then held ready for hold.
func (ap *applier) startHeld(ctx context.Context, ins []app.Instance, hold time.Duration) ([]string, error) {
	sem := make(chan struct{}, max(1, ap.p.CreateParallelism))
	ids := make([]string, len(ins))
	errs := make([]error, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() { ids[i], errs[i] = ap.start(ctx, sem, in, hold) })
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
// healthy_deadline), then holds it ready for hold (a rollout's
// min_healthy). sem bounds the engine calls, not the waiting.
func (ap *applier) start(ctx context.Context, sem chan struct{}, in app.Instance, hold time.Duration) (string, error) {
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
		ap.known[id], ap.notReady[id] = true, true
		ap.mu.Unlock()
	}
	if id != "" {
		markNotReady()
	}
	if err != nil {
		return id, fmt.Errorf("%s: %w", in.Name, err)
	}
	ap.emit("instance_started", in.Name, "%s started on %s (container %s)", in.Name, in.Host, engine.ShortID(id))
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
	err = ap.waitReady(ctx, h, info, hold, ready, in)
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
func (ap *applier) create(ctx context.Context, h *engine.Host, name string) (string, engine.ContainerInfo, error) {
	arch := ap.infos[h.Config.Name].Architecture
	cs, err := ap.a.containerSpec(name, arch)
	if err != nil {
		return "", engine.ContainerInfo{}, err
	}
	if err := ap.ensureImage(ctx, h); err != nil {
		return "", engine.ContainerInfo{}, err
	}
	// Create, copy and start go through once begun (see engineStep).
	if err := ctx.Err(); err != nil {
		return "", engine.ContainerInfo{}, err
	}
	sctx, cancel := engineStep(ctx, engineStepTimeout)
	defer cancel()
	id, err := h.Create(sctx, cs)
	if err != nil {
		return "", engine.ContainerInfo{}, err
	}
	if ap.a.needsHelper(h) {
		bin, err := ProbeHelper(arch)
		if err == nil {
			err = h.CopyFile(sctx, id, ProbeHelperPath, 0o755, bin)
		}
		if err != nil {
			return id, engine.ContainerInfo{}, err
		}
	}
	if err := h.Start(sctx, id); err != nil {
		return id, engine.ContainerInfo{}, err
	}
	info, err := h.Inspect(sctx, id)
	return id, info, err
}

func (ap *applier) ensureImage(ctx context.Context, h *engine.Host) error {
	m := ap.p.pullLock(h.Config.Endpoint, ap.a.Pinned)
	m.Lock()
	defer m.Unlock()
	ok, err := h.HasImage(ctx, ap.a.Pinned)
	if err != nil || ok {
		return err
	}
	auth, err := registry.Of(ap.a.Spec).PullAuth()
	if err != nil {
		return err
	}
	ap.emit("progress", "", "pulling %s on %s", ap.a.Pinned, h.Config.Name)
	return h.Pull(ctx, ap.a.Pinned, auth)
}

// hook runs an exec hook, logging its output and exit code as events.
func (ap *applier) hook(ctx context.Context, h *engine.Host, id, inst, which string, hk *app.Hook) error {
	t := hk.Timeout
	if t <= 0 {
		t = app.DefaultHookTimeout
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
	ap.emit("instance_stopped", inst, "%s removed from %s (container %s)", inst, c.Host, engine.ShortID(c.ID))
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

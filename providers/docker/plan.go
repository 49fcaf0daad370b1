package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// private is the provider's private data of a planned change and of a
// state.
type private struct {
	// Retired are hosts outside the app's cluster that hold (or, in a
	// plan, may hold) containers of the app: apply (and refresh) lists
	// them too, and apply removes those containers once the new ones are
	// ready. In a state: hosts removed from the cluster not emptied yet,
	// and hosts that a rollout not complete yet started containers on
	// while the state records the previous cluster. In a plan: the hosts
	// removed that still hold containers, and the hosts the plan adds,
	// which a revert (to the previous cluster) must empty.
	Retired []engine.HostConfig `json:"retired,omitempty"`
}

func decodePrivate(b []byte) private {
	var pv private
	if len(b) > 0 {
		_ = json.Unmarshal(b, &pv)
	}
	return pv
}

func (pv private) encode() []byte {
	if len(pv.Retired) == 0 {
		return nil
	}
	b, _ := json.Marshal(pv)
	return b
}

// retiredCandidates are the hosts of the prior state's cluster (and those
// already retired) that are not in cluster: by endpoint, since a host
// block may be renamed. A candidate whose name a host of cluster now
// uses is renamed "<name> (removed)".
func retiredCandidates(prior cty.Value, priorPrivate []byte, c cluster) []engine.HostConfig {
	now := c.Hosts
	endpoints, names := map[string]bool{}, map[string]bool{}
	for _, h := range now {
		endpoints[h.Endpoint], names[h.Name] = true, true
	}
	var cands []engine.HostConfig
	if !prior.IsNull() && prior.IsKnown() {
		if pa, err := decodeApp(prior); err == nil {
			cands = pa.Cluster.Hosts
		}
	}
	cands = append(cands, decodePrivate(priorPrivate).Retired...)
	var out []engine.HostConfig
	for _, h := range cands {
		if endpoints[h.Endpoint] {
			continue
		}
		endpoints[h.Endpoint] = true
		if names[h.Name] {
			h.Name += " (removed)"
		}
		names[h.Name] = true
		out = append(out, h)
	}
	return out
}

// retiredHosts connects to the candidates and keeps those that still hold
// containers of the app, with those containers as instances. A candidate
// that cannot be reached is an error naming it: berth cannot tell whether
// the app still runs there.
func (p *Provider) retiredHosts(ctx context.Context, cands []engine.HostConfig, a *deployment) ([]engine.HostConfig, []app.Instance, error) {
	var keep []engine.HostConfig
	var ins []app.Instance
	var errs []error
	for _, cfg := range cands {
		h, _, err := p.host(ctx, cfg)
		var cs []engine.Container
		if err == nil {
			cs, err = p.listHost(ctx, h)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%w; %s", err, retiredHostHint(cfg, a.Name, a.ID)))
			continue
		}
		var ls []live
		for _, c := range cs {
			if c.Labels.ID == a.ID && c.Labels.App == a.Name {
				ls = append(ls, live{Container: c, Host: cfg.Name, Address: h.Address()})
			}
		}
		if len(ls) > 0 {
			keep = append(keep, cfg)
			ins = append(ins, instancesOf(ls, a.Spec.Ports, nil)...)
		}
	}
	return keep, ins, errors.Join(errs...)
}

// addedHosts are the hosts of cluster c that the prior state's cluster
// lacks (by endpoint): a revert of the rollout goes back to that cluster
// and must still empty them.
func addedHosts(prior cty.Value, c cluster) []engine.HostConfig {
	pa, err := decodeApp(prior)
	if err != nil {
		return nil
	}
	before := map[string]bool{}
	for _, h := range pa.Cluster.Hosts {
		before[h.Endpoint] = true
	}
	var out []engine.HostConfig
	for _, h := range c.Hosts {
		if !before[h.Endpoint] {
			out = append(out, h)
		}
	}
	return out
}

// PlanResourceChange plans an app: image digest, placement, instances and,
// for a spec change of running instances, the rollout waves.
func (p *Provider) PlanResourceChange(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	switch req.TypeName {
	case TypeScalingPolicy:
		if req.ProposedNewState.IsNull() {
			return providers.PlanResourceChangeResponse{PlannedState: req.ProposedNewState}
		}
		return providers.PlanResourceChangeResponse{PlannedState: req.ProposedNewState}
	case TypeApp:
		return p.planApp(ctx, req)
	}
	return providers.PlanResourceChangeResponse{Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
}

func (p *Provider) planApp(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	var resp providers.PlanResourceChangeResponse
	if req.ProposedNewState.IsNull() { // destroy
		resp.PlannedState = req.ProposedNewState
		// Removed hosts still holding containers are cleaned up too.
		resp.PlannedPrivate = private{Retired: decodePrivate(req.PriorPrivate).Retired}.encode()
		return resp
	}
	prior, _ := req.PriorState.UnmarkDeep()
	proposed, pvm := req.ProposedNewState.UnmarkDeepWithPaths()
	// A new app's deployment id is picked at apply (a plan must be
	// repeatable: apply plans again and compares with the saved plan).
	id := str(prior, "deployment_id")
	idVal := cty.UnknownVal(cty.String)
	if id != "" {
		idVal = cty.StringVal(id)
	}
	if !app.StripComputed(proposed).IsWhollyKnown() {
		// Known after apply of what the app depends on: nothing to resolve
		// or place yet.
		resp.PlannedState = app.WithAttrs(proposed, map[string]cty.Value{
			"deployment_id": idVal,
			"image_digest":  cty.UnknownVal(cty.String), "config_hash": cty.UnknownVal(cty.String),
			"instances": cty.UnknownVal(cty.List(app.InstanceType)),
		}).MarkWithPaths(pvm)
		return resp
	}
	if diags := validateApp(proposed); diags.HasErrors() {
		resp.Diagnostics = diags
		return resp
	}
	a, err := decodeApp(proposed)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Invalid app configuration", err))
		return resp
	}
	a.ID = id

	// The image's digest, now: apply deploys exactly this one. When apply
	// plans again, the saved plan's digest of the same reference is kept:
	// apply deploys exactly the planned digest even if the tag moved.
	if d := app.SavedDigest(req.SavedPlannedState, a.Spec.Image); d != "" {
		a.Pinned = d
	} else {
		resolved, err := registry.Of(a.Spec).Resolve(ctx, a.Spec.Image)
		if err != nil {
			resp.Diagnostics = append(resp.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError,
				Summary: "Cannot resolve the app's image", Detail: err.Error(),
				Extra: providers.AttributePath{Path: cty.GetAttrPath("image")}})
			return resp
		}
		a.Pinned = resolved.Pinned()
	}
	if err := a.computeHash(); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Cannot hash the app's spec", err))
		return resp
	}

	hosts, infos, err := p.clusterHosts(ctx, a.Cluster)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, providers.AttributeError("Cannot reach the cluster's Docker hosts", err.Error(), cty.GetAttrPath("cluster")))
		return resp
	}
	listed, err := p.listHosts(ctx, hosts)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Cannot read the Docker hosts' containers", err))
		return resp
	}
	for i, h := range hosts {
		if l := a.Spec.Liveness; l != nil && (l.HTTP != nil || l.TCP != nil) {
			if _, err := ProbeHelper(infos[i].Architecture); err != nil {
				resp.Diagnostics = append(resp.Diagnostics, providers.AttributeError("Liveness probe not possible on "+h.Config.Name, err.Error(), cty.GetAttrPath("liveness")))
				return resp
			}
		}
		if a.needsHelper(h) && a.tcpProbed() {
			if _, err := ProbeHelper(infos[i].Architecture); err != nil {
				resp.Diagnostics = append(resp.Diagnostics, providers.AttributeError("TCP readiness probe not possible on "+h.Config.Name,
					"On a remote engine berth checks tcp probes from inside the container with its probe helper (the published port always accepts, through docker-proxy). "+err.Error(),
					cty.GetAttrPath("readiness")))
				return resp
			}
		}
	}
	existing := app.DecodeInstances(prior)
	var pv private
	if a.ID != "" {
		retired, found, err := p.retiredHosts(ctx, retiredCandidates(prior, req.PriorPrivate, a.Cluster), a)
		if err != nil {
			resp.Diagnostics = append(resp.Diagnostics, providers.AttributeError("Cannot reach a host removed from the cluster", err.Error(), cty.GetAttrPath("cluster")))
			return resp
		}
		pv.Retired = append(retired, addedHosts(prior, a.Cluster)...)
		// Containers on removed hosts that the state does not know (any
		// more) are instances to move all the same.
		for _, in := range found {
			if !slices.ContainsFunc(existing, func(e app.Instance) bool { return e.ID == in.ID }) {
				existing = append(existing, in)
			}
		}
	}
	if prior.IsNull() {
		if w := p.unrecordedDeployments(a, hosts, listed); w != nil {
			resp.Diagnostics = append(resp.Diagnostics, w)
		}
	}
	placement, err := p.place(hosts, infos, listed, a, existing)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: "Impossible placement", Detail: err.Error(),
			Extra: providers.AttributePath{Path: cty.GetAttrPath("replicas")}})
		return resp
	}
	fixed := len(a.hostPorts()) > 0
	out := decide(planInput{
		Hash: a.Hash, Pinned: a.Pinned, HasPrior: !prior.IsNull(),
		Existing: existing, Assignments: placement.Assignments, Rollout: stopFirst(a.Spec.Rollout, fixed),
	})
	if out.Rollout != nil && fixed {
		resp.Diagnostics = append(resp.Diagnostics, stopFirstWarning(a))
	}
	resp.PlannedState = app.WithAttrs(proposed, map[string]cty.Value{
		"deployment_id": idVal,
		"image_digest":  cty.StringVal(a.Pinned), "config_hash": cty.StringVal(a.Hash),
		"instances": app.InstancesValue(out.Instances),
	}).MarkWithPaths(pvm)
	resp.Rollout = out.Rollout
	resp.PlannedPrivate = pv.encode()
	return resp
}

func (a *deployment) placementRequest(existing []app.Instance) scheduler.Request {
	cpu, mem := a.requests()
	r := scheduler.Request{App: "app." + a.Name, Name: a.Name, Replicas: a.Spec.Replicas, CPU: cpu, Memory: mem, HostPorts: a.hostPorts()}
	if pl := a.Spec.Placement; pl != nil {
		r.NodeSelector = pl.NodeSelector
		r.SpreadHosts = pl.Spread == app.SpreadHost
		r.SpreadZones = pl.Spread == app.SpreadZone
	}
	// One entry per instance name; where a name has several containers
	// (the old and the new one mid-rollout), the up-to-date one's host.
	seen := map[string]int{}
	for _, in := range existing {
		current := in.ConfigHash == a.Hash && in.ImageDigest == a.Pinned && in.Status == statusRunning
		i, ok := seen[in.Name]
		if !ok {
			seen[in.Name] = len(r.Existing)
			r.Existing = append(r.Existing, scheduler.Instance{Name: in.Name, Host: in.Host, Current: current})
			continue
		}
		if current {
			r.Existing[i].Host, r.Existing[i].Current = in.Host, true
		}
	}
	return r
}

// listHosts lists berth's containers on every host (one call each, or
// none when refresh just listed it: see listHost).
func (p *Provider) listHosts(ctx context.Context, hosts []*engine.Host) ([][]engine.Container, error) {
	out := make([][]engine.Container, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() { out[i], errs[i] = p.listHost(ctx, h) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// place places a's replicas on hosts, whose containers are listed, and
// reserves the result for the apps placed after it in this run. One step
// under placeMu: what other apps reserved and which containers their
// reservations stand for are read and written together.
func (p *Provider) place(hosts []*engine.Host, infos []engine.HostInfo, listed [][]engine.Container, a *deployment, existing []app.Instance) (scheduler.Placement, error) {
	p.placeMu.Lock()
	defer p.placeMu.Unlock()
	sh := make([]scheduler.Host, len(hosts))
	for i, h := range hosts {
		// This app's containers are accounted by the scheduler itself:
		// drop them by deployment id (SchedulerHost matches names only).
		// Those of apps placed in this run count by their reservation.
		var others []engine.Container
		for _, c := range listed[i] {
			if c.Labels.ID == a.ID && c.Labels.App == a.Name || p.reservedFor(c) {
				continue
			}
			others = append(others, c)
		}
		sh[i] = SchedulerHost(h.Config, infos[i], others, "")
	}
	p.reserveOthers(sh, hosts, a)
	pl, err := scheduler.Place(sh, a.placementRequest(existing))
	if err != nil {
		return pl, p.explainReserved(err, hosts, a)
	}
	p.reserve(hosts, a, pl)
	return pl, nil
}

// SchedulerHost is the host as the scheduler sees it: capacity from info,
// minus the requests of berth's containers on it except those of app
// (whose instances the scheduler accounts for itself).
func SchedulerHost(cfg engine.HostConfig, info engine.HostInfo, containers []engine.Container, app string) scheduler.Host {
	h := scheduler.Host{Name: cfg.Name, Labels: cfg.Labels, CPU: info.CPU, Memory: info.Memory}
	var others []engine.Container
	for _, c := range containers {
		if c.Labels.App == app {
			continue
		}
		h.UsedCPU += c.Labels.CPURequest
		h.UsedMemory += c.Labels.MemoryRequest
		others = append(others, c)
	}
	h.UsedPorts = usedPorts(others)
	return h
}

// explainReserved adds to an impossible placement what the other apps
// placed in this run reserve on the hosts: capacity that looks free on an
// empty host is theirs. Under placeMu.
func (p *Provider) explainReserved(err error, hosts []*engine.Host, a *deployment) error {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(p.reserved)) {
		if name == a.Name {
			continue
		}
		r := p.reserved[name]
		for _, h := range hosts {
			var amounts []string
			if cpu := r.cpu[h.Config.Endpoint]; cpu > 0 {
				amounts = append(amounts, cpu.String()+" CPU")
			}
			if mem := r.mem[h.Config.Endpoint]; mem > 0 {
				amounts = append(amounts, scheduler.FormatBytes(mem))
			}
			if len(amounts) > 0 {
				parts = append(parts, fmt.Sprintf("app.%s %s on %s", name, strings.Join(amounts, " and "), h.Config.Name))
			}
		}
	}
	if len(parts) == 0 {
		return err
	}
	return fmt.Errorf("%w; of what is used, apps planned earlier in this run reserve %s", err, strings.Join(parts, ", "))
}

// planInput is what the plan decision needs; decide is pure, for tests.
type planInput struct {
	Hash, Pinned string
	HasPrior     bool
	Existing     []app.Instance
	Assignments  []scheduler.Assignment
	Rollout      app.Rollout
}

type planOutput struct {
	// Instances is the planned "instances": kept ones as they are, the
	// others planned (id and addresses unknown).
	Instances []app.Instance
	Rollout   *providers.Rollout
}

// decide compares the placement with the instances that exist. An
// instance is kept when a container of its name runs the planned spec on
// its assigned host, ready; otherwise it is (re)created. A rollout is
// needed when an instance to be replaced is running another spec: its
// running container serves until the new one is ready. Creating an app,
// scaling, and repairing drift (missing, stopped or unhealthy containers)
// need no rollout.
func decide(in planInput) planOutput {
	var out planOutput
	type key struct{ name, host string }
	current := map[key]app.Instance{}
	oldRunning := map[string]bool{}
	for _, e := range in.Existing {
		if e.Status == statusRunning && e.ConfigHash == in.Hash && e.ImageDigest == in.Pinned {
			current[key{e.Name, e.Host}] = e
		} else if e.Status == statusRunning {
			oldRunning[e.Name] = true
		}
	}
	var work []providers.WaveInstance
	replacing := false
	for _, as := range in.Assignments {
		if e, ok := current[key{as.Instance, as.Host}]; ok {
			out.Instances = append(out.Instances, e)
			continue
		}
		out.Instances = append(out.Instances, app.Instance{Name: as.Instance, Host: as.Host, ImageDigest: in.Pinned,
			ConfigHash: in.Hash, Status: statusRunning, Ready: true, Planned: true})
		work = append(work, providers.WaveInstance{Name: as.Instance, Host: as.Host})
		if oldRunning[as.Instance] {
			replacing = true
		}
	}
	if !in.HasPrior || !replacing {
		return out
	}
	out.Rollout = providers.NewRollout(in.Rollout, work)
	return out
}

// retiredHostHint says how to get past a host outside an app's recorded
// cluster that held containers of the app at the last apply (removed from
// the cluster, or added by a rollout that has not completed), and that
// cannot be reached any more.
func retiredHostHint(cfg engine.HostConfig, app, id string) string {
	return fmt.Sprintf("host %q (%s) is not in the cluster that the state of app %s records (it was removed from it, or a rollout that has not completed added it) and held containers of the app, which berth must find and remove, and it cannot be reached. "+
		"Make it reachable, or put it back in the cluster until it is. If it is gone for good: berth state rm the app, then berth import it again with its deployment id %s "+
		"(the import looks only on the cluster's hosts); if the host ever comes back, remove its containers by hand (labels %s=%s, %s=%s)",
		cfg.Name, cfg.Endpoint, app, id, engine.LabelID, id, engine.LabelApp, app)
}

// reservation is what one app placed in this run requests on each host
// (by endpoint): its kept instances and its new ones. Reservations are
// keyed by the app's name, unique in a configuration (an app planned twice,
// as a replacement is, replaces its own), and stand for the containers of
// the deployments in ids: the app's own, and the one its first apply picks
// (reserveID). Another configuration's app of the same name on the same
// host is not one of them.
type reservation struct {
	ids map[string]bool
	cpu map[string]scheduler.MilliCPU
	mem map[string]int64
	// ports are the fixed host ports the app's instances take, by host
	// endpoint.
	ports map[string][]int
}

// reservedFor says whether c belongs to an app placed in this run, whose
// reservation counts instead of its containers. Under placeMu.
func (p *Provider) reservedFor(c engine.Container) bool {
	r, ok := p.reserved[c.Labels.App]
	return ok && r.ids[c.Labels.ID]
}

// reserveID adds the deployment id an app's first apply picked to its
// reservation: the containers that apply creates are the app's.
func (p *Provider) reserveID(app, id string) {
	p.placeMu.Lock()
	defer p.placeMu.Unlock()
	if r, ok := p.reserved[app]; ok {
		r.ids[id] = true
	}
}

// reserveOthers adds to each host's used capacity what the other apps
// placed in this run reserved there. Under placeMu.
func (p *Provider) reserveOthers(sh []scheduler.Host, hosts []*engine.Host, a *deployment) {
	for name, r := range p.reserved {
		if name == a.Name {
			continue
		}
		for i, h := range hosts {
			sh[i].UsedCPU += r.cpu[h.Config.Endpoint]
			for _, port := range r.ports[h.Config.Endpoint] {
				if sh[i].UsedPorts == nil {
					sh[i].UsedPorts = map[int]string{}
				}
				sh[i].UsedPorts[port] = "app." + name
			}
			sh[i].UsedMemory += r.mem[h.Config.Endpoint]
		}
	}
}

// reserve records what a's placement requests on each host. Under placeMu.
func (p *Provider) reserve(hosts []*engine.Host, a *deployment, pl scheduler.Placement) {
	cpu, mem := a.requests()
	r := reservation{ids: map[string]bool{}, cpu: map[string]scheduler.MilliCPU{}, mem: map[string]int64{}, ports: map[string][]int{}}
	if prev, ok := p.reserved[a.Name]; ok {
		r.ids = prev.ids
	}
	if a.ID != "" {
		r.ids[a.ID] = true
	}
	for _, as := range pl.Assignments {
		for _, h := range hosts {
			if h.Config.Name == as.Host {
				r.cpu[h.Config.Endpoint] += cpu
				r.mem[h.Config.Endpoint] += mem
				r.ports[h.Config.Endpoint] = append(r.ports[h.Config.Endpoint], a.hostPorts()...)
			}
		}
	}
	p.reserved[a.Name] = r
}

// unrecordedDeployments warns, when a new app is planned, of containers
// of an app of the same name already on its hosts that this run does not
// account for: an apply aborted before it recorded them, or a lost state,
// would otherwise lead to a second copy of the app beside the first.
func (p *Provider) unrecordedDeployments(a *deployment, hosts []*engine.Host, listed [][]engine.Container) *hcl.Diagnostic {
	p.placeMu.Lock()
	own := p.reserved[a.Name].ids
	p.placeMu.Unlock()
	where := map[string]map[string]bool{} // deployment id -> hosts
	for i, h := range hosts {
		for _, c := range listed[i] {
			if c.Labels.App != a.Name || c.Labels.ID == "" || own[c.Labels.ID] {
				continue
			}
			if where[c.Labels.ID] == nil {
				where[c.Labels.ID] = map[string]bool{}
			}
			where[c.Labels.ID][h.Config.Name] = true
		}
	}
	if len(where) == 0 {
		return nil
	}
	var found []string
	for _, id := range slices.Sorted(maps.Keys(where)) {
		found = append(found, fmt.Sprintf("deployment %s on %s", id, strings.Join(slices.Sorted(maps.Keys(where[id])), ", ")))
	}
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Containers of an app of this name already run",
		Detail: fmt.Sprintf("Not recorded in the state: %s. If they are this app's (an apply aborted before it recorded them, or a lost state), import them rather than starting a second copy: berth import <this app's address> %s. If another configuration deploys an app of the same name on these hosts, this is expected.",
			strings.Join(found, "; "), slices.Sorted(maps.Keys(where))[0])}
}

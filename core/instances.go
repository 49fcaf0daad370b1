package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
)

// Instances are the recorded apps an address names, with their providers
// started: what berth status, logs and exec work on. The state is read
// without the lock: they change nothing, and a logs -f that held it would
// block every apply. Close ends the providers.
type Instances struct {
	// Apps in address order.
	Apps []*AppTarget
	// State is the state the apps were read from.
	State *state.State
	ps    *providerSet
}

// AppTarget is one recorded app and the provider that runs it.
type AppTarget struct {
	Addr     addrs.Instance
	Provider string
	Object   *state.Object
	op       providers.InstanceOperator
}

// target is what the provider is told of the app.
func (a *AppTarget) target() providers.InstanceTarget {
	return providers.InstanceTarget{TypeName: providerTypeName(a.Provider, a.Addr.Resource.Type), State: a.Object.Value, Private: a.Object.Private}
}

// OpenInstances reads the state and starts the providers of the apps addr
// names: every app recorded when addr is nil, every instance of the
// resource for an address without a key, else the one instance. An
// address that names no recorded app is an error.
func (o *Operation) OpenInstances(ctx context.Context, addr *addrs.Instance) (*Instances, hcl.Diagnostics) {
	st, diags := o.read(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	apps, d := selectApps(st, addr)
	if diags = diags.Extend(d); diags.HasErrors() {
		return nil, diags
	}
	e := o.Engine
	gr, d := buildGraph(e.Config, st)
	if diags = diags.Extend(d); diags.HasErrors() {
		return nil, diags
	}
	var roots []int
	for _, a := range apps {
		v, ok := gr.index["provider."+a.Provider]
		if !ok {
			return nil, diags.Extend(errDiag("Unknown provider", fmt.Sprintf("No provider %s for %s in the configuration.", a.Provider, a.Addr), nil))
		}
		if !slices.Contains(roots, v) {
			roots = append(roots, v)
		}
	}
	w, d := e.startOnly(ctx, st, gr, roots)
	in := &Instances{Apps: apps, State: st, ps: w.ps}
	if diags = diags.Extend(d); diags.HasErrors() {
		in.Close()
		return nil, diags
	}
	for _, a := range apps {
		entry, d := w.ps.get(ctx, a.Provider, nil)
		if diags = diags.Extend(d); diags.HasErrors() {
			in.Close()
			return nil, diags
		}
		op, ok := entry.p.(providers.InstanceOperator)
		if !ok {
			in.Close()
			return nil, diags.Extend(errDiag("Provider runs no instances", fmt.Sprintf("Provider %s serves no day-2 calls for %s.", a.Provider, a.Addr), nil))
		}
		a.op = op
	}
	return in, diags
}

// Close ends the providers.
func (in *Instances) Close() { in.ps.closeAll() }

// selectApps lists the recorded apps addr names (all when nil).
func selectApps(st *state.State, addr *addrs.Instance) ([]*AppTarget, hcl.Diagnostics) {
	var out []*AppTarget
	add := func(a addrs.Instance) {
		r := st.Resource(a.Resource)
		if obj := st.Instance(a); obj != nil && !obj.Value.IsNull() {
			out = append(out, &AppTarget{Addr: a, Provider: r.Provider, Object: obj})
		}
	}
	if addr == nil {
		for a := range st.AllInstances() {
			if a.Resource.Mode == addrs.Managed && a.Resource.Type == lang.KindApp {
				add(a)
			}
		}
		slices.SortFunc(out, func(a, b *AppTarget) int { return a.Addr.Compare(b.Addr) })
		return out, nil
	}
	if addr.Resource.Mode != addrs.Managed || addr.Resource.Type != lang.KindApp {
		return nil, errDiag("Not an app", fmt.Sprintf("%s is not an app: only apps run instances.", addr), nil)
	}
	for _, a := range st.Select(*addr) {
		add(a)
	}
	if len(out) == 0 {
		msg := fmt.Sprintf("No app is recorded at %s.", addr)
		if s := addrs.Suggest(addr.String(), st.Addresses()); s != "" {
			msg += fmt.Sprintf(" Did you mean %s?", s)
		}
		return nil, errDiag("No such app", msg, nil)
	}
	return out, nil
}

// checkInstanceName refuses an instance name that no selected app
// records, naming the ones they do.
func (in *Instances) checkInstanceName(name string) hcl.Diagnostics {
	if name == "" {
		return nil
	}
	var names []string
	for _, a := range in.Apps {
		for _, i := range app.DecodeInstances(a.Object.Value) {
			if i.Name == name {
				return nil
			}
			names = append(names, i.Name)
		}
	}
	return errDiag("No such instance", fmt.Sprintf("No app selected records an instance %q; the instances are: %s.", name, strings.Join(names, ", ")), nil)
}

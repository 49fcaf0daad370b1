package main

import (
	"context"
	"flag"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
)

// instanceFlags are the flags berth status, logs and exec share: the
// variables the providers' configuration may need, and the output.
type instanceFlags struct {
	o opFlags
}

func (f *instanceFlags) register(fs *flag.FlagSet) {
	f.o.registerVars(fs)
	fs.BoolVar(&f.o.noColor, "no-color", false, "disable colour in the output")
	f.o.parallelism, f.o.lock = core.DefaultParallelism, true
}

// openInstances wires the configuration and the state and starts the
// providers of the apps addr names (all when nil). The state is only
// read: no lock is taken. On failure the diagnostics are shown and ok is
// false; else the caller closes the instances.
func (m *Meta) openInstances(ctx context.Context, f *instanceFlags, addr *addrs.Instance) (in *core.Instances, ok bool) {
	f.o.configure(m)
	w, diags := m.open(ctx, &f.o)
	if !diags.HasErrors() {
		var d hcl.Diagnostics
		in, d = w.op.OpenInstances(ctx, addr)
		diags = diags.Extend(d)
	}
	if diags.HasErrors() {
		m.showDiagnostics(diags, w.files())
		return nil, false
	}
	if len(diags) > 0 {
		m.showDiagnostics(diags, w.files())
	}
	return in, true
}

// parseAppAddress parses the one address a day-2 command takes.
func (m *Meta) parseAppAddress(s string) (*addrs.Instance, bool) {
	a, err := addrs.ParseInstance(s)
	if err != nil {
		m.Errorf("invalid address %q: %s", s, err)
		return nil, false
	}
	return &a, true
}

package main

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
)

func init() {
	register(&Command{
		Name:     "taint",
		Synopsis: "Mark an object to be replaced by the next apply",
		Run:      func(ctx context.Context, m *Meta, args []string) int { return runTaint(ctx, m, args, true) },
	})
	register(&Command{
		Name:     "untaint",
		Synopsis: "Clear an object's tainted mark",
		Run:      func(ctx context.Context, m *Meta, args []string) int { return runTaint(ctx, m, args, false) },
	})
}

// runTaint sets or clears the tainted status of one managed instance, as
// Terraform's taint and untaint: a tainted object is replaced by the next
// plan. Only the state changes; `plan -replace` is the way to replace an
// object without recording anything first.
func runTaint(ctx context.Context, m *Meta, args []string, taint bool) int {
	name, want, past := "untaint", state.ObjectReady, "untainted"
	effect := "no longer tainted: the next plan updates it in place, if it needs anything"
	if taint {
		name, want, past = "taint", state.ObjectTainted, "tainted"
		effect = "tainted: the next apply replaces it"
	}
	fs, sf := newStateFlagSet(m, name, fmt.Sprintf("Usage: berth [-chdir=DIR] %s [-lock-timeout=D] ADDRESS\n\n"+
		"Marks the object at ADDRESS as %s in the state, without touching it.", name, effect), true)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		m.Errorf("%s takes exactly one address, e.g. berth %s app.web.", name, name)
		return exitError
	}
	targets, ok := m.parseAddresses(fs.Args())
	if !ok {
		return exitError
	}
	addr := targets[0]
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return exitError
	}
	return m.editState(ctx, b, sf, name, false, name, past, func(st *state.State) (int, bool) {
		obj := st.Instance(addr)
		switch {
		case obj == nil:
			m.Errorf("%s", notInState(st, addr))
			return 0, false
		case addr.Resource.Mode != addrs.Managed:
			m.Errorf("%s is a data source: only managed objects can be tainted.", addr)
			return 0, false
		case obj.Status == want:
			m.Errorf("%s is already %s.", addr, past)
			return 0, false
		}
		c := obj.DeepCopy()
		c.Status = want
		st.SetInstance(addr, "", c)
		return 1, true
	})
}

package core

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// AppStatus is an app as its platform runs it now (berth status): each
// live instance with its role in the rollout, and the rollout's status
// computed on the live instances.
type AppStatus struct {
	Addr     addrs.Instance
	Provider string
	// Instances are the live instances, in name order.
	Instances []InstanceStatus
	// Rollout is where the app's rollout stands, on the live instances.
	Rollout *RolloutStatus
	// Diagnostics are the provider's about this app (an unreachable host).
	Diagnostics hcl.Diagnostics
}

// InstanceStatus is one live instance and its role in the rollout
// (RoleStable, RoleCanary or RoleNew).
type InstanceStatus struct {
	providers.InstanceDetail
	Role string
}

// Status reads every app's instances live, the apps concurrently. An app
// its provider cannot read has its diagnostics and no instances; the
// others are still reported.
func (in *Instances) Status(ctx context.Context) []*AppStatus {
	out := make([]*AppStatus, len(in.Apps))
	var wg sync.WaitGroup
	for i, a := range in.Apps {
		wg.Go(func() { out[i] = in.appStatus(ctx, a) })
	}
	wg.Wait()
	return out
}

func (in *Instances) appStatus(ctx context.Context, a *AppTarget) *AppStatus {
	resp := a.op.DescribeInstances(ctx, providers.DescribeInstancesRequest{Target: a.target()})
	s := &AppStatus{Addr: a.Addr, Provider: a.Provider, Diagnostics: redactDiags(resp.Diagnostics)}
	if resp.Diagnostics.HasErrors() {
		return s
	}
	live := make([]app.Instance, len(resp.Instances))
	for i, d := range resp.Instances {
		live[i] = d.Instance
	}
	// The roles are the rollout status's, on the live instances: the
	// recorded object with them in place of the recorded ones.
	st := in.State.DeepCopy()
	obj := st.Instance(a.Addr)
	obj.Value = app.WithInstances(obj.Value, live)
	rs, diags := RolloutStatusOf(st, a.Addr)
	if diags.HasErrors() {
		s.Diagnostics = s.Diagnostics.Extend(diags)
		return s
	}
	s.Rollout = rs
	roles := map[string]string{}
	for _, ri := range rs.Instances {
		roles[ri.Name+"\x00"+ri.ID] = ri.Role
	}
	for _, d := range resp.Instances {
		s.Instances = append(s.Instances, InstanceStatus{InstanceDetail: d, Role: roles[d.Name+"\x00"+d.ID]})
	}
	sortInstanceStatus(s.Instances)
	return s
}

// sortInstanceStatus orders instances as app.SortInstances does: by
// name number, then id.
func sortInstanceStatus(ins []InstanceStatus) {
	slices.SortStableFunc(ins, func(a, b InstanceStatus) int {
		if c := app.CompareNames(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

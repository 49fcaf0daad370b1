package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// platform is a platform in memory: the instances that run, and a log of
// the steps and hooks in their order.
type platform struct {
	running []app.Instance
	nextID  int
	// unready instances never get ready; crash makes the step of this
	// kind report nothing (a provider crash).
	unready map[string]bool
	crash   providers.StepKind
	// hookErr fails the hooks of this wave.
	hookErr map[string]error
	// started are new instances running before the rollout (an
	// interrupted run started them), by name.
	started []string
	log     []string
}

func value(ins []app.Instance) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"instances": app.InstancesValue(ins)})
}

func planned(hash string, names ...string) []app.Instance {
	var out []app.Instance
	for _, n := range names {
		out = append(out, app.Instance{Name: n, Host: "h", ConfigHash: hash, Ready: true, Planned: true})
	}
	return out
}

func (p *platform) apply(_ context.Context, plannedVal cty.Value, step providers.RolloutStep) (cty.Value, hcl.Diagnostics) {
	p.log = append(p.log, fmt.Sprintf("%v wave %d %s", map[providers.StepKind]string{providers.StepStart: "start", providers.StepStop: "stop"}[step.Kind], step.Wave, strings.Join(step.Instances, ",")))
	if step.Kind == p.crash {
		return cty.NilVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Provider crashed"}}
	}
	target := app.DecodeTarget(plannedVal)
	switch step.Kind {
	case providers.StepStart:
		for _, n := range step.Instances {
			if slices.ContainsFunc(p.running, func(in app.Instance) bool { return in.Name == n && app.Keeps(target, in) }) {
				continue
			}
			i := slices.IndexFunc(target, func(t app.Instance) bool { return t.Name == n })
			p.nextID++
			p.running = append(p.running, app.Instance{Name: n, Host: "h", ID: fmt.Sprint(p.nextID), ConfigHash: target[i].ConfigHash, Ready: !p.unready[n]})
		}
	case providers.StepStop:
		p.running = slices.DeleteFunc(p.running, func(in app.Instance) bool {
			return slices.Contains(step.Instances, in.Name) && !app.Keeps(target, in)
		})
	}
	return value(p.running), nil
}

func (p *platform) BeforeStop(_ context.Context, wave int, leaving []app.Instance) error {
	p.log = append(p.log, fmt.Sprintf("drain wave %d %s", wave, names(leaving)))
	return p.hookErr[fmt.Sprintf("drain %d", wave)]
}

func (p *platform) AfterReady(_ context.Context, wave int, joining []app.Instance) error {
	p.log = append(p.log, fmt.Sprintf("admit wave %d %s", wave, names(joining)))
	return p.hookErr[fmt.Sprintf("admit %d", wave)]
}

func (p *platform) Canary(_ context.Context, weight int, canary []app.Instance) error {
	p.log = append(p.log, fmt.Sprintf("canary %d%% %s", weight, names(canary)))
	return p.hookErr[fmt.Sprintf("canary %d", weight)]
}

func names(ins []app.Instance) string {
	var out []string
	for _, in := range ins {
		out = append(out, in.Name+"@"+in.ConfigHash)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func rolloutOf(ro providers.Rollout, waves ...[]string) *providers.Rollout {
	for _, w := range waves {
		var pw providers.Wave
		for _, n := range w {
			pw.Instances = append(pw.Instances, providers.WaveInstance{Name: n, Host: "h"})
		}
		ro.Waves = append(ro.Waves, pw)
	}
	return &ro
}

func run(t *testing.T, p *platform, ro *providers.Rollout) (string, hcl.Diagnostics) {
	t.Helper()
	old := planned("v1", "a", "b", "c")
	for i := range old {
		old[i].Planned, old[i].ID = false, fmt.Sprint(100+i)
	}
	p.running = old
	for _, n := range p.started {
		p.nextID++
		p.running = append(p.running, app.Instance{Name: n, Host: "h", ID: fmt.Sprint(p.nextID), ConfigHash: "v2", Ready: true})
	}
	d := &Driver{Object: "app.x", Apply: p.apply, Hooks: p}
	cur, diags := d.Run(context.Background(), value(p.running), value(planned("v2", "a", "b", "c")), ro)
	return names(app.DecodeInstances(cur)), diags
}

func TestDriver(t *testing.T) {
	tests := []struct {
		name     string
		p        platform
		ro       *providers.Rollout
		log      []string
		result   string
		errorHas string
	}{
		{
			name: "each wave admits its new instances, then drains and stops its old ones; the last removes leftovers",
			ro:   rolloutOf(providers.Rollout{}, []string{"a"}, []string{"b", "c"}),
			log: []string{
				"start wave 1 a", "admit wave 1 a@v2", "drain wave 1 a@v1", "stop wave 1 a",
				"start wave 2 b,c", "admit wave 2 b@v2,c@v2", "drain wave 2 b@v1,c@v1", "stop wave 2 b,c",
			},
			result: "a@v2,b@v2,c@v2",
		},
		{
			name: "max_unavailable old instances stop before their replacements start",
			ro:   rolloutOf(providers.Rollout{MaxUnavailable: 1}, []string{"a", "b", "c"}),
			log: []string{
				"drain wave 1 a@v1", "stop wave 1 a",
				"start wave 1 a,b,c", "admit wave 1 a@v2,b@v2,c@v2", "drain wave 1 b@v1,c@v1", "stop wave 1 a,b,c",
			},
			result: "a@v2,b@v2,c@v2",
		},
		{
			name: "an instance that does not get ready fails the wave, and the revert brings the previous spec back",
			p:    platform{unready: map[string]bool{"b": true}},
			ro:   rolloutOf(providers.Rollout{AutoRevert: true}, []string{"a"}, []string{"b", "c"}),
			log: []string{
				"start wave 1 a", "admit wave 1 a@v2", "drain wave 1 a@v1", "stop wave 1 a",
				"start wave 2 b,c",
				"start wave 0 a,b,c", "admit wave 0 a@v1,b@v1,c@v1", "drain wave 0 a@v2,b@v2,c@v2", "stop wave 0 a,b,c",
			},
			result:   "a@v1,b@v1,c@v1",
			errorHas: "b did not run ready on the new spec. The rollout was reverted to the previous spec.",
		},
		{
			name:     "without auto_revert a failed wave stays as it is",
			p:        platform{unready: map[string]bool{"a": true}},
			ro:       rolloutOf(providers.Rollout{}, []string{"a"}, []string{"b", "c"}),
			log:      []string{"start wave 1 a"},
			result:   "a@v1,a@v2,b@v1,c@v1",
			errorHas: "Wave 1 of app.x failed",
		},
		{
			name:     "a failing hook fails the wave",
			p:        platform{hookErr: map[string]error{"admit 2": errors.New("target group full")}},
			ro:       rolloutOf(providers.Rollout{AutoRevert: true}, []string{"a"}, []string{"b", "c"}),
			log:      []string{"start wave 1 a", "admit wave 1 a@v2", "drain wave 1 a@v1", "stop wave 1 a", "start wave 2 b,c", "admit wave 2 b@v2,c@v2", "start wave 0 a,b,c", "admit wave 0 a@v1,b@v1,c@v1", "drain wave 0 a@v2,b@v2,c@v2", "stop wave 0 a,b,c"},
			result:   "a@v1,b@v1,c@v1",
			errorHas: "admitting the new instances of wave 2: target group full",
		},
		{
			name: "a new instance an interrupted run started is admitted before its old one drains",
			p:    platform{started: []string{"a"}},
			ro:   rolloutOf(providers.Rollout{}, []string{"a"}, []string{"b", "c"}),
			log: []string{
				"start wave 1 a", "admit wave 1 a@v2", "drain wave 1 a@v1", "stop wave 1 a",
				"start wave 2 b,c", "admit wave 2 b@v2,c@v2", "drain wave 2 b@v1,c@v1", "stop wave 2 b,c",
			},
			result: "a@v2,b@v2,c@v2",
		},
		{
			name:     "a provider that cannot say what exists is not reverted",
			p:        platform{crash: providers.StepStop},
			ro:       rolloutOf(providers.Rollout{AutoRevert: true}, []string{"a"}, []string{"b", "c"}),
			log:      []string{"start wave 1 a", "admit wave 1 a@v2", "drain wave 1 a@v1", "stop wave 1 a"},
			result:   "a@v1,a@v2,b@v1,c@v1",
			errorHas: "Provider crashed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			result, diags := run(t, &p, tt.ro)
			if !slices.Equal(p.log, tt.log) {
				t.Errorf("calls\n%s\nwant\n%s", strings.Join(p.log, "\n"), strings.Join(tt.log, "\n"))
			}
			if result != tt.result {
				t.Errorf("result %s, want %s", result, tt.result)
			}
			switch {
			case tt.errorHas == "" && diags.HasErrors():
				t.Errorf("errors: %s", diags.Error())
			case tt.errorHas != "" && !strings.Contains(diags.Error(), tt.errorHas):
				t.Errorf("errors %q, want %q", diags.Error(), tt.errorHas)
			}
		})
	}
}

func TestDriverStopsBetweenSteps(t *testing.T) {
	p := &platform{}
	stopped := false
	p.hookErr = nil
	old := planned("v1", "a", "b")
	for i := range old {
		old[i].Planned, old[i].ID = false, fmt.Sprint(100+i)
	}
	p.running = old
	var events []string
	d := &Driver{Object: "app.x", Apply: func(ctx context.Context, pv cty.Value, s providers.RolloutStep) (cty.Value, hcl.Diagnostics) {
		v, diags := p.apply(ctx, pv, s)
		stopped = true // Ctrl-C while the first step ran
		return v, diags
	}, Stopped: func() bool { return stopped }, Events: func(ev Event) { events = append(events, fmt.Sprint(ev.Kind, ev.Wave)) }}
	_, diags := d.Run(context.Background(), value(old), value(planned("v2", "a", "b")), rolloutOf(providers.Rollout{AutoRevert: true}, []string{"a"}, []string{"b"}))
	if !strings.Contains(diags.Error(), "Rollout interrupted") || strings.Contains(diags.Error(), "reverted") {
		t.Errorf("errors: %s", diags.Error())
	}
	if !slices.Equal(p.log, []string{"start wave 1 a"}) || !slices.Equal(events, []string{fmt.Sprint(WaveStarted, 1)}) {
		t.Errorf("steps %v, events %v: nothing may start after the stop", p.log, events)
	}
}

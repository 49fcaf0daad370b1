package jsondoc

import (
	"encoding/json"
	"io"
	"strconv"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/version"
	"github.com/zclconf/go-cty/cty"
)

// Plan is the document `berth show -json FILE` prints and the last
// line of `berth plan -json` (docs/json-output.md, "plan"), in the shape
// of Terraform's JSON plan, with berth's additions (rollout, recovered,
// summary, ...). Sensitive values are null, flagged in the *_sensitive
// fields; unknown values are null, flagged in after_unknown.
type Plan struct {
	FormatVersion    string                  `json:"format_version"`
	TerraformVersion string                  `json:"terraform_version"`
	BerthVersion     string                  `json:"berth_version"`
	Mode             string                  `json:"mode"`
	Variables        map[string]planVariable `json:"variables"`
	// PlannedValues is the state the plan would leave: every object but
	// those it destroys, with the values known before apply.
	PlannedValues   stateValues      `json:"planned_values"`
	ResourceChanges []resourceChange `json:"resource_changes"`
	ResourceDrift   []resourceChange `json:"resource_drift"`
	// Recovered is what the run found of an interrupted apply's creates
	// and destroys before it planned; omitted when there were none.
	Recovered     []recovery        `json:"recovered,omitempty"`
	OutputChanges map[string]change `json:"output_changes"`
	// PriorState is the (refreshed) state the plan was made from, as far
	// as the plan holds it.
	PriorState priorState `json:"prior_state"`
	// Configuration is omitted when the document was made without the
	// configuration the plan was made from (WithConfig).
	Configuration      *configuration      `json:"configuration,omitempty"`
	RelevantAttributes []relevantAttribute `json:"relevant_attributes,omitempty"`
	Summary            planSummary         `json:"summary"`
	StateLineage       string              `json:"state_lineage"`
	StateSerial        uint64              `json:"state_serial"`
	ConfigHash         string              `json:"config_hash"`
	Targets            []string            `json:"targets"`
	Replace            []string            `json:"replace"`
	Applyable          bool                `json:"applyable"`
	// Complete is Terraform's: the plan covers the whole configuration
	// (no -target) and did not stop on an error.
	Complete bool `json:"complete"`
	Errored  bool `json:"errored"`
}

// priorState is Terraform's prior_state: a state document inside the
// plan.
type priorState struct {
	FormatVersion    string      `json:"format_version"`
	TerraformVersion string      `json:"terraform_version"`
	Values           stateValues `json:"values"`
}

type recovery struct {
	Address string `json:"address"`
	Deposed string `json:"deposed,omitempty"`
	Action  string `json:"action"`
	Outcome string `json:"outcome"`
	ID      string `json:"id,omitempty"`
}

type planVariable struct {
	Value     any  `json:"value"`
	Sensitive bool `json:"sensitive,omitempty"`
}

type planSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	Read    int `json:"read"`
}

type resourceChange struct {
	object
	Change       change   `json:"change"`
	ActionReason string   `json:"action_reason,omitempty"`
	Deposed      string   `json:"deposed,omitempty"`
	Rollout      *rollout `json:"rollout,omitempty"`
}

type change struct {
	Actions         []string `json:"actions"`
	Before          any      `json:"before"`
	After           any      `json:"after"`
	AfterUnknown    any      `json:"after_unknown"`
	BeforeSensitive any      `json:"before_sensitive"`
	AfterSensitive  any      `json:"after_sensitive"`
	ReplacePaths    [][]any  `json:"replace_paths,omitempty"`
}

type rollout struct {
	Waves           []wave `json:"waves"`
	MinHealthy      string `json:"min_healthy,omitempty"`
	HealthyDeadline string `json:"healthy_deadline,omitempty"`
	MaxUnavailable  int    `json:"max_unavailable"`
	AutoRevert      bool   `json:"auto_revert"`
	// Routers (added in 1.0 as fields may be) are the addresses of the
	// load balancers each wave drains and admits through.
	Routers []string `json:"routers,omitempty"`
	// Canary (added in 1.1) is the canary of a canary rollout: its size
	// and weight, and the part of the rollout the change carries out
	// ("canary", "promote", "abort", "replan").
	Canary *canary `json:"canary,omitempty"`
}

type canary struct {
	Part      string `json:"part"`
	Instances int    `json:"instances,omitempty"`
	Weight    int    `json:"weight,omitempty"`
}

// wave is one wave of a plan's rollout. Instances are display strings
// ("web-1 on edge-1"), as format 1.0 had them; Members (added in 1.0 as
// fields may be) are the same instances by name and host.
type wave struct {
	Wave        int            `json:"wave"`
	Instances   []string       `json:"instances"`
	Members     []WaveInstance `json:"members"`
	Description string         `json:"description"`
}

// WaveInstance is one instance of a rollout wave, in the plan's rollouts
// and in the stream's wave messages.
type WaveInstance struct {
	Name string `json:"name"`
	Host string `json:"host,omitempty"`
}

// actions lists an action as Terraform does: a replacement is two
// actions, in the order they happen.
func actions(a plans.Action) []string {
	switch a {
	case plans.DeleteThenCreate:
		return []string{"delete", "create"}
	case plans.CreateThenDelete:
		return []string{"create", "delete"}
	}
	return []string{string(a)}
}

// NewPlan converts p into its JSON document. Give WithConfig (the
// configuration p was made from) for its configuration section and
// provider_name to name third-party providers by their source.
func NewPlan(p *plans.Plan, opts ...Option) Plan {
	o := newOptions(opts)
	s := p.Summarize()
	doc := Plan{
		FormatVersion:    ShowFormatVersion,
		TerraformVersion: version.String(),
		BerthVersion:     version.String(),
		Mode:             string(p.Mode),
		Variables:        map[string]planVariable{},
		PlannedValues:    newStateValues(),
		ResourceChanges:  []resourceChange{},
		ResourceDrift:    []resourceChange{},
		OutputChanges:    map[string]change{},
		PriorState:       priorState{FormatVersion: ShowFormatVersion, TerraformVersion: version.String(), Values: newStateValues()},
		Summary:          planSummary{Add: s.Add, Change: s.Change, Destroy: s.Destroy, Read: s.Read},
		StateLineage:     p.StateLineage,
		StateSerial:      p.StateSerial,
		ConfigHash:       p.ConfigHash,
		Targets:          []string{},
		Replace:          []string{},
		Applyable:        !p.Errored && p.HasChanges(),
		Complete:         !p.Errored && len(p.Targets) == 0,
		Errored:          p.Errored,
	}
	for name, v := range p.Variables {
		val, _, sens := Value(v)
		doc.Variables[name] = planVariable{Value: val, Sensitive: sens != false}
	}
	planned := map[string]bool{}
	for _, c := range plans.ByAddress(p.Changes) {
		doc.ResourceChanges = append(doc.ResourceChanges, newResourceChange(c, c.Action, o))
		planned[c.ChangeKey()] = true
		pn := o.providerName(c.Provider)
		if !isNull(c.Before) {
			r := newStateResource(c.Addr, pn, c.Before)
			r.DeposedKey, r.Tainted = c.Deposed, c.Reason == plans.ReasonTainted
			doc.PriorState.Values.RootModule.Resources = append(doc.PriorState.Values.RootModule.Resources, r)
		}
		if c.Action != plans.Delete && c.After != cty.NilVal {
			doc.PlannedValues.RootModule.Resources = append(doc.PlannedValues.RootModule.Resources, newStateResource(c.Addr, pn, c.After))
		}
	}
	for _, r := range p.Recovered {
		doc.Recovered = append(doc.Recovered, recovery{Address: r.Addr.String(), Deposed: r.Deposed, Action: r.Action, Outcome: string(r.Outcome), ID: r.ID})
	}
	for _, c := range plans.ByAddress(p.Drift) {
		a := c.Action
		if a == plans.NoOp {
			continue
		}
		if isNull(c.After) {
			a = plans.Delete
		}
		doc.ResourceDrift = append(doc.ResourceDrift, newResourceChange(c, a, o))
		// A refresh-only plan changes nothing: what it found is both the
		// prior and the planned state of the objects that drifted.
		if !planned[c.ChangeKey()] && !isNull(c.After) {
			r := newStateResource(c.Addr, o.providerName(c.Provider), c.After)
			doc.PriorState.Values.RootModule.Resources = append(doc.PriorState.Values.RootModule.Resources, r)
			doc.PlannedValues.RootModule.Resources = append(doc.PlannedValues.RootModule.Resources, r)
		}
	}
	for _, out := range p.Outputs {
		before, after := out.Before, out.After
		if out.Sensitive {
			before, after = markWhole(before), markWhole(after)
		}
		doc.OutputChanges[out.Name] = newChange(out.Action, before, after, nil)
		if out.Action != plans.Create && !isNull(out.Before) {
			doc.PriorState.Values.Outputs[out.Name] = newValuesOutput(out.Before, out.Sensitive)
		}
		if out.Action != plans.Delete {
			doc.PlannedValues.Outputs[out.Name] = newValuesOutput(out.After, out.Sensitive)
		}
	}
	for _, t := range p.Targets {
		doc.Targets = append(doc.Targets, t.String())
	}
	for _, t := range p.Replace {
		doc.Replace = append(doc.Replace, t.String())
	}
	if o.config != nil {
		doc.Configuration = newConfiguration(o.config, p, o)
		doc.RelevantAttributes = relevantAttributes(o.config, p)
	}
	return doc
}

// isNull reports whether v is absent or null, marks aside.
func isNull(v cty.Value) bool {
	if v == cty.NilVal {
		return true
	}
	uv, _ := v.Unmark()
	return uv.IsNull()
}

func markWhole(v cty.Value) cty.Value {
	if v == cty.NilVal {
		return v
	}
	return v.Mark(providers.SensitiveMark)
}

func newResourceChange(c *plans.ResourceChange, action plans.Action, o *options) resourceChange {
	jc := resourceChange{
		object:       newObject(c.Addr, c.Provider, o.providerName(c.Provider)),
		Change:       newChange(action, c.Before, c.After, c.RequiresReplace),
		ActionReason: string(c.Reason),
		Deposed:      c.Deposed,
	}
	if ro := c.Rollout; ro != nil {
		jr := &rollout{Waves: []wave{}, MaxUnavailable: ro.MaxUnavailable, AutoRevert: ro.AutoRevert}
		if ro.MinHealthy > 0 {
			jr.MinHealthy = app.FormatDuration(ro.MinHealthy)
		}
		if ro.HealthyDeadline > 0 {
			jr.HealthyDeadline = app.FormatDuration(ro.HealthyDeadline)
		}
		for i, w := range ro.Waves {
			jw := wave{Wave: i + 1, Instances: []string{}, Members: []WaveInstance{}, Description: instances(len(w.Instances))}
			for _, in := range w.Instances {
				shown := in.Name
				if in.Host != "" {
					shown += " on " + in.Host
				}
				jw.Instances = append(jw.Instances, shown)
				jw.Members = append(jw.Members, WaveInstance(in))
			}
			jr.Waves = append(jr.Waves, jw)
		}
		for _, r := range c.Routers {
			jr.Routers = append(jr.Routers, r.String())
		}
		if ro.Canary != nil || c.Canary != plans.CanaryNone {
			jr.Canary = &canary{Part: string(c.Canary)}
			if ro.Canary != nil {
				jr.Canary.Instances, jr.Canary.Weight = ro.Canary.Instances, ro.Canary.Weight
			}
		}
		jc.Rollout = jr
	} else if c.Canary != plans.CanaryNone {
		jr := &rollout{Waves: []wave{}, Canary: &canary{Part: string(c.Canary)}}
		for _, r := range c.Routers {
			jr.Routers = append(jr.Routers, r.String())
		}
		jc.Rollout = jr
	}
	return jc
}

func newChange(action plans.Action, before, after cty.Value, replace []cty.Path) change {
	if action == plans.Delete {
		after = cty.NilVal
	}
	if action == plans.Create {
		before = cty.NilVal
	}
	jc := change{Actions: actions(action)}
	var bUnknown any
	jc.Before, bUnknown, jc.BeforeSensitive = Value(before)
	_ = bUnknown // a prior value is always known
	jc.After, jc.AfterUnknown, jc.AfterSensitive = Value(after)
	for _, p := range replace {
		jc.ReplacePaths = append(jc.ReplacePaths, replacePath(p))
	}
	return jc
}

// replacePath writes a path as Terraform's replace_paths do: attribute names
// and map keys as strings, list indexes as numbers.
func replacePath(p cty.Path) []any {
	out := []any{}
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			out = append(out, s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull():
				out = append(out, s.Key.AsString())
			case s.Key.Type() == cty.Number && s.Key.IsKnown() && !s.Key.IsNull():
				out = append(out, json.Number(number(s.Key.AsBigFloat())))
			default:
				out = append(out, nil)
			}
		}
	}
	return out
}

// WritePlan prints p's JSON document on one line.
func WritePlan(w io.Writer, p *plans.Plan, opts ...Option) error {
	data, err := json.Marshal(NewPlan(p, opts...))
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// instances describes a wave's size as the text plan does: "1 instance",
// "3 instances".
func instances(n int) string {
	if n == 1 {
		return "1 instance"
	}
	return strconv.Itoa(n) + " instances"
}

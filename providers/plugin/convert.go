package plugin

import (
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/msgpack"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
)

// encodeValue turns a cty value into its wire form. Marks cannot be
// msgpack-encoded, so they are stripped first and the sensitive ones are
// recorded as paths; cty.NilVal (no value at all) is sent as nil.
func encodeValue(v cty.Value) (*protocol.DynamicValue, error) {
	if v == cty.NilVal {
		return nil, nil
	}
	unmarked, pvms := providers.UnmarkDeepWithPaths(v)
	ty := unmarked.Type()
	typeJSON, err := marshalType(ty)
	if err != nil {
		return nil, fmt.Errorf("encoding type: %w", err)
	}
	mp, err := msgpack.Marshal(unmarked, ty)
	if err != nil {
		return nil, fmt.Errorf("encoding value: %w", err)
	}
	dv := &protocol.DynamicValue{Msgpack: mp, TypeJson: typeJSON}
	for _, pvm := range pvms {
		if _, ok := pvm.Marks[providers.SensitiveMark]; !ok {
			continue
		}
		p, err := encodePath(pvm.Path)
		if err != nil {
			return nil, fmt.Errorf("encoding sensitive path: %w", err)
		}
		dv.SensitivePaths = append(dv.SensitivePaths, p)
	}
	return dv, nil
}

// decodeValue is the inverse of encodeValue: it re-applies the sensitive
// marks at their paths.
func decodeValue(dv *protocol.DynamicValue) (cty.Value, error) {
	if dv == nil {
		return cty.NilVal, nil
	}
	ty, err := unmarshalType(dv.TypeJson)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decoding type: %w", err)
	}
	v, err := msgpack.Unmarshal(dv.Msgpack, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decoding value: %w", err)
	}
	if len(dv.SensitivePaths) == 0 {
		return v, nil
	}
	pvms := make([]cty.PathValueMarks, 0, len(dv.SensitivePaths))
	for _, p := range dv.SensitivePaths {
		path, err := decodePath(p)
		if err != nil {
			return cty.NilVal, fmt.Errorf("decoding sensitive path: %w", err)
		}
		pvms = append(pvms, cty.PathValueMarks{Path: path, Marks: cty.NewValueMarks(providers.SensitiveMark)})
	}
	return providers.MarkPaths(v, pvms), nil
}

// encodePath turns a cty.Path into its wire form. Index keys may be
// strings or whole numbers; set elements, which have no stable key, end
// the path there (the path then names the whole set).
func encodePath(path cty.Path) (*protocol.AttributePath, error) {
	ap := &protocol.AttributePath{Steps: make([]*protocol.AttributePath_Step, 0, len(path))}
	for _, step := range path {
		switch s := step.(type) {
		case cty.GetAttrStep:
			ap.Steps = append(ap.Steps, &protocol.AttributePath_Step{
				Selector: &protocol.AttributePath_Step_AttributeName{AttributeName: s.Name},
			})
		case cty.IndexStep:
			key, _ := s.Key.Unmark()
			switch {
			case key.IsNull() || !key.IsKnown():
				return nil, fmt.Errorf("path index is null or unknown")
			case key.Type() == cty.String:
				ap.Steps = append(ap.Steps, &protocol.AttributePath_Step{
					Selector: &protocol.AttributePath_Step_ElementKeyString{ElementKeyString: key.AsString()},
				})
			case key.Type() == cty.Number:
				i, acc := key.AsBigFloat().Int64()
				if acc != big.Exact {
					return nil, fmt.Errorf("path index %s is not a whole number", key.AsBigFloat())
				}
				ap.Steps = append(ap.Steps, &protocol.AttributePath_Step{
					Selector: &protocol.AttributePath_Step_ElementKeyInt{ElementKeyInt: i},
				})
			default:
				// A set element: stop at the set.
				return ap, nil
			}
		default:
			return nil, fmt.Errorf("unsupported path step %T", step)
		}
	}
	return ap, nil
}

func decodePath(ap *protocol.AttributePath) (cty.Path, error) {
	if ap == nil {
		return nil, nil
	}
	path := make(cty.Path, 0, len(ap.Steps))
	for _, step := range ap.Steps {
		switch s := step.Selector.(type) {
		case *protocol.AttributePath_Step_AttributeName:
			path = path.GetAttr(s.AttributeName)
		case *protocol.AttributePath_Step_ElementKeyString:
			path = path.Index(cty.StringVal(s.ElementKeyString))
		case *protocol.AttributePath_Step_ElementKeyInt:
			path = path.Index(cty.NumberIntVal(s.ElementKeyInt))
		default:
			return nil, fmt.Errorf("unsupported path step %T", step.Selector)
		}
	}
	return path, nil
}

func encodePaths(paths []cty.Path) ([]*protocol.AttributePath, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	out := make([]*protocol.AttributePath, 0, len(paths))
	for _, p := range paths {
		ap, err := encodePath(p)
		if err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, nil
}

func decodePaths(aps []*protocol.AttributePath) ([]cty.Path, error) {
	if len(aps) == 0 {
		return nil, nil
	}
	out := make([]cty.Path, 0, len(aps))
	for _, ap := range aps {
		p, err := decodePath(ap)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// encodeDiagnostics turns diagnostics into their wire form. Source ranges
// do not cross (a provider has none); an AttributePath in Extra does.
func encodeDiagnostics(diags hcl.Diagnostics) []*protocol.Diagnostic {
	if len(diags) == 0 {
		return nil
	}
	out := make([]*protocol.Diagnostic, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		pd := &protocol.Diagnostic{Summary: d.Summary, Detail: d.Detail}
		switch d.Severity {
		case hcl.DiagError:
			pd.Severity = protocol.Diagnostic_ERROR
		case hcl.DiagWarning:
			pd.Severity = protocol.Diagnostic_WARNING
		}
		if path := providers.DiagnosticPath(d); path != nil {
			// A path that cannot be encoded is dropped rather than losing
			// the diagnostic itself.
			if ap, err := encodePath(path); err == nil {
				pd.Attribute = ap
			}
		}
		out = append(out, pd)
	}
	return out
}

func decodeDiagnostics(pds []*protocol.Diagnostic) hcl.Diagnostics {
	if len(pds) == 0 {
		return nil
	}
	out := make(hcl.Diagnostics, 0, len(pds))
	for _, pd := range pds {
		d := &hcl.Diagnostic{Summary: pd.Summary, Detail: pd.Detail}
		switch pd.Severity {
		case protocol.Diagnostic_WARNING:
			d.Severity = hcl.DiagWarning
		default:
			// An unknown severity is treated as the safer one.
			d.Severity = hcl.DiagError
		}
		if pd.Attribute != nil {
			if path, err := decodePath(pd.Attribute); err == nil {
				d.Extra = providers.AttributePath{Path: path}
			}
		}
		out = append(out, d)
	}
	return out
}

func encodeSchema(s providers.Schema) (*protocol.Schema, error) {
	b, err := encodeBlock(s.Block)
	if err != nil {
		return nil, err
	}
	return &protocol.Schema{Version: s.Version, Block: b, LookupByKey: s.LookupByKey}, nil
}

func encodeBlock(b *providers.Block) (*protocol.Schema_Block, error) {
	if b == nil {
		return nil, nil
	}
	pb := &protocol.Schema_Block{Description: b.Description}
	// Sorted, so that the wire form of a schema is deterministic.
	for _, name := range sortedKeys(b.Attributes) {
		a := b.Attributes[name]
		if a == nil || a.Type == cty.NilType {
			return nil, fmt.Errorf("attribute %s has no type", name)
		}
		ty, err := marshalType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		pb.Attributes = append(pb.Attributes, &protocol.Schema_Attribute{
			Name: name, Type: ty, Description: a.Description,
			Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, ForceNew: a.ForceNew,
		})
	}
	for _, name := range sortedKeys(b.BlockTypes) {
		nb := b.BlockTypes[name]
		if nb == nil {
			return nil, fmt.Errorf("block %s is nil", name)
		}
		inner, err := encodeBlock(nb.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		var mode protocol.Schema_NestedBlock_NestingMode
		switch nb.Nesting {
		case providers.NestingSingle:
			mode = protocol.Schema_NestedBlock_SINGLE
		case providers.NestingList:
			mode = protocol.Schema_NestedBlock_LIST
		case providers.NestingSet:
			mode = protocol.Schema_NestedBlock_SET
		case providers.NestingMap:
			mode = protocol.Schema_NestedBlock_MAP
		default:
			return nil, fmt.Errorf("block %s: unknown nesting mode %d", name, nb.Nesting)
		}
		pb.BlockTypes = append(pb.BlockTypes, &protocol.Schema_NestedBlock{
			TypeName: name, Block: inner, Nesting: mode,
			MinItems: int64(nb.MinItems), MaxItems: int64(nb.MaxItems),
		})
	}
	return pb, nil
}

func decodeSchema(ps *protocol.Schema) (providers.Schema, error) {
	if ps == nil {
		return providers.Schema{}, nil
	}
	b, err := decodeBlock(ps.Block)
	if err != nil {
		return providers.Schema{}, err
	}
	// A provider built before lookup_by_key sends false: it cannot look up.
	return providers.Schema{Version: ps.Version, Block: b, LookupByKey: ps.LookupByKey}, nil
}

func decodeBlock(pb *protocol.Schema_Block) (*providers.Block, error) {
	if pb == nil {
		return nil, nil
	}
	b := &providers.Block{
		Attributes:  make(map[string]*providers.Attribute, len(pb.Attributes)),
		BlockTypes:  make(map[string]*providers.NestedBlock, len(pb.BlockTypes)),
		Description: pb.Description,
	}
	for _, pa := range pb.Attributes {
		ty, err := unmarshalType(pa.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", pa.Name, err)
		}
		b.Attributes[pa.Name] = &providers.Attribute{
			Type: ty, Description: pa.Description,
			Required: pa.Required, Optional: pa.Optional, Computed: pa.Computed,
			Sensitive: pa.Sensitive, ForceNew: pa.ForceNew,
		}
	}
	for _, pn := range pb.BlockTypes {
		inner, err := decodeBlock(pn.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", pn.TypeName, err)
		}
		var mode providers.NestingMode
		switch pn.Nesting {
		case protocol.Schema_NestedBlock_SINGLE:
			mode = providers.NestingSingle
		case protocol.Schema_NestedBlock_LIST:
			mode = providers.NestingList
		case protocol.Schema_NestedBlock_SET:
			mode = providers.NestingSet
		case protocol.Schema_NestedBlock_MAP:
			mode = providers.NestingMap
		default:
			return nil, fmt.Errorf("block %s: unknown nesting mode %v", pn.TypeName, pn.Nesting)
		}
		b.BlockTypes[pn.TypeName] = &providers.NestedBlock{
			Block: inner, Nesting: mode, MinItems: int(pn.MinItems), MaxItems: int(pn.MaxItems),
		}
	}
	return b, nil
}

func encodeRollout(r *providers.Rollout) *protocol.Rollout {
	if r == nil {
		return nil
	}
	pr := &protocol.Rollout{
		MinHealthy: encodeDuration(r.MinHealthy), HealthyDeadline: encodeDuration(r.HealthyDeadline),
		AutoRevert: r.AutoRevert, MaxUnavailable: int64(r.MaxUnavailable),
	}
	if c := r.Canary; c != nil {
		pr.CanaryInstances, pr.CanaryWeight = int64(c.Instances), int64(c.Weight)
	}
	for _, w := range r.Waves {
		pw := &protocol.Rollout_Wave{}
		for _, in := range w.Instances {
			pw.Instances = append(pw.Instances, &protocol.Rollout_Wave_Instance{Name: in.Name, Host: in.Host})
		}
		pr.Waves = append(pr.Waves, pw)
	}
	return pr
}

func decodeRollout(pr *protocol.Rollout) (*providers.Rollout, error) {
	if pr == nil {
		return nil, nil
	}
	r := &providers.Rollout{AutoRevert: pr.AutoRevert, MaxUnavailable: int(pr.MaxUnavailable)}
	if pr.CanaryInstances > 0 {
		r.Canary = &providers.Canary{Instances: int(pr.CanaryInstances), Weight: int(pr.CanaryWeight)}
	}
	var err error
	if r.MinHealthy, err = decodeDuration(pr.MinHealthy); err != nil {
		return nil, fmt.Errorf("rollout min_healthy: %w", err)
	}
	if r.HealthyDeadline, err = decodeDuration(pr.HealthyDeadline); err != nil {
		return nil, fmt.Errorf("rollout healthy_deadline: %w", err)
	}
	for _, pw := range pr.Waves {
		var w providers.Wave
		for _, in := range pw.Instances {
			w.Instances = append(w.Instances, providers.WaveInstance{Name: in.Name, Host: in.Host})
		}
		r.Waves = append(r.Waves, w)
	}
	return r, nil
}

func encodeStep(s providers.RolloutStep) (*protocol.ApplyResourceChange_Step, error) {
	ps := &protocol.ApplyResourceChange_Step{Wave: int64(s.Wave), Instances: s.Instances, HoldFor: encodeDuration(s.HoldFor)}
	switch s.Kind {
	case providers.StepStart:
		ps.Kind = protocol.ApplyResourceChange_Step_START
	case providers.StepStop:
		ps.Kind = protocol.ApplyResourceChange_Step_STOP
	case providers.StepDrain:
		ps.Kind = protocol.ApplyResourceChange_Step_DRAIN
	case providers.StepAdmit:
		ps.Kind = protocol.ApplyResourceChange_Step_ADMIT
	case providers.StepCanary:
		ps.Kind = protocol.ApplyResourceChange_Step_CANARY
	default:
		ps.Kind = protocol.ApplyResourceChange_Step_ALL
	}
	if t := s.Traffic; t != nil {
		v, err := encodeValue(app.InstancesValue(t.Instances))
		if err != nil {
			return nil, fmt.Errorf("step traffic instances: %w", err)
		}
		ps.TrafficAppId, ps.TrafficInstances, ps.TrafficDeadline = t.AppID, v, encodeDuration(t.Deadline)
		ps.TrafficWeight = int64(t.Weight)
	}
	return ps, nil
}

func decodeStep(ps *protocol.ApplyResourceChange_Step) (providers.RolloutStep, error) {
	if ps == nil {
		return providers.RolloutStep{Kind: providers.StepAll}, nil
	}
	s := providers.RolloutStep{Wave: int(ps.Wave), Instances: ps.Instances}
	var err error
	if s.HoldFor, err = decodeDuration(ps.HoldFor); err != nil {
		return s, fmt.Errorf("step hold_for: %w", err)
	}
	switch ps.Kind {
	case protocol.ApplyResourceChange_Step_START:
		s.Kind = providers.StepStart
	case protocol.ApplyResourceChange_Step_STOP:
		s.Kind = providers.StepStop
	case protocol.ApplyResourceChange_Step_DRAIN:
		s.Kind = providers.StepDrain
	case protocol.ApplyResourceChange_Step_ADMIT:
		s.Kind = providers.StepAdmit
	case protocol.ApplyResourceChange_Step_CANARY:
		s.Kind = providers.StepCanary
	case protocol.ApplyResourceChange_Step_ALL:
		s.Kind = providers.StepAll
	default:
		return s, fmt.Errorf("unknown step kind %v", ps.Kind)
	}
	if s.Kind == providers.StepDrain || s.Kind == providers.StepAdmit || s.Kind == providers.StepCanary {
		v, err := decodeValue(ps.TrafficInstances)
		if err != nil {
			return s, fmt.Errorf("step traffic instances: %w", err)
		}
		t := &providers.TrafficChange{AppID: ps.TrafficAppId, Weight: int(ps.TrafficWeight)}
		if v != cty.NilVal && !v.IsNull() {
			t.Instances = app.DecodeInstances(cty.ObjectVal(map[string]cty.Value{"instances": v}))
		}
		if t.Deadline, err = decodeDuration(ps.TrafficDeadline); err != nil {
			return s, fmt.Errorf("step traffic deadline: %w", err)
		}
		s.Traffic = t
	}
	return s, nil
}

// encodeDuration writes a duration of the protocol as configuration does
// ("10s", "5m"); zero is empty.
func encodeDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return app.FormatDuration(d)
}

func decodeDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

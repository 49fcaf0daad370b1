package manifest

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/zclconf/go-cty/cty"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/platform/app"
)

// ScalingPolicy is a scaling_policy block, decoded (DecodeScalingPolicy).
type ScalingPolicy struct {
	// App is the name of the app scaled (its "name": "web", "web-0").
	App      string
	Min, Max int
	Cooldown time.Duration
	Metrics  []Metric
}

// Metric is one metric block of a scaling policy. A policy the language
// accepted has exactly one of TargetUtilization and Target.
type Metric struct {
	Name string
	// TargetUtilization is a per cent of the request ("cpu", "memory");
	// 0 when not set.
	TargetUtilization int
	// Target is an average value per instance, set when HasTarget: cores
	// for "cpu", bytes for "memory", a plain number for other metrics.
	Target    float64
	HasTarget bool
}

// DecodeScalingPolicy reads a scaling_policy's value (the language's
// newScalingPolicySchema, defaults applied): app (the app's whole value;
// its "name" is read), min, max, cooldown and the metric blocks, a list of
// objects labelled by "name". The parts it reads must be known.
func DecodeScalingPolicy(v cty.Value) (*ScalingPolicy, error) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil, errors.New("a scaling policy must be a known object")
	}
	name := attr(attr(v, "app"), "name")
	if !name.IsKnown() || name.IsNull() || name.Type() != cty.String {
		return nil, errors.New("the scaling policy's app is not known yet")
	}
	p := &ScalingPolicy{App: name.AsString()}
	var err error
	if p.Min, err = wholeAttr(v, "min"); err != nil {
		return nil, err
	}
	if p.Max, err = wholeAttr(v, "max"); err != nil {
		return nil, err
	}
	switch c := attr(v, "cooldown"); {
	case !c.IsKnown():
		return nil, errors.New("cooldown is not known yet")
	case !c.IsNull():
		if p.Cooldown, err = app.ParseDuration(c.AsString()); err != nil {
			return nil, fmt.Errorf("cooldown: %w", err)
		}
	}
	ms := attr(v, "metric")
	if !ms.IsWhollyKnown() {
		return nil, errors.New("the scaling policy's metrics are not known yet")
	}
	if ms.IsNull() {
		return p, nil
	}
	for it := ms.ElementIterator(); it.Next(); {
		_, mv := it.Element()
		m := Metric{}
		if n := attr(mv, "name"); !n.IsNull() && n.Type() == cty.String {
			m.Name = n.AsString()
		}
		if tu := attr(mv, "target_utilization"); !tu.IsNull() {
			if m.TargetUtilization, err = whole(tu, "target_utilization"); err != nil {
				return nil, fmt.Errorf("metric %q: %w", m.Name, err)
			}
		}
		if t := attr(mv, "target"); !t.IsNull() && t.Type() == cty.Number {
			m.Target, _ = t.AsBigFloat().Float64()
			m.HasTarget = true
		}
		p.Metrics = append(p.Metrics, m)
	}
	return p, nil
}

func wholeAttr(v cty.Value, name string) (int, error) {
	a := attr(v, name)
	if !a.IsKnown() {
		return 0, fmt.Errorf("%s is not known yet", name)
	}
	if a.IsNull() {
		return 0, nil
	}
	return whole(a, name)
}

func whole(v cty.Value, name string) (int, error) {
	if v.Type() != cty.Number {
		return 0, fmt.Errorf("%s must be a number", name)
	}
	i, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || i != int64(int32(i)) {
		return 0, fmt.Errorf("%s must be a whole number", name)
	}
	return int(i), nil
}

// HPA is the autoscaling/v2 HorizontalPodAutoscaler of policy p, scaling
// the Deployment named deployment: named ObjectName(p.App), with p's
// bounds, its metrics ("cpu" and "memory" with target_utilization: a
// Resource metric's average utilisation of the request; "cpu" and
// "memory" with target: a Resource metric's average value; any other
// metric: a Pods metric's average value) and a scale-down stabilisation
// window of the cooldown. A policy without metrics gets the server's
// default (80 % CPU).
func HPA(p *ScalingPolicy, namespace, deployment string) *unstructured.Unstructured {
	var metrics []any
	for _, m := range p.Metrics {
		resource := m.Name == "cpu" || m.Name == "memory"
		switch {
		case resource && m.TargetUtilization > 0:
			metrics = append(metrics, map[string]any{"type": "Resource", "resource": map[string]any{
				"name":   m.Name,
				"target": map[string]any{"type": "Utilization", "averageUtilization": int64(m.TargetUtilization)},
			}})
		case resource && m.HasTarget:
			metrics = append(metrics, map[string]any{"type": "Resource", "resource": map[string]any{
				"name":   m.Name,
				"target": map[string]any{"type": "AverageValue", "averageValue": resourceTarget(m)},
			}})
		case m.HasTarget:
			metrics = append(metrics, map[string]any{"type": "Pods", "pods": map[string]any{
				"metric": map[string]any{"name": m.Name},
				"target": map[string]any{"type": "AverageValue", "averageValue": decimal(m.Target)},
			}})
		}
	}
	spec := map[string]any{
		"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
		"minReplicas":    int64(p.Min),
		"maxReplicas":    int64(p.Max),
		"behavior": map[string]any{"scaleDown": map[string]any{
			"stabilizationWindowSeconds": seconds(p.Cooldown),
		}},
	}
	if len(metrics) > 0 {
		spec["metrics"] = metrics
	}
	labels := map[string]string{LabelManagedBy: ManagedBy, LabelApp: ObjectName(p.App)}
	return object("autoscaling/v2", "HorizontalPodAutoscaler", ObjectName(p.App), namespace, labels, map[string]any{"spec": spec})
}

// resourceTarget is the average value of a cpu (cores) or memory (bytes)
// target, as CPU and Memory write it.
func resourceTarget(m Metric) string {
	q, err := app.ParseQuantity(strconv.FormatFloat(m.Target, 'f', -1, 64))
	if err != nil {
		return decimal(m.Target)
	}
	if m.Name == "cpu" {
		return CPU(q)
	}
	return Memory(q)
}

// attr is v's attribute name, or a null value when v has none.
func attr(v cty.Value, name string) cty.Value {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

package jsondoc

import (
	"encoding/json"

	"github.com/berth-sh/berth/addrs"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// stateValues is Terraform's "values representation": the objects and
// outputs of a state (the state document's values, the plan's
// prior_state.values) or of a planned state (the plan's planned_values).
type stateValues struct {
	Outputs    map[string]valuesOutput `json:"outputs"`
	RootModule stateModule             `json:"root_module"`
}

// stateModule is the root module: berth has no modules, so child_modules
// is always empty.
type stateModule struct {
	Resources    []stateResource `json:"resources"`
	ChildModules []stateModule   `json:"child_modules"`
}

// stateResource is one object of a values representation, with
// Terraform's fields.
type stateResource struct {
	Address      string `json:"address"`
	Mode         string `json:"mode"`
	Type         string `json:"type"`
	Name         string `json:"name"`
	Index        any    `json:"index,omitempty"`
	ProviderName string `json:"provider_name"`
	// SchemaVersion is the recorded object's (the state document); a
	// plan does not carry it, and says 0.
	SchemaVersion uint64 `json:"schema_version"`
	// Values has the sensitive parts null (flagged in SensitiveValues) and,
	// in planned_values, the parts known only after apply left out, as
	// Terraform does.
	Values          map[string]any `json:"values"`
	SensitiveValues any            `json:"sensitive_values"`
	DependsOn       []string       `json:"depends_on,omitempty"`
	Tainted         bool           `json:"tainted,omitempty"`
	DeposedKey      string         `json:"deposed_key,omitempty"`
}

// valuesOutput is an output of a values representation. Value is left
// out when it is sensitive (berth never prints a secret in a document
// that was not asked for it) or not known yet; Type is cty's JSON type,
// left out when the value is not known.
type valuesOutput struct {
	Sensitive bool            `json:"sensitive"`
	Value     any             `json:"value,omitempty"`
	Type      json.RawMessage `json:"type,omitempty"`
}

func newStateValues() stateValues {
	return stateValues{Outputs: map[string]valuesOutput{}, RootModule: stateModule{Resources: []stateResource{}, ChildModules: []stateModule{}}}
}

// newStateResource describes the object at a with value v. Unknown parts
// of v (a planned value) are left out of values.
func newStateResource(a addrs.Instance, providerName string, v cty.Value) stateResource {
	res := a.Resource
	val, unknown, sens := Value(v)
	values, ok := omitUnknown(val, unknown).(map[string]any)
	if !ok {
		// Wholly unknown or wholly sensitive: nothing to show.
		values = map[string]any{}
	}
	return stateResource{Address: a.String(), Mode: res.Mode.String(), Type: res.Type, Name: res.Name,
		Index: instanceKey(a.Key), ProviderName: providerName, Values: values, SensitiveValues: sens}
}

// omitUnknown drops from val the object attributes and map elements that
// unknown (Value's flags) says are unknown, as Terraform's planned_values
// do; unknown list, tuple and set elements stay, as nulls, since their
// positions matter.
func omitUnknown(val, unknown any) any {
	switch u := unknown.(type) {
	case bool:
		if u {
			return nil
		}
	case map[string]any:
		m, ok := val.(map[string]any)
		if !ok {
			return val
		}
		for k, uk := range u {
			if b, ok := uk.(bool); ok && b {
				delete(m, k)
				continue
			}
			m[k] = omitUnknown(m[k], uk)
		}
	case []any:
		l, ok := val.([]any)
		if !ok {
			return val
		}
		for i := range l {
			if i < len(u) {
				l[i] = omitUnknown(l[i], u[i])
			}
		}
	}
	return val
}

// newValuesOutput describes an output's value v.
func newValuesOutput(v cty.Value, sensitive bool) valuesOutput {
	out := valuesOutput{Sensitive: sensitive}
	if v == cty.NilVal {
		return out
	}
	uv, _ := v.UnmarkDeep()
	if !uv.IsWhollyKnown() {
		return out
	}
	if ty, err := ctyjson.MarshalType(uv.Type()); err == nil {
		out.Type = ty
	}
	if !sensitive {
		out.Value, _, _ = Value(v)
	}
	return out
}

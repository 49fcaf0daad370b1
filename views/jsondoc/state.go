package jsondoc

import (
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/version"
)

// State is the document `berth show -json` prints without a plan: the
// recorded objects and outputs (docs/json-output.md, "show (state)").
type State struct {
	FormatVersion string            `json:"format_version"`
	BerthVersion  string            `json:"berth_version"`
	Serial        uint64            `json:"serial"`
	Lineage       string            `json:"lineage"`
	Resources     []stateObject     `json:"resources"`
	Outputs       map[string]Output `json:"outputs"`
}

type stateObject struct {
	object
	Values          any      `json:"values"`
	SensitiveValues any      `json:"sensitive_values"`
	Status          string   `json:"status"`
	DependsOn       []string `json:"depends_on,omitempty"`
}

// NewState converts st (nil for no state) into its document.
func NewState(st *state.State) State {
	doc := State{FormatVersion: FormatVersion, BerthVersion: version.String(), Resources: []stateObject{}, Outputs: map[string]Output{}}
	if st == nil {
		return doc
	}
	doc.Serial, doc.Lineage = st.Serial, st.Lineage
	for _, r := range st.SortedResources() {
		for _, k := range r.SortedKeys() {
			obj := r.Instances[k]
			val, _, sens := Value(obj.Value)
			var deps []string
			for _, d := range obj.Dependencies {
				deps = append(deps, d.String())
			}
			doc.Resources = append(doc.Resources, stateObject{object: newObject(r.Addr.Instance(k), r.Provider),
				Values: val, SensitiveValues: sens, Status: obj.Status.String(), DependsOn: deps})
		}
	}
	// Like `output -json`... but show never prints secrets.
	doc.Outputs = Outputs(st, false)
	return doc
}

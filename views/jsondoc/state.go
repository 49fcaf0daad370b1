package jsondoc

import (
	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/version"
)

// ShowFormatVersion is the format_version of the documents `show -json`
// prints, the plan's and the state's: 1.1 added Terraform's fields
// (terraform_version, values, planned_values, prior_state, configuration,
// provider_name, ...) to format 1.0's, which stay.
const ShowFormatVersion = "1.1"

// State is the document `berth show -json` prints without a plan: the
// recorded objects and outputs (docs/json-output.md, "show (state)"), in
// the shape of Terraform's JSON state (values.root_module), with berth's
// own fields of format 1.0 kept beside.
type State struct {
	FormatVersion    string `json:"format_version"`
	TerraformVersion string `json:"terraform_version"`
	BerthVersion     string `json:"berth_version"`
	Serial           uint64 `json:"serial"`
	Lineage          string `json:"lineage"`
	// Values is Terraform's: outputs and root_module.resources.
	Values stateValues `json:"values"`
	// Resources and Outputs are format 1.0's, kept for its consumers:
	// the same objects and outputs, with berth's fields.
	Resources []stateObject     `json:"resources"`
	Outputs   map[string]Output `json:"outputs"`
}

type stateObject struct {
	object
	Values          any      `json:"values"`
	SensitiveValues any      `json:"sensitive_values"`
	Status          string   `json:"status"`
	DependsOn       []string `json:"depends_on,omitempty"`
}

// NewState converts st (nil for no state) into its document. Give
// WithProviderSources for provider_name to name third-party providers by
// their source.
func NewState(st *state.State, opts ...Option) State {
	o := newOptions(opts)
	doc := State{FormatVersion: ShowFormatVersion, TerraformVersion: version.String(), BerthVersion: version.String(),
		Values: newStateValues(), Resources: []stateObject{}, Outputs: map[string]Output{}}
	if st == nil {
		return doc
	}
	doc.Serial, doc.Lineage = st.Serial, st.Lineage
	deposed := map[string][]*state.Deposed{}
	for _, d := range st.Deposed {
		deposed[d.Addr.String()] = append(deposed[d.Addr.String()], d)
	}
	for _, r := range st.SortedResources() {
		for _, k := range r.SortedKeys() {
			addr := r.Addr.Instance(k)
			obj := r.Instances[k]
			val, _, sens := Value(obj.Value)
			deps := dependencies(obj.Dependencies)
			doc.Resources = append(doc.Resources, stateObject{object: newObject(addr, r.Provider, o.providerName(r.Provider)),
				Values: val, SensitiveValues: sens, Status: obj.Status.String(), DependsOn: deps})
			doc.Values.RootModule.Resources = append(doc.Values.RootModule.Resources, recordedResource(addr, r.Provider, "", obj, o))
			for _, d := range deposed[addr.String()] {
				doc.Values.RootModule.Resources = append(doc.Values.RootModule.Resources, recordedResource(addr, d.Provider, d.Key, d.Object, o))
			}
			delete(deposed, addr.String())
		}
	}
	// Deposed objects of instances no longer recorded, in the state's order.
	for _, d := range st.Deposed {
		if _, ok := deposed[d.Addr.String()]; ok {
			doc.Values.RootModule.Resources = append(doc.Values.RootModule.Resources, recordedResource(d.Addr, d.Provider, d.Key, d.Object, o))
		}
	}
	// Like `output -json`... but show never prints secrets.
	doc.Outputs = Outputs(st, false)
	for n, out := range st.Outputs {
		doc.Values.Outputs[n] = newValuesOutput(out.Value, out.Sensitive)
	}
	return doc
}

// recordedResource is a recorded object as Terraform's state shows it.
func recordedResource(addr addrs.Instance, provider, deposedKey string, obj *state.Object, o *options) stateResource {
	r := newStateResource(addr, o.providerName(provider), obj.Value)
	r.SchemaVersion = obj.SchemaVersion
	r.DependsOn = dependencies(obj.Dependencies)
	r.Tainted = obj.Status == state.ObjectTainted
	r.DeposedKey = deposedKey
	return r
}

func dependencies(deps []addrs.Resource) []string {
	var out []string
	for _, d := range deps {
		out = append(out, d.String())
	}
	return out
}

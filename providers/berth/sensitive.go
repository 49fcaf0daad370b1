package berth

import (
	"context"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/sdk"
	"github.com/berth-sh/berth/state/backend"
)

// Sensitive values. The state marks its sensitive outputs, and Read keeps
// those marks on the outputs it returns, each output on its own; the
// protocol carries them as paths (outputs.password), so only the outputs
// that were sensitive are. Two more sources of secrets are marked here:
// the backend's sensitive settings (postgres's conn_str) and sensitive
// defaults.

// provider is the SDK's provider, with the marks of sensitive defaults
// carried over to the outputs they fill.
type provider struct {
	*sdk.Provider[struct{}]
}

// ReadDataSource reads as the SDK does, then marks outputs.NAME where the
// configuration marked defaults.NAME (a sensitive variable): the SDK hands
// Read unmarked values, and restores marks only at the paths they came
// from. An output the state has is marked too when its default is
// sensitive: too much redaction rather than a secret shown.
func (p provider) ReadDataSource(ctx context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	resp := p.Provider.ReadDataSource(ctx, req)
	if req.Config == cty.NilVal || !req.Config.ContainsMarked() || resp.State == cty.NilVal || resp.State.IsNull() {
		return resp
	}
	_, pvms := req.Config.UnmarkDeepWithPaths()
	var carried []cty.PathValueMarks
	for _, pvm := range pvms {
		if len(pvm.Path) == 0 || pvm.Path[0] != (cty.GetAttrStep{Name: "defaults"}) {
			continue
		}
		path := append(cty.Path{cty.GetAttrStep{Name: "outputs"}}, pvm.Path[1:]...)
		if len(path) > 1 {
			// A map's element is an object's attribute in outputs.
			if ix, ok := path[1].(cty.IndexStep); ok && ix.Key.Type() == cty.String {
				path[1] = cty.GetAttrStep{Name: ix.Key.AsString()}
			}
		}
		carried = append(carried, cty.PathValueMarks{Path: path, Marks: pvm.Marks})
	}
	if len(carried) > 0 {
		resp.State = resp.State.MarkWithPaths(carried)
	}
	return resp
}

// markSensitiveSettings marks the settings of config that the backend's
// schema says are sensitive (postgres's conn_str), so that the data
// source's state and the plans that show it redact them.
func markSensitiveSettings(spec backend.Spec, config cty.Value) cty.Value {
	if config == cty.NilVal || config.IsNull() || !config.IsKnown() {
		return config
	}
	ty := config.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		return config
	}
	var pvm []cty.PathValueMarks
	for it := config.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		if a := spec.Schema.Attributes[k.AsString()]; a != nil && a.Sensitive {
			step := cty.PathStep(cty.GetAttrStep{Name: k.AsString()})
			if ty.IsMapType() {
				step = cty.IndexStep{Key: k}
			}
			pvm = append(pvm, cty.PathValueMarks{Path: cty.Path{step}, Marks: cty.NewValueMarks(providers.SensitiveMark)})
		}
	}
	if len(pvm) == 0 {
		return config
	}
	return config.MarkWithPaths(pvm)
}

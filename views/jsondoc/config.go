package jsondoc

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// configuration is Terraform's "configuration representation" of the
// configuration a plan was made from, as far as it is known without
// evaluating it: each argument's references and, when it has none, its
// constant value.
type configuration struct {
	ProviderConfig map[string]providerConfig `json:"provider_config"`
	RootModule     configModule              `json:"root_module"`
}

type providerConfig struct {
	Name              string `json:"name"`
	FullName          string `json:"full_name"`
	VersionConstraint string `json:"version_constraint,omitempty"`
	// Expressions are the provider block's arguments, references only: a
	// provider's schema (which says what is sensitive) is not known here,
	// so no constant is shown.
	Expressions map[string]any `json:"expressions,omitempty"`
}

type configModule struct {
	Outputs   map[string]configOutput   `json:"outputs"`
	Resources []configResource          `json:"resources"`
	Variables map[string]configVariable `json:"variables"`
}

type configResource struct {
	Address           string `json:"address"`
	Mode              string `json:"mode"`
	Type              string `json:"type"`
	Name              string `json:"name"`
	ProviderConfigKey string `json:"provider_config_key"`
	// Expressions holds each argument's expression by name and, for each
	// nested block type, an array with one object of expressions per
	// block, in source order. A labelled block (port "http") has its label
	// as a constant under the label's attribute name, as its value does.
	Expressions       map[string]any `json:"expressions"`
	SchemaVersion     uint64         `json:"schema_version"`
	CountExpression   *expression    `json:"count_expression,omitempty"`
	ForEachExpression *expression    `json:"for_each_expression,omitempty"`
	DependsOn         []string       `json:"depends_on,omitempty"`
}

type configOutput struct {
	Expression  *expression `json:"expression"`
	Sensitive   bool        `json:"sensitive,omitempty"`
	Description string      `json:"description,omitempty"`
	DependsOn   []string    `json:"depends_on,omitempty"`
}

type configVariable struct {
	// Default is absent for a required variable and for a sensitive one.
	Default     json.RawMessage `json:"default,omitempty"`
	Description string          `json:"description,omitempty"`
	Sensitive   bool            `json:"sensitive,omitempty"`
}

// expression is Terraform's expression representation: constant_value
// when the expression refers to nothing (and is not sensitive), and the
// references it makes, each also unwrapped step by step
// ("app.web.image", "app.web") so that a consumer can match the object it
// cares about without parsing.
type expression struct {
	ConstantValue json.RawMessage `json:"constant_value,omitempty"`
	References    []string        `json:"references,omitempty"`
}

// newConfiguration describes cfg, the configuration p was made from.
func newConfiguration(cfg *lang.Config, p *plans.Plan, o *options) *configuration {
	c := &configuration{ProviderConfig: map[string]providerConfig{}, RootModule: configModule{
		Outputs: map[string]configOutput{}, Resources: []configResource{}, Variables: map[string]configVariable{}}}

	// The provider each resource's objects were planned with, for the
	// blocks whose provider the configuration alone does not name (an
	// app on a cluster whose kind is only known once evaluated).
	planned := map[string]string{}
	// The sensitive parts of each resource's planned and prior values: an
	// argument whose value is sensitive shows no constant.
	sens := map[string][]any{}
	hasChange := map[string]bool{}
	for _, ch := range p.Changes {
		res := ch.Addr.Resource.String()
		hasChange[res] = true
		if ch.Provider != "" {
			planned[res] = ch.Provider
		}
		for _, v := range []cty.Value{ch.Before, ch.After} {
			if _, _, s := Value(v); hasTrue(s) {
				sens[res] = append(sens[res], s)
			}
		}
	}

	addProvider := func(name string) {
		if name == "" {
			return
		}
		if _, ok := c.ProviderConfig[name]; ok {
			return
		}
		pc := providerConfig{Name: name, FullName: o.providerName(name)}
		if cfg.Berth != nil {
			if rp := cfg.Berth.RequiredProviders[name]; rp != nil {
				pc.VersionConstraint = rp.VersionString
			}
		}
		if b := cfg.Providers[name]; b != nil {
			pc.Expressions = bodyExpressions(b.Config, nil, []any{true}, nil)
		}
		c.ProviderConfig[name] = pc
	}
	if cfg.Berth != nil {
		for _, name := range slices.Sorted(maps.Keys(cfg.Berth.RequiredProviders)) {
			addProvider(name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Providers)) {
		addProvider(name)
	}

	for _, r := range cfg.SortedResources() {
		addr := r.Addr()
		key := r.ProviderName
		if key == "" {
			key = planned[addr]
		}
		addProvider(key)
		mode := "managed"
		if r.Mode == lang.DataMode {
			mode = "data"
		}
		schema, flags := lang.DomainSchema(r.Kind), sens[addr]
		if schema == nil && !hasChange[addr] {
			// Only the provider's schema says which of its arguments are
			// sensitive, and the plan has no value of this resource that
			// would tell (a targeted or failed plan): no constants.
			flags = []any{true}
		}
		cr := configResource{Address: addr, Mode: mode, Type: r.Type, Name: r.Name, ProviderConfigKey: key,
			Expressions: bodyExpressions(r.Config, schema, flags, topLevelMeta)}
		if r.Count != nil {
			cr.CountExpression = newExpression(r.Count, false)
		}
		if r.ForEach != nil {
			cr.ForEachExpression = newExpression(r.ForEach, false)
		}
		for _, d := range r.DependsOn {
			cr.DependsOn = append(cr.DependsOn, traversalString(d))
		}
		c.RootModule.Resources = append(c.RootModule.Resources, cr)
	}

	for name, out := range cfg.Outputs {
		co := configOutput{Expression: newExpression(out.Expr, out.Sensitive), Sensitive: out.Sensitive, Description: out.Description}
		for _, d := range out.DependsOn {
			co.DependsOn = append(co.DependsOn, traversalString(d))
		}
		c.RootModule.Outputs[name] = co
	}
	for name, v := range cfg.Variables {
		cv := configVariable{Description: v.Description, Sensitive: v.Sensitive}
		if v.Default != cty.NilVal && !v.Sensitive {
			if val, _, s := Value(v.Default); !hasTrue(s) {
				cv.Default, _ = json.Marshal(val)
			}
		}
		c.RootModule.Variables[name] = cv
	}
	return c
}

// topLevelMeta are the meta-arguments' blocks, which a resource's Config
// hides from its arguments but not from its syntax tree.
var topLevelMeta = []string{"lifecycle"}

// bodyExpressions describes the arguments and nested blocks of body.
// schema, when known (a domain block's), says which arguments are
// sensitive and which attribute a block's label becomes; sens are flag
// structures (Value's) of values of the body, any of which marking an
// argument sensitive hides its constant; skip are block types not to
// show.
func bodyExpressions(body hcl.Body, schema *lang.BlockSchema, sens []any, skip []string) map[string]any {
	out := map[string]any{}
	if body == nil {
		return out
	}
	// JustAttributes leaves out the meta-arguments a partial decode took;
	// it complains about blocks, which are read below.
	attrs, _ := body.JustAttributes()
	for name, a := range attrs {
		out[name] = newExpression(a.Expr, schemaSensitive(schema, name) || flagged(sens, name))
	}
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		// HCL's JSON form has no blocks apart from attributes: nested
		// objects were read as attributes above.
		return out
	}
	for _, blk := range sb.Blocks {
		if slices.Contains(skip, blk.Type) {
			continue
		}
		var nested *lang.BlockSchema
		label := ""
		if ns := nestedSchema(schema, blk.Type); ns != nil {
			nested, label = ns.Block, ns.Label
		} else if as := attrSchema(schema, blk.Type); as != nil {
			nested = as.OrBlock
		}
		m := bodyExpressions(blk.Body, nested, childFlags(sens, blk.Type), nil)
		if label != "" && len(blk.Labels) == 1 {
			m[label] = &expression{ConstantValue: mustJSON(blk.Labels[0])}
		}
		list, _ := out[blk.Type].([]map[string]any)
		out[blk.Type] = append(list, m)
	}
	return out
}

func nestedSchema(s *lang.BlockSchema, name string) *lang.NestedSchema {
	if s == nil {
		return nil
	}
	for _, b := range s.Blocks {
		if b.Name == name {
			return b
		}
	}
	return nil
}

func attrSchema(s *lang.BlockSchema, name string) *lang.AttrSchema {
	if s == nil {
		return nil
	}
	for _, a := range s.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func schemaSensitive(s *lang.BlockSchema, name string) bool {
	a := attrSchema(s, name)
	return a != nil && a.Sensitive
}

// childFlags returns the flag structures of the attribute name of the
// values flags describe; the elements of a list (repeated blocks) all
// count.
func childFlags(flags []any, name string) []any {
	var out []any
	for _, f := range flags {
		switch f := f.(type) {
		case bool:
			if f {
				out = append(out, true)
			}
		case map[string]any:
			if c, ok := f[name]; ok {
				out = append(out, c)
			}
		case []any:
			out = append(out, childFlags(f, name)...)
		}
	}
	return out
}

// flagged reports whether any of the flag structures marks anything of
// the attribute name.
func flagged(flags []any, name string) bool {
	return slices.ContainsFunc(childFlags(flags, name), hasTrue)
}

// newExpression describes e; secret hides its constant value.
func newExpression(e hcl.Expression, secret bool) *expression {
	ex := &expression{}
	if e == nil {
		return ex
	}
	refs, _ := lang.ReferencesInExpr(e)
	ex.References = referenceStrings(refs)
	if secret || len(e.Variables()) > 0 {
		return ex
	}
	// Without a context, anything but a literal (a reference, a function
	// call) fails to evaluate: only a constant has a value here.
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return ex
	}
	if val, _, s := Value(v); !hasTrue(s) {
		ex.ConstantValue = mustJSON(val)
	}
	return ex
}

// referenceStrings lists the references as Terraform does: each with its
// whole traversal, then shorter and shorter down to the object's address
// ("app.web[0].image", "app.web[0]", "app.web"). Duplicates are dropped.
func referenceStrings(refs []*lang.Reference) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, r := range refs {
		base := r.Addr()
		for n := len(r.Remaining); n > 0; n-- {
			add(base + traversalSuffix(r.Remaining[:n]))
		}
		add(base)
	}
	return out
}

// traversalString writes a traversal as it is written in configuration.
func traversalString(tr hcl.Traversal) string {
	if len(tr) == 0 {
		return ""
	}
	return tr.RootName() + traversalSuffix(tr[1:])
}

// traversalSuffix writes the attribute and index steps of a traversal:
// ".image", "[0]", `["eu"]`.
func traversalSuffix(tr hcl.Traversal) string {
	s := ""
	for _, step := range tr {
		switch st := step.(type) {
		case hcl.TraverseAttr:
			s += "." + st.Name
		case hcl.TraverseIndex:
			k, _ := st.Key.Unmark()
			switch {
			case !k.IsKnown() || k.IsNull():
				s += "[*]"
			case k.Type() == cty.String:
				s += fmt.Sprintf("[%q]", k.AsString())
			case k.Type() == cty.Number:
				s += "[" + number(k.AsBigFloat()) + "]"
			default:
				s += "[*]"
			}
		}
	}
	return s
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

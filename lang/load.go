package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	goversion "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/version"
)

// Configuration file suffixes. Variable files (*.auto.vars.hcl) are read by
// CollectVariables, not by LoadDir.
const (
	HCLSuffix  = ".berth.hcl"
	JSONSuffix = ".berth.json"
)

// ConfigFiles lists the configuration files of dir, sorted by name.
func ConfigFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		n := e.Name()
		if strings.HasSuffix(n, HCLSuffix) || strings.HasSuffix(n, JSONSuffix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "berth"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "output", LabelNames: []string{"name"}},
		{Type: "cluster", LabelNames: []string{"name"}},
		{Type: "registry", LabelNames: []string{"name"}},
		{Type: "probe", LabelNames: []string{"name"}},
		{Type: "app", LabelNames: []string{"name"}},
		{Type: "scaling_policy", LabelNames: []string{"name"}},
		{Type: "load_balancer", LabelNames: []string{"name"}},
		{Type: "provider", LabelNames: []string{"name"}},
		{Type: "resource", LabelNames: []string{"type", "name"}},
		{Type: "data", LabelNames: []string{"type", "name"}},
	},
}

// LoadDir parses every configuration file of dir (not recursively, in name
// order) and decodes its blocks. It checks the structure of the files
// (known blocks and meta-arguments, labels, duplicates, required_version);
// the contents of the domain blocks and all expressions are checked by
// Validate. The returned Config is never nil and holds whatever could be
// decoded, so callers can print diagnostics with the file sources.
func LoadDir(dir string) (*Config, hcl.Diagnostics) {
	cfg := newConfig(dir)
	files, err := ConfigFiles(dir)
	if err != nil {
		return cfg, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration directory", Detail: err.Error()}}
	}
	var diags hcl.Diagnostics
	if len(files) == 0 {
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s contains no *%s or *%s files.", dir, HCLSuffix, JSONSuffix),
		})
		return cfg, diags
	}
	parser := hclparse.NewParser()
	l := &loader{cfg: cfg, seen: map[string]hcl.Range{}}
	for _, fn := range files {
		f, d := parseFile(parser, fn, strings.HasSuffix(fn, JSONSuffix))
		diags = diags.Extend(d)
		if f == nil {
			continue
		}
		cfg.Files[fn] = f
		if d.HasErrors() {
			// A file that does not parse would only produce follow-on errors.
			continue
		}
		diags = diags.Extend(l.loadFile(f))
	}
	l.resolveProviders()
	sortDiagnostics(diags)
	return cfg, diags
}

// parseFile parses a configuration or variable file, refusing input
// nested too deeply for the parsers' recursion (CheckNesting).
func parseFile(parser *hclparse.Parser, fn string, json bool) (*hcl.File, hcl.Diagnostics) {
	src, err := os.ReadFile(fn)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read file",
			Detail:   fmt.Sprintf("The file %q could not be read: %s.", fn, err),
		}}
	}
	if d := checkNesting(src, fn, hcl.InitialPos, json, false); d.HasErrors() {
		// Not parsed, but its source is there for the diagnostic's snippet.
		return &hcl.File{Body: hcl.EmptyBody(), Bytes: src}, d
	}
	if json {
		return parser.ParseJSON(src, fn)
	}
	return parser.ParseHCL(src, fn)
}

type loader struct {
	cfg  *Config
	seen map[string]hcl.Range // "kind.name" -> first definition
}

func (l *loader) dup(key, what string, rng, labelRng hcl.Range) *hcl.Diagnostic {
	if prev, ok := l.seen[key]; ok {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate " + what,
			Detail:   fmt.Sprintf("%s was already declared at %s. Names must be unique.", capitalize(withArticle(what)), prev),
			Subject:  labelRng.Ptr(),
			Context:  rng.Ptr(),
		}
	}
	l.seen[key] = rng
	return nil
}

func (l *loader) loadFile(f *hcl.File) hcl.Diagnostics {
	content, diags := f.Body.Content(rootSchema)
	for _, b := range content.Blocks {
		for i, lbl := range b.Labels {
			if !hclsyntax.ValidIdentifier(lbl) {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid name",
					Detail:   fmt.Sprintf("%q is not a valid %s name: a name must start with a letter or underscore and contain only letters, digits, underscores and dashes.", lbl, b.Type),
					Subject:  b.LabelRanges[i].Ptr(),
				})
			}
		}
		if diags.HasErrors() && len(b.Labels) > 0 && !allValid(b.Labels) {
			continue
		}
		switch b.Type {
		case "berth":
			diags = diags.Extend(l.loadBerth(b))
		case "variable":
			diags = diags.Extend(l.loadVariable(b))
		case "locals":
			diags = diags.Extend(l.loadLocals(b))
		case "output":
			diags = diags.Extend(l.loadOutput(b))
		case "cluster":
			if d := l.dup("cluster."+b.Labels[0], fmt.Sprintf("cluster %q", b.Labels[0]), b.DefRange, b.LabelRanges[0]); d != nil {
				diags = diags.Append(d)
				continue
			}
			l.cfg.Clusters[b.Labels[0]] = &Cluster{Name: b.Labels[0], Kind: clusterKind(b.Body), Config: b.Body, DeclRange: b.DefRange}
		case "registry":
			if d := l.dup("registry."+b.Labels[0], fmt.Sprintf("registry %q", b.Labels[0]), b.DefRange, b.LabelRanges[0]); d != nil {
				diags = diags.Append(d)
				continue
			}
			l.cfg.Registries[b.Labels[0]] = &Registry{Name: b.Labels[0], Config: b.Body, DeclRange: b.DefRange}
		case "probe":
			if d := l.dup("probe."+b.Labels[0], fmt.Sprintf("probe %q", b.Labels[0]), b.DefRange, b.LabelRanges[0]); d != nil {
				diags = diags.Append(d)
				continue
			}
			l.cfg.Probes[b.Labels[0]] = &Probe{Name: b.Labels[0], Config: b.Body, DeclRange: b.DefRange}
		case "provider":
			if d := l.dup("provider."+b.Labels[0], fmt.Sprintf("provider configuration %q", b.Labels[0]), b.DefRange, b.LabelRanges[0]); d != nil {
				diags = diags.Append(d)
				continue
			}
			l.cfg.Providers[b.Labels[0]] = &ProviderConfig{Name: b.Labels[0], Config: b.Body, DeclRange: b.DefRange}
		default:
			diags = diags.Extend(l.loadResource(b))
		}
	}
	return diags
}

func allValid(labels []string) bool {
	for _, l := range labels {
		if !hclsyntax.ValidIdentifier(l) {
			return false
		}
	}
	return true
}

// clusterKind looks at which platform's kind block a cluster has, without
// reporting anything: Validate reports malformed clusters.
func clusterKind(body hcl.Body) string {
	var hs hcl.BodySchema
	for _, p := range builtin.Platforms() {
		hs.Blocks = append(hs.Blocks, hcl.BlockHeaderSchema{Type: p.Kind})
	}
	content, _, _ := body.PartialContent(&hs)
	if content == nil {
		return ""
	}
	kind := ""
	for _, b := range hs.Blocks {
		if len(content.Blocks.OfType(b.Type)) > 0 {
			if kind != "" {
				return ""
			}
			kind = b.Type
		}
	}
	return kind
}

var berthSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "required_version"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "required_providers"},
		{Type: "backend", LabelNames: []string{"type"}},
		{Type: "encryption"},
	},
}

func (l *loader) loadBerth(b *hcl.Block) hcl.Diagnostics {
	if d := l.dup("berth", "berth block", b.DefRange, b.DefRange); d != nil {
		d.Detail = fmt.Sprintf("A berth block was already declared at %s. Put all settings in one berth block.", l.seen["berth"])
		return hcl.Diagnostics{d}
	}
	content, diags := b.Body.Content(berthSchema)
	out := &Berth{RequiredProviders: map[string]*RequiredProvider{}, DeclRange: b.DefRange}
	l.cfg.Berth = out
	if attr, ok := content.Attributes["required_version"]; ok {
		var s string
		d := decodeStaticString(attr, &s)
		diags = diags.Extend(d)
		if !d.HasErrors() {
			out.RequiredVersionRange = attr.Expr.Range()
			c, err := goversion.NewConstraint(s)
			if err != nil {
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid required_version",
					Detail: fmt.Sprintf("%q is not a version constraint: %s.", s, err), Subject: attr.Expr.Range().Ptr()})
			} else {
				out.RequiredVersion = c
				if !c.Check(version.SemVer()) {
					diags = diags.Append(&hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Unsupported berth version",
						Detail:   fmt.Sprintf("This configuration requires berth %s, but this is berth %s.", s, version.String()),
						Subject:  attr.Expr.Range().Ptr(),
						Context:  attr.Range.Ptr(),
					})
				}
			}
		}
	}
	for _, rp := range content.Blocks.OfType("required_providers") {
		attrs, d := rp.Body.JustAttributes()
		diags = diags.Extend(d)
		for _, name := range sortedKeys(attrs) {
			diags = diags.Extend(decodeRequiredProvider(attrs[name], out))
		}
	}
	backends := content.Blocks.OfType("backend")
	for i, bb := range backends {
		if i > 0 {
			diags = diags.Append(duplicateBlockDiag("backend", bb.DefRange, backends[0].DefRange))
			continue
		}
		var d hcl.Diagnostics
		out.Backend, d = decodeBackend(bb)
		diags = diags.Extend(d)
	}
	encs := content.Blocks.OfType("encryption")
	for i, eb := range encs {
		if i > 0 {
			diags = diags.Append(duplicateBlockDiag("encryption", eb.DefRange, encs[0].DefRange))
			continue
		}
		var d hcl.Diagnostics
		out.Encryption, d = decodeEncryption(eb.Body, eb.DefRange)
		diags = diags.Extend(d)
	}
	return diags
}

func decodeRequiredProvider(attr *hcl.Attribute, out *Berth) hcl.Diagnostics {
	if prev, ok := out.RequiredProviders[attr.Name]; ok {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Duplicate required provider",
			Detail: fmt.Sprintf("Provider %q was already required at %s.", attr.Name, prev.DeclRange), Subject: attr.NameRange.Ptr()}}
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	ty := cty.ObjectWithOptionalAttrs(map[string]cty.Type{"source": cty.String, "version": cty.String}, []string{"version"})
	cv, err := convert.Convert(v, ty)
	if err != nil || cv.IsNull() || cv.GetAttr("source").IsNull() {
		return diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid required_providers entry",
			Detail:   fmt.Sprintf("Provider %q must be given as { source = \"namespace/name\", version = \"~> 1.0\" }.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	rp := &RequiredProvider{Name: attr.Name, Source: cv.GetAttr("source").AsString(), DeclRange: attr.Range}
	ns, typ, ok := strings.Cut(rp.Source, "/")
	if !ok || ns == "" || typ == "" || strings.Contains(typ, "/") {
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid provider source",
			Detail:   fmt.Sprintf("%q is not a provider source; use \"namespace/name\", such as \"acme/dns\".", rp.Source),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	rp.Namespace, rp.Type = ns, typ
	if vv := cv.GetAttr("version"); !vv.IsNull() {
		rp.VersionString = vv.AsString()
		c, err := goversion.NewConstraint(rp.VersionString)
		if err != nil {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid provider version constraint",
				Detail:   fmt.Sprintf("%q is not a version constraint: %s.", rp.VersionString, err),
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
		rp.Version = c
	}
	out.RequiredProviders[attr.Name] = rp
	return diags
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}, {Name: "nullable"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

func (l *loader) loadVariable(b *hcl.Block) hcl.Diagnostics {
	name := b.Labels[0]
	if d := l.dup("var."+name, fmt.Sprintf("variable %q", name), b.DefRange, b.LabelRanges[0]); d != nil {
		return hcl.Diagnostics{d}
	}
	content, diags := b.Body.Content(variableSchema)
	v := &Variable{Name: name, Type: cty.DynamicPseudoType, ConstraintType: cty.DynamicPseudoType, Nullable: true, DeclRange: b.DefRange}
	if attr, ok := content.Attributes["type"]; ok {
		ty, defaults, d := typeexpr.TypeConstraintWithDefaults(attr.Expr)
		diags = diags.Extend(d)
		if !d.HasErrors() {
			v.ConstraintType, v.TypeDefaults = ty, defaults
			v.Type = ty.WithoutOptionalAttributesDeep()
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		diags = diags.Extend(decodeStaticString(attr, &v.Description))
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		diags = diags.Extend(decodeStaticBool(attr, &v.Sensitive))
	}
	if attr, ok := content.Attributes["nullable"]; ok {
		diags = diags.Extend(decodeStaticBool(attr, &v.Nullable))
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = diags.Extend(d)
		if !d.HasErrors() {
			if v.TypeDefaults != nil && !val.IsNull() {
				val = v.TypeDefaults.Apply(val)
			}
			cv, err := convert.Convert(val, v.ConstraintType)
			switch {
			case err != nil:
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", convertErrorString(err)),
					Subject:  attr.Expr.Range().Ptr(),
				})
				v.Default = cty.UnknownVal(v.Type)
			case cv.IsNull() && !v.Nullable:
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   "The variable is not nullable (nullable = false), so its default cannot be null.",
					Subject:  attr.Expr.Range().Ptr(),
				})
				v.Default = cty.UnknownVal(v.Type)
			default:
				v.Default = cv
			}
		}
	}
	for _, vb := range content.Blocks.OfType("validation") {
		vc, d := vb.Body.Content(validationSchema)
		diags = diags.Extend(d)
		if d.HasErrors() {
			continue
		}
		vv := &VariableValidation{Condition: vc.Attributes["condition"].Expr, ErrorMessage: vc.Attributes["error_message"].Expr, DeclRange: vb.DefRange}
		for _, ref := range mustRefs(vv.Condition) {
			if ref.Subject != "var" || ref.Name != name {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid reference in variable validation",
					Detail:   fmt.Sprintf("The condition of a validation of variable %q can only refer to var.%s.", name, name),
					Subject:  ref.SourceRange.Ptr(),
				})
			}
		}
		v.Validations = append(v.Validations, vv)
	}
	l.cfg.Variables[name] = v
	return diags
}

func (l *loader) loadLocals(b *hcl.Block) hcl.Diagnostics {
	attrs, diags := b.Body.JustAttributes()
	for _, name := range sortedAttrs(attrs) {
		attr := attrs[name]
		if d := l.dup("local."+name, fmt.Sprintf("local value %q", name), attr.Range, attr.NameRange); d != nil {
			diags = diags.Append(d)
			continue
		}
		l.cfg.Locals[name] = &Local{Name: name, Expr: attr.Expr, DeclRange: attr.Range}
	}
	return diags
}

// sortedAttrs orders attributes by position, so diagnostics follow the file.
func sortedAttrs(attrs hcl.Attributes) []string {
	names := sortedKeys(attrs)
	sort.SliceStable(names, func(i, j int) bool {
		return attrs[names[i]].Range.Start.Byte < attrs[names[j]].Range.Start.Byte
	})
	return names
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"}, {Name: "depends_on"},
	},
}

func (l *loader) loadOutput(b *hcl.Block) hcl.Diagnostics {
	name := b.Labels[0]
	if d := l.dup("output."+name, fmt.Sprintf("output %q", name), b.DefRange, b.LabelRanges[0]); d != nil {
		return hcl.Diagnostics{d}
	}
	content, diags := b.Body.Content(outputSchema)
	o := &Output{Name: name, DeclRange: b.DefRange, Expr: hcl.StaticExpr(cty.NullVal(cty.DynamicPseudoType), b.DefRange)}
	if attr, ok := content.Attributes["value"]; ok {
		o.Expr = attr.Expr
	}
	if attr, ok := content.Attributes["description"]; ok {
		diags = diags.Extend(decodeStaticString(attr, &o.Description))
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		diags = diags.Extend(decodeStaticBool(attr, &o.Sensitive))
	}
	if attr, ok := content.Attributes["depends_on"]; ok {
		var d hcl.Diagnostics
		o.DependsOn, d = decodeDependsOn(attr)
		diags = diags.Extend(d)
	}
	l.cfg.Outputs[name] = o
	return diags
}

func metaSchema(kind string) *hcl.BodySchema {
	s := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "count"}, {Name: "for_each"}, {Name: "depends_on"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "lifecycle"}},
	}
	switch kind {
	case KindLoadBalancer, KindResource, KindData:
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: "provider"})
	}
	return s
}

var lifecycleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "create_before_destroy"}, {Name: "prevent_destroy"}, {Name: "ignore_changes"}},
}

func (l *loader) loadResource(b *hcl.Block) hcl.Diagnostics {
	r := &Resource{Kind: b.Type, DeclRange: b.DefRange, TypeRange: b.LabelRanges[0]}
	switch b.Type {
	case KindResource, KindData:
		r.Type, r.Name = b.Labels[0], b.Labels[1]
		if b.Type == KindData {
			r.Mode = DataMode
		}
	default:
		r.Type, r.Name = b.Type, b.Labels[0]
		r.TypeRange = b.DefRange
	}
	var diags hcl.Diagnostics
	nameRange := b.LabelRanges[len(b.LabelRanges)-1]
	what := fmt.Sprintf("%s %q", b.Type, r.Name)
	if b.Type == KindResource || b.Type == KindData {
		what = fmt.Sprintf("%s %q %q", b.Type, r.Type, r.Name)
		if i := strings.Index(r.Type, "_"); i <= 0 || i == len(r.Type)-1 {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid resource type",
				Detail:   fmt.Sprintf("%q is not a resource type: types are named <provider>_<type>, such as \"acmedns_record\", where <provider> is a key of required_providers.", r.Type),
				Subject:  b.LabelRanges[0].Ptr(),
			})
		} else {
			r.ProviderName = r.Type[:i]
			r.ProviderRange = b.LabelRanges[0]
		}
	}
	if d := l.dup(r.Addr(), what, b.DefRange, nameRange); d != nil {
		return diags.Append(d)
	}
	content, remain, d := b.Body.PartialContent(metaSchema(b.Type))
	diags = diags.Extend(d)
	r.Config = remain
	if attr, ok := content.Attributes["count"]; ok {
		r.Count = attr.Expr
	}
	if attr, ok := content.Attributes["for_each"]; ok {
		r.ForEach = attr.Expr
		if r.Count != nil {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid combination of \"count\" and \"for_each\"",
				Detail:   "The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be used.",
				Subject:  attr.NameRange.Ptr(),
				Context:  content.Attributes["count"].Range.Ptr(),
			})
		}
	}
	if attr, ok := content.Attributes["depends_on"]; ok {
		r.DependsOn, d = decodeDependsOn(attr)
		diags = diags.Extend(d)
	}
	if attr, ok := content.Attributes["provider"]; ok {
		tr, d := hcl.AbsTraversalForExpr(attr.Expr)
		if d.HasErrors() || len(tr) != 1 {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid provider reference",
				Detail:   "The provider argument takes a provider name, such as acmelb, without quotes.",
				Subject:  attr.Expr.Range().Ptr(),
			})
		} else {
			r.ProviderName = tr.RootName()
			r.ProviderRange = attr.Expr.Range()
		}
	} else if name, ok := builtin.DefaultFor(b.Type); ok {
		// A built-in provider that serves such blocks by default (a load
		// balancer's) need not be named.
		r.ProviderName, r.ProviderRange = name, b.DefRange
	}
	lcs := content.Blocks.OfType("lifecycle")
	for i, lb := range lcs {
		if i > 0 {
			diags = diags.Append(duplicateBlockDiag("lifecycle", lb.DefRange, lcs[0].DefRange))
			continue
		}
		diags = diags.Extend(decodeLifecycle(lb, &r.Lifecycle))
	}
	l.cfg.Resources[r.Addr()] = r
	return diags
}

func decodeLifecycle(b *hcl.Block, lc *Lifecycle) hcl.Diagnostics {
	lc.DeclRange = b.DefRange
	content, diags := b.Body.Content(lifecycleSchema)
	if attr, ok := content.Attributes["create_before_destroy"]; ok {
		diags = diags.Extend(decodeStaticBool(attr, &lc.CreateBeforeDestroy))
	}
	if attr, ok := content.Attributes["prevent_destroy"]; ok {
		diags = diags.Extend(decodeStaticBool(attr, &lc.PreventDestroy))
	}
	if attr, ok := content.Attributes["ignore_changes"]; ok {
		if kw := hcl.ExprAsKeyword(attr.Expr); kw == "all" {
			lc.IgnoreAllChanges = true
		} else {
			exprs, d := hcl.ExprList(attr.Expr)
			diags = diags.Extend(d)
			for _, e := range exprs {
				tr, d := hcl.RelTraversalForExpr(e)
				if d.HasErrors() {
					diags = diags.Append(&hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid ignore_changes entry",
						Detail:   "ignore_changes takes a list of attribute names (such as [replicas, env[\"A\"]]) or the keyword all.",
						Subject:  e.Range().Ptr(),
					})
					continue
				}
				lc.IgnoreChanges = append(lc.IgnoreChanges, tr)
			}
		}
	}
	return diags
}

func decodeDependsOn(attr *hcl.Attribute) ([]hcl.Traversal, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(attr.Expr)
	var out []hcl.Traversal
	for _, e := range exprs {
		tr, d := hcl.AbsTraversalForExpr(e)
		detail := "depends_on takes a list of references to blocks, such as [app.web, acmedns_record.www]."
		if !d.HasErrors() {
			detail = dependsOnProblem(tr)
		}
		if detail != "" {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid depends_on entry",
				Detail:   detail,
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		out = append(out, tr)
	}
	return out, diags
}

// dependsOnProblem says what is wrong with a depends_on entry, or "" when
// it names a resource-like block (app.x, scaling_policy.x,
// load_balancer.x, TYPE.NAME, data.TYPE.NAME), optionally one instance of
// it. Only those are applied, so only they can be waited for: a variable,
// a local or an attribute adds nothing the expressions don't already say.
func dependsOnProblem(tr hcl.Traversal) string {
	root := tr.RootName()
	n := 2 // steps of the address
	switch {
	case root == RefApp, root == RefScalingPolicy, root == RefLoadBalancer:
	case root == RefData:
		n = 3
	case strings.Contains(root, "_") && !contains(keywordRoots, root):
	default:
		return fmt.Sprintf("%s is not a resource-like block: depends_on takes references to app, scaling_policy, load_balancer, resource (TYPE.NAME) and data (data.TYPE.NAME) blocks, such as [app.web, acmedns_record.www].", traversalString(tr))
	}
	if len(tr) < n {
		return "depends_on takes references to whole blocks, such as [app.web, acmedns_record.www]."
	}
	for i, step := range tr[1:] {
		_, attr := step.(hcl.TraverseAttr)
		if (i+1 < n) != attr {
			return "depends_on takes references to whole blocks or instances, not to their attributes: write [app.web] rather than [app.web.image]."
		}
		if i+1 >= n+1 {
			// At most one instance key after the address.
			return "depends_on takes references to whole blocks or instances, such as [app.web] or [app.web[0]]."
		}
	}
	return ""
}

// traversalString writes a traversal back as source, for messages.
func traversalString(tr hcl.Traversal) string {
	var b strings.Builder
	for _, step := range tr {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			k, _ := s.Key.Unmark()
			switch {
			case k.Type() == cty.String && k.IsKnown() && !k.IsNull():
				b.WriteString(fmt.Sprintf("[%q]", k.AsString()))
			case k.Type() == cty.Number && k.IsKnown() && !k.IsNull():
				b.WriteString("[" + k.AsBigFloat().Text('f', -1) + "]")
			default:
				b.WriteString("[...]")
			}
		default:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

func decodeStaticString(attr *hcl.Attribute, out *string) hcl.Diagnostics {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	cv, err := convert.Convert(v, cty.String)
	if err != nil || cv.IsNull() || !cv.IsKnown() {
		return diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr.Name,
			Detail: "A literal string is required here.", Subject: attr.Expr.Range().Ptr()})
	}
	*out = cv.AsString()
	return diags
}

func decodeStaticBool(attr *hcl.Attribute, out *bool) hcl.Diagnostics {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	cv, err := convert.Convert(v, cty.Bool)
	if err != nil || cv.IsNull() || !cv.IsKnown() {
		return diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr.Name,
			Detail: "A literal true or false is required here.", Subject: attr.Expr.Range().Ptr()})
	}
	*out = cv.True()
	return diags
}

// resolveProviders fills in the provider of apps and scaling policies: the
// built-in provider of their cluster's platform, once every block is known.
func (l *loader) resolveProviders() {
	for _, r := range l.cfg.SortedResources() {
		if r.Kind != KindApp {
			continue
		}
		if name, rng, ok := staticRef(r.Config, "cluster", "cluster"); ok {
			if c := l.cfg.Clusters[name]; c != nil {
				if _, provider, ok := builtin.Platform(c.Kind); ok {
					r.ProviderName, r.ProviderRange = provider, rng
				}
			}
		}
	}
	for _, r := range l.cfg.SortedResources() {
		if r.Kind != KindScalingPolicy {
			continue
		}
		if name, rng, ok := staticRef(r.Config, "app", "app"); ok {
			if a := l.cfg.Resources["app."+name]; a != nil {
				r.ProviderName, r.ProviderRange = a.ProviderName, rng
			}
		}
	}
}

// staticRef reads attribute attr of body as a reference root.NAME (with
// an optional index, for count/for_each) without evaluating it.
func staticRef(body hcl.Body, attr, root string) (string, hcl.Range, bool) {
	content, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: attr}}})
	if content == nil || content.Attributes[attr] == nil {
		return "", hcl.Range{}, false
	}
	return refName(content.Attributes[attr].Expr, root)
}

func refName(expr hcl.Expression, root string) (string, hcl.Range, bool) {
	// Variables rather than AbsTraversalForExpr, so that "${cluster.prod}"
	// in JSON and app.web[each.key] count as references too.
	var names []string
	for _, tr := range expr.Variables() {
		if tr.RootName() != root || len(tr) < 2 {
			continue
		}
		if step, ok := tr[1].(hcl.TraverseAttr); ok && !contains(names, step.Name) {
			names = append(names, step.Name)
		}
	}
	if len(names) != 1 {
		return "", expr.Range(), false
	}
	return names[0], expr.Range(), true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// sortDiagnostics orders diagnostics by file, line and column (those
// without a range first), keeping the original order among equals.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		default:
			return a.Start.Column < b.Start.Column
		}
	})
}

package lang

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers"
)

// BlockSchema describes a block body that lang decodes into a cty object:
// the domain blocks (app, probe, ...) and, through SchemaFromProvider, the
// blocks of provider resource types. Decoding applies defaults and checks
// the attribute-level rules; Check adds the rules that span attributes.
type BlockSchema struct {
	Attributes []*AttrSchema
	Blocks     []*NestedSchema
	// Check validates the decoded object; ranges locates its parts for
	// precise diagnostics. It is only called when the body decoded without
	// errors.
	Check func(v cty.Value, ranges Ranges) hcl.Diagnostics
}

// AttrSchema is one attribute of a BlockSchema.
type AttrSchema struct {
	Name        string
	Type        cty.Type
	Required    bool
	Description string
	Sensitive   bool
	// Computed attributes cannot be written in configuration; they decode
	// as null and are known after apply (unknown in references until then).
	Computed bool
	// SetInstead explains, for a computed attribute that berth fills in
	// from other configuration (not the provider), how to write what the
	// user meant: the summary and detail of the error when configuration
	// sets the attribute. content is the rest of the block.
	SetInstead func(set *hcl.Attribute, content *hcl.BodyContent) (summary, detail string)
	// Default is used when the attribute is absent (cty.NilVal: null).
	Default cty.Value
	// Check validates a known, non-null value of the attribute. The value
	// keeps its marks: a message must show it only through shown(), which
	// redacts a sensitive one.
	Check func(v cty.Value) error
	// OrBlock allows the attribute to be written instead as a nested block
	// of the same name with this schema (readiness = probe.health, or an
	// inline readiness { ... } block).
	OrBlock *BlockSchema
}

// NestedSchema is a nested block type of a BlockSchema.
type NestedSchema struct {
	Name string
	// Label, when set, is the name of the block's single label; it becomes
	// the attribute of that name in the decoded object.
	Label string
	// List blocks may repeat and decode as a list of objects, in source
	// order; otherwise the block appears at most once and decodes as an
	// object (null when absent, unless DefaultWhenAbsent).
	List     bool
	Required bool
	// DefaultWhenAbsent decodes an absent single block as if written empty,
	// so its defaults apply (rollout has defaults even when not written).
	DefaultWhenAbsent bool
	Block             *BlockSchema
}

// Ranges locates the parts of a decoded block: attribute expressions and
// nested blocks by dotted path relative to the block ("rollout.growth",
// "port[1].container", "readiness.http.port").
type Ranges struct {
	Block hcl.Range
	Paths map[string]hcl.Range
	// Sensitive holds the paths of attributes whose value carries the
	// Sensitive mark: a Check (which sees the value unmarked) must not
	// show them.
	Sensitive map[string]bool
}

// Show formats the value v of the attribute at path for a message, as the
// bare text of a string (10s) or a number, or "(sensitive value)".
func (r Ranges) Show(path string, v cty.Value) string {
	for p := path; p != ""; {
		if r.Sensitive[p] {
			return "(sensitive value)"
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return shownBare(v)
}

// Get returns the range of path, or of its closest enclosing part that has
// one, or the block's range.
func (r Ranges) Get(path string) hcl.Range {
	for path != "" {
		if rng, ok := r.Paths[path]; ok {
			return rng
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return r.Block
}

// ImpliedType is the cty object type a body decodes to.
func (s *BlockSchema) ImpliedType() cty.Type {
	attrs := map[string]cty.Type{}
	for _, a := range s.Attributes {
		attrs[a.Name] = a.Type
	}
	for _, b := range s.Blocks {
		t := b.Block.ImpliedType()
		if b.Label != "" {
			at := t.AttributeTypes()
			m := make(map[string]cty.Type, len(at)+1)
			for k, v := range at {
				m[k] = v
			}
			m[b.Label] = cty.String
			t = cty.Object(m)
		}
		if b.List {
			t = cty.List(t)
		}
		attrs[b.Name] = t
	}
	return cty.Object(attrs)
}

// hclSchema is the schema used for body.Content.
func (s *BlockSchema) hclSchema(json bool) *hcl.BodySchema {
	hs := &hcl.BodySchema{}
	for _, a := range s.Attributes {
		if a.Computed {
			// Accepted here so that decode can say why it cannot be set.
			hs.Attributes = append(hs.Attributes, hcl.AttributeSchema{Name: a.Name})
			continue
		}
		// With OrBlock the attribute is optional at the HCL level: either
		// form satisfies it, checked after decoding.
		hs.Attributes = append(hs.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required && a.OrBlock == nil})
		// HCL's JSON syntax cannot tell an attribute from a block of the same
		// name, so there the attribute form is the only one (an object value
		// is converted to the block's type).
		if a.OrBlock != nil && !json {
			hs.Blocks = append(hs.Blocks, hcl.BlockHeaderSchema{Type: a.Name})
		}
	}
	for _, b := range s.Blocks {
		h := hcl.BlockHeaderSchema{Type: b.Name}
		if b.Label != "" {
			h.LabelNames = []string{b.Label}
		}
		hs.Blocks = append(hs.Blocks, h)
	}
	return hs
}

func isJSONBody(body hcl.Body) bool {
	_, ok := body.(*hclsyntax.Body)
	return !ok
}

// Decode decodes body with this schema, evaluating expressions in ctx
// (which may be nil for bodies without references). The result has the
// schema's ImpliedType; computed attributes are null.
func (s *BlockSchema) Decode(body hcl.Body, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, _, diags := s.decode(body, ctx, missingRange(body))
	return v, diags
}

// DecodeWithRanges is Decode that also returns where each part was written.
func (s *BlockSchema) DecodeWithRanges(body hcl.Body, ctx *hcl.EvalContext) (cty.Value, Ranges, hcl.Diagnostics) {
	return s.decode(body, ctx, missingRange(body))
}

func missingRange(body hcl.Body) hcl.Range {
	return body.MissingItemRange()
}

func (s *BlockSchema) decode(body hcl.Body, ctx *hcl.EvalContext, blockRange hcl.Range) (cty.Value, Ranges, hcl.Diagnostics) {
	return s.decodeWithMeta(body, ctx, blockRange, nil)
}

// decodeWithMeta decodes the body of a resource-like block, whose
// meta-arguments (already removed from body) are listed in meta only so
// that a misspelt one gets a "Did you mean" suggestion.
func (s *BlockSchema) decodeWithMeta(body hcl.Body, ctx *hcl.EvalContext, blockRange hcl.Range, meta *hcl.BodySchema) (cty.Value, Ranges, hcl.Diagnostics) {
	ranges := Ranges{Block: blockRange, Paths: map[string]hcl.Range{}, Sensitive: map[string]bool{}}
	hs := s.hclSchema(isJSONBody(body))
	if meta != nil {
		hs.Attributes = append(hs.Attributes, meta.Attributes...)
		hs.Blocks = append(hs.Blocks, meta.Blocks...)
	}
	content, diags := body.Content(hs)
	vals := map[string]cty.Value{}
	for _, a := range s.Attributes {
		if a.Computed {
			// Configuration never sets computed attributes: null, as in
			// Terraform; the planned state fills them.
			vals[a.Name] = cty.NullVal(a.Type)
			if attr := content.Attributes[a.Name]; attr != nil && a.SetInstead != nil {
				summary, detail := a.SetInstead(attr, content)
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: attr.Range.Ptr()})
			} else if attr != nil {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Value for unconfigurable attribute",
					Detail:   fmt.Sprintf("Can't configure a value for %q: its value is decided by the provider when the configuration is applied.", a.Name),
					Subject:  attr.NameRange.Ptr(),
				})
			}
			continue
		}
		attr := content.Attributes[a.Name]
		var blocks hcl.Blocks
		if a.OrBlock != nil {
			blocks = content.Blocks.OfType(a.Name)
			if attr != nil && isJSONBody(body) {
				// In JSON an object is the inline block, a string the reference.
				if _, d := hcl.ExprMap(attr.Expr); !d.HasErrors() {
					bc, _, _ := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: a.Name}}})
					if bc != nil {
						blocks, attr = bc.Blocks, nil
					}
				}
			}
		}
		switch {
		case attr != nil && len(blocks) > 0:
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Conflicting definitions of " + strconv.Quote(a.Name),
				Detail:   fmt.Sprintf("%q is set both as an argument and as a block; use one or the other.", a.Name),
				Subject:  blocks[0].DefRange.Ptr(),
				Context:  attr.Range.Ptr(),
			})
			vals[a.Name] = cty.NullVal(a.Type)
		case len(blocks) > 0:
			if len(blocks) > 1 {
				diags = diags.Append(duplicateBlockDiag(a.Name, blocks[1].DefRange, blocks[0].DefRange))
			}
			v, r, d := a.OrBlock.decode(blocks[0].Body, ctx, blocks[0].DefRange)
			diags = diags.Extend(d)
			ranges.Paths[a.Name] = blocks[0].DefRange
			mergeRanges(ranges, a.Name, r)
			if cv, err := convert.Convert(v, a.Type); err == nil {
				v = cv
			} else {
				v = cty.NullVal(a.Type)
			}
			vals[a.Name] = v
		case attr != nil:
			ranges.Paths[a.Name] = attr.Expr.Range()
			v, d := attr.Expr.Value(ctx)
			diags = diags.Extend(d)
			if d.HasErrors() {
				vals[a.Name] = cty.UnknownVal(a.Type)
				continue
			}
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				diags = diags.Append(&hcl.Diagnostic{
					Severity:    hcl.DiagError,
					Summary:     "Incorrect attribute value type",
					Detail:      fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, redactedConvertError(err, v)),
					Subject:     attr.Expr.Range().Ptr(),
					Context:     attr.Range.Ptr(),
					Expression:  attr.Expr,
					EvalContext: ctx,
				})
				vals[a.Name] = cty.UnknownVal(a.Type)
				continue
			}
			if a.Check != nil && cv.IsKnown() && !cv.IsNull() && cv.IsWhollyKnown() {
				if err := a.Check(cv); err != nil {
					diags = diags.Append(&hcl.Diagnostic{
						Severity:    hcl.DiagError,
						Summary:     "Invalid value for " + strconv.Quote(a.Name),
						Detail:      endSentence(capitalize(err.Error())),
						Subject:     attr.Expr.Range().Ptr(),
						Context:     attr.Range.Ptr(),
						Expression:  attr.Expr,
						EvalContext: ctx,
					})
				}
			}
			if a.Sensitive {
				cv = cv.Mark(Sensitive)
			}
			if cv.ContainsMarked() {
				ranges.Sensitive[a.Name] = true
			}
			vals[a.Name] = cv
		default:
			if a.Required && a.OrBlock != nil {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing required argument",
					Detail:   fmt.Sprintf("The argument or block %q is required, but was not set.", a.Name),
					Subject:  blockRange.Ptr(),
				})
			}
			if a.Default != cty.NilVal {
				vals[a.Name] = a.Default
			} else {
				vals[a.Name] = cty.NullVal(a.Type)
			}
		}
	}
	for _, b := range s.Blocks {
		blocks := content.Blocks.OfType(b.Name)
		ety := b.Block.ImpliedType()
		if b.Label != "" {
			ety = labelledType(ety, b.Label)
		}
		if b.Required && len(blocks) == 0 {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing required block",
				Detail:   fmt.Sprintf("At least one %q block is required.", b.Name),
				Subject:  blockRange.Ptr(),
			})
		}
		if !b.List {
			if len(blocks) > 1 {
				diags = diags.Append(duplicateBlockDiag(b.Name, blocks[1].DefRange, blocks[0].DefRange))
			}
			switch {
			case len(blocks) > 0:
				v, r, d := b.Block.decode(blocks[0].Body, ctx, blocks[0].DefRange)
				diags = diags.Extend(d)
				ranges.Paths[b.Name] = blocks[0].DefRange
				mergeRanges(ranges, b.Name, r)
				vals[b.Name] = withLabel(v, b, blocks[0])
			case b.DefaultWhenAbsent:
				v, _, d := b.Block.decode(hcl.EmptyBody(), ctx, blockRange)
				diags = diags.Extend(d)
				vals[b.Name] = v
			default:
				vals[b.Name] = cty.NullVal(ety)
			}
			continue
		}
		var elems []cty.Value
		seen := map[string]hcl.Range{}
		for i, blk := range blocks {
			if b.Label != "" {
				if prev, dup := seen[blk.Labels[0]]; dup {
					diags = diags.Append(&hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  fmt.Sprintf("Duplicate %s %q", b.Name, blk.Labels[0]),
						Detail:   fmt.Sprintf("%s named %q was already defined at %s. Names must be unique within a block.", capitalize(withArticle(b.Name)), blk.Labels[0], prev),
						Subject:  blk.LabelRanges[0].Ptr(),
						Context:  prev.Ptr(),
					})
				}
				seen[blk.Labels[0]] = blk.LabelRanges[0]
			}
			v, r, d := b.Block.decode(blk.Body, ctx, blk.DefRange)
			diags = diags.Extend(d)
			p := fmt.Sprintf("%s[%d]", b.Name, i)
			ranges.Paths[p] = blk.DefRange
			mergeRanges(ranges, p, r)
			elems = append(elems, withLabel(v, b, blk))
		}
		if len(elems) == 0 {
			vals[b.Name] = cty.ListValEmpty(ety)
		} else {
			vals[b.Name] = cty.ListVal(elems)
		}
	}
	obj := cty.ObjectVal(vals)
	if s.Check != nil && !diags.HasErrors() {
		diags = diags.Extend(s.Check(unmarked(obj), ranges))
	}
	return obj, ranges, diags
}

func labelledType(t cty.Type, label string) cty.Type {
	at := t.AttributeTypes()
	m := make(map[string]cty.Type, len(at)+1)
	for k, v := range at {
		m[k] = v
	}
	m[label] = cty.String
	return cty.Object(m)
}

func withLabel(v cty.Value, b *NestedSchema, blk *hcl.Block) cty.Value {
	if b.Label == "" {
		return v
	}
	m := v.AsValueMap()
	if m == nil {
		m = map[string]cty.Value{}
	}
	m[b.Label] = cty.StringVal(blk.Labels[0])
	return cty.ObjectVal(m)
}

func mergeRanges(dst Ranges, prefix string, r Ranges) {
	for k, v := range r.Paths {
		dst.Paths[prefix+"."+k] = v
	}
	for k := range r.Sensitive {
		dst.Sensitive[prefix+"."+k] = true
	}
}

func duplicateBlockDiag(name string, subject, prev hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + name + " block",
		Detail:   fmt.Sprintf("Only one %q block is allowed here; another was already defined at %s.", name, prev),
		Subject:  subject.Ptr(),
		Context:  prev.Ptr(),
	}
}

// redactedConvertError is convertErrorString for the conversion of v: a
// message that would show (part of) a sensitive v is replaced.
func redactedConvertError(err error, v cty.Value) string {
	msg := convertErrorString(err)
	if v.ContainsMarked() && revealsSensitive(msg, v) {
		return "the value is sensitive, so why it cannot be converted is not shown"
	}
	return msg
}

func convertErrorString(err error) string {
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) > 0 {
		return fmt.Sprintf("%s: %s", formatPath(pe.Path), pe.Error())
	}
	return err.Error()
}

func formatPath(p cty.Path) string {
	var sb strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(s.Name)
		case cty.IndexStep:
			switch s.Key.Type() {
			case cty.String:
				fmt.Fprintf(&sb, "[%q]", s.Key.AsString())
			case cty.Number:
				fmt.Fprintf(&sb, "[%s]", s.Key.AsBigFloat().String())
			}
		}
	}
	return sb.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ProviderBlock converts the schema to the providers.Block form used by
// the provider protocol (e.g. for `berth providers schema`).
func (s *BlockSchema) ProviderBlock() *providers.Block {
	out := &providers.Block{Attributes: map[string]*providers.Attribute{}, BlockTypes: map[string]*providers.NestedBlock{}}
	for _, a := range s.Attributes {
		out.Attributes[a.Name] = &providers.Attribute{
			Type:        a.Type,
			Description: a.Description,
			Required:    a.Required,
			Optional:    !a.Required && !a.Computed,
			Computed:    a.Computed,
			Sensitive:   a.Sensitive,
			Default:     a.Default,
		}
	}
	for _, b := range s.Blocks {
		nb := &providers.NestedBlock{Block: b.Block.ProviderBlock(), Nesting: providers.NestingSingle, MaxItems: 1}
		if b.List {
			nb.Nesting, nb.MaxItems = providers.NestingList, 0
		}
		if b.Label != "" {
			nb.Block.Attributes[b.Label] = &providers.Attribute{Type: cty.String, Required: true}
		}
		if b.Required {
			nb.MinItems = 1
		}
		out.BlockTypes[b.Name] = nb
	}
	return out
}

// SchemaFromProvider converts a provider's block schema so that lang can
// decode and check resource and data blocks with it. Nested list, set and
// map blocks all decode as lists (map blocks take their key as label
// "name").
func SchemaFromProvider(b *providers.Block) *BlockSchema {
	out := &BlockSchema{}
	for _, name := range sortedKeys(b.Attributes) {
		a := b.Attributes[name]
		out.Attributes = append(out.Attributes, &AttrSchema{
			Name: name, Type: a.Type, Required: a.Required, Computed: a.Computed && !a.Optional,
			Description: a.Description, Sensitive: a.Sensitive, Default: a.Default,
		})
	}
	for _, name := range sortedKeys(b.BlockTypes) {
		nb := b.BlockTypes[name]
		ns := &NestedSchema{Name: name, Block: SchemaFromProvider(nb.Block), List: nb.Nesting != providers.NestingSingle, Required: nb.MinItems > 0}
		if nb.Nesting == providers.NestingMap {
			ns.Label = "name"
		}
		out.Blocks = append(out.Blocks, ns)
	}
	return out
}

func unmarked(v cty.Value) cty.Value {
	u, _ := v.UnmarkDeep()
	return u
}

// endSentence ends a message with a full stop, unless it ends a sentence
// already (a question: "did you mean "zone"?").
func endSentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

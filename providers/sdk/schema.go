package sdk

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers"
)

// Schema declares the attributes and nested blocks of a resource type, a
// data source, or the provider's own configuration block.
//
// Every attribute is exactly one of:
//   - Required: the configuration must set it;
//   - Optional: the configuration may set it (with an optional Default);
//   - Computed: only the provider sets it (id, fqdn, ...);
//   - Optional and Computed: the configuration may set it, otherwise the
//     provider chooses it and the chosen value is kept on later plans.
type Schema struct {
	// Version of the schema, recorded in state for future upgrades.
	Version     int64
	Description string
	Attributes  map[string]Attribute
	Blocks      map[string]NestedBlock
}

// Attribute declares one attribute. Type is required; the flags follow
// providers.Attribute.
type Attribute struct {
	Type        cty.Type
	Description string
	Required    bool
	Optional    bool
	Computed    bool
	// Sensitive values are marked with providers.SensitiveMark in every
	// value the SDK returns, so berth redacts them in plans, output and logs.
	Sensitive bool
	// ForceNew: changing the attribute replaces the object. The default
	// plan reports the attribute in RequiresReplace when its planned value
	// differs from (or, being unknown, may differ from) the prior state.
	ForceNew bool
	// Default is used by the default plan when the configuration leaves an
	// Optional attribute unset. cty.NilVal means no default.
	Default cty.Value
	// Validate, when set, checks a known, non-null value of the attribute
	// (already converted to Type) during ValidateResourceConfig. Use it for
	// checks that need nothing but the value; see OneOf and Between.
	Validate func(v cty.Value) error
}

// NestedBlock declares a nested block type: `listener { ... }`.
type NestedBlock struct {
	// Nesting says how many times the block may appear and how it is
	// represented: a single object, a list, a set or a map of objects.
	Nesting     providers.NestingMode
	MinItems    int
	MaxItems    int
	Description string
	Attributes  map[string]Attribute
	Blocks      map[string]NestedBlock
}

// block is the common shape of Schema and NestedBlock that the SDK's walks
// (validate, plan, marks) recurse over.
type block struct {
	attrs  map[string]Attribute
	blocks map[string]NestedBlock
}

func (s *Schema) block() block { return block{s.Attributes, s.Blocks} }

func (n *NestedBlock) block() block { return block{n.Attributes, n.Blocks} }

// ImpliedType returns the cty object type of values of this schema: the
// type of configuration, planned state and state.
func (s *Schema) ImpliedType() cty.Type { return s.block().impliedType() }

func (b block) impliedType() cty.Type {
	ats := make(map[string]cty.Type, len(b.attrs)+len(b.blocks))
	for name, a := range b.attrs {
		ats[name] = a.Type
	}
	for name, nb := range b.blocks {
		ats[name] = nb.impliedType()
	}
	return cty.Object(ats)
}

func (n *NestedBlock) impliedType() cty.Type {
	et := n.block().impliedType()
	switch n.Nesting {
	case providers.NestingList:
		return cty.List(et)
	case providers.NestingSet:
		return cty.Set(et)
	case providers.NestingMap:
		return cty.Map(et)
	default:
		return et
	}
}

// providerSchema converts the declaration into the protocol's schema.
func (s *Schema) providerSchema() providers.Schema {
	return providers.Schema{Version: s.Version, Block: s.block().providerBlock(s.Description)}
}

func (b block) providerBlock(desc string) *providers.Block {
	pb := &providers.Block{
		Attributes:  make(map[string]*providers.Attribute, len(b.attrs)),
		BlockTypes:  make(map[string]*providers.NestedBlock, len(b.blocks)),
		Description: desc,
	}
	for name, a := range b.attrs {
		pb.Attributes[name] = &providers.Attribute{
			Type:        a.Type,
			Description: a.Description,
			Required:    a.Required,
			// An attribute with a default is optional to the user even if
			// the author only said Default.
			Optional:  a.Optional || (a.Default != cty.NilVal && !a.Required),
			Computed:  a.Computed,
			Sensitive: a.Sensitive,
			ForceNew:  a.ForceNew,
		}
	}
	for name, nb := range b.blocks {
		pb.BlockTypes[name] = &providers.NestedBlock{
			Block:    nb.block().providerBlock(nb.Description),
			Nesting:  nb.Nesting,
			MinItems: nb.MinItems,
			MaxItems: nb.MaxItems,
		}
	}
	return pb
}

// settable reports whether configuration may set the attribute.
func (a *Attribute) settable() bool {
	return a.Required || a.Optional || a.Default != cty.NilVal
}

// computedOnly reports whether only the provider sets the attribute.
func (a *Attribute) computedOnly() bool { return a.Computed && !a.settable() }

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// check reports mistakes in a schema declaration, which are the author's
// bugs: they are found once, when the provider is first used, rather than
// surfacing as odd plans.
func (s *Schema) check(where string) []string {
	return s.block().check(where)
}

func (b block) check(where string) []string {
	var errs []string
	for _, name := range sortedKeys(b.attrs) {
		a := b.attrs[name]
		at := where + "." + name
		if !nameRE.MatchString(name) {
			errs = append(errs, fmt.Sprintf("%s: attribute names are lower-case identifiers", at))
		}
		if _, dup := b.blocks[name]; dup {
			errs = append(errs, fmt.Sprintf("%s: declared both as attribute and as block", at))
		}
		if a.Type == cty.NilType {
			errs = append(errs, fmt.Sprintf("%s: no Type", at))
			continue
		}
		switch {
		case a.Required && (a.Optional || a.Computed):
			errs = append(errs, fmt.Sprintf("%s: Required excludes Optional and Computed", at))
		case !a.Required && !a.Optional && !a.Computed && a.Default == cty.NilVal:
			errs = append(errs, fmt.Sprintf("%s: one of Required, Optional or Computed must be set", at))
		}
		if a.Default != cty.NilVal {
			if a.Required {
				errs = append(errs, fmt.Sprintf("%s: a Required attribute cannot have a Default", at))
			}
			if _, err := convert.Convert(a.Default, a.Type); err != nil {
				errs = append(errs, fmt.Sprintf("%s: Default does not conform to Type: %s", at, err))
			}
		}
		if a.ForceNew && a.computedOnly() {
			errs = append(errs, fmt.Sprintf("%s: ForceNew on an attribute that configuration cannot set", at))
		}
	}
	for _, name := range sortedKeys(b.blocks) {
		nb := b.blocks[name]
		if !nameRE.MatchString(name) {
			errs = append(errs, fmt.Sprintf("%s.%s: block names are lower-case identifiers", where, name))
		}
		errs = append(errs, nb.block().check(where+"."+name)...)
	}
	return errs
}

// sensitivePaths returns the paths of the sensitive attributes present in v.
func (b block) sensitivePaths(v cty.Value, path cty.Path) []cty.Path {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil
	}
	var paths []cty.Path
	for name, a := range b.attrs {
		if a.Sensitive && v.Type().HasAttribute(name) {
			paths = append(paths, appendPath(path, cty.GetAttrStep{Name: name}))
		}
	}
	for name, nb := range b.blocks {
		if !v.Type().HasAttribute(name) {
			continue
		}
		bv := v.GetAttr(name)
		bp := appendPath(path, cty.GetAttrStep{Name: name})
		if bv.IsNull() || !bv.IsKnown() {
			continue
		}
		switch nb.Nesting {
		case providers.NestingSingle:
			paths = append(paths, nb.block().sensitivePaths(bv, bp)...)
		case providers.NestingList, providers.NestingMap:
			for it := bv.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				paths = append(paths, nb.block().sensitivePaths(ev, appendPath(bp, cty.IndexStep{Key: k}))...)
			}
		case providers.NestingSet:
			// Set elements have no stable path: a sensitive attribute in
			// a set block makes the whole set sensitive, as in Terraform.
			if nb.block().hasSensitive() {
				paths = append(paths, bp)
			}
		}
	}
	return paths
}

func (b block) hasSensitive() bool {
	for _, a := range b.attrs {
		if a.Sensitive {
			return true
		}
	}
	for _, nb := range b.blocks {
		if nb.block().hasSensitive() {
			return true
		}
	}
	return false
}

// appendPath copies: cty.Path values share backing arrays otherwise.
func appendPath(p cty.Path, step cty.PathStep) cty.Path {
	np := make(cty.Path, len(p), len(p)+1)
	copy(np, p)
	return append(np, step)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// OneOf returns an Attribute.Validate function accepting only the given
// strings.
func OneOf(allowed ...string) func(cty.Value) error {
	return func(v cty.Value) error {
		if v.Type() != cty.String {
			return fmt.Errorf("must be a string")
		}
		for _, a := range allowed {
			if v.AsString() == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s, not %q", strings.Join(allowed, ", "), v.AsString())
	}
}

// Between returns an Attribute.Validate function accepting numbers in the
// closed interval [lo, hi].
func Between(lo, hi int64) func(cty.Value) error {
	return func(v cty.Value) error {
		if v.Type() != cty.Number {
			return fmt.Errorf("must be a number")
		}
		bf := v.AsBigFloat()
		if bf.Cmp(cty.NumberIntVal(lo).AsBigFloat()) < 0 || bf.Cmp(cty.NumberIntVal(hi).AsBigFloat()) > 0 {
			return fmt.Errorf("must be between %d and %d, not %s", lo, hi, bf.Text('f', -1))
		}
		return nil
	}
}

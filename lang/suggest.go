package lang

import (
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// NameSuggestion returns the option closest to given if it is close enough
// to be a likely typo (edit distance below 3, as HCL itself uses), or "".
func NameSuggestion(given string, options []string) string {
	best, bestDist := "", 3
	for _, o := range options {
		if d := levenshtein.Distance(given, o, nil); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean formats a suggestion as a sentence to append to a detail, or "".
func didYouMean(given string, options []string) string {
	if s := NameSuggestion(given, options); s != "" {
		return " Did you mean \"" + s + "\"?"
	}
	return ""
}

// suggestAttributes adds a "Did you mean" to HCL's "Unsupported attribute"
// diagnostics (registry.harbor.adress), which HCL gives without one. The
// object's attributes are found again by re-walking the traversal the
// diagnostic is about in its evaluation context, so this works for any
// object of known type: clusters, registries, probes, app instances.
func suggestAttributes(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Summary != "Unsupported attribute" || d.Subject == nil || d.Expression == nil || d.EvalContext == nil ||
			strings.Contains(d.Detail, "Did you mean") {
			continue
		}
		name, options := attributeOptions(d.Expression, d.EvalContext, *d.Subject)
		d.Detail += didYouMean(name, options)
	}
}

// attributeOptions finds the attribute step of expr's traversal at rng and
// returns its name and the attributes of the object it is applied to.
func attributeOptions(expr hcl.Expression, ctx *hcl.EvalContext, rng hcl.Range) (string, []string) {
	var val cty.Value
	var tr hcl.Traversal
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		root, diags := e.Traversal[:1].TraverseAbs(ctx)
		if diags.HasErrors() {
			return "", nil
		}
		val, tr = root, e.Traversal[1:]
	case *hclsyntax.RelativeTraversalExpr:
		src, diags := e.Source.Value(ctx)
		if diags.HasErrors() {
			return "", nil
		}
		val, tr = src, e.Traversal
	default:
		return "", nil
	}
	for _, step := range tr {
		if a, ok := step.(hcl.TraverseAttr); ok && a.SrcRange == rng {
			ty := val.Type()
			if !ty.IsObjectType() {
				return "", nil
			}
			return a.Name, sortedKeys(ty.AttributeTypes())
		}
		next, diags := step.TraversalStep(val)
		if diags.HasErrors() {
			return "", nil
		}
		val = next
	}
	return "", nil
}

// withArticle prefixes a noun with "a" or "an": "an app", "an output", "a
// variable". A vowel letter decides, which is right for berth's block
// names.
func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("aeiouAEIOU", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

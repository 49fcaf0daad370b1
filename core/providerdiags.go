package core

import (
	"fmt"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/redact"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// withCallContext names the object a provider call was about in crash
// diagnostics ("provider docker crashed during ApplyResourceChange of app.web").
func withCallContext(diags hcl.Diagnostics, provider, call, addr string) hcl.Diagnostics {
	for _, d := range diags {
		if ci, ok := d.Extra.(providers.CrashInfo); ok && addr != "" && ci.Object == "" {
			ci.Object = addr
			d.Extra = ci
			d.Detail = ci.Detail()
		}
	}
	return diags
}

// configDiagnostics places a provider's diagnostics about one object in
// the configuration: an attribute diagnostic points at the block (the
// attribute's name is added to the detail), and every one names the object.
func configDiagnostics(diags hcl.Diagnostics, provider, call string, addr addrs.Instance, r *lang.Resource) hcl.Diagnostics {
	diags = withCallContext(diags, provider, call, addr.String())
	for _, d := range diags {
		if _, crash := d.Extra.(providers.CrashInfo); crash {
			continue
		}
		if d.Subject == nil && r != nil {
			rng := r.DeclRange
			if p := providers.DiagnosticPath(d); len(p) > 0 {
				// Point at the attribute the provider named, where it is
				// written; the block when it is not (a default, computed).
				if ar := attrRange(r.Config, p); ar != nil {
					rng = *ar
					d.Context = r.DeclRange.Ptr()
				}
			}
			d.Subject = &rng
		}
		if p := providers.DiagnosticPath(d); len(p) > 0 {
			d.Detail = strings.TrimSpace(d.Detail + fmt.Sprintf(" (attribute %s of %s)", plans.FormatPath(p), addr))
		} else if !strings.Contains(d.Summary, addr.String()) && !strings.Contains(d.Detail, addr.String()) {
			d.Detail = strings.TrimSpace(d.Detail + fmt.Sprintf(" (%s)", addr))
		}
	}
	return diags
}

// redactDiags keeps every known secret (package redact) out of the
// diagnostics a provider returned, and out of the crash report one
// carries, from which its detail may be written again.
func redactDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		d.Summary = redact.String(d.Summary)
		d.Detail = redact.String(d.Detail)
		if ci, ok := d.Extra.(providers.CrashInfo); ok {
			ci.Output = redact.String(ci.Output)
			d.Extra = ci
		}
	}
	return diags
}

// attrRange finds where the attribute at path is written in body: the
// expression of an attribute (an element of a list written literally, for
// an index step), or a nested block. Nil when it is not written there.
func attrRange(body hcl.Body, path cty.Path) *hcl.Range {
	sb, ok := body.(*hclsyntax.Body)
	if !ok || len(path) == 0 {
		return nil
	}
	ga, ok := path[0].(cty.GetAttrStep)
	if !ok {
		return nil
	}
	if a, ok := sb.Attributes[ga.Name]; ok {
		expr := a.Expr
		if len(path) > 1 {
			if is, ok := path[1].(cty.IndexStep); ok && is.Key.Type() == cty.Number {
				if tc, ok := expr.(*hclsyntax.TupleConsExpr); ok {
					i, _ := is.Key.AsBigFloat().Int64()
					if i >= 0 && int(i) < len(tc.Exprs) {
						return tc.Exprs[i].Range().Ptr()
					}
				}
			}
		}
		return expr.Range().Ptr()
	}
	var blocks []*hclsyntax.Block
	for _, b := range sb.Blocks {
		if b.Type == ga.Name {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return nil
	}
	rest := path[1:]
	b := blocks[0]
	if len(rest) > 0 {
		if is, ok := rest[0].(cty.IndexStep); ok {
			rest = rest[1:]
			if is.Key.Type() == cty.Number {
				i, _ := is.Key.AsBigFloat().Int64()
				if i < 0 || int(i) >= len(blocks) {
					return nil
				}
				b = blocks[i]
			}
		}
	}
	if inner := attrRange(b.Body, rest); inner != nil {
		return inner
	}
	return b.DefRange().Ptr()
}

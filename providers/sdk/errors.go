package sdk

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// ErrNotFound is returned (or wrapped) by Read when the object no longer
// exists. The SDK reports the object as gone, and berth plans to create it
// again; it is not an error. Import and data source reads may return it too,
// and get a "not found" error diagnostic.
var ErrNotFound = errors.New("object not found")

// AttributeError returns an error diagnostic about one attribute of the
// configuration, which berth shows at that attribute's source range. It is
// an error value, so author functions can return it directly:
//
//	return nil, sdk.AttributeError(cty.GetAttrPath("ttl"), "TTL too large", "The zone allows at most 86400.")
func AttributeError(path cty.Path, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Extra:    providers.AttributePath{Path: path},
	}
}

// AttributeWarning is like AttributeError with warning severity, for
// validators that return hcl.Diagnostics.
func AttributeWarning(path cty.Path, summary, detail string) *hcl.Diagnostic {
	d := AttributeError(path, summary, detail)
	d.Severity = hcl.DiagWarning
	return d
}

// toDiags turns an error from author code into diagnostics. An error that
// is or wraps hcl.Diagnostics or *hcl.Diagnostic is used as is, so authors
// control summaries and attribute paths; any other error becomes one error
// diagnostic whose summary says what failed.
func toDiags(err error, format string, args ...any) hcl.Diagnostics {
	if err == nil {
		return nil
	}
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		return diags
	}
	var diag *hcl.Diagnostic
	if errors.As(err, &diag) {
		return hcl.Diagnostics{diag}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf(format, args...),
		Detail:   err.Error(),
	}}
}

func errorDiag(summary, detailFormat string, args ...any) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detailFormat, args...)}}
}

func attrDiag(path cty.Path, summary, detail string) *hcl.Diagnostic {
	return AttributeError(path, summary, detail)
}

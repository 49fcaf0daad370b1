package core

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/providers"
)

// Exec runs req.Command in an instance of the one app selected: the
// instance req.Instance names, or the first ready one. It returns the
// command's exit code; req.Target is filled in here.
func (in *Instances) Exec(ctx context.Context, req providers.InstanceExecRequest) (int, hcl.Diagnostics) {
	if len(in.Apps) != 1 {
		names := make([]string, len(in.Apps))
		for i, a := range in.Apps {
			names[i] = a.Addr.String()
		}
		return -1, errDiag("Exec needs one app", fmt.Sprintf("The address names %d apps (%v); give one, with its key.", len(in.Apps), names), nil)
	}
	if len(req.Command) == 0 {
		return -1, errDiag("No command", "Give the command to run after --, e.g. berth exec app.web -- sh.", nil)
	}
	if d := in.checkInstanceName(req.Instance); d.HasErrors() {
		return -1, d
	}
	a := in.Apps[0]
	req.Target = a.target()
	code, diags := a.op.InstanceExec(ctx, req)
	return code, redactDiags(diags)
}

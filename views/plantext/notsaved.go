package plantext

import (
	"io"
	"strings"

	"github.com/berth-sh/berth/core/plans"
)

// NotSaved writes the note that ends a plan made without -out, as
// Terraform's: applying later plans again, and may do something else.
// Nothing for a plan without changes or one that failed, and nothing in
// automation (Options.Automation), where Terraform leaves it out too
// (TF_IN_AUTOMATION): a pipeline has its own next step.
func NotSaved(w io.Writer, p *plans.Plan, o Options) {
	if o.Automation || p.Errored || !p.Applicable() {
		return
	}
	// A failed write to the terminal leaves nothing useful to report to.
	_, _ = io.WriteString(w, "\n"+strings.Repeat("─", 77)+"\n\n"+
		"Note: You didn't use the -out option to save this plan, so berth can't\n"+
		"guarantee to take exactly these actions if you run \"berth apply\" now.\n")
}

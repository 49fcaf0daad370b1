// Package events shows the progress of plan, apply, destroy and import as
// they run: Terraform-style text lines ("app.web: Creating...", "Still
// creating... [10s elapsed]", "Apply complete! ...") or, with -json, one
// versioned JSON object per line modelled on Terraform's machine-readable
// UI (docs/json-output.md, "Streamed messages").
package events

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/version"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/berth-sh/berth/views/diagnostics"
	"github.com/berth-sh/berth/views/jsondoc"
	"github.com/berth-sh/berth/views/statetext"
	"github.com/hashicorp/hcl/v2"
)

// Writer shows events on one output, as text or as the JSON stream,
// serialised: the engine calls Handle from many goroutines at once. Of
// the methods that are not events, each writes in the mode it belongs to
// (Version only in JSON; the apply summary in both).
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	color bool
	now   func() time.Time
	tally tally
}

// NewWriter returns a Writer on w: the JSON stream when asJSON, else text,
// coloured when color.
func NewWriter(w io.Writer, asJSON, color bool) *Writer {
	return &Writer{w: w, json: asJSON, color: color, now: time.Now}
}

// Handle is the engine's Events callback.
func (ew *Writer) Handle(ev core.Event) {
	ew.tally.record(ev)
	if ew.json {
		ew.emit(eventMessage(ev))
		return
	}
	if line := textEvent(ev); line != "" {
		ew.text(line)
	}
}

// Tally is what the events handled so far say the apply did.
func (ew *Writer) Tally() Tally {
	return ew.tally.get()
}

// text prints lines of text in the stream (text mode only).
func (ew *Writer) text(lines ...string) {
	if ew.json {
		return
	}
	ew.mu.Lock()
	defer ew.mu.Unlock()
	fmt.Fprint(ew.w, strings.Join(lines, "\n")+"\n")
}

// emit writes one message, stamping the common fields (JSON mode only).
func (ew *Writer) emit(m message) {
	if !ew.json {
		return
	}
	m.Module = "berth.ui"
	m.Timestamp = ew.now().Format(time.RFC3339Nano)
	if m.Level == "" {
		m.Level = "info"
	}
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(message{Level: "error", Message: "cannot encode message: " + err.Error(), Type: "log"})
	}
	ew.mu.Lock()
	defer ew.mu.Unlock()
	// A failed write to the terminal leaves nothing useful to report to.
	_, _ = ew.w.Write(append(b, '\n'))
}

// Version opens a -json stream.
func (ew *Writer) Version() {
	ew.emit(message{Message: "berth " + version.String(), Type: "version", Berth: version.String(), UI: uiVersion})
}

// PlannedChanges streams the plan's drift and changes as messages (the
// text plan is package plantext's).
func (ew *Writer) PlannedChanges(p *plans.Plan) {
	for _, c := range plans.Visible(p.Drift) {
		ew.emit(message{Message: fmt.Sprintf("%s: drift detected (%s)", c.Addr, c.Action), Type: "resource_drift",
			Change: &hookChange{Resource: jsondoc.NewResourceAddr(c.Addr), Action: string(c.Action), Reason: string(c.Reason)}})
	}
	for _, c := range plans.Visible(p.Changes) {
		ew.emit(message{Message: fmt.Sprintf("%s: Plan to %s", c.Addr, c.Action), Type: "planned_change",
			Change: &hookChange{Resource: jsondoc.NewResourceAddr(c.Addr), Action: string(c.Action), Reason: string(c.Reason)}})
	}
	if p.Errored {
		// An incomplete plan has no summary: "0 to add" would be a lie.
		return
	}
	s := p.Summarize()
	ew.emit(message{Message: fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy),
		Type: "change_summary", Changes: &changeSummary{Add: s.Add, Change: s.Change, Remove: s.Destroy, Operation: "plan"}})
}

// Diagnostics streams diagnostics, one message each (JSON mode only: as
// text, they are package diagnostics' Text).
func (ew *Writer) Diagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	for _, d := range diags {
		jd := diagnostics.New(d, files)
		level := "error"
		if d.Severity == hcl.DiagWarning {
			level = "warn"
		}
		msg := jd.Summary
		if jd.Detail != "" {
			msg += ": " + jd.Detail
		}
		ew.emit(message{Level: level, Message: msg, Type: "diagnostic", Diagnostic: &jd})
	}
}

// Interrupted reports an interrupt: the first (graceful: calls in flight
// finish) or the second (berth exits at once).
func (ew *Writer) Interrupted(graceful bool) {
	if graceful {
		ew.text("", "Interrupt received.", "Please wait for berth to exit or data loss may occur.", "Gracefully shutting down...", "")
		ew.emit(message{Level: "warn", Message: "Interrupt received: gracefully shutting down", Type: "interrupt", Interrupt: &interruptState{Graceful: true}})
		return
	}
	ew.text("", "Two interrupts received. Exiting immediately: calls in flight are abandoned.", "")
	ew.emit(message{Level: "warn", Message: "Second interrupt received: exiting immediately", Type: "interrupt", Interrupt: &interruptState{}})
}

// ApplyFailed ends the stream of an apply (operation "apply" or
// "destroy") that failed or was interrupted, with what finished, and
// where it is recorded: the state, unless unstored says the state could
// not be written (then the errored state file or the printed state holds
// it, and the summary says how to put it back).
func (ew *Writer) ApplyFailed(operation string, interrupted bool, unstored *core.StateWriteFailure) {
	t := ew.Tally()
	summary := fmt.Sprintf("Apply failed. Resources: %d added, %d changed, %d destroyed", t.Added, t.Changed, t.Destroyed)
	switch {
	case unstored != nil && unstored.Unfinished:
		summary = fmt.Sprintf("Apply stopped: the state could not be written. Finished before stopping: %d added, %d changed, %d destroyed", t.Added, t.Changed, t.Destroyed)
	case unstored != nil:
		summary = fmt.Sprintf("Apply failed: the state could not be written. Resources: %d added, %d changed, %d destroyed", t.Added, t.Changed, t.Destroyed)
	case interrupted:
		summary = fmt.Sprintf("Apply interrupted. Finished before stopping: %d added, %d changed, %d destroyed", t.Added, t.Changed, t.Destroyed)
	}
	if len(t.Failed) > 0 {
		summary += fmt.Sprintf("; %d failed (%s)", len(t.Failed), strings.Join(t.Failed, ", "))
	}
	switch {
	case unstored == nil || unstored.Stored:
		summary += ". The state records what exists."
	case unstored.ErroredPath != "":
		summary += fmt.Sprintf(". %s does NOT record everything that exists: %s does. Put it back before running berth again:\n  %s",
			unstored.Location, unstored.ErroredPath, unstored.PushBack())
	default:
		summary += fmt.Sprintf(". %s does NOT record everything that exists: the state printed on standard error does. Save it as %s (see above), and put it back before running berth again:\n  %s",
			unstored.Location, statemgr.ErroredStateFile, unstored.PushBack())
	}
	ew.text("", summary)
	ew.emit(message{Level: "error", Message: summary, Type: "change_summary",
		Changes: &changeSummary{Add: t.Added, Change: t.Changed, Remove: t.Destroyed, Operation: operation}})
}

// ApplyComplete ends the stream of a successful apply (operation "apply"
// or "destroy") of a plan of the given mode with its summary and, unless
// it destroyed everything, the outputs st records (sensitive values
// hidden).
func (ew *Writer) ApplyComplete(operation string, mode plans.Mode, st *state.State) {
	t := ew.Tally()
	destroy := mode == plans.DestroyMode
	if destroy {
		ew.text("", fmt.Sprintf("%s Resources: %d destroyed.", ew.bold("Destroy complete!"), t.Destroyed))
	} else {
		ew.text("", fmt.Sprintf("%s Resources: %d added, %d changed, %d destroyed.", ew.bold("Apply complete!"), t.Added, t.Changed, t.Destroyed))
	}
	ew.emit(message{Message: fmt.Sprintf("Apply complete! Resources: %d added, %d changed, %d destroyed.", t.Added, t.Changed, t.Destroyed),
		Type: "change_summary", Changes: &changeSummary{Add: t.Added, Change: t.Changed, Remove: t.Destroyed, Operation: operation}})
	if st == nil || len(st.Outputs) == 0 || destroy {
		return
	}
	if ew.json {
		ew.emit(message{Message: "Outputs: " + fmt.Sprint(len(st.Outputs)), Type: "outputs", Outputs: jsondoc.Outputs(st, false)})
		return
	}
	var b strings.Builder
	statetext.Outputs(&b, st)
	ew.text("", ew.bold("Outputs:"), "", strings.TrimSuffix(b.String(), "\n"))
}

func (ew *Writer) bold(s string) string {
	return ansi.Paint(ew.color, ansi.Bold+ansi.Green, s)
}

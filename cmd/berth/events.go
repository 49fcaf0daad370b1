package main

// Rendering of the engine's progress events (core.Event) while apply,
// destroy and import run: as Terraform-style text lines
// ("app.web: Creating...", "Still creating... [10s elapsed]") or, with
// -json, as one versioned JSON object per line modelled on Terraform's
// machine-readable UI (docs/json-output.md, "Streamed messages").

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/version"
	"github.com/hashicorp/hcl/v2"
)

// uiVersion is the version of the streamed JSON messages' format; it
// follows the same rules as format_version (fields are only added).
const uiVersion = "1.0"

// verbs are the words of the text progress lines, per action.
type verbs struct{ ing, noun string }

func actionVerbs(a plans.Action) verbs {
	switch a {
	case plans.Create, plans.DeleteThenCreate, plans.CreateThenDelete:
		return verbs{"Creating", "Creation"}
	case plans.Update:
		return verbs{"Modifying", "Modifications"}
	case plans.Delete:
		return verbs{"Destroying", "Destruction"}
	case plans.Read:
		return verbs{"Reading", "Read"}
	}
	return verbs{"Applying", "Apply"}
}

// lower returns the verb for "Still creating...".
func (v verbs) lower() string {
	if v.ing == "" {
		return ""
	}
	return string(v.ing[0]+'a'-'A') + v.ing[1:]
}

// formatElapsed rounds as Terraform does: whole seconds, "0s" for less.
func formatElapsed(d time.Duration) string {
	return d.Truncate(time.Second).String()
}

// eventTally counts what an apply did, for the summary line and the
// summary of an interrupted apply. Events arrive from many goroutines.
type eventTally struct {
	mu                        sync.Mutex
	added, changed, destroyed int
	failed                    []string
	// started counts the operations begun: none means the apply was
	// refused before it changed anything (a stale plan, a lock).
	started int
}

func (t *eventTally) record(ev core.Event) {
	if ev.Type == core.EventApplyStart {
		t.mu.Lock()
		t.started++
		t.mu.Unlock()
		return
	}
	if ev.Type != core.EventApplyComplete && ev.Type != core.EventApplyErrored {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev.Type == core.EventApplyErrored {
		t.failed = append(t.failed, ev.Addr.String())
		return
	}
	switch ev.Action {
	case plans.Create, plans.DeleteThenCreate, plans.CreateThenDelete:
		t.added++
	case plans.Update:
		t.changed++
	case plans.Delete:
		t.destroyed++
	}
}

// eventWriter renders events on one output, serialised: the engine calls
// Events from many goroutines at once.
type eventWriter struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	now   func() time.Time
	tally eventTally
}

func newEventWriter(w io.Writer, asJSON bool) *eventWriter {
	return &eventWriter{w: w, json: asJSON, now: time.Now}
}

// handle is the engine's Events callback.
func (ew *eventWriter) handle(ev core.Event) {
	ew.tally.record(ev)
	if ew.json {
		ew.emit(jsonEvent(ev))
		return
	}
	if line := textEvent(ev); line != "" {
		ew.mu.Lock()
		fmt.Fprintln(ew.w, line)
		ew.mu.Unlock()
	}
}

// textLine prints a line of text in the stream (text mode only).
func (ew *eventWriter) textLine(format string, args ...any) {
	if ew.json {
		return
	}
	ew.mu.Lock()
	defer ew.mu.Unlock()
	fmt.Fprintf(ew.w, format+"\n", args...)
}

// textEvent is the text line of one event; "" for events not shown.
func textEvent(ev core.Event) string {
	addr := ev.Addr.String()
	v := actionVerbs(ev.Action)
	switch ev.Type {
	case core.EventApplyStart:
		return fmt.Sprintf("%s: %s...", addr, v.ing)
	case core.EventApplyProgress:
		return fmt.Sprintf("%s: Still %s... [%s elapsed]", addr, v.lower(), formatElapsed(ev.Elapsed))
	case core.EventApplyComplete:
		s := fmt.Sprintf("%s: %s complete after %s", addr, v.noun, formatElapsed(ev.Elapsed))
		if ev.ID != "" {
			s += fmt.Sprintf(" [id=%s]", ev.ID)
		}
		return s
	case core.EventApplyErrored:
		return fmt.Sprintf("%s: %s errored after %s", addr, v.noun, formatElapsed(ev.Elapsed))
	case core.EventWaveStart:
		s := fmt.Sprintf("%s: wave %d/%d started", addr, ev.Wave, ev.Waves)
		if ev.Message != "" {
			s += " (" + ev.Message
			if names := waveInstanceNames(providers.Wave{Instances: ev.WaveInstances}); len(names) > 0 {
				if len(names) > maxWaveInstances {
					names = append(names[:maxWaveInstances-1], fmt.Sprintf("and %d more", len(names)-(maxWaveInstances-1)))
				}
				s += ": " + strings.Join(names, ", ")
			}
			s += ")"
		}
		return s
	case core.EventWaveComplete:
		return fmt.Sprintf("%s: wave %d/%d complete", addr, ev.Wave, ev.Waves)
	case core.EventRevert:
		return fmt.Sprintf("%s: reverting: %s", addr, ev.Message)
	case core.EventProvider:
		msg := ev.Message
		if msg == "" {
			msg = ev.Kind
		}
		if ev.Instance != "" && !strings.HasPrefix(msg, ev.Instance) {
			msg = ev.Instance + ": " + msg
		}
		return fmt.Sprintf("%s: %s", addr, msg)
	}
	// Refresh events are not shown as text: a plan of 10,000 objects
	// would otherwise open with a wall of lines.
	return ""
}

// jsonMessage is one line of the -json stream. Common fields first; the
// rest depends on Type.
type jsonMessage struct {
	Level     string `json:"@level"`
	Message   string `json:"@message"`
	Module    string `json:"@module"`
	Timestamp string `json:"@timestamp"`
	Type      string `json:"type"`

	Berth string `json:"berth,omitempty"` // type "version"
	UI    string `json:"ui,omitempty"`    // type "version"

	Hook       *jsonHook           `json:"hook,omitempty"`
	Change     *jsonHookChange     `json:"change,omitempty"`  // planned_change, resource_drift
	Changes    *jsonChangeSummary  `json:"changes,omitempty"` // change_summary
	Outputs    map[string]jsonOut  `json:"outputs,omitempty"` // outputs
	Diagnostic *jsonDiagnostic     `json:"diagnostic,omitempty"`
	Interrupt  *jsonInterruptState `json:"interrupt,omitempty"` // interrupt
}

// jsonResourceAddr identifies an object in messages.
type jsonResourceAddr struct {
	Addr         string `json:"addr"`
	Resource     string `json:"resource"`
	ResourceType string `json:"resource_type"`
	ResourceName string `json:"resource_name"`
	ResourceKey  any    `json:"resource_key"`
}

func newJSONResourceAddr(a addrs.Instance) jsonResourceAddr {
	var key any
	switch k := a.Key.(type) {
	case addrs.IntKey:
		key = int(k)
	case addrs.StringKey:
		key = string(k)
	}
	return jsonResourceAddr{Addr: a.String(), Resource: a.Resource.String(), ResourceType: a.Resource.Type, ResourceName: a.Resource.Name, ResourceKey: key}
}

// jsonHook is the payload of an engine event.
type jsonHook struct {
	Resource       *jsonResourceAddr `json:"resource,omitempty"`
	Action         string            `json:"action,omitempty"`
	ElapsedSeconds *float64          `json:"elapsed_seconds,omitempty"`
	IDValue        string            `json:"id_value,omitempty"`
	Message        string            `json:"message,omitempty"`
	Kind           string            `json:"kind,omitempty"`
	Instance       string            `json:"instance,omitempty"`
	Wave           int               `json:"wave,omitempty"`
	Waves          int               `json:"waves,omitempty"`
	// WaveInstances are the members of a wave, for wave_start and
	// wave_complete.
	WaveInstances []jsonWaveInstance `json:"wave_instances,omitempty"`
}

type jsonHookChange struct {
	Resource jsonResourceAddr `json:"resource"`
	Action   string           `json:"action"`
	Reason   string           `json:"reason,omitempty"`
}

type jsonChangeSummary struct {
	Add       int    `json:"add"`
	Change    int    `json:"change"`
	Remove    int    `json:"remove"`
	Operation string `json:"operation"` // "plan", "apply" or "destroy"
}

type jsonOut struct {
	Sensitive bool `json:"sensitive"`
	Value     any  `json:"value,omitempty"`
}

type jsonInterruptState struct {
	Graceful bool `json:"graceful"`
}

// jsonEvent converts an engine event into its message.
func jsonEvent(ev core.Event) jsonMessage {
	level := "info"
	if ev.Type == core.EventApplyErrored {
		level = "error"
	}
	msg := textEvent(ev)
	if msg == "" {
		msg = ev.Message
	}
	h := &jsonHook{Action: string(ev.Action), IDValue: ev.ID, Message: ev.Message, Kind: ev.Kind,
		Instance: ev.Instance, Wave: ev.Wave, Waves: ev.Waves}
	for _, in := range ev.WaveInstances {
		h.WaveInstances = append(h.WaveInstances, jsonWaveInstance(in))
	}
	if ev.Addr.Resource.Type != "" {
		ra := newJSONResourceAddr(ev.Addr)
		h.Resource = &ra
	}
	if ev.Elapsed > 0 || ev.Type == core.EventApplyComplete || ev.Type == core.EventApplyProgress {
		s := ev.Elapsed.Seconds()
		h.ElapsedSeconds = &s
	}
	return jsonMessage{Level: level, Message: msg, Type: string(ev.Type), Hook: h}
}

// emit writes one message, stamping the common fields.
func (ew *eventWriter) emit(m jsonMessage) {
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
		b, _ = json.Marshal(jsonMessage{Level: "error", Message: "cannot encode message: " + err.Error(), Type: "log"})
	}
	ew.mu.Lock()
	defer ew.mu.Unlock()
	ew.w.Write(append(b, '\n'))
}

// version opens a -json stream.
func (ew *eventWriter) version() {
	ew.emit(jsonMessage{Message: "berth " + version.String(), Type: "version", Berth: version.String(), UI: uiVersion})
}

// plannedChanges streams the plan's drift and changes as messages.
func (ew *eventWriter) plannedChanges(p *plans.Plan) {
	for _, c := range visibleChanges(p.Drift) {
		ew.emit(jsonMessage{Message: fmt.Sprintf("%s: drift detected (%s)", c.Addr, c.Action), Type: "resource_drift",
			Change: &jsonHookChange{Resource: newJSONResourceAddr(c.Addr), Action: string(c.Action), Reason: string(c.Reason)}})
	}
	for _, c := range visibleChanges(p.Changes) {
		ew.emit(jsonMessage{Message: fmt.Sprintf("%s: Plan to %s", c.Addr, c.Action), Type: "planned_change",
			Change: &jsonHookChange{Resource: newJSONResourceAddr(c.Addr), Action: string(c.Action), Reason: string(c.Reason)}})
	}
	if p.Errored {
		// An incomplete plan has no summary: "0 to add" would be a lie.
		return
	}
	s := p.Summarize()
	ew.emit(jsonMessage{Message: fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy),
		Type: "change_summary", Changes: &jsonChangeSummary{Add: s.Add, Change: s.Change, Remove: s.Destroy, Operation: "plan"}})
}

// diagnostics streams diagnostics, one message each.
func (ew *eventWriter) diagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	for _, d := range diags {
		jd := newJSONDiagnostic(d, files)
		level := "error"
		if d.Severity == hcl.DiagWarning {
			level = "warn"
		}
		msg := jd.Summary
		if jd.Detail != "" {
			msg += ": " + jd.Detail
		}
		ew.emit(jsonMessage{Level: level, Message: msg, Type: "diagnostic", Diagnostic: &jd})
	}
}

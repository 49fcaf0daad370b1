package events

import (
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/views/diagnostics"
	"github.com/berth-sh/berth/views/jsondoc"
)

// uiVersion is the version of the streamed JSON messages' format; it
// follows the same rules as format_version (fields are only added).
const uiVersion = "1.0"

// message is one line of the -json stream. Common fields first; the
// rest depends on Type.
type message struct {
	Level     string `json:"@level"`
	Message   string `json:"@message"`
	Module    string `json:"@module"`
	Timestamp string `json:"@timestamp"`
	Type      string `json:"type"`

	Berth string `json:"berth,omitempty"` // type "version"
	UI    string `json:"ui,omitempty"`    // type "version"

	Hook       *hook                     `json:"hook,omitempty"`
	Change     *hookChange               `json:"change,omitempty"`  // planned_change, resource_drift
	Changes    *changeSummary            `json:"changes,omitempty"` // change_summary
	Outputs    map[string]jsondoc.Output `json:"outputs,omitempty"` // outputs
	Diagnostic *diagnostics.Diagnostic   `json:"diagnostic,omitempty"`
	Interrupt  *interruptState           `json:"interrupt,omitempty"` // interrupt
}

// hook is the payload of an engine event.
type hook struct {
	Resource       *jsondoc.ResourceAddr `json:"resource,omitempty"`
	Action         string                `json:"action,omitempty"`
	ElapsedSeconds *float64              `json:"elapsed_seconds,omitempty"`
	IDValue        string                `json:"id_value,omitempty"`
	Message        string                `json:"message,omitempty"`
	Kind           string                `json:"kind,omitempty"`
	Instance       string                `json:"instance,omitempty"`
	Wave           int                   `json:"wave,omitempty"`
	Waves          int                   `json:"waves,omitempty"`
	// WaveInstances are the members of a wave, for wave_start and
	// wave_complete.
	WaveInstances []jsondoc.WaveInstance `json:"wave_instances,omitempty"`
	// Provider and Objects are, for refresh_start and refresh_complete,
	// the provider whose recorded objects are read and how many.
	Provider string `json:"provider,omitempty"`
	Objects  int    `json:"objects,omitempty"`
}

// hookChange is a change of the plan in a message.
type hookChange struct {
	Resource jsondoc.ResourceAddr `json:"resource"`
	Action   string               `json:"action"`
	Reason   string               `json:"reason,omitempty"`
}

// changeSummary counts the changes of a plan or an apply.
type changeSummary struct {
	Add       int    `json:"add"`
	Change    int    `json:"change"`
	Remove    int    `json:"remove"`
	Operation string `json:"operation"` // "plan", "apply" or "destroy"
}

// interruptState says which interrupt a message reports.
type interruptState struct {
	Graceful bool `json:"graceful"`
}

// eventMessage converts an engine event into its message.
func eventMessage(ev core.Event) message {
	level := "info"
	msg := textEvent(ev)
	switch ev.Type {
	case core.EventApplyErrored:
		level = "error"
	case core.EventStateWriteFailed:
		level = "error"
		msg = "The state could not be written: " + ev.Message + ". Stopping: nothing new starts; the calls in flight finish."
	case core.EventRefreshComplete:
		// Not a line of the text UI (the plan follows it), but a log's.
		msg = "Refreshed " + ev.Message
	}
	if msg == "" {
		msg = ev.Message
	}
	h := &hook{Action: string(ev.Action), IDValue: ev.ID, Message: ev.Message, Kind: ev.Kind,
		Instance: ev.Instance, Wave: ev.Wave, Waves: ev.Waves, Provider: ev.Provider, Objects: ev.Objects}
	for _, in := range ev.WaveInstances {
		h.WaveInstances = append(h.WaveInstances, jsondoc.WaveInstance(in))
	}
	if ev.Addr.Resource.Type != "" {
		ra := jsondoc.NewResourceAddr(ev.Addr)
		h.Resource = &ra
	}
	if ev.Elapsed > 0 || ev.Type == core.EventApplyComplete || ev.Type == core.EventApplyProgress {
		s := ev.Elapsed.Seconds()
		h.ElapsedSeconds = &s
	}
	return message{Level: level, Message: msg, Type: string(ev.Type), Hook: h}
}

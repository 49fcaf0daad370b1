package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/version"
	"github.com/zclconf/go-cty/cty"
)

var web = addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}.Instance(nil)

func members(names ...string) []providers.WaveInstance {
	out := make([]providers.WaveInstance, len(names))
	for i, n := range names {
		out[i] = providers.WaveInstance{Name: n, Host: "edge-1"}
	}
	return out
}

// rolloutEvents are the events of a three-wave update of app.web whose
// second wave fails and is reverted.
func rolloutEvents() []core.Event {
	up := plans.Update
	return []core.Event{
		{Type: core.EventApplyStart, Addr: web, Action: up},
		{Type: core.EventWaveStart, Addr: web, Action: up, Wave: 1, Waves: 3, Message: "1 instance", WaveInstances: members("web-1")},
		{Type: core.EventProvider, Addr: web, Action: up, Elapsed: 2 * time.Second, Kind: "instance_healthy", Instance: "web-1", Wave: 1, Message: "healthy"},
		{Type: core.EventWaveComplete, Addr: web, Action: up, Elapsed: 3 * time.Second, Wave: 1, Waves: 3, WaveInstances: members("web-1")},
		{Type: core.EventWaveStart, Addr: web, Action: up, Elapsed: 3 * time.Second, Wave: 2, Waves: 3, Message: "5 instances",
			WaveInstances: members("web-2", "web-3", "web-4", "web-5", "web-6")},
		{Type: core.EventApplyProgress, Addr: web, Action: up, Elapsed: 10 * time.Second},
		{Type: core.EventRevert, Addr: web, Action: up, Elapsed: 12 * time.Second, Wave: 2, Waves: 3, Message: "wave 2 did not become healthy"},
		{Type: core.EventApplyErrored, Addr: web, Action: up, Elapsed: 15 * time.Second, Message: "wave 2 of 3 failed"},
	}
}

// TestRolloutStream compares the text and the -json stream of a failed
// rollout with golden files (go test ./views/events -update rewrites
// them): wave numbers are 1-based in both, as the plan shows them.
func TestRolloutStream(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		name := "rollout_text.golden"
		if asJSON {
			name = "rollout_json.golden"
		}
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			ew := NewWriter(&out, asJSON, false)
			ew.now = func() time.Time { return time.Date(2026, 11, 22, 7, 20, 1, 0, time.UTC) }
			ew.Version()
			for _, ev := range rolloutEvents() {
				ew.Handle(ev)
			}
			ew.Interrupted(true)
			ew.ApplyFailed("apply", true, nil)
			if asJSON {
				for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
					if !json.Valid([]byte(l)) {
						t.Errorf("not one JSON object a line: %s", l)
					}
				}
			}
			// The golden files hold no version, so that a release does not
			// change them.
			got := strings.ReplaceAll(out.String(), `"`+version.String()+`"`, `"VERSION"`)
			got = strings.ReplaceAll(got, `"berth `+version.String()+`"`, `"berth VERSION"`)
			golden.Check(t, filepath.Join("testdata", name), []byte(got))
		})
	}
}

// TestApplyFailedSaysWhereTheStateIs: the summary of a failed apply says
// the state records what exists only when it does; otherwise it names
// where the state that does is, and how to put it back.
func TestApplyFailedSaysWhereTheStateIs(t *testing.T) {
	const truthful = "The state records what exists."
	tests := []struct {
		name     string
		unstored *core.StateWriteFailure
		want     []string
		absent   string
	}{
		{"written", nil, []string{"Apply failed. Resources: 1 added", truthful}, "could not be written"},
		{"written late", &core.StateWriteFailure{Location: "berth.state", Unfinished: true, Stored: true},
			[]string{"Apply stopped: the state could not be written. Finished before stopping: 1 added", truthful}, "NOT"},
		{"errored file", &core.StateWriteFailure{Location: "berth.state", Unfinished: true, ErroredPath: "errored.berth.state"},
			[]string{"Apply stopped: the state could not be written. Finished before stopping: 1 added",
				"berth.state does NOT record everything that exists: errored.berth.state does",
				"before running berth again:\n  berth state push errored.berth.state && rm errored.berth.state"}, truthful},
		{"final write", &core.StateWriteFailure{Location: "berth.state", ErroredPath: "errored.berth.state"},
			[]string{"Apply failed: the state could not be written. Resources: 1 added", "errored.berth.state does"}, truthful},
		{"printed", &core.StateWriteFailure{Location: "berth.state", Unfinished: true},
			[]string{"berth.state does NOT record everything that exists: the state printed on standard error does. Save it as errored.berth.state",
				"before running berth again:\n  berth state push errored.berth.state && rm errored.berth.state"}, truthful},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/json=%v", tt.name, asJSON), func(t *testing.T) {
				var out bytes.Buffer
				ew := NewWriter(&out, asJSON, false)
				ew.Handle(core.Event{Type: core.EventApplyStart, Addr: web, Action: plans.Create})
				ew.Handle(core.Event{Type: core.EventApplyComplete, Addr: web, Action: plans.Create})
				ew.ApplyFailed("apply", false, tt.unstored)
				got := strings.NewReplacer(`\u0026`, "&", `\n`, "\n").Replace(out.String()) // as JSON encodes them
				for _, w := range tt.want {
					if !strings.Contains(got, w) {
						t.Errorf("output does not contain %q:\n%s", w, got)
					}
				}
				if strings.Contains(got, tt.absent) {
					t.Errorf("output contains %q:\n%s", tt.absent, got)
				}
			})
		}
	}
}

// TestStateWriteFailedEvent: the failed write is reported when it
// happens, as text and as an error message of the stream.
func TestStateWriteFailedEvent(t *testing.T) {
	ev := core.Event{Type: core.EventStateWriteFailed, Message: "writing the state to berth.state: no space left on device"}
	var text, stream bytes.Buffer
	NewWriter(&text, false, false).Handle(ev)
	if want := "Error: the state could not be written: writing the state to berth.state: no space left on device\nStopping: nothing new starts; the calls in flight finish."; !strings.Contains(text.String(), want) {
		t.Errorf("text %q does not contain %q", text.String(), want)
	}
	NewWriter(&stream, true, false).Handle(ev)
	var m map[string]any
	if err := json.Unmarshal(stream.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["@level"] != "error" || m["type"] != "state_write_failed" || !strings.Contains(m["@message"].(string), "no space left on device") {
		t.Errorf("stream message %s", stream.Bytes())
	}
}

func TestTally(t *testing.T) {
	ew := NewWriter(&bytes.Buffer{}, false, false)
	other := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "api"}.Instance(nil)
	for _, ev := range []core.Event{
		{Type: core.EventApplyStart, Addr: web, Action: plans.Create},
		{Type: core.EventApplyComplete, Addr: web, Action: plans.Create},
		{Type: core.EventApplyStart, Addr: other, Action: plans.DeleteThenCreate},
		{Type: core.EventApplyComplete, Addr: other, Action: plans.DeleteThenCreate},
		{Type: core.EventApplyComplete, Addr: other, Action: plans.Update},
		{Type: core.EventApplyComplete, Addr: other, Action: plans.Delete},
		{Type: core.EventApplyErrored, Addr: web, Action: plans.Update},
	} {
		ew.Handle(ev)
	}
	got := ew.Tally()
	if got.Added != 2 || got.Changed != 1 || got.Destroyed != 1 || got.Started != 2 || len(got.Failed) != 1 || got.Failed[0] != "app.web" {
		t.Errorf("tally %+v", got)
	}
}

// TestApplyComplete checks the end of an apply: its summary and the
// outputs, sensitive ones hidden in text and in the stream alike, and no
// outputs after a destroy.
func TestApplyComplete(t *testing.T) {
	st := state.New()
	st.Outputs = map[string]*state.Output{
		"url":    {Value: cty.StringVal("http://edge-1")},
		"secret": {Value: cty.StringVal("hunter2"), Sensitive: true},
	}
	tests := []struct {
		name   string
		json   bool
		mode   plans.Mode
		want   []string
		absent string
	}{
		{"text", false, plans.NormalMode, []string{"\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.\n\nOutputs:\n\nsecret = <sensitive>\nurl = \"http://edge-1\"\n"}, "hunter2"},
		{"text destroy", false, plans.DestroyMode, []string{"\nDestroy complete! Resources: 0 destroyed.\n"}, "Outputs"},
		{"json", true, plans.NormalMode, []string{`"type":"change_summary"`, `"operation":"apply"`, `"outputs":{"secret":{"sensitive":true},"url":{"sensitive":false,"value":"http://edge-1"}}`}, "hunter2"},
		{"json destroy", true, plans.DestroyMode, []string{`"operation":"destroy"`}, `"outputs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			op := "apply"
			if tt.mode == plans.DestroyMode {
				op = "destroy"
			}
			NewWriter(&out, tt.json, false).ApplyComplete(op, tt.mode, st)
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output does not contain %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), tt.absent) {
				t.Errorf("output contains %q:\n%s", tt.absent, out.String())
			}
		})
	}
}

// TestProgressLines checks the progress lines of text mode and their
// messages in the stream: the refresh of a provider's objects is
// announced (and its end is not), and the completions of an apply of more
// than 20 changes are numbered; those of a smaller apply, and the first
// call of a replacement (no number), are not.
func TestProgressLines(t *testing.T) {
	tests := []struct {
		name string
		ev   core.Event
		text string
	}{
		{"refresh", core.Event{Type: core.EventRefreshStart, Provider: "docker", Objects: 24, Message: "24 objects of provider docker"},
			"Refreshing 24 objects of provider docker...\n"},
		{"refresh of one", core.Event{Type: core.EventRefreshStart, Provider: "aws", Objects: 1, Message: "1 objects of provider aws"},
			"Refreshing 1 object of provider aws...\n"},
		{"refresh complete", core.Event{Type: core.EventRefreshComplete, Provider: "docker", Objects: 24}, ""},
		{"numbered", core.Event{Type: core.EventApplyComplete, Addr: web, Action: plans.Create, Elapsed: 2 * time.Second, ID: "w1", Done: 12, Total: 40},
			"[12/40] app.web: Creation complete after 2s [id=w1]\n"},
		{"last of 21", core.Event{Type: core.EventApplyComplete, Addr: web, Action: plans.Update, Done: 21, Total: 21},
			"[21/21] app.web: Modifications complete after 0s\n"},
		{"20 changes", core.Event{Type: core.EventApplyComplete, Addr: web, Action: plans.Update, Done: 20, Total: 20},
			"app.web: Modifications complete after 0s\n"},
		{"first call of a replacement", core.Event{Type: core.EventApplyComplete, Addr: web, Action: plans.Delete, Total: 40},
			"app.web: Destruction complete after 0s\n"},
		{"start", core.Event{Type: core.EventApplyStart, Addr: web, Action: plans.Create, Total: 40},
			"app.web: Creating...\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text, stream bytes.Buffer
			NewWriter(&text, false, false).Handle(tt.ev)
			if text.String() != tt.text {
				t.Errorf("text %q, want %q", text.String(), tt.text)
			}
			NewWriter(&stream, true, false).Handle(tt.ev)
			var m message
			if err := json.Unmarshal(stream.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(tt.text, "\n"); want != "" && m.Message != want {
				t.Errorf("@message %q, want the text line %q", m.Message, want)
			}
			if m.Type != string(tt.ev.Type) || m.Hook.Provider != tt.ev.Provider || m.Hook.Objects != tt.ev.Objects {
				t.Errorf("stream message %s", stream.Bytes())
			}
		})
	}
}

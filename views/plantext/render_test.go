package plantext

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/berth-sh/berth/views/internal/viewtest"
	"github.com/google/go-cmp/cmp"
)

// TestRender compares the text rendering of plans with golden files
// (go test ./views/plantext -update rewrites them).
func TestRender(t *testing.T) {
	for _, tt := range viewtest.Cases() {
		t.Run(tt.Name, func(t *testing.T) {
			var out bytes.Buffer
			Render(&out, tt.Plan, Options{Color: tt.Color})
			viewtest.CheckNoSecret(t, out.String())
			if !tt.Color && strings.Contains(out.String(), "\x1b[") {
				t.Error("colour in no-colour output")
			}
			if tt.Color && !strings.Contains(out.String(), ansi.Green) {
				t.Error("no colour in colour output")
			}
			golden.Check(t, filepath.Join("testdata", tt.Name+".golden"), out.Bytes())
		})
	}
}

// TestRenderCompact compares the -compact rendering of plans with golden
// files (go test ./views/plantext -update rewrites them): one line per
// change, and per object changed outside berth, and the summary.
func TestRenderCompact(t *testing.T) {
	for _, tt := range viewtest.Cases() {
		t.Run(tt.Name, func(t *testing.T) {
			var out bytes.Buffer
			Render(&out, tt.Plan, Options{Color: tt.Color, Compact: true})
			viewtest.CheckNoSecret(t, out.String())
			if !tt.Color && strings.Contains(out.String(), "\x1b[") {
				t.Error("colour in no-colour output")
			}
			var full bytes.Buffer
			Render(&full, tt.Plan, Options{Color: tt.Color})
			if summary := summaryLine(full.String()); summary != summaryLine(out.String()) {
				t.Errorf("summary %q, want the full plan's %q", summaryLine(out.String()), summary)
			}
			golden.Check(t, filepath.Join("testdata", "compact", tt.Name+".golden"), out.Bytes())
		})
	}
}

// summaryLine returns the "Plan: ..." line of a rendered plan, or "".
func summaryLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Plan:") {
			return l
		}
	}
	return ""
}

// TestNotSaved: the note on a plan made without -out is there when the
// plan has changes, and not when it has none, failed, or is read by a
// pipeline (BERTH_IN_AUTOMATION).
func TestNotSaved(t *testing.T) {
	const note = `Note: You didn't use the -out option to save this plan, so berth can't
guarantee to take exactly these actions if you run "berth apply" now.
`
	for _, tt := range viewtest.Cases() {
		for _, automation := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/automation=%v", tt.Name, automation), func(t *testing.T) {
				var out bytes.Buffer
				NotSaved(&out, tt.Plan, Options{Automation: automation})
				want := tt.Plan.Applicable() && !tt.Plan.Errored && !automation
				switch {
				case want && !strings.HasSuffix(out.String(), "\n\n"+note):
					t.Errorf("no note after a rule and a blank line:\n%s", out.String())
				case !want && out.Len() > 0:
					t.Errorf("a note on this plan:\n%s", out.String())
				}
			})
		}
	}
	// The cases hold plans of either kind.
	var with, without bool
	for _, tt := range viewtest.Cases() {
		with = with || tt.Plan.Applicable() && !tt.Plan.Errored
		without = without || !tt.Plan.Applicable()
	}
	if !with || !without {
		t.Errorf("the cases miss a plan with changes (%v) or without (%v)", with, without)
	}
}

// TestRenderPlanFile checks that a plan read back from a plan file (what
// `berth show FILE` renders) renders exactly like the plan it was made
// from: redacted secrets compare by digest.
func TestRenderPlanFile(t *testing.T) {
	for _, tt := range viewtest.Cases() {
		t.Run(tt.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.out")
			if err := plans.WritePlanFile(context.Background(), path, tt.Plan, nil); err != nil {
				t.Fatal(err)
			}
			p, err := plans.ReadPlanFile(context.Background(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, compact := range []bool{false, true} {
				var want, got bytes.Buffer
				Render(&want, tt.Plan, Options{Color: tt.Color, Compact: compact})
				Render(&got, p, Options{Color: tt.Color, Compact: compact})
				if diff := cmp.Diff(want.String(), got.String()); diff != "" {
					t.Errorf("the plan read from a file renders differently (compact %v; -direct +from file):\n%s", compact, diff)
				}
			}
		})
	}
}

// TestRenderAutomation: in automation (BERTH_IN_AUTOMATION) no line names
// a berth command to run next; everything else is as for a person.
func TestRenderAutomation(t *testing.T) {
	for _, tt := range viewtest.Cases() {
		t.Run(tt.Name, func(t *testing.T) {
			var human, auto bytes.Buffer
			Render(&human, tt.Plan, Options{})
			Render(&auto, tt.Plan, Options{Automation: true})
			if strings.Contains(auto.String(), "berth apply -refresh-only") {
				t.Errorf("a command hint in automation:\n%s", auto.String())
			}
			if tt.Name == "refresh_only" {
				if !strings.Contains(human.String(), `"berth apply -refresh-only"`) {
					t.Errorf("no hint for a person:\n%s", human.String())
				}
				if !strings.Contains(auto.String(), "Applying it records the updated values") {
					t.Errorf("the refresh-only explanation is gone:\n%s", auto.String())
				}
				return
			}
			if human.String() != auto.String() {
				t.Errorf("automation changed a plan without hints:\n%s", cmp.Diff(human.String(), auto.String()))
			}
		})
	}
}

package plantext

import (
	"bytes"
	"context"
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
			var want, got bytes.Buffer
			Render(&want, tt.Plan, Options{Color: tt.Color})
			Render(&got, p, Options{Color: tt.Color})
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("the plan read from a file renders differently (-direct +from file):\n%s", diff)
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

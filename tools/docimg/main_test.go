package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/golden"
)

// TestPictures fails when the committed pictures are not what docimg draws
// from the committed data: run `make docs` (or go test -update here).
func TestPictures(t *testing.T) {
	pictures, err := draw("../../docs/img/data")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{timelineFile, placeFile} {
		golden.Check(t, filepath.Join("../../docs/img", name), pictures[name])
	}
}

// ev builds a stream line at second s of an apply.
func ev(s float64, typ, kind, inst, msg string) event {
	var e event
	e.Time = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC).Add(time.Duration(s * float64(time.Second)))
	e.Type, e.Hook.Kind, e.Hook.Instance, e.Hook.Message = typ, kind, inst, msg
	return e
}

func wave(s float64, typ string, n, of int, members ...string) event {
	e := ev(s, typ, "", "", "")
	e.Hook.Wave, e.Hook.Waves = n, of
	for _, m := range members {
		name, host, _ := strings.Cut(m, "@")
		e.Hook.WaveInstances = append(e.Hook.WaveInstances, struct {
			Name string `json:"name"`
			Host string `json:"host"`
		}{name, host})
	}
	return e
}

// TestAnalyze checks what a picture is drawn from: the containers of each
// instance (old and new, when started, ready and removed), the waves and
// the revert, and the errors of a stream that cannot be drawn.
func TestAnalyze(t *testing.T) {
	start := ev(0, "apply_start", "", "", "")
	start.Hook.Action = "update"
	rollout := []event{
		start,
		wave(0, "wave_start", 1, 2, "web-1@a"),
		ev(1, "provider_event", "instance_started", "web-1", "web-1 started on a (container 111)"),
		ev(4, "provider_event", "instance_healthy", "web-1", "web-1 ready on a"),
		ev(5, "provider_event", "instance_stopped", "web-1", "web-1 removed from a (container 000)"),
		wave(5, "wave_complete", 1, 2),
		wave(5, "wave_start", 2, 2, "web-2@b"),
		ev(6, "provider_event", "instance_started", "web-2", "web-2 started on b (container 222)"),
		ev(9, "provider_event", "instance_unhealthy", "web-2", "web-2 on b: not ready within healthy_deadline 3s"),
		ev(9, "revert", "", "", ""),
		ev(10, "provider_event", "instance_stopped", "web-2", "web-2 removed from b (container 222)"),
		ev(10, "apply_errored", "", "", ""),
	}
	a, err := analyze(rollout)
	if err != nil {
		t.Fatal(err)
	}
	a.complete(map[string]string{"web-3": "a"})
	got := fmt.Sprintf("%v %v %v revert %v", a.Instances, a.Hosts, a.Waves, *a.Revert)
	if want := "[web-1 web-2 web-3] map[web-1:a web-2:b web-3:a] [{wave 1/2 0 5} {wave 2/2 5 9}] revert 9"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	segs := func(inst string) string {
		var b strings.Builder
		for _, s := range a.Segments[inst] {
			fmt.Fprintf(&b, "[%s old=%t %g-%g ready=%g failed=%t]", s.Container, s.Old, s.Start, s.End, s.Ready, s.Failed)
		}
		return b.String()
	}
	for inst, want := range map[string]string{
		"web-1": "[111 old=false 1-10 ready=4 failed=false][000 old=true 0-5 ready=0 failed=false]",
		"web-2": "[ old=true 0-10 ready=0 failed=false][222 old=false 6-10 ready=0 failed=true]",
		"web-3": "[ old=true 0-10 ready=0 failed=false]",
	} {
		if got := segs(inst); got != want {
			t.Errorf("%s: %s, want %s", inst, got, want)
		}
	}

	for _, tt := range []struct {
		name   string
		events []event
		want   string
	}{
		{"no start", []event{ev(1, "wave_start", "", "", "")}, "before apply_start"},
		{"no end", []event{start}, "no apply_complete"},
		{"a wave without end", []event{start, wave(1, "wave_start", 1, 1), ev(2, "apply_complete", "", "", "")}, "wave 1/1 never ends"},
		{"no container", []event{start, ev(1, "provider_event", "instance_started", "web-1", "web-1 started")}, "no container in"},
	} {
		if _, err := analyze(tt.events); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestHostOf(t *testing.T) {
	for _, tt := range []struct{ msg, inst, want string }{
		{"web-1 started on edge-1 (container 8977270e2fe8)", "web-1", "edge-1"},
		{"web-1 ready on edge-2", "web-1", "edge-2"},
		{"web-1 on edge-1: not ready within healthy_deadline 20s", "web-1", "edge-1"},
		{"web-10 ready on edge-3", "web-1", ""},
		{"pulling x on edge-1", "web-1", ""},
	} {
		if got := hostOf(tt.msg, tt.inst); got != tt.want {
			t.Errorf("hostOf(%q, %q) = %q, want %q", tt.msg, tt.inst, got, tt.want)
		}
	}
}

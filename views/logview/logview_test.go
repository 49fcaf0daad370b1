package logview

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/providers"
)

var (
	web = addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}.Instance(addrs.NoKey)
	t0  = time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
)

func line(instance, text string, at time.Time) core.AppLogLine {
	return core.AppLogLine{App: web, LogLine: providers.LogLine{Instance: instance, Stream: "stdout", Time: at, Text: text}}
}

func TestPrinter(t *testing.T) {
	tests := []struct {
		name       string
		timestamps bool
		withApp    bool
		known      []core.AppLogLine
		want       string
	}{
		{name: "aligned on the known instances", known: []core.AppLogLine{line("web-10", "", t0)},
			want: "web-1  | hello\nweb-10 | world\n"},
		{name: "a new instance widens the column",
			want: "web-1 | hello\nweb-10 | world\n"},
		{name: "timestamps", timestamps: true, known: []core.AppLogLine{line("web-10", "", t0)},
			want: "web-1  | 2026-12-03T15:00:00.000Z hello\nweb-10 | ------------------------ world\n"},
		{name: "with the app", withApp: true,
			want: "app.web web-1 | hello\napp.web web-10 | world\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			p := NewPrinter(&b, false, tt.timestamps, tt.withApp, tt.known)
			p.Lines([]core.AppLogLine{line("web-1", "hello", t0)})
			p.Lines([]core.AppLogLine{line("web-10", "world", time.Time{})})
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestPrinterColours(t *testing.T) {
	var b bytes.Buffer
	p := NewPrinter(&b, true, false, false, nil)
	p.Lines([]core.AppLogLine{line("web-1", "a", t0), line("web-2", "b", t0), line("web-1", "c", t0)})
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], palette[0]) || !strings.HasPrefix(lines[1], palette[1]) || !strings.HasPrefix(lines[2], palette[0]) {
		t.Errorf("each instance keeps its colour: %q", lines)
	}
}

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	if err := JSONLines(&b, []core.AppLogLine{line("web-1", "hello", t0), line("web-2", "no time", time.Time{})}); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&b)
	var got []lineDoc
	for dec.More() {
		var d lineDoc
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	if len(got) != 2 || got[0].App != "app.web" || got[0].Instance != "web-1" || got[0].Time == nil || !got[0].Time.Equal(t0) ||
		got[1].Time != nil || got[1].Text != "no time" {
		t.Errorf("decoded %+v", got)
	}
}

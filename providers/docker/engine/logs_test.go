package engine

import (
	"testing"
	"time"
)

func TestLineWriter(t *testing.T) {
	type got struct {
		stream string
		t      time.Time
		text   string
	}
	var lines []got
	w := &lineWriter{stream: "stderr", line: func(s string, t time.Time, text string) { lines = append(lines, got{s, t, text}) }}
	// Lines split across writes, one without a timestamp, a last one
	// without a line feed.
	for _, chunk := range []string{"2026-12-03T18:00:00.5Z hel", "lo world\nno stamp\n2026-12-03T18:00:01Z ", "", "last"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	w.flush()
	want := []got{
		{"stderr", time.Date(2026, 12, 3, 18, 0, 0, 5e8, time.UTC), "hello world"},
		{"stderr", time.Time{}, "no stamp"},
		{"stderr", time.Date(2026, 12, 3, 18, 0, 1, 0, time.UTC), "last"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines %+v, want %d", len(lines), lines, len(want))
	}
	for i := range want {
		if lines[i].stream != want[i].stream || !lines[i].t.Equal(want[i].t) || lines[i].text != want[i].text {
			t.Errorf("line %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
}

package providers

import (
	"fmt"
	"testing"
	"time"
)

func TestSplitLogTimestamp(t *testing.T) {
	tests := []struct {
		in       string
		wantTime time.Time
		wantText string
	}{
		{"2026-12-03T18:00:00.123456789Z hello world", time.Date(2026, 12, 3, 18, 0, 0, 123456789, time.UTC), "hello world"},
		{"2026-12-03T18:00:00Z ", time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC), ""},
		{"no timestamp here", time.Time{}, "no timestamp here"},
		{"", time.Time{}, ""},
	}
	for _, tt := range tests {
		gotTime, gotText := SplitLogTimestamp(tt.in)
		if !gotTime.Equal(tt.wantTime) || gotText != tt.wantText {
			t.Errorf("SplitLogTimestamp(%q) = %v, %q; want %v, %q", tt.in, gotTime, gotText, tt.wantTime, tt.wantText)
		}
	}
}

func TestLogSink(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lines := []LogLine{
		{Instance: "web-1", Time: t0.Add(2 * time.Second), Text: "b"},
		{Instance: "web-2", Time: t0.Add(time.Second), Text: "a"},
		{Instance: "web-1", Time: t0.Add(2 * time.Second), Text: "c"},
	}
	tests := []struct {
		follow  bool
		want    string // the texts, by delivery
		batches int
	}{
		{follow: true, want: "bac", batches: 3}, // as they come
		{follow: false, want: "abc", batches: 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("follow=", tt.follow), func(t *testing.T) {
			var got string
			batches := 0
			s := NewLogSink(tt.follow, func(b []LogLine) {
				batches++
				for _, l := range b {
					got += l.Text
				}
			})
			for _, l := range lines {
				s.Add(l)
			}
			s.Flush()
			if got != tt.want || batches != tt.batches {
				t.Errorf("delivered %q in %d batches, want %q in %d", got, batches, tt.want, tt.batches)
			}
		})
	}
}

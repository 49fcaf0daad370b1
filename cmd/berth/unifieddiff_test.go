package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	lines := func(n int, prefix string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString(prefix)
			b.WriteString(string(rune('a' + i - 1)))
			b.WriteString("\n")
		}
		return b.String()
	}
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", ""},
		{"add to empty", "", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{"delete all", "x\ny\n", "", "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n"},
		{"no final newline", "x", "x\n", "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n"},
		{"one change in the middle", lines(10, ""), strings.Replace(lines(10, ""), "e\n", "E\n", 1),
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"},
		{"two hunks", lines(20, ""), strings.Replace(strings.Replace(lines(20, ""), "b\n", "B\n", 1), "s\n", "S\n", 1),
			"--- a\n+++ b\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -16,5 +16,5 @@\n p\n q\n r\n-s\n+S\n t\n"},
		{"close changes merge", lines(10, ""), strings.Replace(strings.Replace(lines(10, ""), "b\n", "B\n", 1), "i\n", "I\n", 1),
			"--- a\n+++ b\n@@ -1,10 +1,10 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n h\n-i\n+I\n j\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unifiedDiff("a", "b", tt.a, tt.b); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestDiffLinesReconstructs checks the edit script: it must rebuild both
// texts and be minimal, on inputs with repeats, where a wrong alignment
// would still look plausible, and on many scattered changes, where a diff
// that stops searching early (x/tools' does past 100 changed lines) folds
// everything between the first and the last changes into one block.
func TestDiffLinesReconstructs(t *testing.T) {
	// lines makes each character of s a line.
	lines := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			b.WriteRune(r)
			b.WriteByte('\n')
		}
		return b.String()
	}
	// scattered has n numbered lines, every fifth of them edited if asked.
	scattered := func(n int, edited bool) string {
		var b strings.Builder
		for i := range n {
			if edited && i%5 == 2 {
				fmt.Fprintf(&b, "line %d edited\n", i)
			} else {
				fmt.Fprintf(&b, "line %d\n", i)
			}
		}
		return b.String()
	}
	tests := []struct{ name, a, b string }{
		{"repeats", lines("abcabba"), lines("cbabac")},
		{"add to empty", "", lines("abc")},
		{"delete all", lines("abc"), ""},
		{"shorter", lines("aaaa"), lines("aa")},
		{"interleaved", lines("xaxbxc"), lines("abc")},
		{"reversed", lines("abcdefg"), lines("gfedcba")},
		{"final newline added", "a\nb", "a\nb\n"},
		{"many scattered changes", scattered(600, false), scattered(600, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotA, gotB strings.Builder
			changes := 0
			for _, e := range diffLines(tt.a, tt.b) {
				if e.op != '+' {
					gotA.WriteString(e.text)
				}
				if e.op != '-' {
					gotB.WriteString(e.text)
				}
				if e.op != ' ' {
					changes++
				}
			}
			if gotA.String() != tt.a || gotB.String() != tt.b {
				t.Errorf("the script rebuilds %q -> %q", gotA.String(), gotB.String())
			}
			// The script is minimal: len(a)+len(b)-2*LCS.
			a, b := splitLines(tt.a), splitLines(tt.b)
			if want := len(a) + len(b) - 2*lcsLen(a, b); changes != want {
				t.Errorf("%d changes, want %d", changes, want)
			}
		})
	}
}

// splitLines splits s into lines that keep their "\n".
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

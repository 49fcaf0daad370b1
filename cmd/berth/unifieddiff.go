package main

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// unifiedDiff returns the differences between a and b as a unified diff
// with three lines of context (GNU diff -u format), or "" when equal.
func unifiedDiff(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	edits := diffLines(a, b)
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)

	// lineA[i], lineB[i]: 1-based line numbers in a and b at edit i.
	lineA := make([]int, len(edits)+1)
	lineB := make([]int, len(edits)+1)
	la, lb := 1, 1
	for i, e := range edits {
		lineA[i], lineB[i] = la, lb
		if e.op != '+' {
			la++
		}
		if e.op != '-' {
			lb++
		}
	}
	lineA[len(edits)], lineB[len(edits)] = la, lb

	for i := 0; i < len(edits); {
		if edits[i].op == ' ' {
			i++
			continue
		}
		// A hunk runs from context lines before the first change to context
		// lines after the last change that is within 2*context of the next.
		start := max(0, i-context)
		end := i
		for j := i; j < len(edits); j++ {
			if edits[j].op != ' ' {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		stop := min(len(edits), end+context)
		var countA, countB int
		for _, e := range edits[start:stop] {
			if e.op != '+' {
				countA++
			}
			if e.op != '-' {
				countB++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(lineA[start], countA), hunkRange(lineB[start], countB))
		for _, e := range edits[start:stop] {
			out.WriteByte(e.op)
			out.WriteString(e.text)
			if !strings.HasSuffix(e.text, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	return out.String()
}

// hunkRange formats a hunk's range as GNU diff does: "l,n", just "l" for
// one line, and the line before the hunk for an empty range.
func hunkRange(line, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", line-1)
	case 1:
		return fmt.Sprint(line)
	default:
		return fmt.Sprintf("%d,%d", line, count)
	}
}

type diffEdit struct {
	op   byte // ' ' equal, '-' only in a, '+' only in b
	text string
}

// diffLines returns a shortest edit script from a to b, one edit per line;
// a line keeps its "\n", so a missing final newline is a difference like
// any other. diff-match-patch's line mode maps each distinct line to one
// rune and diffs the runes with Myers' bisection, which needs memory
// linear in the input: a reformatted file can change every line, and
// keeping each of Myers' frontiers made that quadratic (a gigabyte for
// 4,000 lines). No timeout: past one, diff-match-patch settles for a
// longer script, and the output would depend on the machine's speed.
func diffLines(a, b string) []diffEdit {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	ra, rb, lines := dmp.DiffLinesToRunes(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), lines)
	var edits []diffEdit
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		for line := range strings.SplitAfterSeq(d.Text, "\n") {
			if line != "" {
				edits = append(edits, diffEdit{op, line})
			}
		}
	}
	return edits
}

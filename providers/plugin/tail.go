package plugin

import (
	"bytes"
	"strings"
	"sync"
)

// Limits of what is kept of a plugin's stderr for crash reports: the last
// tailLines lines, and from the first panic on up to panicLines lines,
// since the panic message heads a stack trace that may be long.
const (
	tailLines  = 40
	panicLines = 200
)

// stderrTail keeps the end of a plugin's stderr so that a crash can be
// reported with the plugin's last words.
type stderrTail struct {
	mu    sync.Mutex
	lines []string // ring of the last tailLines lines
	next  int
	full  bool
	panic []string // from the first "panic: " / "fatal error: " line on
}

func newStderrTail() *stderrTail {
	return &stderrTail{lines: make([]string, tailLines)}
}

func (t *stderrTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.panic != nil {
		if len(t.panic) < panicLines {
			t.panic = append(t.panic, line)
		}
	} else if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
		t.panic = []string{line}
	}
	t.lines[t.next] = line
	t.next = (t.next + 1) % len(t.lines)
	if t.next == 0 {
		t.full = true
	}
}

// Output is the panic section when the plugin panicked, else its last lines.
func (t *stderrTail) Output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.panic != nil {
		return strings.TrimRight(strings.Join(t.panic, "\n"), "\n")
	}
	var out []string
	if t.full {
		out = append(out, t.lines[t.next:]...)
	}
	out = append(out, t.lines[:t.next]...)
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// lineWriter splits what is written to it into lines for a stderrTail.
// Each source of output gets its own, so partial lines do not interleave.
type lineWriter struct {
	tail *stderrTail
	mu   sync.Mutex
	buf  []byte
	// each, if set, is called with every complete line too.
	each func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		w.tail.add(line)
		if w.each != nil {
			w.each(line)
		}
	}
	// A line without end is kept whole up to a bound, then cut, so a
	// plugin writing without newlines cannot grow berth's memory.
	if len(w.buf) > 64<<10 {
		w.tail.add(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

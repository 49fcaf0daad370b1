package redact

import (
	"bytes"
	"io"
	"sync"
)

// maxHeld bounds the unterminated line a Writer holds back: beyond it the
// text is written anyway, so a writer of endless lines cannot grow berth's
// memory.
const maxHeld = 64 << 10

// NewWriter returns a writer that passes what is written to it on to w
// with the process's secrets replaced: the writer of berth's log sink.
func NewWriter(w io.Writer) io.Writer { return process.Writer(w) }

// Writer returns a writer that passes what is written to it on to w with
// the secrets of s replaced, as they are when the text is written. It
// redacts whole lines: text up to the last newline of a write is redacted
// together (a log entry of several lines, written at once, is redacted
// whole, so a secret of several lines is found in it) and an unterminated
// line is held back until its end arrives, so that a secret split across
// two writes is still found. A logger writes whole entries, each ending
// with a newline: nothing is held back from it.
func (s *Secrets) Writer(w io.Writer) io.Writer {
	return &writer{out: w, secrets: s}
}

type writer struct {
	out     io.Writer
	secrets *Secrets

	mu   sync.Mutex
	held []byte
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.held = append(w.held, p...)
	end := bytes.LastIndexByte(w.held, '\n') + 1
	if end == 0 {
		if len(w.held) < maxHeld {
			return len(p), nil
		}
		end = len(w.held)
	}
	text := w.secrets.String(string(w.held[:end]))
	w.held = w.held[:copy(w.held, w.held[end:])]
	if _, err := io.WriteString(w.out, text); err != nil {
		return 0, err
	}
	return len(p), nil
}

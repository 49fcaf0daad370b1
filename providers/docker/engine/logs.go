package engine

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/berth-sh/berth/providers"
)

// LogOptions says which of a container's output Logs reads.
type LogOptions struct {
	// Follow keeps reading new output until ctx ends.
	Follow bool
	// Since: only output written at or after it; zero: from the start.
	Since time.Time
	// Tail: only the last Tail lines; negative: all.
	Tail int
}

// Logs reads a container's output line by line, with the engine's
// timestamps: line gets each one's stream ("stdout" or "stderr"), time
// and text, in order. With Follow it returns once ctx ends (with ctx's
// error) or the container stops.
func (h *Host) Logs(ctx context.Context, id string, o LogOptions, line func(stream string, t time.Time, text string)) error {
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: o.Follow, Tail: "all"}
	if o.Tail >= 0 {
		opts.Tail = strconv.Itoa(o.Tail)
	}
	if !o.Since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", o.Since.Unix(), o.Since.Nanosecond())
	}
	rc, err := h.api.ContainerLogs(ctx, id, opts)
	if err != nil {
		return h.wrap("reading the logs of container "+ShortID(id), err)
	}
	defer rc.Close()
	stdout, stderr := &lineWriter{stream: "stdout", line: line}, &lineWriter{stream: "stderr", line: line}
	_, err = stdcopy.StdCopy(stdout, stderr, rc)
	stdout.flush()
	stderr.flush()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return h.wrap("reading the logs of container "+ShortID(id), err)
	}
	return nil
}

// lineWriter splits one stream of timestamped output into lines.
type lineWriter struct {
	stream string
	line   func(stream string, t time.Time, text string)
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

// flush emits a last line without a line feed.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
}

// emit reads the engine's "2006-01-02T15:04:05.999999999Z text" line.
func (w *lineWriter) emit(b []byte) {
	t, text := providers.SplitLogTimestamp(string(b))
	w.line(w.stream, t, text)
}

// Package logview renders berth logs: the lines of an app's instances
// merged, each behind a prefix naming its instance (in its own colour,
// as docker compose logs does), or as JSON Lines for a pipeline.
package logview

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/views/ansi"
)

// palette is the colours instances' prefixes take in turn.
var palette = []string{ansi.Green, ansi.Yellow, "\x1b[34m", "\x1b[35m", "\x1b[36m", ansi.Red}

// Printer writes lines behind their instance's prefix. Not safe for
// concurrent use: core.Instances.Logs never calls it concurrently.
type Printer struct {
	w          io.Writer
	color      bool
	timestamps bool
	// withApp prefixes the app's address too: lines of several apps.
	withApp bool
	width   int
	colors  map[string]string
}

// NewPrinter returns a printer onto w. withApp names the app in each
// prefix (for the lines of several apps); known are the prefixes
// expected, to align the lines from the first one; timestamps shows each
// line's time.
func NewPrinter(w io.Writer, color, timestamps, withApp bool, known []core.AppLogLine) *Printer {
	p := &Printer{w: w, color: color, timestamps: timestamps, withApp: withApp, colors: map[string]string{}}
	for _, l := range known {
		p.prefixOf(l)
	}
	return p
}

// prefixOf is a line's prefix, unpadded; a new one takes the next
// colour and may widen the column.
func (p *Printer) prefixOf(l core.AppLogLine) string {
	prefix := l.Instance
	if p.withApp {
		prefix = l.App.String() + " " + l.Instance
	}
	if _, ok := p.colors[prefix]; !ok {
		p.colors[prefix] = palette[len(p.colors)%len(palette)]
		p.width = max(p.width, len(prefix))
	}
	return prefix
}

// Lines writes a batch.
func (p *Printer) Lines(lines []core.AppLogLine) {
	var b strings.Builder
	for _, l := range lines {
		prefix := p.prefixOf(l)
		b.WriteString(ansi.Paint(p.color, p.colors[prefix], fmt.Sprintf("%-*s |", p.width, prefix)))
		b.WriteByte(' ')
		if p.timestamps {
			b.WriteString(Timestamp(l.Time))
			b.WriteByte(' ')
		}
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(p.w, b.String())
}

// Timestamp is a line's time as printed: RFC 3339 in UTC with
// milliseconds, or dashes of the same width when unknown.
func Timestamp(t time.Time) string {
	const layout = "2006-01-02T15:04:05.000Z07:00"
	if t.IsZero() {
		return strings.Repeat("-", len("2006-01-02T15:04:05.000Z"))
	}
	return t.UTC().Format(layout)
}

// lineDoc is the JSON shape of one line (docs/json-output.md).
type lineDoc struct {
	App      string     `json:"app"`
	Instance string     `json:"instance"`
	Stream   string     `json:"stream"`
	Time     *time.Time `json:"time"`
	Text     string     `json:"text"`
}

// JSONLines writes a batch as JSON Lines: one object a line.
func JSONLines(w io.Writer, lines []core.AppLogLine) error {
	enc := json.NewEncoder(w)
	for _, l := range lines {
		d := lineDoc{App: l.App.String(), Instance: l.Instance, Stream: l.Stream, Text: l.Text}
		if !l.Time.IsZero() {
			t := l.Time.UTC()
			d.Time = &t
		}
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	return nil
}

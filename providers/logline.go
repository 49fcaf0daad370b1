package providers

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// SplitLogTimestamp splits a log line its platform prefixed with an
// RFC 3339 timestamp and a space (the Docker Engine's and the Kubernetes
// API server's logs with timestamps); a line without one has the zero
// time and is returned whole.
func SplitLogTimestamp(s string) (time.Time, string) {
	ts, text, _ := strings.Cut(s, " ")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, s
	}
	return t, text
}

// logBatch is how many lines a LogSink delivers at once.
const logBatch = 500

// LogSink gathers the lines of instances read concurrently, for
// InstanceLogs: when following, it delivers each line as it comes; else
// it keeps them, and Flush delivers them all in time order, in batches.
// Its methods are safe for concurrent use; deliver is never called
// concurrently.
type LogSink struct {
	follow  bool
	deliver func([]LogLine)
	mu      sync.Mutex
	all     []LogLine
}

// NewLogSink returns a sink delivering to deliver.
func NewLogSink(follow bool, deliver func([]LogLine)) *LogSink {
	return &LogSink{follow: follow, deliver: deliver}
}

// Add takes one line.
func (s *LogSink) Add(l LogLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.follow {
		s.deliver([]LogLine{l})
		return
	}
	s.all = append(s.all, l)
}

// Flush delivers the lines kept, in time order (a stable sort: one
// instance's lines of one time keep their order).
func (s *LogSink) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.SortStableFunc(s.all, func(a, b LogLine) int { return a.Time.Compare(b.Time) })
	for len(s.all) > 0 {
		n := min(len(s.all), logBatch)
		s.deliver(s.all[:n])
		s.all = s.all[n:]
	}
	s.all = nil
}

// ReadInstanceLogs is the body of an InstanceLogs: it reads, concurrently,
// the output of each of names (an app's instances; a name may come twice,
// one per container) that req asks for, through read(i, add), and
// delivers the lines to lines, each one's Instance set (see LogSink). A
// failed read is a diagnostic naming its instance, unless ctx ended (a
// follow stopped); an instance asked for and not found is one too.
func ReadInstanceLogs(ctx context.Context, req InstanceLogsRequest, names []string, read func(i int, add func(LogLine)) error, lines func([]LogLine)) hcl.Diagnostics {
	sink := NewLogSink(req.Follow, lines)
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		diags hcl.Diagnostics
	)
	found := map[string]bool{}
	for i, name := range names {
		if len(req.Instances) > 0 && !slices.Contains(req.Instances, name) {
			continue
		}
		found[name] = true
		wg.Go(func() {
			err := read(i, func(l LogLine) {
				l.Instance = name
				sink.Add(l)
			})
			if err != nil && ctx.Err() == nil {
				mu.Lock()
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the output of instance " + name, Detail: err.Error()})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sink.Flush()
	return append(diags, MissingInstances(req.Instances, found)...)
}

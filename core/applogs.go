package core

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// LogsOptions says which output berth logs reads.
type LogsOptions struct {
	// Instance names one instance; "" reads them all.
	Instance string
	// Follow streams new output until the context ends.
	Follow bool
	// Since: only output written at or after it; zero: from the start.
	Since time.Time
	// Tail: only the last Tail lines of each instance; negative: all.
	Tail int
}

// AppLogLine is a line of output and the app whose instance wrote it.
type AppLogLine struct {
	App addrs.Instance
	providers.LogLine
}

// Logs streams the output of the apps' instances to lines (never called
// concurrently), the apps concurrently, until it is all delivered or,
// when following, until ctx ends: a cancelled follow is not an error.
func (in *Instances) Logs(ctx context.Context, opts LogsOptions, lines func([]AppLogLine)) hcl.Diagnostics {
	if d := in.checkInstanceName(opts.Instance); d.HasErrors() {
		return d
	}
	var (
		mu    sync.Mutex
		diags hcl.Diagnostics
		wg    sync.WaitGroup
	)
	for _, a := range in.Apps {
		req := providers.InstanceLogsRequest{Target: a.target(), Follow: opts.Follow, Since: opts.Since, Tail: opts.Tail}
		if opts.Instance != "" {
			if !slices.ContainsFunc(app.DecodeInstances(a.Object.Value), func(i app.Instance) bool { return i.Name == opts.Instance }) {
				continue
			}
			req.Instances = []string{opts.Instance}
		}
		wg.Go(func() {
			d := a.op.InstanceLogs(ctx, req, func(batch []providers.LogLine) {
				out := make([]AppLogLine, len(batch))
				for i, l := range batch {
					out[i] = AppLogLine{App: a.Addr, LogLine: l}
				}
				mu.Lock()
				defer mu.Unlock()
				lines(out)
			})
			mu.Lock()
			diags = diags.Extend(redactDiags(d))
			mu.Unlock()
		})
	}
	wg.Wait()
	return diags
}

package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// probeReportEvery is how often a wait for an instance's readiness says
// what its probe gets, while the probe fails.
const probeReportEvery = 5 * time.Second

// waitReady waits for the startup probe, then readiness, within
// healthy_deadline; readiness must then hold for hold. Without a
// readiness probe, a running container is ready. ready is called when
// readiness first passes, before the hold. While a probe fails, a "probe"
// event says every probeReportEvery what it got.
func (ap *applier) waitReady(ctx context.Context, h *engine.Host, info engine.ContainerInfo, hold time.Duration, ready func(), in app.Instance) error {
	deadline := ap.a.Spec.Rollout.HealthyDeadline
	if deadline <= 0 {
		deadline = app.DefaultRolloutHealthyDeadline
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	var readiness probe.Probe
	if r := ap.a.Spec.Readiness; r != nil {
		pr, err := ap.a.probe(r, h, info)
		if err != nil {
			return err
		}
		readiness = pr
	} else {
		readiness = probe.Probe{Check: runningCheck{host: h, id: info.ID}, Probe: app.Probe{Period: 200 * time.Millisecond, Timeout: 5 * time.Second}}
	}
	if s := ap.a.Spec.Startup; s != nil {
		pr, err := ap.a.probe(s, h, info)
		if err != nil {
			return err
		}
		if err := probe.WaitReady(ctx, pr, ap.probeReporter(in, "startup probe not passed")); err != nil {
			return withinDeadline(ctx, err, "startup probe not passed within healthy_deadline "+deadline.String())
		}
	}
	if err := probe.WaitReady(ctx, readiness, ap.probeReporter(in, "not ready")); err != nil {
		return withinDeadline(ctx, err, "not ready within healthy_deadline "+deadline.String())
	}
	ready()
	if hold > 0 {
		if err := probe.HoldReady(ctx, readiness, hold, nil); err != nil {
			return fmt.Errorf("did not stay ready for min_healthy %s: %w", hold, err)
		}
	}
	return nil
}

// withinDeadline gives a wait that healthy_deadline ended its reason, so
// that the message says "not ready" once.
func withinDeadline(ctx context.Context, err error, reason string) error {
	var nr *probe.NotReadyError
	if ctx.Err() != context.DeadlineExceeded || !errors.As(err, &nr) {
		return err
	}
	nr.Reason = reason
	return nr
}

// probeReporter observes in's probe attempts and emits a "probe" event at
// most every probeReportEvery while they fail: "web-2 on a: not ready yet
// after 10s: GET http://… answered 503 Service Unavailable (5 attempts
// failed in a row)".
func (ap *applier) probeReporter(in app.Instance, state string) func(probe.Attempt) {
	began := time.Now()
	last := began
	return func(at probe.Attempt) {
		if at.Err == nil || time.Since(last) < probeReportEvery {
			return
		}
		last = time.Now()
		ap.emit("probe", in.Name, "%s on %s: %s yet after %s: %s (%d attempts failed in a row)",
			in.Name, in.Host, state, time.Since(began).Round(time.Second), probe.Describe(at.Check, at.Err), at.Failures)
	}
}

package aws

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
)

// ELBv2's bounds of a target group's health check. berth clamps the
// probe's values into them (docs/aws.md): a period of 1s is checked every
// 5s, a success_threshold of 1 needs 2 successes.
const (
	minInterval, maxInterval   = 5, 300
	minTimeout, maxTimeout     = 2, 120
	minThreshold, maxThreshold = 2, 10
	maxDeregistrationDelay     = 3600 * time.Second
)

// trafficPort is the health check port that means "the port each target
// is registered with".
const trafficPort = "traffic-port"

// healthCheck is a target group's health check in ELBv2's terms.
type healthCheck struct {
	// Protocol is HTTP, HTTPS or TCP.
	Protocol string
	// Port is "traffic-port" or a port number.
	Port string
	// Path and Matcher (accepted status codes: "200-399", "200,204") are
	// those of an HTTP(S) check, "" for TCP.
	Path, Matcher                        string
	Interval, Timeout                    int32
	HealthyThreshold, UnhealthyThreshold int32
}

// healthCheckOf is the health check of t's target group: the readiness
// probe of its app with the health_check overrides (probe.TargetHealth),
// in ELBv2's terms and bounds.
func healthCheckOf(lbType string, t *target, o probe.Override) (healthCheck, error) {
	return mapHealthCheck(lbType, t.App, t.PortName, o, t.published())
}

// publication is a port of an app's instance reached at another port
// than its container port (a Docker host's published port).
type publication struct {
	Port                 string
	Container, Published int
}

// published is a port at which an instance of t's app is reached at
// another number than its container port, nil when there is none (pod
// IPs) or the instances are not known yet.
func (t *target) published() *publication {
	for _, in := range app.DecodeInstances(t.Value) {
		for _, name := range slices.Sorted(maps.Keys(in.Addresses)) {
			n, ok := app.PortNumber(t.App.Ports, name)
			if ad := in.Addresses[name]; ok && ad.Port > 0 && ad.Port != n {
				return &publication{Port: name, Container: n, Published: ad.Port}
			}
		}
	}
	return nil
}

// unmappedPortError is a health check of another port than the target's
// that ELBv2 cannot reach: the instances' ports are published under
// other numbers. FromOverride: health_check names the port, not the
// app's readiness.
type unmappedPortError struct {
	msg          string
	FromOverride bool
}

func (e *unmappedPortError) Error() string { return e.msg }

// mapHealthCheck maps the target health of an app's port to ELBv2:
//   - an HTTP(S) probe checks its path with its scheme; its status codes
//     become the matcher (default 200-399); its headers are not sent
//     (ELBv2 cannot);
//   - a TCP probe is a TCP check behind a Network Load Balancer; an
//     Application Load Balancer only checks over HTTP, so there it is an
//     HTTP GET of "/" that accepts any answer (200-499): the instance
//     answers HTTP on the port;
//   - the port is "traffic-port" when the probe checks the target's port
//     (each target's registered port), else the probe port's container
//     number; when the instances are reached at published ports (pub,
//     non-nil) that number is not theirs, and the probe of another port
//     is an error;
//   - interval = period (5-300s), timeout (2-120s, shorter than the
//     interval), healthy threshold = success_threshold, unhealthy
//     threshold = failure_threshold (2-10 each); initial_delay has no
//     counterpart.
func mapHealthCheck(lbType string, spec *app.Spec, portName string, o probe.Override, pub *publication) (healthCheck, error) {
	targetPort, ok := app.PortNumber(spec.Ports, portName)
	if !ok {
		return healthCheck{}, fmt.Errorf("app %s has no port %q", spec.Name, portName)
	}
	p := probe.TargetHealth(spec.Readiness, app.PortRef{Name: portName}, o)
	var hc healthCheck
	var ref app.PortRef
	switch {
	case p.HTTP != nil:
		hc.Protocol, hc.Path, ref = strings.ToUpper(p.HTTP.Scheme), p.HTTP.Path, p.HTTP.Port
		if hc.Protocol == "" {
			hc.Protocol = app.DefaultHTTPScheme
		}
		if hc.Path == "" {
			hc.Path = app.DefaultHTTPPath
		}
		m, err := matcher(lbType, p.HTTP.Status)
		if err != nil {
			return healthCheck{}, err
		}
		hc.Matcher = m
	case p.TCP != nil:
		ref = *p.TCP
		hc.Protocol = "TCP"
		if lbType == typeApplication {
			hc.Protocol, hc.Path, hc.Matcher = "HTTP", "/", "200-499"
		}
	default:
		return healthCheck{}, fmt.Errorf("no health check for port %q of app %s", portName, spec.Name)
	}
	n, ok := ref.Resolve(spec.Ports)
	if !ok {
		return healthCheck{}, fmt.Errorf("the health check's port %q is not a port of app %s", ref.String(), spec.Name)
	}
	hc.Port = trafficPort
	if ref.Name != portName && n != targetPort {
		hc.Port = strconv.Itoa(n)
		if pub != nil {
			fromOverride := o.HTTP != nil && o.HTTP.Port != nil || o.TCP != nil && o.TCP.Port != nil
			where := "the readiness probe of app " + spec.Name
			if fromOverride {
				where = "health_check"
			}
			return healthCheck{}, &unmappedPortError{FromOverride: fromOverride, msg: fmt.Sprintf(
				"%s checks port %q (container port %d), not the target's port %q; the instances of app %s are reached at published ports "+
					"(port %q: container %d, published %d), so ELBv2 would check <instance ip>:%d, which they do not publish. "+
					"Check the target's port: in the app's readiness, or with health_check's port = %q.",
				where, ref.String(), n, portName, spec.Name, pub.Port, pub.Container, pub.Published, n, portName)}
		}
	}
	hc.Interval = clamp(seconds(p.Period), minInterval, maxInterval)
	hc.Timeout = clamp(seconds(p.Timeout), minTimeout, maxTimeout)
	if hc.Timeout >= hc.Interval {
		hc.Timeout = hc.Interval - 1
	}
	hc.HealthyThreshold = clamp(int64(p.SuccessThreshold), minThreshold, maxThreshold)
	hc.UnhealthyThreshold = clamp(int64(p.FailureThreshold), minThreshold, maxThreshold)
	return hc, nil
}

// matcher is ELBv2's matcher of accepted status codes: one code, a range
// of consecutive ones ("200-204"), or a list ("200,204"). ELBv2 accepts
// 200-499 behind an Application Load Balancer, 200-599 behind a Network
// one.
func matcher(lbType string, codes []int) (string, error) {
	if len(codes) == 0 {
		return "200-399", nil
	}
	lo, hi := 200, 499
	if lbType == typeNetwork {
		hi = 599
	}
	cs := slices.Clone(codes)
	slices.Sort(cs)
	cs = slices.Compact(cs)
	for _, c := range cs {
		if c < lo || c > hi {
			return "", fmt.Errorf("status %d cannot be a health check's success code behind a %s load balancer (ELBv2 accepts %d-%d)", c, lbType, lo, hi)
		}
	}
	if len(cs) == 1 {
		return strconv.Itoa(cs[0]), nil
	}
	if cs[len(cs)-1]-cs[0] == len(cs)-1 {
		return fmt.Sprintf("%d-%d", cs[0], cs[len(cs)-1]), nil
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ","), nil
}

// seconds is d in whole seconds, rounded up.
func seconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

func clamp(v, lo, hi int64) int32 {
	return int32(min(max(v, lo), hi))
}

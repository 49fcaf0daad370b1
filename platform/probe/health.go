package probe

import (
	"fmt"
	"math/big"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// Override is a load balancer's health_check block: the parts of the
// target health check written in configuration, with the probe block's
// names. Nil fields keep what the app's readiness probe says.
type Override struct {
	Period, Timeout                    *time.Duration
	FailureThreshold, SuccessThreshold *int
	HTTP                               *HTTPOverride
	TCP                                *TCPOverride
}

// HTTPOverride is the http block of a health_check.
type HTTPOverride struct {
	Path, Scheme *string
	Port         *app.PortRef
	Status       []int
}

// TCPOverride is the tcp block of a health_check.
type TCPOverride struct {
	Port *app.PortRef
}

// TargetHealth is the health check a load balancer runs against an app's
// instances behind targetPort (a port of the app): the app's readiness
// probe with the overrides applied. Without a readiness probe, or with one
// a load balancer cannot run (exec, gRPC), the base is a TCP check of the
// target port; an override's http or tcp block replaces the base's check
// unless it is of the same kind, whose fields it then overrides.
func TargetHealth(readiness *app.Probe, targetPort app.PortRef, o Override) app.Probe {
	var p app.Probe
	if readiness != nil && (readiness.HTTP != nil || readiness.TCP != nil) {
		p = *readiness
		if p.HTTP != nil {
			h := *p.HTTP
			p.HTTP = &h
		}
	} else {
		if readiness != nil {
			p = app.Probe{Period: readiness.Period, Timeout: readiness.Timeout, InitialDelay: readiness.InitialDelay,
				FailureThreshold: readiness.FailureThreshold, SuccessThreshold: readiness.SuccessThreshold}
		}
		port := targetPort
		p.TCP = &port
	}
	p = p.WithDefaults()
	switch {
	case o.HTTP != nil:
		if p.HTTP == nil {
			p.HTTP = &app.HTTPCheck{Path: app.DefaultHTTPPath, Port: targetPort, Scheme: app.DefaultHTTPScheme}
			p.TCP = nil
		}
		if o.HTTP.Path != nil {
			p.HTTP.Path = *o.HTTP.Path
		}
		if o.HTTP.Scheme != nil {
			p.HTTP.Scheme = *o.HTTP.Scheme
		}
		if o.HTTP.Port != nil {
			p.HTTP.Port = *o.HTTP.Port
		}
		if o.HTTP.Status != nil {
			p.HTTP.Status = o.HTTP.Status
		}
	case o.TCP != nil:
		port := targetPort
		if p.TCP != nil {
			port = *p.TCP
		}
		if o.TCP.Port != nil {
			port = *o.TCP.Port
		}
		p.HTTP, p.TCP = nil, &port
	}
	if o.Period != nil {
		p.Period = *o.Period
	}
	if o.Timeout != nil {
		p.Timeout = *o.Timeout
	}
	if o.FailureThreshold != nil {
		p.FailureThreshold = *o.FailureThreshold
	}
	if o.SuccessThreshold != nil {
		p.SuccessThreshold = *o.SuccessThreshold
	}
	return p
}

// DecodeOverride reads a load balancer's evaluated health_check value
// (null: no overrides).
func DecodeOverride(v cty.Value) (Override, error) {
	var o Override
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return o, nil
	}
	if !v.IsWhollyKnown() || !v.Type().IsObjectType() {
		return o, fmt.Errorf("health_check must be a known object")
	}
	var err error
	o.Period, err = optDuration(v, "period")
	if err != nil {
		return o, err
	}
	if o.Timeout, err = optDuration(v, "timeout"); err != nil {
		return o, err
	}
	o.FailureThreshold, o.SuccessThreshold = optInt(v, "failure_threshold"), optInt(v, "success_threshold")
	if h := optObject(v, "http"); !h.IsNull() {
		o.HTTP = &HTTPOverride{Path: optString(h, "path"), Scheme: optString(h, "scheme"), Port: optPort(h)}
		if s := optObject(h, "status"); !s.IsNull() {
			o.HTTP.Status = []int{}
			for it := s.ElementIterator(); it.Next(); {
				_, e := it.Element()
				n, _ := e.AsBigFloat().Int64()
				o.HTTP.Status = append(o.HTTP.Status, int(n))
			}
		}
	}
	if t := optObject(v, "tcp"); !t.IsNull() {
		o.TCP = &TCPOverride{Port: optPort(t)}
	}
	return o, nil
}

func optObject(v cty.Value, name string) cty.Value {
	if !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

func optString(v cty.Value, name string) *string {
	a := optObject(v, name)
	if a.IsNull() || a.Type() != cty.String {
		return nil
	}
	s := a.AsString()
	return &s
}

func optInt(v cty.Value, name string) *int {
	a := optObject(v, name)
	if a.IsNull() || a.Type() != cty.Number {
		return nil
	}
	n, acc := a.AsBigFloat().Int64()
	if acc != big.Exact {
		return nil
	}
	i := int(n)
	return &i
}

func optDuration(v cty.Value, name string) (*time.Duration, error) {
	s := optString(v, name)
	if s == nil {
		return nil, nil
	}
	d, err := app.ParseDuration(*s)
	if err != nil {
		return nil, fmt.Errorf("health_check.%s: %w", name, err)
	}
	return &d, nil
}

func optPort(v cty.Value) *app.PortRef {
	s := optString(v, "port")
	if s == nil {
		return nil
	}
	r := app.ParsePortRef(*s)
	return &r
}

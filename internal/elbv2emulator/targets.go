package elbv2emulator

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// maxTargetsPerGroup is the emulator's limit of targets per target group
// (ELBv2's quota of targets per application load balancer).
const maxTargetsPerGroup = 1000

// target is one registration of a target (ID and port) in a group.
type target struct {
	tg   *targetGroup
	id   string
	port int32
	az   string

	state  types.TargetHealthStateEnum
	reason types.TargetHealthReasonEnum
	desc   string

	succ, fail int    // consecutive health check results
	gen        uint64 // bumped whenever the target starts anew; stale goroutines see it and stop
	stopCheck  context.CancelFunc
	stopDrain  context.CancelFunc
	removed    bool

	transport *http.Transport // to the target, for proxied requests
	inflight  int
	nextReq   uint64
	reqs      map[uint64]context.CancelFunc // in-flight proxied requests
	conns     map[net.Conn]struct{}         // forwarded TCP connections (to the target)
}

// The reasons and descriptions ELBv2 reports.
const (
	descRegistration = "Target registration is in progress"
	descInitial      = "Initial health checks in progress"
	descNotInUse     = "Target group is not configured to receive traffic from the load balancer"
	descNotRegistred = "Target is not registered to the target group"
	descDraining     = "Target deregistration is in progress"
	descTimeout      = "Request timed out"
	descFailed       = "Health checks failed"
)

func (s *Server) registerTargets(in *elbv2.RegisterTargetsInput) (*elbv2.RegisterTargetsOutput, error) {
	tg, err := s.targetGroup(aws.ToString(in.TargetGroupArn))
	if err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 {
		return nil, validationErr("At least one target must be specified")
	}
	type reg struct {
		id, az string
		port   int32
	}
	var regs []reg
	for _, td := range in.Targets {
		id := aws.ToString(td.Id)
		port := tg.port
		if td.Port != nil {
			port = *td.Port
		}
		if port < 1 || port > 65535 {
			return nil, validationErr("Port '%d' must be from 1 to 65535", port)
		}
		az := aws.ToString(td.AvailabilityZone)
		if err := s.checkTargetID(tg, id, az); err != nil {
			return nil, err
		}
		if td.QuicServerId != nil {
			return nil, validationErr("A QUIC server ID can only be specified for QUIC target groups")
		}
		regs = append(regs, reg{id, az, port})
	}
	added := 0
	for _, r := range regs {
		if tg.find(r.id, r.port) == nil {
			added++
		}
	}
	if len(tg.targets)+added > maxTargetsPerGroup {
		return nil, apiErr(codeTooManyTargets, "You have reached the limit of %d targets per target group", maxTargetsPerGroup)
	}
	for _, r := range regs {
		t := tg.find(r.id, r.port)
		switch {
		case t == nil:
			t = &target{tg: tg, id: r.id, port: r.port, az: r.az}
			tg.targets = append(tg.targets, t)
			s.startTargetLocked(t)
			s.logf("registered %s:%d in %s (%s)", t.id, t.port, tg.name, t.state)
		case t.state == types.TargetHealthStateEnumDraining:
			// Registering a draining target again stops its drain and
			// starts it afresh.
			s.startTargetLocked(t)
			s.logf("re-registered draining %s:%d in %s (%s)", t.id, t.port, tg.name, t.state)
		}
	}
	return &elbv2.RegisterTargetsOutput{}, nil
}

// checkTargetID checks a target ID for the group's target type. Instance
// IDs are not looked up (they name hosts, see Options.Instances); IP
// targets must be IP addresses of the group's family in private ranges,
// which here include 127.0.0.0/8, or have AvailabilityZone "all".
func (s *Server) checkTargetID(tg *targetGroup, id, az string) error {
	if id == "" {
		return validationErr("A target ID must be specified")
	}
	if tg.targetType != types.TargetTypeEnumIp {
		return nil
	}
	ip, err := netip.ParseAddr(id)
	if err != nil || ip.Zone() != "" {
		return apiErr(codeInvalidTarget, "The IP address '%s' is not a valid IP address", id)
	}
	if tg.ipType == types.TargetGroupIpAddressTypeEnumIpv6 {
		if !ip.Is6() || ip.Is4In6() {
			return apiErr(codeInvalidTarget, "The IP address '%s' is not a valid IPv6 address", id)
		}
		return nil
	}
	if !ip.Is4() {
		return apiErr(codeInvalidTarget, "The IP address '%s' is not a valid IPv4 address", id)
	}
	if az == "all" {
		return nil
	}
	for _, p := range privateRanges {
		if p.Contains(ip) {
			return nil
		}
	}
	return apiErr(codeInvalidTarget, "The IP address '%s' is not within a private range of the VPC; register it with AvailabilityZone 'all'", id)
}

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"), // the emulator's deviation: tests' targets
}

func (tg *targetGroup) find(id string, port int32) *target {
	for _, t := range tg.targets {
		if t.id == id && t.port == port {
			return t
		}
	}
	return nil
}

func (s *Server) deregisterTargets(in *elbv2.DeregisterTargetsInput) (*elbv2.DeregisterTargetsOutput, error) {
	tg, err := s.targetGroup(aws.ToString(in.TargetGroupArn))
	if err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 {
		return nil, validationErr("At least one target must be specified")
	}
	for _, td := range in.Targets {
		if aws.ToString(td.Id) == "" {
			return nil, validationErr("A target ID must be specified")
		}
	}
	for _, td := range in.Targets {
		port := tg.port
		if td.Port != nil {
			port = *td.Port
		}
		// A target not registered (with that port) is ignored, as ELBv2
		// does.
		t := tg.find(aws.ToString(td.Id), port)
		if t == nil {
			continue
		}
		switch t.state {
		case types.TargetHealthStateEnumDraining:
		case types.TargetHealthStateEnumUnused:
			// No load balancer sends it traffic: nothing to drain.
			s.removeTargetLocked(t, false)
			s.logf("deregistered %s:%d from %s", t.id, t.port, tg.name)
		default:
			s.drainLocked(t)
		}
	}
	return &elbv2.DeregisterTargetsOutput{}, nil
}

func (s *Server) describeTargetHealth(in *elbv2.DescribeTargetHealthInput) (*elbv2.DescribeTargetHealthOutput, error) {
	tg, err := s.targetGroup(aws.ToString(in.TargetGroupArn))
	if err != nil {
		return nil, err
	}
	anomaly := false
	for _, inc := range in.Include {
		switch inc {
		case types.DescribeTargetHealthInputIncludeEnumAnomaly, types.DescribeTargetHealthInputIncludeEnumAll:
			anomaly = true
		default:
			return nil, validationErr("Include '%s' must be one of AnomalyDetection, All", inc)
		}
	}
	out := &elbv2.DescribeTargetHealthOutput{TargetHealthDescriptions: []types.TargetHealthDescription{}}
	if len(in.Targets) == 0 {
		for _, t := range tg.targets {
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, s.describeTarget(t, anomaly))
		}
		return out, nil
	}
	for _, td := range in.Targets {
		id := aws.ToString(td.Id)
		if id == "" {
			return nil, validationErr("A target ID must be specified")
		}
		var matched []*target
		for _, t := range tg.targets {
			if t.id == id && (td.Port == nil || *td.Port == t.port) {
				matched = append(matched, t)
			}
		}
		for _, t := range matched {
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, s.describeTarget(t, anomaly))
		}
		if len(matched) > 0 {
			continue
		}
		port := tg.port
		if td.Port != nil {
			port = *td.Port
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, types.TargetHealthDescription{
			Target:          &types.TargetDescription{Id: aws.String(id), Port: aws.Int32(port)},
			HealthCheckPort: aws.String(healthCheckPort(tg, port)),
			TargetHealth: &types.TargetHealth{
				State:       types.TargetHealthStateEnumUnused,
				Reason:      types.TargetHealthReasonEnumNotRegistered,
				Description: aws.String(descNotRegistred),
			},
		})
	}
	return out, nil
}

func healthCheckPort(tg *targetGroup, port int32) string {
	if tg.hc.port == "traffic-port" {
		return strconv.Itoa(int(port))
	}
	return tg.hc.port
}

func (s *Server) describeTarget(t *target, anomaly bool) types.TargetHealthDescription {
	td := &types.TargetDescription{Id: aws.String(t.id), Port: aws.Int32(t.port)}
	switch {
	case t.az != "":
		td.AvailabilityZone = aws.String(t.az)
	case t.tg.targetType == types.TargetTypeEnumIp:
		td.AvailabilityZone = aws.String(s.opts.Region + "a")
	}
	th := &types.TargetHealth{State: t.state, Reason: t.reason}
	if t.desc != "" {
		th.Description = aws.String(t.desc)
	}
	out := types.TargetHealthDescription{
		Target:          td,
		HealthCheckPort: aws.String(healthCheckPort(t.tg, t.port)),
		TargetHealth:    th,
		AdministrativeOverride: &types.AdministrativeOverride{
			State:       types.TargetAdministrativeOverrideStateEnumNoOverride,
			Reason:      types.TargetAdministrativeOverrideReasonEnumNoOverrideEngaged,
			Description: aws.String("No override is currently active on target"),
		},
	}
	if anomaly && isHTTPProtocol(t.tg.protocol) {
		out.AnomalyDetection = &types.AnomalyDetection{Result: types.AnomalyResultEnumNormal, MitigationInEffect: types.MitigationInEffectEnumNo}
	}
	return out
}

// startTargetLocked (re)starts a target: unused if no load balancer
// forwards to its group, else initial with health checks running.
func (s *Server) startTargetLocked(t *target) {
	s.stopCheckLocked(t)
	if t.stopDrain != nil {
		t.stopDrain()
		t.stopDrain = nil
	}
	t.gen++
	t.succ, t.fail = 0, 0
	if !t.tg.inUse() {
		t.state, t.reason, t.desc = types.TargetHealthStateEnumUnused, types.TargetHealthReasonEnumNotInUse, descNotInUse
		return
	}
	t.state, t.reason, t.desc = types.TargetHealthStateEnumInitial, types.TargetHealthReasonEnumRegistrationInProgress, descRegistration
	s.startCheckLocked(t)
}

// drainLocked starts a target's deregistration: it gets no new requests
// or connections, and leaves its group when the deregistration delay
// ends; requests in flight then are cut.
func (s *Server) drainLocked(t *target) {
	s.stopCheckLocked(t)
	t.gen++
	gen := t.gen
	t.state, t.reason, t.desc = types.TargetHealthStateEnumDraining, types.TargetHealthReasonEnumDeregistrationInProgress, descDraining
	secs, _ := strconv.Atoi(t.tg.attrs.get("deregistration_delay.timeout_seconds"))
	delay := s.scaled(time.Duration(secs) * time.Second)
	ctx, cancel := context.WithCancel(s.ctx)
	t.stopDrain = cancel
	s.logf("draining %s:%d in %s for %v", t.id, t.port, t.tg.name, delay)
	s.tasks.start(func() {
		defer cancel()
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if t.gen == gen && !t.removed {
			s.removeTargetLocked(t, false)
			s.logf("deregistered %s:%d from %s", t.id, t.port, t.tg.name)
		}
	})
}

// removeTargetLocked takes a target out of its group: its checks stop,
// its in-flight requests are cut, and its forwarded TCP connections are
// closed if the group says so (deregistration_delay.connection_termination)
// or force is set.
func (s *Server) removeTargetLocked(t *target, force bool) {
	s.stopCheckLocked(t)
	if t.stopDrain != nil {
		t.stopDrain()
		t.stopDrain = nil
	}
	t.gen++
	t.removed = true
	for _, cancel := range t.reqs {
		cancel()
	}
	if force || t.tg.attrs.get("deregistration_delay.connection_termination.enabled") == "true" {
		for c := range t.conns {
			_ = c.Close()
		}
	}
	t.tg.targets = slices.DeleteFunc(t.tg.targets, func(x *target) bool { return x == t })
	if len(t.reqs) == 0 {
		t.closeIdle()
	}
}

func (t *target) closeIdle() {
	if t.transport != nil {
		t.transport.CloseIdleConnections()
	}
}

// host is where the emulator reaches a target.
func (s *Server) host(t *target) string {
	if t.tg.targetType == types.TargetTypeEnumInstance {
		if h, ok := s.opts.Instances[t.id]; ok {
			return h
		}
	}
	return t.id
}

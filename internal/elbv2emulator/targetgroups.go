package elbv2emulator

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// maxTargetGroups is ELBv2's default quota of target groups per region.
const maxTargetGroups = 3000

// healthCheck is a target group's health check settings.
type healthCheck struct {
	enabled   bool
	protocol  types.ProtocolEnum
	port      string // "traffic-port" or a port number
	path      string // HTTP and HTTPS checks only
	interval  int32
	timeout   int32
	healthy   int32
	unhealthy int32
	httpCode  string // the matcher of HTTP and HTTPS checks
	grpcCode  string
}

type targetGroup struct {
	arn, name, id   string
	protocol        types.ProtocolEnum
	port            int32
	protocolVersion string // HTTP and HTTPS target groups only
	vpcID           string
	targetType      types.TargetTypeEnum
	ipType          types.TargetGroupIpAddressTypeEnum
	hc              healthCheck
	attrs           *attributes
	tags            tagSet
	targets         []*target // in registration order
	rr              uint64    // round-robin position
	lbARNs          []string  // load balancers whose listeners or rules forward here (reconcileLocked)
	deleted         bool
}

func isHTTPProtocol(p types.ProtocolEnum) bool {
	return p == types.ProtocolEnumHttp || p == types.ProtocolEnumHttps
}

// inUse reports whether a listener or rule forwards to the group.
func (tg *targetGroup) inUse() bool { return len(tg.lbARNs) > 0 }

func (s *Server) createTargetGroup(in *elbv2.CreateTargetGroupInput) (*elbv2.CreateTargetGroupOutput, error) {
	name := aws.ToString(in.Name)
	if err := validName("target group", name); err != nil {
		return nil, err
	}
	tt := in.TargetType
	switch tt {
	case "":
		tt = types.TargetTypeEnumInstance
	case types.TargetTypeEnumInstance, types.TargetTypeEnumIp:
	case types.TargetTypeEnumLambda, types.TargetTypeEnumAlb:
		return nil, validationErr("The emulator does not implement target type '%s'", tt)
	default:
		return nil, validationErr("Target type '%s' must be one of instance, ip, lambda, alb", tt)
	}
	switch in.Protocol {
	case "":
		return nil, validationErr("A protocol must be specified for target groups with target type '%s'", tt)
	case types.ProtocolEnumHttp, types.ProtocolEnumHttps, types.ProtocolEnumTcp, types.ProtocolEnumTls, types.ProtocolEnumUdp, types.ProtocolEnumTcpUdp:
	case types.ProtocolEnumGeneve:
		return nil, validationErr("The emulator does not implement GENEVE target groups")
	default:
		return nil, validationErr("Protocol '%s' must be one of HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE", in.Protocol)
	}
	if in.Port == nil {
		return nil, validationErr("A port must be specified for target groups with target type '%s'", tt)
	}
	if *in.Port < 1 || *in.Port > 65535 {
		return nil, validationErr("Port '%d' must be from 1 to 65535", *in.Port)
	}
	if aws.ToString(in.VpcId) == "" {
		return nil, validationErr("A VPC ID must be specified for target groups with target type '%s'", tt)
	}
	tg := &targetGroup{
		name:       name,
		protocol:   in.Protocol,
		port:       *in.Port,
		vpcID:      aws.ToString(in.VpcId),
		targetType: tt,
		ipType:     in.IpAddressType,
	}
	switch tg.ipType {
	case "":
		tg.ipType = types.TargetGroupIpAddressTypeEnumIpv4
	case types.TargetGroupIpAddressTypeEnumIpv4:
	case types.TargetGroupIpAddressTypeEnumIpv6:
		if tt != types.TargetTypeEnumIp {
			return nil, validationErr("IP address type 'ipv6' is only for target groups with target type 'ip'")
		}
	default:
		return nil, validationErr("IP address type '%s' must be one of ipv4, ipv6", tg.ipType)
	}
	if v := aws.ToString(in.ProtocolVersion); v != "" {
		if !isHTTPProtocol(tg.protocol) {
			return nil, validationErr("A protocol version can only be specified for HTTP and HTTPS target groups")
		}
		v = strings.ToUpper(v)
		switch v {
		case "HTTP1", "HTTP2":
		case "GRPC":
			return nil, validationErr("The emulator does not implement protocol version GRPC")
		default:
			return nil, validationErr("Protocol version '%s' must be one of HTTP1, HTTP2, GRPC", aws.ToString(in.ProtocolVersion))
		}
		tg.protocolVersion = v
	} else if isHTTPProtocol(tg.protocol) {
		tg.protocolVersion = "HTTP1"
	}
	if in.TargetControlPort != nil {
		return nil, validationErr("The emulator does not implement target control ports")
	}
	hc, err := tg.healthCheckFrom(tg.defaultHealthCheck(in.HealthCheckProtocol), healthCheckInput{
		enabled: in.HealthCheckEnabled, protocol: in.HealthCheckProtocol, port: in.HealthCheckPort, path: in.HealthCheckPath,
		interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
		healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher,
	})
	if err != nil {
		return nil, err
	}
	tg.hc = hc
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	for _, old := range s.tgs {
		if old.name != name {
			continue
		}
		// CreateTargetGroup is idempotent: the same settings return the
		// existing group.
		if old.sameSettings(tg) {
			return &elbv2.CreateTargetGroupOutput{TargetGroups: []types.TargetGroup{old.describe()}}, nil
		}
		return nil, apiErr(codeDuplicateTargetGroup, "A target group with the same name '%s' exists, but with different settings", name)
	}
	if len(s.tgs) >= maxTargetGroups {
		return nil, apiErr(codeTooManyTargetGroups, "You have reached the limit of %d target groups", maxTargetGroups)
	}
	tg.id = s.hexID(16)
	tg.arn = s.arn("targetgroup/" + name + "/" + tg.id)
	if isHTTPProtocol(tg.protocol) {
		tg.attrs = newAttributes(httpTargetGroupAttributes)
	} else {
		tg.attrs = newAttributes(tcpTargetGroupAttributes)
		// Client IPs are preserved by default except for ip targets over
		// TCP and TLS.
		if tt == types.TargetTypeEnumIp && (tg.protocol == types.ProtocolEnumTcp || tg.protocol == types.ProtocolEnumTls) {
			tg.attrs.values["preserve_client_ip.enabled"] = "false"
		}
	}
	_ = tg.tags.add(tg.arn, in.Tags)
	s.tgs = append(s.tgs, tg)
	s.tgByARN[tg.arn] = tg
	s.logf("created target group %s", tg.arn)
	return &elbv2.CreateTargetGroupOutput{TargetGroups: []types.TargetGroup{tg.describe()}}, nil
}

func (tg *targetGroup) sameSettings(other *targetGroup) bool {
	return tg.protocol == other.protocol && tg.port == other.port && tg.protocolVersion == other.protocolVersion &&
		tg.vpcID == other.vpcID && tg.targetType == other.targetType && tg.ipType == other.ipType &&
		reflect.DeepEqual(tg.hc, other.hc)
}

// defaultHealthCheck is ELBv2's default health check of a new group;
// hcProto is the health check protocol asked for, if any.
func (tg *targetGroup) defaultHealthCheck(hcProto types.ProtocolEnum) healthCheck {
	hc := healthCheck{enabled: true, port: "traffic-port", interval: 30, healthy: 5, unhealthy: 2}
	if isHTTPProtocol(tg.protocol) {
		hc.protocol = tg.protocol
		hc.timeout = 5
		hc.path = "/"
		hc.httpCode = "200"
		if tg.protocolVersion == "GRPC" {
			hc.path = "/AWS.ALB/healthcheck"
			hc.httpCode = ""
			hc.grpcCode = "12"
		}
		return hc
	}
	hc.protocol = types.ProtocolEnumTcp
	hc.timeout = 10
	if hcProto == types.ProtocolEnumHttp || hcProto == types.ProtocolEnumHttps {
		hc.path = "/"
		hc.httpCode = "200-399"
		if hcProto == types.ProtocolEnumHttp {
			hc.timeout = 6
		}
	}
	return hc
}

// healthCheckInput is the health check part of CreateTargetGroup and
// ModifyTargetGroup.
type healthCheckInput struct {
	enabled                               *bool
	protocol                              types.ProtocolEnum
	port, path                            *string
	interval, timeout, healthy, unhealthy *int32
	matcher                               *types.Matcher
}

// healthCheckFrom applies in to hc and checks the result as ELBv2 does.
func (tg *targetGroup) healthCheckFrom(hc healthCheck, in healthCheckInput) (healthCheck, error) {
	if in.enabled != nil {
		if !*in.enabled {
			return hc, validationErr("Health checks cannot be disabled for target groups with target type '%s'", tg.targetType)
		}
		hc.enabled = true
	}
	if in.protocol != "" {
		switch {
		case isHTTPProtocol(tg.protocol) && !isHTTPProtocol(in.protocol):
			return hc, validationErr("Health check protocol '%s' is not supported for target groups with the %s protocol; it must be HTTP or HTTPS", in.protocol, tg.protocol)
		case !isHTTPProtocol(tg.protocol) && in.protocol != types.ProtocolEnumTcp && !isHTTPProtocol(in.protocol):
			return hc, validationErr("Health check protocol '%s' is not supported for target groups with the %s protocol; it must be TCP, HTTP or HTTPS", in.protocol, tg.protocol)
		}
		if in.protocol != hc.protocol {
			wasHTTP := isHTTPProtocol(hc.protocol)
			hc.protocol = in.protocol
			if !isHTTPProtocol(hc.protocol) {
				hc.path, hc.httpCode = "", ""
			} else if !wasHTTP {
				hc.path, hc.httpCode = "/", "200-399"
			}
		}
	}
	httpCheck := isHTTPProtocol(hc.protocol)
	if in.port != nil {
		p := *in.port
		if p != "traffic-port" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return hc, validationErr("Health check port '%s' must be 'traffic-port' or a port from 1 to 65535", p)
			}
		}
		hc.port = p
	}
	if in.path != nil {
		if !httpCheck {
			return hc, validationErr("A health check path can only be specified with the HTTP or HTTPS health check protocol")
		}
		p := *in.path
		if !strings.HasPrefix(p, "/") || len(p) > 1024 {
			return hc, validationErr("Health check path '%s' must begin with '/' and be at most 1024 characters long", p)
		}
		hc.path = p
	}
	if in.interval != nil {
		if *in.interval < 5 || *in.interval > 300 {
			return hc, validationErr("Health check interval '%d' must be from 5 to 300 seconds", *in.interval)
		}
		hc.interval = *in.interval
	}
	if in.timeout != nil {
		if *in.timeout < 2 || *in.timeout > 120 {
			return hc, validationErr("Health check timeout '%d' must be from 2 to 120 seconds", *in.timeout)
		}
		hc.timeout = *in.timeout
	}
	if hc.timeout >= hc.interval {
		return hc, validationErr("Health check interval must be greater than the timeout.")
	}
	if in.healthy != nil {
		if *in.healthy < 2 || *in.healthy > 10 {
			return hc, validationErr("Healthy threshold count '%d' must be from 2 to 10", *in.healthy)
		}
		hc.healthy = *in.healthy
	}
	if in.unhealthy != nil {
		if *in.unhealthy < 2 || *in.unhealthy > 10 {
			return hc, validationErr("Unhealthy threshold count '%d' must be from 2 to 10", *in.unhealthy)
		}
		hc.unhealthy = *in.unhealthy
	}
	if m := in.matcher; m != nil {
		if !httpCheck {
			return hc, validationErr("A health check matcher can only be specified with the HTTP or HTTPS health check protocol")
		}
		if m.GrpcCode != nil {
			if tg.protocolVersion != "GRPC" {
				return hc, validationErr("A gRPC code matcher can only be specified for target groups with protocol version GRPC")
			}
			if !validCodes(*m.GrpcCode, 0, 99) {
				return hc, validationErr("gRPC code matcher '%s' must be codes from 0 to 99, like 12, 0,12 or 0-99", *m.GrpcCode)
			}
			hc.grpcCode = *m.GrpcCode
		}
		if m.HttpCode != nil {
			if tg.protocolVersion == "GRPC" {
				return hc, validationErr("An HTTP code matcher cannot be specified for target groups with protocol version GRPC")
			}
			lo, hi := 200, 499
			if !isHTTPProtocol(tg.protocol) {
				hi = 599
			}
			if !validCodes(*m.HttpCode, lo, hi) {
				return hc, validationErr("HTTP code matcher '%s' must be codes from %d to %d, like 200, 200,202 or 200-299", *m.HttpCode, lo, hi)
			}
			hc.httpCode = *m.HttpCode
		}
	}
	return hc, nil
}

// validCodes checks a matcher: comma-separated codes and lo-hi ranges.
func validCodes(spec string, lo, hi int) bool {
	if spec == "" {
		return false
	}
	for _, part := range strings.Split(spec, ",") {
		a, b, isRange := strings.Cut(part, "-")
		x, err := strconv.Atoi(a)
		if err != nil || x < lo || x > hi {
			return false
		}
		if isRange {
			y, err := strconv.Atoi(b)
			if err != nil || y < x || y > hi {
				return false
			}
		}
	}
	return true
}

// matchCode reports whether a status code passes a matcher.
func matchCode(spec string, code int) bool {
	for _, part := range strings.Split(spec, ",") {
		a, b, isRange := strings.Cut(part, "-")
		x, _ := strconv.Atoi(a)
		if !isRange {
			if code == x {
				return true
			}
			continue
		}
		y, _ := strconv.Atoi(b)
		if code >= x && code <= y {
			return true
		}
	}
	return false
}

func (tg *targetGroup) describe() types.TargetGroup {
	out := types.TargetGroup{
		HealthCheckEnabled:         aws.Bool(tg.hc.enabled),
		HealthCheckIntervalSeconds: aws.Int32(tg.hc.interval),
		HealthCheckPort:            aws.String(tg.hc.port),
		HealthCheckProtocol:        tg.hc.protocol,
		HealthCheckTimeoutSeconds:  aws.Int32(tg.hc.timeout),
		HealthyThresholdCount:      aws.Int32(tg.hc.healthy),
		UnhealthyThresholdCount:    aws.Int32(tg.hc.unhealthy),
		IpAddressType:              tg.ipType,
		LoadBalancerArns:           slices.Clone(tg.lbARNs),
		Port:                       aws.Int32(tg.port),
		Protocol:                   tg.protocol,
		TargetGroupArn:             aws.String(tg.arn),
		TargetGroupName:            aws.String(tg.name),
		TargetType:                 tg.targetType,
		VpcId:                      aws.String(tg.vpcID),
	}
	if out.LoadBalancerArns == nil {
		out.LoadBalancerArns = []string{}
	}
	if tg.protocolVersion != "" {
		out.ProtocolVersion = aws.String(tg.protocolVersion)
	}
	if isHTTPProtocol(tg.hc.protocol) {
		out.HealthCheckPath = aws.String(tg.hc.path)
		m := &types.Matcher{}
		if tg.hc.grpcCode != "" {
			m.GrpcCode = aws.String(tg.hc.grpcCode)
		} else {
			m.HttpCode = aws.String(tg.hc.httpCode)
		}
		out.Matcher = m
	}
	return out
}

// targetGroup finds a target group by ARN.
func (s *Server) targetGroup(arn string) (*targetGroup, error) {
	if err := checkARN(arn, kindTargetGroup); err != nil {
		return nil, err
	}
	tg := s.tgByARN[arn]
	if tg == nil {
		return nil, apiErr(codeTargetGroupNotFound, "Target groups '%s' not found", arn)
	}
	return tg, nil
}

func (s *Server) describeTargetGroups(in *elbv2.DescribeTargetGroupsInput) (*elbv2.DescribeTargetGroupsOutput, error) {
	given := 0
	if in.LoadBalancerArn != nil {
		given++
	}
	if len(in.TargetGroupArns) > 0 {
		given++
	}
	if len(in.Names) > 0 {
		given++
	}
	if given > 1 {
		return nil, validationErr("Only one of load balancer ARN, target group ARNs or names can be specified")
	}
	var found []*targetGroup
	switch {
	case in.LoadBalancerArn != nil:
		lb, err := s.loadBalancer(*in.LoadBalancerArn)
		if err != nil {
			return nil, err
		}
		for _, tg := range s.tgs {
			if slices.Contains(tg.lbARNs, lb.arn) {
				found = append(found, tg)
			}
		}
	default:
		var err error
		found, err = byARNOrName(s.tgs, in.TargetGroupArns, in.Names, kindTargetGroup,
			apiErr(codeTargetGroupNotFound, "One or more target groups not found"),
			func(tg *targetGroup) string { return tg.arn }, func(tg *targetGroup) string { return tg.name })
		if err != nil {
			return nil, err
		}
	}
	pg, next, err := page(found, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeTargetGroupsOutput{TargetGroups: []types.TargetGroup{}, NextMarker: next}
	for _, tg := range pg {
		out.TargetGroups = append(out.TargetGroups, tg.describe())
	}
	return out, nil
}

func (s *Server) modifyTargetGroup(in *elbv2.ModifyTargetGroupInput) (*elbv2.ModifyTargetGroupOutput, error) {
	tg, err := s.targetGroup(aws.ToString(in.TargetGroupArn))
	if err != nil {
		return nil, err
	}
	hc, err := tg.healthCheckFrom(tg.hc, healthCheckInput{
		enabled: in.HealthCheckEnabled, protocol: in.HealthCheckProtocol, port: in.HealthCheckPort, path: in.HealthCheckPath,
		interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
		healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher,
	})
	if err != nil {
		return nil, err
	}
	// The new settings apply from each target's next check, its state
	// kept, as ELBv2 does.
	tg.hc = hc
	return &elbv2.ModifyTargetGroupOutput{TargetGroups: []types.TargetGroup{tg.describe()}}, nil
}

func (s *Server) deleteTargetGroup(in *elbv2.DeleteTargetGroupInput) (*elbv2.DeleteTargetGroupOutput, error) {
	arn := aws.ToString(in.TargetGroupArn)
	if err := checkARN(arn, kindTargetGroup); err != nil {
		return nil, err
	}
	tg := s.tgByARN[arn]
	if tg == nil {
		// Deleting a target group that is gone succeeds.
		return &elbv2.DeleteTargetGroupOutput{}, nil
	}
	if tg.inUse() {
		return nil, apiErr(codeResourceInUse, "Target group '%s' is currently in use by a listener or a rule", arn)
	}
	for _, t := range slices.Clone(tg.targets) {
		s.removeTargetLocked(t, true)
	}
	tg.deleted = true
	delete(s.tgByARN, arn)
	s.tgs = slices.DeleteFunc(s.tgs, func(x *targetGroup) bool { return x == tg })
	s.logf("deleted target group %s", arn)
	return &elbv2.DeleteTargetGroupOutput{}, nil
}

func (s *Server) describeTargetGroupAttributes(in *elbv2.DescribeTargetGroupAttributesInput) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	tg, err := s.targetGroup(aws.ToString(in.TargetGroupArn))
	if err != nil {
		return nil, err
	}
	return &elbv2.DescribeTargetGroupAttributesOutput{Attributes: tgAttributeList(tg)}, nil
}

func (s *Server) modifyTargetGroupAttributes(in *elbv2.ModifyTargetGroupAttributesInput) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	tg, err := s.targetGroup(aws.ToString(in.TargetGroupArn))
	if err != nil {
		return nil, err
	}
	if err := modifyAttributes(tg.attrs, "Target group", in.Attributes, func(a types.TargetGroupAttribute) (*string, *string) { return a.Key, a.Value }); err != nil {
		return nil, err
	}
	return &elbv2.ModifyTargetGroupAttributesOutput{Attributes: tgAttributeList(tg)}, nil
}

func tgAttributeList(tg *targetGroup) []types.TargetGroupAttribute {
	return attributeList(tg.attrs, func(k, v *string) types.TargetGroupAttribute { return types.TargetGroupAttribute{Key: k, Value: v} })
}

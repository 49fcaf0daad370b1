package elbv2emulator

import (
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// maxListeners is ELBv2's quota of listeners per load balancer.
const maxListeners = 50

// defaultSSLPolicy is ELBv2's default security policy of HTTPS and TLS
// listeners.
const defaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

type listener struct {
	arn, id      string
	lb           *loadBalancer
	port         int32
	protocol     types.ProtocolEnum
	certificates []types.Certificate
	sslPolicy    string
	alpn         []string
	mutualAuth   *types.MutualAuthenticationAttributes
	defaultRule  *rule   // holds the default actions
	rules        []*rule // the other rules, by priority
	attrs        *attributes
	tags         tagSet
	serving      *listenerServer
}

func isTLSProtocol(p types.ProtocolEnum) bool {
	return p == types.ProtocolEnumHttps || p == types.ProtocolEnumTls
}

// targetGroupsLocked are the groups the listener's rules forward to.
func (l *listener) targetGroupsLocked(s *Server) []*targetGroup {
	var out []*targetGroup
	add := func(acts []types.Action) {
		for _, arn := range forwardGroups(acts) {
			if tg := s.tgByARN[arn]; tg != nil && !slices.Contains(out, tg) {
				out = append(out, tg)
			}
		}
	}
	add(l.defaultRule.actions)
	for _, r := range l.rules {
		add(r.actions)
	}
	return out
}

func (s *Server) checkListenerProtocol(lb *loadBalancer, p types.ProtocolEnum) error {
	if p == "" {
		return validationErr("A listener protocol must be specified")
	}
	allowed := []types.ProtocolEnum{types.ProtocolEnumHttps, types.ProtocolEnumHttp}
	if lb.isNetwork() {
		allowed = []types.ProtocolEnum{types.ProtocolEnumTcp, types.ProtocolEnumTls, types.ProtocolEnumUdp, types.ProtocolEnumTcpUdp}
	}
	if !slices.Contains(allowed, p) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		return validationErr("Listener protocol '%s' must be one of '%s'", p, strings.Join(names, ", "))
	}
	return nil
}

// listenerTLS checks and returns the certificates and policy of an HTTPS
// or TLS listener.
func listenerTLS(p types.ProtocolEnum, certs []types.Certificate, policy *string, alpn []string) ([]types.Certificate, string, []string, error) {
	if !isTLSProtocol(p) {
		if len(certs) > 0 {
			return nil, "", nil, validationErr("Certificates can only be specified for HTTPS and TLS listeners")
		}
		if policy != nil {
			return nil, "", nil, validationErr("An SSL policy can only be specified for HTTPS and TLS listeners")
		}
		if len(alpn) > 0 {
			return nil, "", nil, validationErr("An ALPN policy can only be specified for TLS listeners")
		}
		return nil, "", nil, nil
	}
	if len(certs) != 1 || aws.ToString(certs[0].CertificateArn) == "" {
		return nil, "", nil, validationErr("A certificate must be specified for %s listeners", p)
	}
	if !strings.HasPrefix(*certs[0].CertificateArn, "arn:") {
		return nil, "", nil, apiErr(codeCertificateNotFound, "Certificate '%s' not found", *certs[0].CertificateArn)
	}
	pol := aws.ToString(policy)
	if pol == "" {
		pol = defaultSSLPolicy
	} else if !strings.HasPrefix(pol, "ELBSecurityPolicy-") {
		return nil, "", nil, apiErr("SSLPolicyNotFound", "SSL policy '%s' not found", pol)
	}
	if len(alpn) > 0 && p != types.ProtocolEnumTls {
		return nil, "", nil, validationErr("An ALPN policy can only be specified for TLS listeners")
	}
	return []types.Certificate{{CertificateArn: certs[0].CertificateArn}}, pol, slices.Clone(alpn), nil
}

func (s *Server) createListener(in *elbv2.CreateListenerInput) (*elbv2.CreateListenerOutput, error) {
	lb, err := s.loadBalancer(aws.ToString(in.LoadBalancerArn))
	if err != nil {
		return nil, err
	}
	if err := s.checkListenerProtocol(lb, in.Protocol); err != nil {
		return nil, err
	}
	if in.Port == nil {
		return nil, validationErr("A listener port must be specified")
	}
	if *in.Port < 1 || *in.Port > 65535 {
		return nil, validationErr("Port '%d' must be from 1 to 65535", *in.Port)
	}
	certs, policy, alpn, err := listenerTLS(in.Protocol, in.Certificates, in.SslPolicy, in.AlpnPolicy)
	if err != nil {
		return nil, err
	}
	if in.MutualAuthentication != nil && aws.ToString(in.MutualAuthentication.Mode) != "" && aws.ToString(in.MutualAuthentication.Mode) != "off" {
		return nil, validationErr("The emulator does not implement mutual TLS authentication")
	}
	acts, err := s.normalizeActions(lb, in.Protocol, in.DefaultActions)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	for _, l := range lb.listeners {
		if l.port != *in.Port {
			continue
		}
		// CreateListener is idempotent: the same settings return the
		// existing listener.
		if l.protocol == in.Protocol && reflect.DeepEqual(l.defaultRule.actions, acts) && reflect.DeepEqual(l.certificates, certs) && l.sslPolicy == policy {
			return &elbv2.CreateListenerOutput{Listeners: []types.Listener{l.describe()}}, nil
		}
		return nil, apiErr(codeDuplicateListener, "A listener already exists on this port for this load balancer '%s'", lb.arn)
	}
	if len(lb.listeners) >= maxListeners {
		return nil, apiErr(codeTooManyListeners, "You have reached the limit of %d listeners per load balancer", maxListeners)
	}
	l := &listener{
		id:           s.hexID(16),
		lb:           lb,
		port:         *in.Port,
		protocol:     in.Protocol,
		certificates: certs,
		sslPolicy:    policy,
		alpn:         alpn,
	}
	if isTLSProtocol(l.protocol) && l.protocol == types.ProtocolEnumHttps {
		l.mutualAuth = &types.MutualAuthenticationAttributes{Mode: aws.String("off"), IgnoreClientCertificateExpiry: aws.Bool(false)}
	}
	l.arn = s.arn("listener/" + lbKind(lb) + "/" + lb.name + "/" + lb.id + "/" + l.id)
	l.attrs = newAttributes(listenerAttributeSpecs(lb))
	l.defaultRule = &rule{listener: l, isDefault: true, actions: acts, conditions: []types.RuleCondition{}}
	l.defaultRule.id = s.hexID(16)
	l.defaultRule.arn = s.ruleARN(l, l.defaultRule.id)
	srv, err := s.serveListenerLocked(l)
	if err != nil {
		return nil, &apiError{Code: codeInternalFailure, Message: "the emulator cannot serve the listener: " + err.Error(), Status: 500}
	}
	l.serving = srv
	_ = l.tags.add(l.arn, in.Tags)
	lb.listeners = append(lb.listeners, l)
	s.lisByARN[l.arn] = l
	s.ruleByARN[l.defaultRule.arn] = l.defaultRule
	s.reconcileLocked()
	s.logf("created listener %s (%s:%d) on %s", l.arn, l.protocol, l.port, srv.addr)
	return &elbv2.CreateListenerOutput{Listeners: []types.Listener{l.describe()}}, nil
}

func lbKind(lb *loadBalancer) string {
	if lb.isNetwork() {
		return "net"
	}
	return "app"
}

func listenerAttributeSpecs(lb *loadBalancer) []attrSpec {
	if lb.isNetwork() {
		return []attrSpec{intAttr("tcp.idle_timeout.seconds", "350", 60, 6000)}
	}
	return []attrSpec{boolAttr("routing.http.response.server.enabled", "true")}
}

func (l *listener) describe() types.Listener {
	out := types.Listener{
		ListenerArn:     aws.String(l.arn),
		LoadBalancerArn: aws.String(l.lb.arn),
		Port:            aws.Int32(l.port),
		Protocol:        l.protocol,
		DefaultActions:  cloneActions(l.defaultRule.actions),
	}
	if isTLSProtocol(l.protocol) {
		out.Certificates = slices.Clone(l.certificates)
		out.SslPolicy = aws.String(l.sslPolicy)
		if len(l.alpn) > 0 {
			out.AlpnPolicy = slices.Clone(l.alpn)
		}
		if l.mutualAuth != nil {
			ma := *l.mutualAuth
			out.MutualAuthentication = &ma
		}
	}
	return out
}

// listener finds a listener by ARN.
func (s *Server) listener(arn string) (*listener, error) {
	if err := checkARN(arn, kindListener); err != nil {
		return nil, err
	}
	l := s.lisByARN[arn]
	if l == nil {
		return nil, apiErr(codeListenerNotFound, "Listener '%s' not found", arn)
	}
	return l, nil
}

func (s *Server) describeListeners(in *elbv2.DescribeListenersInput) (*elbv2.DescribeListenersOutput, error) {
	var found []*listener
	switch {
	case in.LoadBalancerArn != nil && len(in.ListenerArns) > 0:
		return nil, validationErr("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	case in.LoadBalancerArn != nil:
		lb, err := s.loadBalancer(*in.LoadBalancerArn)
		if err != nil {
			return nil, err
		}
		found = lb.listeners
	case len(in.ListenerArns) > 0:
		for _, arn := range in.ListenerArns {
			l, err := s.listener(arn)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(found, l) {
				found = append(found, l)
			}
		}
	default:
		return nil, validationErr("You must specify either listener ARNs or a load balancer ARN")
	}
	pg, next, err := page(found, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeListenersOutput{Listeners: []types.Listener{}, NextMarker: next}
	for _, l := range pg {
		out.Listeners = append(out.Listeners, l.describe())
	}
	return out, nil
}

func (s *Server) modifyListener(in *elbv2.ModifyListenerInput) (*elbv2.ModifyListenerOutput, error) {
	l, err := s.listener(aws.ToString(in.ListenerArn))
	if err != nil {
		return nil, err
	}
	lb := l.lb
	protocol := l.protocol
	if in.Protocol != "" {
		if err := s.checkListenerProtocol(lb, in.Protocol); err != nil {
			return nil, err
		}
		protocol = in.Protocol
	}
	port := l.port
	if in.Port != nil {
		if *in.Port < 1 || *in.Port > 65535 {
			return nil, validationErr("Port '%d' must be from 1 to 65535", *in.Port)
		}
		port = *in.Port
		for _, o := range lb.listeners {
			if o != l && o.port == port {
				return nil, apiErr(codeDuplicateListener, "A listener already exists on this port for this load balancer '%s'", lb.arn)
			}
		}
	}
	var certs []types.Certificate
	var policy string
	var alpn []string
	if isTLSProtocol(protocol) {
		c, p, a := in.Certificates, in.SslPolicy, in.AlpnPolicy
		if len(c) == 0 {
			c = l.certificates
		}
		if p == nil && l.sslPolicy != "" {
			p = aws.String(l.sslPolicy)
		}
		if a == nil {
			a = l.alpn
		}
		if certs, policy, alpn, err = listenerTLS(protocol, c, p, a); err != nil {
			return nil, err
		}
	} else if _, _, _, err := listenerTLS(protocol, in.Certificates, in.SslPolicy, in.AlpnPolicy); err != nil {
		return nil, err
	}
	acts := l.defaultRule.actions
	if in.DefaultActions != nil {
		if acts, err = s.normalizeActions(lb, protocol, in.DefaultActions); err != nil {
			return nil, err
		}
	} else if protocol != l.protocol {
		// The actions must still suit the new protocol.
		if acts, err = s.normalizeActions(lb, protocol, acts); err != nil {
			return nil, err
		}
	}
	l.protocol, l.port = protocol, port
	l.certificates, l.sslPolicy, l.alpn = certs, policy, alpn
	if l.protocol == types.ProtocolEnumHttps && l.mutualAuth == nil {
		l.mutualAuth = &types.MutualAuthenticationAttributes{Mode: aws.String("off"), IgnoreClientCertificateExpiry: aws.Bool(false)}
	} else if l.protocol != types.ProtocolEnumHttps {
		l.mutualAuth = nil
	}
	l.defaultRule.actions = acts
	s.reconcileLocked()
	return &elbv2.ModifyListenerOutput{Listeners: []types.Listener{l.describe()}}, nil
}

func (s *Server) deleteListener(in *elbv2.DeleteListenerInput) (*elbv2.DeleteListenerOutput, error) {
	l, err := s.listener(aws.ToString(in.ListenerArn))
	if err != nil {
		return nil, err
	}
	s.removeListenerLocked(l)
	s.reconcileLocked()
	return &elbv2.DeleteListenerOutput{}, nil
}

// removeListenerLocked deletes a listener and its rules and stops serving
// it; callers reconcile.
func (s *Server) removeListenerLocked(l *listener) {
	stop := l.stopServingLocked()
	// Closing waits for nothing of the emulator's: safe under s.mu.
	stop()
	for _, r := range l.rules {
		delete(s.ruleByARN, r.arn)
	}
	delete(s.ruleByARN, l.defaultRule.arn)
	delete(s.lisByARN, l.arn)
	l.lb.listeners = slices.DeleteFunc(l.lb.listeners, func(x *listener) bool { return x == l })
	s.logf("deleted listener %s", l.arn)
}

func (s *Server) describeListenerAttributes(in *elbv2.DescribeListenerAttributesInput) (*elbv2.DescribeListenerAttributesOutput, error) {
	l, err := s.listener(aws.ToString(in.ListenerArn))
	if err != nil {
		return nil, err
	}
	return &elbv2.DescribeListenerAttributesOutput{Attributes: listenerAttributeList(l)}, nil
}

func (s *Server) modifyListenerAttributes(in *elbv2.ModifyListenerAttributesInput) (*elbv2.ModifyListenerAttributesOutput, error) {
	l, err := s.listener(aws.ToString(in.ListenerArn))
	if err != nil {
		return nil, err
	}
	if err := modifyAttributes(l.attrs, "Listener", in.Attributes, func(a types.ListenerAttribute) (*string, *string) { return a.Key, a.Value }); err != nil {
		return nil, err
	}
	return &elbv2.ModifyListenerAttributesOutput{Attributes: listenerAttributeList(l)}, nil
}

func listenerAttributeList(l *listener) []types.ListenerAttribute {
	return attributeList(l.attrs, func(k, v *string) types.ListenerAttribute { return types.ListenerAttribute{Key: k, Value: v} })
}

package elbv2emulator

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Target groups a forward action may name (ELBv2's quotas).
const (
	maxGroupsPerActionALB = 5
	maxGroupsPerActionNLB = 1
)

var (
	fixedStatusRE = regexp.MustCompile(`^[245]\d\d$`)
	contentTypes  = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
)

// normalizeActions checks a listener's or rule's actions for a load
// balancer and listener protocol, and returns them as ELBv2 describes
// them: sorted by Order, a forward action with both TargetGroupArn (one
// group) and ForwardConfig (weights, stickiness), a redirect with its
// defaults filled in.
func (s *Server) normalizeActions(lb *loadBalancer, protocol types.ProtocolEnum, in []types.Action) ([]types.Action, error) {
	if len(in) == 0 {
		return nil, validationErr("At least one action must be specified")
	}
	acts := slices.Clone(in)
	withOrder := 0
	for _, a := range acts {
		if a.Order != nil {
			withOrder++
			if *a.Order < 1 || *a.Order > 50000 {
				return nil, validationErr("Action order '%d' must be from 1 to 50000", *a.Order)
			}
		}
	}
	if withOrder != 0 && withOrder != len(acts) {
		return nil, validationErr("Either all actions or none must have an order")
	}
	if len(acts) > 1 && withOrder == 0 {
		return nil, validationErr("An order must be specified for each action when there is more than one")
	}
	slices.SortStableFunc(acts, func(a, b types.Action) int { return int(aws.ToInt32(a.Order) - aws.ToInt32(b.Order)) })
	for i := 1; i < len(acts); i++ {
		if aws.ToInt32(acts[i].Order) == aws.ToInt32(acts[i-1].Order) {
			return nil, validationErr("Action order '%d' is used more than once", aws.ToInt32(acts[i].Order))
		}
	}
	out := make([]types.Action, 0, len(acts))
	for i, a := range acts {
		last := i == len(acts)-1
		var n types.Action
		var err error
		switch a.Type {
		case types.ActionTypeEnumForward:
			n, err = s.normalizeForward(lb, protocol, a)
		case types.ActionTypeEnumFixedResponse:
			n, err = normalizeFixedResponse(lb, a)
		case types.ActionTypeEnumRedirect:
			n, err = normalizeRedirect(lb, a)
		case types.ActionTypeEnumAuthenticateOidc, types.ActionTypeEnumAuthenticateCognito, types.ActionTypeEnumJwtValidation:
			return nil, validationErr("The emulator does not implement '%s' actions", a.Type)
		case "":
			return nil, validationErr("An action must have a type")
		default:
			return nil, validationErr("Action type '%s' must be one of forward, fixed-response, redirect, authenticate-oidc, authenticate-cognito, jwt-validation", a.Type)
		}
		if err != nil {
			return nil, err
		}
		if !last {
			return nil, apiErr(codeInvalidAction, "A %s action must be the last action", a.Type)
		}
		n.Order = a.Order
		out = append(out, n)
	}
	return out, nil
}

func (s *Server) normalizeForward(lb *loadBalancer, protocol types.ProtocolEnum, a types.Action) (types.Action, error) {
	var tuples []types.TargetGroupTuple
	var stick *types.TargetGroupStickinessConfig
	if fc := a.ForwardConfig; fc != nil {
		tuples = slices.Clone(fc.TargetGroups)
		stick = fc.TargetGroupStickinessConfig
		if a.TargetGroupArn != nil && (len(tuples) != 1 || aws.ToString(tuples[0].TargetGroupArn) != *a.TargetGroupArn) {
			return types.Action{}, validationErr("With both a target group ARN and a forward config, the forward config must have exactly that one target group")
		}
	} else if a.TargetGroupArn != nil {
		tuples = []types.TargetGroupTuple{{TargetGroupArn: a.TargetGroupArn}}
	}
	if len(tuples) == 0 {
		return types.Action{}, validationErr("A forward action must have a target group ARN or a forward config with target groups")
	}
	limit := maxGroupsPerActionALB
	if lb.isNetwork() {
		limit = maxGroupsPerActionNLB
	}
	if len(tuples) > limit {
		return types.Action{}, apiErr(codeTooManyTargetGroups, "A forward action can have at most %d target groups", limit)
	}
	seen := map[string]bool{}
	for i, tu := range tuples {
		arn := aws.ToString(tu.TargetGroupArn)
		tg, err := s.targetGroup(arn)
		if err != nil {
			return types.Action{}, err
		}
		if seen[arn] {
			return types.Action{}, validationErr("Target group '%s' is specified more than once in a forward action", arn)
		}
		seen[arn] = true
		w := int32(1)
		if tu.Weight != nil {
			w = *tu.Weight
			if w < 0 || w > 999 {
				return types.Action{}, validationErr("Target group weight '%d' must be from 0 to 999", w)
			}
		}
		tuples[i] = types.TargetGroupTuple{TargetGroupArn: aws.String(arn), Weight: aws.Int32(w)}
		if err := compatible(lb, protocol, tg); err != nil {
			return types.Action{}, err
		}
		for _, other := range tg.lbARNs {
			if other != lb.arn {
				return types.Action{}, apiErr(codeTargetGroupAssociation, "The following target groups cannot be associated with more than one load balancer: %s", arn)
			}
		}
	}
	sc := &types.TargetGroupStickinessConfig{Enabled: aws.Bool(false)}
	if stick != nil && aws.ToBool(stick.Enabled) {
		d := aws.ToInt32(stick.DurationSeconds)
		if d < 1 || d > 604800 {
			return types.Action{}, validationErr("Target group stickiness duration must be from 1 to 604800 seconds")
		}
		sc = &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(d)}
	}
	n := types.Action{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: tuples, TargetGroupStickinessConfig: sc}}
	if len(tuples) == 1 {
		n.TargetGroupArn = tuples[0].TargetGroupArn
	}
	return n, nil
}

// compatible checks that a listener of protocol on lb can forward to tg.
func compatible(lb *loadBalancer, protocol types.ProtocolEnum, tg *targetGroup) error {
	var ok bool
	switch protocol {
	case types.ProtocolEnumHttp, types.ProtocolEnumHttps:
		ok = isHTTPProtocol(tg.protocol)
	case types.ProtocolEnumTcp:
		ok = tg.protocol == types.ProtocolEnumTcp || tg.protocol == types.ProtocolEnumTcpUdp
	case types.ProtocolEnumTls:
		ok = tg.protocol == types.ProtocolEnumTcp || tg.protocol == types.ProtocolEnumTls
	case types.ProtocolEnumUdp:
		ok = tg.protocol == types.ProtocolEnumUdp || tg.protocol == types.ProtocolEnumTcpUdp
	case types.ProtocolEnumTcpUdp:
		ok = tg.protocol == types.ProtocolEnumTcpUdp
	}
	if !ok {
		return apiErr(codeIncompatibleProtocols, "Listener protocol '%s' is not supported with a target group with the protocol '%s'", protocol, tg.protocol)
	}
	return nil
}

func normalizeFixedResponse(lb *loadBalancer, a types.Action) (types.Action, error) {
	if lb.isNetwork() {
		return types.Action{}, apiErr(codeInvalidAction, "Fixed-response actions are only for application load balancers")
	}
	c := a.FixedResponseConfig
	if c == nil {
		return types.Action{}, validationErr("A fixed-response action must have a fixed-response config")
	}
	if !fixedStatusRE.MatchString(aws.ToString(c.StatusCode)) {
		return types.Action{}, validationErr("Fixed-response status code '%s' must be a 2XX, 4XX or 5XX code", aws.ToString(c.StatusCode))
	}
	if c.ContentType != nil && !slices.Contains(contentTypes, *c.ContentType) {
		return types.Action{}, validationErr("Fixed-response content type '%s' must be one of text/plain, text/css, text/html, application/javascript, application/json", *c.ContentType)
	}
	if len(aws.ToString(c.MessageBody)) > 1024 {
		return types.Action{}, validationErr("A fixed-response message body can be at most 1024 characters long")
	}
	cc := *c
	return types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &cc}, nil
}

func normalizeRedirect(lb *loadBalancer, a types.Action) (types.Action, error) {
	if lb.isNetwork() {
		return types.Action{}, apiErr(codeInvalidAction, "Redirect actions are only for application load balancers")
	}
	c := a.RedirectConfig
	if c == nil {
		return types.Action{}, validationErr("A redirect action must have a redirect config")
	}
	if c.StatusCode != types.RedirectActionStatusCodeEnumHttp301 && c.StatusCode != types.RedirectActionStatusCodeEnumHttp302 {
		return types.Action{}, validationErr("Redirect status code '%s' must be HTTP_301 or HTTP_302", c.StatusCode)
	}
	cc := types.RedirectActionConfig{
		StatusCode: c.StatusCode,
		Host:       aws.String(orDefault(c.Host, "#{host}")),
		Path:       aws.String(orDefault(c.Path, "/#{path}")),
		Port:       aws.String(orDefault(c.Port, "#{port}")),
		Protocol:   aws.String(orDefault(c.Protocol, "#{protocol}")),
		Query:      aws.String(orDefault(c.Query, "#{query}")),
	}
	switch *cc.Protocol {
	case "HTTP", "HTTPS", "#{protocol}":
	default:
		return types.Action{}, validationErr("Redirect protocol '%s' must be HTTP, HTTPS or #{protocol}", *cc.Protocol)
	}
	if *cc.Port != "#{port}" {
		if n, err := strconv.Atoi(*cc.Port); err != nil || n < 1 || n > 65535 {
			return types.Action{}, validationErr("Redirect port '%s' must be from 1 to 65535 or #{port}", *cc.Port)
		}
	}
	if (*cc.Path)[0] != '/' {
		return types.Action{}, validationErr("Redirect path '%s' must begin with '/'", *cc.Path)
	}
	return types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &cc}, nil
}

func orDefault(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

// forwardGroups are the target group ARNs an action list forwards to.
func forwardGroups(acts []types.Action) []string {
	var out []string
	for _, a := range acts {
		if a.Type == types.ActionTypeEnumForward && a.ForwardConfig != nil {
			for _, tu := range a.ForwardConfig.TargetGroups {
				out = append(out, aws.ToString(tu.TargetGroupArn))
			}
		}
	}
	return out
}

// cloneActions copies actions deeply enough that callers may keep them.
func cloneActions(acts []types.Action) []types.Action {
	out := slices.Clone(acts)
	for i, a := range out {
		if a.ForwardConfig != nil {
			fc := *a.ForwardConfig
			fc.TargetGroups = slices.Clone(fc.TargetGroups)
			out[i].ForwardConfig = &fc
		}
	}
	return out
}

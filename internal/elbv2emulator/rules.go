package elbv2emulator

import (
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// maxRules is ELBv2's quota of rules (not counting default rules) per
// application load balancer.
const maxRules = 100

type rule struct {
	arn, id    string
	listener   *listener
	isDefault  bool
	priority   int32 // 1-50000; not for the default rule
	conditions []types.RuleCondition
	actions    []types.Action
	tags       tagSet
}

func (s *Server) ruleARN(l *listener, id string) string {
	lb := l.lb
	return s.arn("listener-rule/" + lbKind(lb) + "/" + lb.name + "/" + lb.id + "/" + l.id + "/" + id)
}

func (r *rule) describe() types.Rule {
	out := types.Rule{
		RuleArn:    aws.String(r.arn),
		IsDefault:  aws.Bool(r.isDefault),
		Actions:    cloneActions(r.actions),
		Conditions: slices.Clone(r.conditions),
	}
	if r.isDefault {
		out.Priority = aws.String("default")
	} else {
		out.Priority = aws.String(strconv.Itoa(int(r.priority)))
	}
	if out.Conditions == nil {
		out.Conditions = []types.RuleCondition{}
	}
	return out
}

func sortRules(rs []*rule) {
	slices.SortFunc(rs, func(a, b *rule) int { return int(a.priority - b.priority) })
}

// rule finds a rule by ARN.
func (s *Server) rule(arn string) (*rule, error) {
	if err := checkARN(arn, kindRule); err != nil {
		return nil, err
	}
	r := s.ruleByARN[arn]
	if r == nil {
		return nil, apiErr(codeRuleNotFound, "Rule '%s' not found", arn)
	}
	return r, nil
}

func checkPriority(p int32) error {
	if p < 1 || p > 50000 {
		return validationErr("Priority '%d' must be from 1 to 50000", p)
	}
	return nil
}

func (s *Server) createRule(in *elbv2.CreateRuleInput) (*elbv2.CreateRuleOutput, error) {
	l, err := s.listener(aws.ToString(in.ListenerArn))
	if err != nil {
		return nil, err
	}
	if l.lb.isNetwork() {
		return nil, validationErr("Rules can only be added to listeners of application load balancers")
	}
	if in.Priority == nil {
		return nil, validationErr("A rule priority must be specified")
	}
	if err := checkPriority(*in.Priority); err != nil {
		return nil, err
	}
	if len(in.Transforms) > 0 {
		return nil, validationErr("The emulator does not implement rule transforms")
	}
	conds, err := normalizeConditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	acts, err := s.normalizeActions(l.lb, l.protocol, in.Actions)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	for _, r := range l.rules {
		if r.priority == *in.Priority {
			return nil, apiErr(codePriorityInUse, "Priority '%d' is currently in use", *in.Priority)
		}
	}
	n := 0
	for _, o := range l.lb.listeners {
		n += len(o.rules)
	}
	if n >= maxRules {
		return nil, apiErr(codeTooManyRules, "You have reached the limit of %d rules per load balancer", maxRules)
	}
	r := &rule{listener: l, priority: *in.Priority, conditions: conds, actions: acts, id: s.hexID(16)}
	r.arn = s.ruleARN(l, r.id)
	_ = r.tags.add(r.arn, in.Tags)
	l.rules = append(l.rules, r)
	sortRules(l.rules)
	s.ruleByARN[r.arn] = r
	s.reconcileLocked()
	return &elbv2.CreateRuleOutput{Rules: []types.Rule{r.describe()}}, nil
}

func (s *Server) describeRules(in *elbv2.DescribeRulesInput) (*elbv2.DescribeRulesOutput, error) {
	var found []*rule
	switch {
	case in.ListenerArn != nil && len(in.RuleArns) > 0:
		return nil, validationErr("Rule ARNs and a listener ARN cannot be specified at the same time")
	case in.ListenerArn != nil:
		l, err := s.listener(*in.ListenerArn)
		if err != nil {
			return nil, err
		}
		found = append(slices.Clone(l.rules), l.defaultRule)
	case len(in.RuleArns) > 0:
		for _, arn := range in.RuleArns {
			r, err := s.rule(arn)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(found, r) {
				found = append(found, r)
			}
		}
	default:
		return nil, validationErr("You must specify either listener ARN or rule ARNs")
	}
	pg, next, err := page(found, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeRulesOutput{Rules: []types.Rule{}, NextMarker: next}
	for _, r := range pg {
		out.Rules = append(out.Rules, r.describe())
	}
	return out, nil
}

func (s *Server) modifyRule(in *elbv2.ModifyRuleInput) (*elbv2.ModifyRuleOutput, error) {
	r, err := s.rule(aws.ToString(in.RuleArn))
	if err != nil {
		return nil, err
	}
	if len(in.Transforms) > 0 || aws.ToBool(in.ResetTransforms) {
		return nil, validationErr("The emulator does not implement rule transforms")
	}
	conds := r.conditions
	if in.Conditions != nil {
		if r.isDefault {
			return nil, apiErr(codeOperationNotPermitted, "The conditions of a default rule cannot be modified")
		}
		if conds, err = normalizeConditions(in.Conditions); err != nil {
			return nil, err
		}
	}
	acts := r.actions
	if in.Actions != nil {
		if acts, err = s.normalizeActions(r.listener.lb, r.listener.protocol, in.Actions); err != nil {
			return nil, err
		}
	}
	r.conditions, r.actions = conds, acts
	s.reconcileLocked()
	return &elbv2.ModifyRuleOutput{Rules: []types.Rule{r.describe()}}, nil
}

func (s *Server) deleteRule(in *elbv2.DeleteRuleInput) (*elbv2.DeleteRuleOutput, error) {
	r, err := s.rule(aws.ToString(in.RuleArn))
	if err != nil {
		return nil, err
	}
	if r.isDefault {
		return nil, apiErr(codeOperationNotPermitted, "Default rule '%s' cannot be deleted", r.arn)
	}
	l := r.listener
	l.rules = slices.DeleteFunc(l.rules, func(x *rule) bool { return x == r })
	delete(s.ruleByARN, r.arn)
	s.reconcileLocked()
	return &elbv2.DeleteRuleOutput{}, nil
}

func (s *Server) setRulePriorities(in *elbv2.SetRulePrioritiesInput) (*elbv2.SetRulePrioritiesOutput, error) {
	if len(in.RulePriorities) == 0 {
		return nil, validationErr("At least one rule priority must be specified")
	}
	next := map[*rule]int32{}
	var order []*rule
	for _, p := range in.RulePriorities {
		r, err := s.rule(aws.ToString(p.RuleArn))
		if err != nil {
			return nil, err
		}
		if r.isDefault {
			return nil, apiErr(codeOperationNotPermitted, "The priority of default rule '%s' cannot be changed", r.arn)
		}
		if p.Priority == nil {
			return nil, validationErr("A priority must be specified for rule '%s'", r.arn)
		}
		if err := checkPriority(*p.Priority); err != nil {
			return nil, err
		}
		if _, dup := next[r]; dup {
			return nil, validationErr("Rule '%s' is specified more than once", r.arn)
		}
		next[r] = *p.Priority
		order = append(order, r)
	}
	// Every listener touched must end with unique priorities.
	touched := map[*listener]bool{}
	for _, r := range order {
		touched[r.listener] = true
	}
	for l := range touched {
		used := map[int32]bool{}
		for _, r := range l.rules {
			p := r.priority
			if np, ok := next[r]; ok {
				p = np
			}
			if used[p] {
				return nil, apiErr(codePriorityInUse, "Priority '%d' is currently in use", p)
			}
			used[p] = true
		}
	}
	out := &elbv2.SetRulePrioritiesOutput{Rules: []types.Rule{}}
	for _, r := range order {
		r.priority = next[r]
		out.Rules = append(out.Rules, r.describe())
	}
	for l := range touched {
		sortRules(l.rules)
	}
	return out, nil
}

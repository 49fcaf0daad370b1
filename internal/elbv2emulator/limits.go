package elbv2emulator

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// accountLimits are the quotas the emulator enforces, by ELBv2's names.
var accountLimits = []struct {
	name string
	max  int
}{
	{"application-load-balancers", maxLoadBalancers},
	{"condition-values-per-alb-rule", maxConditionValues},
	{"listeners-per-application-load-balancer", maxListeners},
	{"listeners-per-network-load-balancer", maxListeners},
	{"network-load-balancers", maxLoadBalancers},
	{"rules-per-application-load-balancer", maxRules},
	{"target-groups", maxTargetGroups},
	{"target-groups-per-action-on-application-load-balancer", maxGroupsPerActionALB},
	{"target-groups-per-action-on-network-load-balancer", maxGroupsPerActionNLB},
	{"targets-per-target-group", maxTargetsPerGroup},
}

func (s *Server) describeAccountLimits(in *elbv2.DescribeAccountLimitsInput) (*elbv2.DescribeAccountLimitsOutput, error) {
	var all []types.Limit
	for _, l := range accountLimits {
		all = append(all, types.Limit{Name: aws.String(l.name), Max: aws.String(strconv.Itoa(l.max))})
	}
	pg, next, err := page(all, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &elbv2.DescribeAccountLimitsOutput{Limits: pg, NextMarker: next}, nil
}

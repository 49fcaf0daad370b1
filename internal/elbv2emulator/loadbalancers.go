package elbv2emulator

import (
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// maxLoadBalancers is ELBv2's default quota of load balancers of each type
// per region.
const maxLoadBalancers = 50

type loadBalancer struct {
	arn, name, id  string
	typ            types.LoadBalancerTypeEnum
	scheme         types.LoadBalancerSchemeEnum
	ipType         types.IpAddressType
	subnets        []string
	securityGroups []string
	dnsName        string
	created        time.Time
	attrs          *attributes
	tags           tagSet
	listeners      []*listener // in creation order
}

func (lb *loadBalancer) isNetwork() bool { return lb.typ == types.LoadBalancerTypeEnumNetwork }

func (s *Server) createLoadBalancer(in *elbv2.CreateLoadBalancerInput) (*elbv2.CreateLoadBalancerOutput, error) {
	name := aws.ToString(in.Name)
	if err := validName("load balancer", name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, "internal-") {
		return nil, validationErr("Load balancer name '%s' cannot begin with 'internal-'", name)
	}
	typ := in.Type
	switch typ {
	case "":
		typ = types.LoadBalancerTypeEnumApplication
	case types.LoadBalancerTypeEnumApplication, types.LoadBalancerTypeEnumNetwork:
	case types.LoadBalancerTypeEnumGateway:
		return nil, validationErr("The emulator does not implement gateway load balancers")
	default:
		return nil, validationErr("Load balancer type '%s' must be one of application, network, gateway", typ)
	}
	scheme := in.Scheme
	switch scheme {
	case "":
		scheme = types.LoadBalancerSchemeEnumInternetFacing
	case types.LoadBalancerSchemeEnumInternetFacing, types.LoadBalancerSchemeEnumInternal:
	default:
		return nil, validationErr("Scheme '%s' must be one of internet-facing, internal", scheme)
	}
	ipType := in.IpAddressType
	switch ipType {
	case "":
		ipType = types.IpAddressTypeIpv4
	case types.IpAddressTypeIpv4, types.IpAddressTypeDualstack:
	case types.IpAddressTypeDualstackWithoutPublicIpv4:
		if typ != types.LoadBalancerTypeEnumApplication || scheme != types.LoadBalancerSchemeEnumInternetFacing {
			return nil, validationErr("IP address type 'dualstack-without-public-ipv4' is only for internet-facing application load balancers")
		}
	default:
		return nil, validationErr("IP address type '%s' must be one of ipv4, dualstack, dualstack-without-public-ipv4", ipType)
	}
	subnets := slices.Clone(in.Subnets)
	if len(in.SubnetMappings) > 0 {
		if len(in.Subnets) > 0 {
			return nil, validationErr("You can specify subnets or subnet mappings, not both")
		}
		for _, m := range in.SubnetMappings {
			subnets = append(subnets, aws.ToString(m.SubnetId))
		}
	}
	if err := checkSubnets(typ, subnets); err != nil {
		return nil, err
	}
	sgs := slices.Clone(in.SecurityGroups)
	if len(sgs) == 0 && typ == types.LoadBalancerTypeEnumApplication {
		sgs = []string{s.defaultSG}
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}

	for _, lb := range s.lbs {
		if lb.name != name {
			continue
		}
		// CreateLoadBalancer is idempotent: the same settings return the
		// existing load balancer.
		if lb.typ == typ && lb.scheme == scheme && lb.ipType == ipType && sameSet(lb.subnets, subnets) && sameSet(lb.securityGroups, sgs) {
			return &elbv2.CreateLoadBalancerOutput{LoadBalancers: []types.LoadBalancer{s.describeLoadBalancer(lb)}}, nil
		}
		return nil, apiErr(codeDuplicateLoadBalancer, "A load balancer with the same name '%s' exists, but with different settings", name)
	}
	n := 0
	for _, lb := range s.lbs {
		if lb.typ == typ {
			n++
		}
	}
	if n >= maxLoadBalancers {
		return nil, apiErr(codeTooManyLoadBalancers, "You have reached the limit of %d %s load balancers", maxLoadBalancers, typ)
	}

	lb := &loadBalancer{
		name:           name,
		id:             s.hexID(16),
		typ:            typ,
		scheme:         scheme,
		ipType:         ipType,
		subnets:        subnets,
		securityGroups: sgs,
		created:        time.Now().UTC().Truncate(time.Millisecond),
	}
	prefix := ""
	if scheme == types.LoadBalancerSchemeEnumInternal {
		prefix = "internal-"
	}
	if lb.isNetwork() {
		lb.arn = s.arn("loadbalancer/net/" + name + "/" + lb.id)
		lb.dnsName = prefix + name + "-" + s.hexID(16) + ".elb." + s.opts.Region + ".amazonaws.com"
		lb.attrs = newAttributes(nlbAttributes)
	} else {
		lb.arn = s.arn("loadbalancer/app/" + name + "/" + lb.id)
		lb.dnsName = prefix + name + "-" + s.decimalID(10) + "." + s.opts.Region + ".elb.amazonaws.com"
		lb.attrs = newAttributes(albAttributes)
	}
	for _, sn := range subnets {
		if _, ok := s.subnetAZ[sn]; !ok {
			s.subnetAZ[sn] = s.opts.Region + string(rune('a'+len(s.subnetAZ)%6))
		}
	}
	_ = lb.tags.add(lb.arn, in.Tags)
	s.lbs = append(s.lbs, lb)
	s.lbByARN[lb.arn] = lb
	s.logf("created load balancer %s", lb.arn)
	return &elbv2.CreateLoadBalancerOutput{LoadBalancers: []types.LoadBalancer{s.describeLoadBalancer(lb)}}, nil
}

func checkSubnets(typ types.LoadBalancerTypeEnum, subnets []string) error {
	seen := map[string]bool{}
	for _, sn := range subnets {
		if sn == "" {
			return validationErr("A subnet ID cannot be empty")
		}
		if seen[sn] {
			return validationErr("Subnet '%s' is specified more than once", sn)
		}
		seen[sn] = true
	}
	if typ == types.LoadBalancerTypeEnumApplication && len(subnets) < 2 {
		return validationErr("At least two subnets in two different Availability Zones must be specified")
	}
	if len(subnets) == 0 {
		return validationErr("At least one subnet must be specified")
	}
	return nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// decimalID is n random decimal digits, not starting with 0.
func (s *Server) decimalID(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + s.rnd.IntN(10))
	}
	b[0] = byte('1' + s.rnd.IntN(9))
	return string(b)
}

func (s *Server) describeLoadBalancer(lb *loadBalancer) types.LoadBalancer {
	azs := make([]types.AvailabilityZone, 0, len(lb.subnets))
	for _, sn := range lb.subnets {
		azs = append(azs, types.AvailabilityZone{
			SubnetId:              aws.String(sn),
			ZoneName:              aws.String(s.subnetAZ[sn]),
			LoadBalancerAddresses: []types.LoadBalancerAddress{},
		})
	}
	created := lb.created
	out := types.LoadBalancer{
		AvailabilityZones:     azs,
		CanonicalHostedZoneId: aws.String(s.hostedZone(lb.isNetwork())),
		CreatedTime:           &created,
		DNSName:               aws.String(lb.dnsName),
		IpAddressType:         lb.ipType,
		LoadBalancerArn:       aws.String(lb.arn),
		LoadBalancerName:      aws.String(lb.name),
		Scheme:                lb.scheme,
		State:                 &types.LoadBalancerState{Code: types.LoadBalancerStateEnumActive},
		Type:                  lb.typ,
		VpcId:                 aws.String(s.vpcID),
	}
	if len(lb.securityGroups) > 0 {
		out.SecurityGroups = slices.Clone(lb.securityGroups)
	}
	return out
}

// loadBalancer finds a load balancer by ARN.
func (s *Server) loadBalancer(arn string) (*loadBalancer, error) {
	if err := checkARN(arn, kindLoadBalancer); err != nil {
		return nil, err
	}
	lb := s.lbByARN[arn]
	if lb == nil {
		return nil, apiErr(codeLoadBalancerNotFound, "Load balancer '%s' not found", arn)
	}
	return lb, nil
}

func (s *Server) describeLoadBalancers(in *elbv2.DescribeLoadBalancersInput) (*elbv2.DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerArns) > 0 && len(in.Names) > 0 {
		return nil, validationErr("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	if len(in.LoadBalancerArns) > 20 || len(in.Names) > 20 {
		return nil, validationErr("At most 20 load balancer ARNs or names can be specified")
	}
	found, err := byARNOrName(s.lbs, in.LoadBalancerArns, in.Names, kindLoadBalancer,
		apiErr(codeLoadBalancerNotFound, "One or more load balancers not found"),
		func(lb *loadBalancer) string { return lb.arn }, func(lb *loadBalancer) string { return lb.name })
	if err != nil {
		return nil, err
	}
	pg, next, err := page(found, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeLoadBalancersOutput{LoadBalancers: []types.LoadBalancer{}, NextMarker: next}
	for _, lb := range pg {
		out.LoadBalancers = append(out.LoadBalancers, s.describeLoadBalancer(lb))
	}
	return out, nil
}

func (s *Server) deleteLoadBalancer(in *elbv2.DeleteLoadBalancerInput) (*elbv2.DeleteLoadBalancerOutput, error) {
	arn := aws.ToString(in.LoadBalancerArn)
	if err := checkARN(arn, kindLoadBalancer); err != nil {
		return nil, err
	}
	lb := s.lbByARN[arn]
	if lb == nil {
		// Deleting a load balancer that is gone succeeds.
		return &elbv2.DeleteLoadBalancerOutput{}, nil
	}
	if lb.attrs.get("deletion_protection.enabled") == "true" {
		return nil, apiErr(codeOperationNotPermitted, "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
	}
	for _, l := range slices.Clone(lb.listeners) {
		s.removeListenerLocked(l)
	}
	delete(s.lbByARN, arn)
	s.lbs = slices.DeleteFunc(s.lbs, func(x *loadBalancer) bool { return x == lb })
	s.reconcileLocked()
	s.logf("deleted load balancer %s", arn)
	return &elbv2.DeleteLoadBalancerOutput{}, nil
}

func (s *Server) describeLoadBalancerAttributes(in *elbv2.DescribeLoadBalancerAttributesInput) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	lb, err := s.loadBalancer(aws.ToString(in.LoadBalancerArn))
	if err != nil {
		return nil, err
	}
	return &elbv2.DescribeLoadBalancerAttributesOutput{Attributes: lbAttributeList(lb)}, nil
}

func (s *Server) modifyLoadBalancerAttributes(in *elbv2.ModifyLoadBalancerAttributesInput) (*elbv2.ModifyLoadBalancerAttributesOutput, error) {
	lb, err := s.loadBalancer(aws.ToString(in.LoadBalancerArn))
	if err != nil {
		return nil, err
	}
	if err := modifyAttributes(lb.attrs, "Load balancer", in.Attributes, func(a types.LoadBalancerAttribute) (*string, *string) { return a.Key, a.Value }); err != nil {
		return nil, err
	}
	return &elbv2.ModifyLoadBalancerAttributesOutput{Attributes: lbAttributeList(lb)}, nil
}

func lbAttributeList(lb *loadBalancer) []types.LoadBalancerAttribute {
	return attributeList(lb.attrs, func(k, v *string) types.LoadBalancerAttribute { return types.LoadBalancerAttribute{Key: k, Value: v} })
}

func (s *Server) setSecurityGroups(in *elbv2.SetSecurityGroupsInput) (*elbv2.SetSecurityGroupsOutput, error) {
	lb, err := s.loadBalancer(aws.ToString(in.LoadBalancerArn))
	if err != nil {
		return nil, err
	}
	if lb.typ == types.LoadBalancerTypeEnumApplication && len(in.SecurityGroups) == 0 {
		return nil, validationErr("An application load balancer must have at least one security group")
	}
	lb.securityGroups = slices.Clone(in.SecurityGroups)
	return &elbv2.SetSecurityGroupsOutput{SecurityGroupIds: slices.Clone(lb.securityGroups)}, nil
}

func (s *Server) setSubnets(in *elbv2.SetSubnetsInput) (*elbv2.SetSubnetsOutput, error) {
	lb, err := s.loadBalancer(aws.ToString(in.LoadBalancerArn))
	if err != nil {
		return nil, err
	}
	subnets := slices.Clone(in.Subnets)
	if len(in.SubnetMappings) > 0 {
		if len(in.Subnets) > 0 {
			return nil, validationErr("You can specify subnets or subnet mappings, not both")
		}
		for _, m := range in.SubnetMappings {
			subnets = append(subnets, aws.ToString(m.SubnetId))
		}
	}
	if err := checkSubnets(lb.typ, subnets); err != nil {
		return nil, err
	}
	for _, sn := range subnets {
		if _, ok := s.subnetAZ[sn]; !ok {
			s.subnetAZ[sn] = s.opts.Region + string(rune('a'+len(s.subnetAZ)%6))
		}
	}
	lb.subnets = subnets
	d := s.describeLoadBalancer(lb)
	return &elbv2.SetSubnetsOutput{AvailabilityZones: d.AvailabilityZones, IpAddressType: lb.ipType}, nil
}

func (s *Server) setIPAddressType(in *elbv2.SetIpAddressTypeInput) (*elbv2.SetIpAddressTypeOutput, error) {
	lb, err := s.loadBalancer(aws.ToString(in.LoadBalancerArn))
	if err != nil {
		return nil, err
	}
	switch in.IpAddressType {
	case types.IpAddressTypeIpv4, types.IpAddressTypeDualstack:
	case types.IpAddressTypeDualstackWithoutPublicIpv4:
		if lb.typ != types.LoadBalancerTypeEnumApplication || lb.scheme != types.LoadBalancerSchemeEnumInternetFacing {
			return nil, validationErr("IP address type 'dualstack-without-public-ipv4' is only for internet-facing application load balancers")
		}
	default:
		return nil, validationErr("IP address type '%s' must be one of ipv4, dualstack, dualstack-without-public-ipv4", in.IpAddressType)
	}
	lb.ipType = in.IpAddressType
	return &elbv2.SetIpAddressTypeOutput{IpAddressType: lb.ipType}, nil
}

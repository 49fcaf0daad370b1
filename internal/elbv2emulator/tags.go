package elbv2emulator

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// maxTags is ELBv2's limit of tags per resource.
const maxTags = 50

// tagSet is a resource's tags in the order their keys were first set.
type tagSet struct {
	keys []string
	vals map[string]string
}

func (t *tagSet) list() []types.Tag {
	out := make([]types.Tag, 0, len(t.keys))
	for _, k := range t.keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(t.vals[k])})
	}
	return out
}

// checkTags validates tags given to a create or AddTags call.
func checkTags(tags []types.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := aws.ToString(t.Key)
		if k == "" || len(k) > 128 {
			return validationErr("A tag's key must be 1 to 128 characters long")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return validationErr("Tag keys starting with 'aws:' are reserved for internal use")
		}
		if len(aws.ToString(t.Value)) > 256 {
			return validationErr("The value of tag '%s' cannot be longer than 256 characters", k)
		}
		if seen[k] {
			return apiErr(codeDuplicateTagKeys, "Tag key '%s' is duplicated", k)
		}
		seen[k] = true
	}
	return nil
}

// add sets tags, failing with TooManyTags if the set would pass the limit.
func (t *tagSet) add(arn string, tags []types.Tag) error {
	n := len(t.keys)
	for _, tg := range tags {
		if _, ok := t.vals[aws.ToString(tg.Key)]; !ok {
			n++
		}
	}
	if n > maxTags {
		return apiErr(codeTooManyTags, "The resource '%s' would have more than %d tags", arn, maxTags)
	}
	if t.vals == nil {
		t.vals = map[string]string{}
	}
	for _, tg := range tags {
		k := aws.ToString(tg.Key)
		if _, ok := t.vals[k]; !ok {
			t.keys = append(t.keys, k)
		}
		t.vals[k] = aws.ToString(tg.Value)
	}
	return nil
}

func (t *tagSet) remove(keys []string) {
	for _, k := range keys {
		if _, ok := t.vals[k]; !ok {
			continue
		}
		delete(t.vals, k)
		for i, x := range t.keys {
			if x == k {
				t.keys = append(t.keys[:i], t.keys[i+1:]...)
				break
			}
		}
	}
}

// tagsOf finds the tags of the resource an ARN names.
func (s *Server) tagsOf(arn string) (*tagSet, error) {
	kind, ok := parseARNKind(arn)
	if !ok {
		return nil, validationErr("'%s' is not a valid ARN", arn)
	}
	switch kind {
	case kindLoadBalancer:
		if lb := s.lbByARN[arn]; lb != nil {
			return &lb.tags, nil
		}
		return nil, apiErr(codeLoadBalancerNotFound, "Load balancer '%s' not found", arn)
	case kindTargetGroup:
		if tg := s.tgByARN[arn]; tg != nil {
			return &tg.tags, nil
		}
		return nil, apiErr(codeTargetGroupNotFound, "Target group '%s' not found", arn)
	case kindListener:
		if l := s.lisByARN[arn]; l != nil {
			return &l.tags, nil
		}
		return nil, apiErr(codeListenerNotFound, "Listener '%s' not found", arn)
	default:
		if r := s.ruleByARN[arn]; r != nil {
			return &r.tags, nil
		}
		return nil, apiErr(codeRuleNotFound, "Rule '%s' not found", arn)
	}
}

func (s *Server) addTags(in *elbv2.AddTagsInput) (*elbv2.AddTagsOutput, error) {
	if len(in.ResourceArns) == 0 || len(in.ResourceArns) > 20 {
		return nil, validationErr("From 1 to 20 resource ARNs must be specified")
	}
	if len(in.Tags) == 0 {
		return nil, validationErr("At least one tag must be specified")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	sets := make([]*tagSet, len(in.ResourceArns))
	for i, arn := range in.ResourceArns {
		ts, err := s.tagsOf(arn)
		if err != nil {
			return nil, err
		}
		sets[i] = ts
	}
	// All or nothing: check every limit first.
	for i, ts := range sets {
		probe := tagSet{keys: append([]string(nil), ts.keys...), vals: map[string]string{}}
		for k, v := range ts.vals {
			probe.vals[k] = v
		}
		if err := probe.add(in.ResourceArns[i], in.Tags); err != nil {
			return nil, err
		}
	}
	for i, ts := range sets {
		_ = ts.add(in.ResourceArns[i], in.Tags)
	}
	return &elbv2.AddTagsOutput{}, nil
}

func (s *Server) removeTags(in *elbv2.RemoveTagsInput) (*elbv2.RemoveTagsOutput, error) {
	if len(in.ResourceArns) == 0 || len(in.ResourceArns) > 20 {
		return nil, validationErr("From 1 to 20 resource ARNs must be specified")
	}
	if len(in.TagKeys) == 0 {
		return nil, validationErr("At least one tag key must be specified")
	}
	sets := make([]*tagSet, len(in.ResourceArns))
	for i, arn := range in.ResourceArns {
		ts, err := s.tagsOf(arn)
		if err != nil {
			return nil, err
		}
		sets[i] = ts
	}
	for _, ts := range sets {
		ts.remove(in.TagKeys)
	}
	return &elbv2.RemoveTagsOutput{}, nil
}

func (s *Server) describeTags(in *elbv2.DescribeTagsInput) (*elbv2.DescribeTagsOutput, error) {
	if len(in.ResourceArns) == 0 || len(in.ResourceArns) > 20 {
		return nil, validationErr("From 1 to 20 resource ARNs must be specified")
	}
	out := &elbv2.DescribeTagsOutput{TagDescriptions: []types.TagDescription{}}
	for _, arn := range in.ResourceArns {
		ts, err := s.tagsOf(arn)
		if err != nil {
			return nil, err
		}
		out.TagDescriptions = append(out.TagDescriptions, types.TagDescription{ResourceArn: aws.String(arn), Tags: ts.list()})
	}
	return out, nil
}

package jsondoc

import "github.com/berth-sh/berth/addrs"

// ResourceAddr identifies an object in the state document and in the
// stream's messages.
type ResourceAddr struct {
	Addr         string `json:"addr"`
	Resource     string `json:"resource"`
	ResourceType string `json:"resource_type"`
	ResourceName string `json:"resource_name"`
	ResourceKey  any    `json:"resource_key"`
}

// NewResourceAddr describes the address a.
func NewResourceAddr(a addrs.Instance) ResourceAddr {
	return ResourceAddr{Addr: a.String(), Resource: a.Resource.String(), ResourceType: a.Resource.Type, ResourceName: a.Resource.Name, ResourceKey: instanceKey(a.Key)}
}

// instanceKey is an instance key as JSON writes it: a number for count, a
// string for for_each, null for neither.
func instanceKey(k addrs.InstanceKey) any {
	switch k := k.(type) {
	case addrs.IntKey:
		return int(k)
	case addrs.StringKey:
		return string(k)
	}
	return nil
}

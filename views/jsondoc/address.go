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

// object is how the plan and the state documents identify an object, with
// Terraform's fields.
type object struct {
	Address string `json:"address"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Index   any    `json:"index,omitempty"`
	// Provider is berth's (format 1.0): the provider's local name, as
	// recorded in the state. ProviderName is Terraform's: its source
	// address.
	Provider     string `json:"provider"`
	ProviderName string `json:"provider_name"`
}

func newObject(a addrs.Instance, provider, providerName string) object {
	res := a.Resource
	return object{Address: a.String(), Mode: res.Mode.String(), Type: res.Type, Name: res.Name, Index: instanceKey(a.Key),
		Provider: provider, ProviderName: providerName}
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

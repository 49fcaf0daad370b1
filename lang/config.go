package lang

import (
	"sort"

	goversion "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// Config is one directory of configuration, loaded by LoadDir. Collections
// are maps keyed by block name (resource-like blocks: by address); use the
// Sorted* helpers or sort the keys when order matters, so that everything
// derived from a Config is deterministic.
type Config struct {
	// Dir is the directory the configuration was loaded from.
	Dir string
	// Workspace is the workspace it is evaluated for (berth.workspace);
	// the loader leaves it empty, which means the default workspace.
	Workspace string
	// Files holds every parsed file keyed by the filename used in source
	// ranges, so diagnostics can be printed with snippets.
	Files map[string]*hcl.File

	// Berth is the berth block, nil when there is none.
	Berth *Berth

	Variables  map[string]*Variable
	Locals     map[string]*Local
	Outputs    map[string]*Output
	Clusters   map[string]*Cluster
	Registries map[string]*Registry
	Probes     map[string]*Probe
	// Providers holds the provider "NAME" {} configuration blocks.
	Providers map[string]*ProviderConfig
	// Resources holds every resource-like block (app, scaling_policy,
	// load_balancer, resource, data) keyed by its address, e.g. "app.web",
	// "acmedns_record.www", "data.acmedns_zone.main".
	Resources map[string]*Resource
}

// Berth is the berth settings block.
type Berth struct {
	// RequiredVersion is nil when required_version is not set.
	RequiredVersion      goversion.Constraints
	RequiredVersionRange hcl.Range
	// RequiredProviders is keyed by the provider's local name.
	RequiredProviders map[string]*RequiredProvider
	Backend           *Backend
	// Encryption is the encryption block, nil when there is none (see
	// ResolveEncryption).
	Encryption *Encryption
	DeclRange  hcl.Range
}

// RequiredProvider is one entry of required_providers.
type RequiredProvider struct {
	// Name is the local name, the key in required_providers and the prefix
	// of the provider's resource types.
	Name string
	// Source is "namespace/type", e.g. "acme/dns".
	Source    string
	Namespace string
	Type      string
	// Version is nil when no version constraint is given.
	Version       goversion.Constraints
	VersionString string
	DeclRange     hcl.Range
}

// Variable is an input variable.
type Variable struct {
	Name        string
	Description string
	// Type is the declared type (cty.DynamicPseudoType when not given);
	// ConstraintType may hold optional attributes, and TypeDefaults the
	// defaults of optional(...) attributes.
	Type           cty.Type
	ConstraintType cty.Type
	TypeDefaults   *typeexpr.Defaults
	// Default is cty.NilVal when no default is given (the variable is then
	// required); a default of null is cty.NullVal(Type).
	Default     cty.Value
	Sensitive   bool
	Nullable    bool
	Validations []*VariableValidation
	DeclRange   hcl.Range
}

// Required reports whether the variable has no default.
func (v *Variable) Required() bool { return v.Default == cty.NilVal }

// VariableValidation is a validation block of a variable.
type VariableValidation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

// Local is one named value of a locals block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

// Output is an output value.
type Output struct {
	Name        string
	Expr        hcl.Expression
	Description string
	Sensitive   bool
	DependsOn   []hcl.Traversal
	DeclRange   hcl.Range
}

// Cluster is a cluster block: configuration, not a managed object. Its
// evaluated value (see ClusterSchema) is what `cluster.NAME` refers to.
type Cluster struct {
	Name string
	// Kind is the platform's kind block the cluster has (a registered
	// kind; "" when it has none or several: Validate reports that).
	Kind      string
	Config    hcl.Body
	DeclRange hcl.Range
}

// Registry is a container registry block (see RegistrySchema).
type Registry struct {
	Name      string
	Config    hcl.Body
	DeclRange hcl.Range
}

// Probe is a reusable health probe (see ProbeSchema).
type Probe struct {
	Name      string
	Config    hcl.Body
	DeclRange hcl.Range
}

// ProviderConfig is a provider "NAME" {} block; its body is validated by
// the provider's own schema.
type ProviderConfig struct {
	Name      string
	Config    hcl.Body
	DeclRange hcl.Range
}

// Mode says whether a resource-like block is managed or a data source.
type Mode int

// Resource modes.
const (
	ManagedMode Mode = iota
	DataMode
)

// Resource kinds: the block type a resource-like block was written with.
const (
	KindApp           = "app"
	KindScalingPolicy = "scaling_policy"
	KindLoadBalancer  = "load_balancer"
	KindResource      = "resource"
	KindData          = "data"
)

// Resource is any resource-like block. Domain blocks (app, scaling_policy,
// load_balancer) have Type equal to their Kind and a built-in schema
// (AppSchema, ScalingPolicySchema, LoadBalancerSchema); resource and data
// blocks are "<provider local name>_<type>" and are validated by their
// provider's schema.
type Resource struct {
	Mode Mode
	Kind string
	// Type is the resource type: "app", "scaling_policy", "load_balancer",
	// or the TYPE label of resource/data blocks.
	Type string
	Name string
	// Count and ForEach are nil when not set.
	Count     hcl.Expression
	ForEach   hcl.Expression
	DependsOn []hcl.Traversal
	Lifecycle Lifecycle
	// ProviderName is the local name of the provider that manages the
	// object: for an app and a scaling_policy the kind of the app's cluster
	// (a registered platform's kind, "" if it cannot be determined statically),
	// for a load_balancer its provider argument, for resource/data the
	// provider meta-argument or the type's prefix before the first "_".
	ProviderName  string
	ProviderRange hcl.Range
	// Config is the body without the meta-arguments.
	Config    hcl.Body
	DeclRange hcl.Range
	TypeRange hcl.Range
}

// Addr returns the resource's address: "app.web", "TYPE.NAME" or
// "data.TYPE.NAME".
func (r *Resource) Addr() string {
	switch r.Kind {
	case KindResource:
		return r.Type + "." + r.Name
	case KindData:
		return "data." + r.Type + "." + r.Name
	default:
		return r.Kind + "." + r.Name
	}
}

// Lifecycle holds the lifecycle meta-argument block.
type Lifecycle struct {
	CreateBeforeDestroy bool
	PreventDestroy      bool
	// IgnoreChanges lists attribute paths; IgnoreAllChanges is set by
	// ignore_changes = all.
	IgnoreChanges    []hcl.Traversal
	IgnoreAllChanges bool
	DeclRange        hcl.Range
}

// SortedResources returns the resources ordered by address.
func (c *Config) SortedResources() []*Resource {
	out := make([]*Resource, 0, len(c.Resources))
	for _, k := range sortedKeys(c.Resources) {
		out = append(out, c.Resources[k])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func newConfig(dir string) *Config {
	return &Config{
		Dir:        dir,
		Files:      map[string]*hcl.File{},
		Variables:  map[string]*Variable{},
		Locals:     map[string]*Local{},
		Outputs:    map[string]*Output{},
		Clusters:   map[string]*Cluster{},
		Registries: map[string]*Registry{},
		Probes:     map[string]*Probe{},
		Providers:  map[string]*ProviderConfig{},
		Resources:  map[string]*Resource{},
	}
}

// FilesOrNil is c.Files, or nil when c is nil (no configuration), for
// printing diagnostics.
func (c *Config) FilesOrNil() map[string]*hcl.File {
	if c == nil {
		return nil
	}
	return c.Files
}

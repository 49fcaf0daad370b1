package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// widget is the model of the test resource type: every kind of attribute
// the SDK treats differently.
type widget struct {
	Name   string            `cty:"name"`   // required, force new
	Size   int64             `cty:"size"`   // optional, default 1
	Labels map[string]string `cty:"labels"` // optional
	Note   string            `cty:"note"`   // optional: "" is null
	Secret string            `cty:"secret"` // optional, sensitive
	Zone   string            `cty:"zone"`   // optional + computed
	ID     string            `cty:"id"`     // computed
	Port   []port            `cty:"port"`   // list block
}

type port struct {
	Number int64  `cty:"number"`
	Proto  string `cty:"proto"`
}

type providerConfig struct {
	Region string `cty:"region"`
}

// testEnv is an in-memory "cloud" the test provider manages.
type testEnv struct {
	mu       sync.Mutex
	objects  map[string]widget
	region   string
	failNext error  // returned (with partial state) by the next Create/Update
	block    func() // called by Create, to hold it in flight
	reads    int
	// keys maps the idempotency key of each create to the object's ID, as
	// a cloud's tags would; updateKeys counts Updates that saw a key.
	keys       map[string]string
	updateKeys int
}

func newTestProvider(env *testEnv) *Provider[providerConfig] {
	env.objects = map[string]widget{}
	env.keys = map[string]string{}
	widgetSchema := Schema{
		Attributes: map[string]Attribute{
			"name":   {Type: cty.String, Required: true, ForceNew: true},
			"size":   {Type: cty.Number, Optional: true, Default: cty.NumberIntVal(1), Validate: Between(1, 10)},
			"labels": {Type: cty.Map(cty.String), Optional: true},
			"note":   {Type: cty.String, Optional: true},
			"secret": {Type: cty.String, Optional: true, Sensitive: true},
			"zone":   {Type: cty.String, Optional: true, Computed: true},
			"id":     {Type: cty.String, Computed: true},
		},
		Blocks: map[string]NestedBlock{
			"port": {Nesting: providers.NestingList, MaxItems: 2, Attributes: map[string]Attribute{
				"number": {Type: cty.Number, Required: true},
				"proto":  {Type: cty.String, Optional: true, Default: cty.StringVal("tcp"), Validate: OneOf("tcp", "udp")},
			}},
		},
	}
	store := func(w widget) *widget {
		env.objects[w.ID] = w
		return &w
	}
	// tag records the key of a create on the object it made.
	tag := func(ctx context.Context, w widget) {
		if key := IdempotencyKey(ctx); key != "" {
			env.keys[key] = w.ID
		}
	}
	return &Provider[providerConfig]{
		Version: "0.0.1",
		Schema: Schema{Attributes: map[string]Attribute{
			"region": {Type: cty.String, Required: true},
		}},
		Configure: func(ctx context.Context, c providerConfig) error {
			if c.Region == "nowhere" {
				return AttributeError(cty.GetAttrPath("region"), "Unknown region", "No such region.")
			}
			env.region = c.Region
			return nil
		},
		Resources: map[string]ResourceType{
			"widget": &Resource[widget]{
				Schema: widgetSchema,
				Validate: func(ctx context.Context, w widget) hcl.Diagnostics {
					if w.Note == "forbidden" {
						return hcl.Diagnostics{AttributeError(cty.GetAttrPath("note"), "Forbidden note", "")}
					}
					return nil
				},
				Create: func(ctx context.Context, w widget) (*widget, error) {
					Progress(ctx, "creating %s", w.Name)
					if env.block != nil || w.Name == "slow" {
						if env.block != nil {
							env.block()
						}
						<-ctx.Done()
						env.mu.Lock()
						defer env.mu.Unlock()
						w.ID = "w-" + w.Name
						return store(w), ctx.Err()
					}
					env.mu.Lock()
					defer env.mu.Unlock()
					w.ID = "w-" + w.Name
					tag(ctx, w)
					if w.Zone == "" {
						w.Zone = env.region + "-a"
					}
					if err := env.failNext; err != nil {
						env.failNext = nil
						w.Size = 0 // half-made
						return store(w), err
					}
					Emit(ctx, providers.ApplyEvent{Kind: "instance_started", Instance: w.ID})
					return store(w), nil
				},
				Read: func(ctx context.Context, w widget) (*widget, error) {
					env.mu.Lock()
					defer env.mu.Unlock()
					env.reads++
					cur, ok := env.objects[w.ID]
					if !ok {
						return nil, fmt.Errorf("looking up %s: %w", w.ID, ErrNotFound)
					}
					return &cur, nil
				},
				Update: func(ctx context.Context, prior, w widget) (*widget, error) {
					env.mu.Lock()
					defer env.mu.Unlock()
					if IdempotencyKey(ctx) != "" {
						env.updateKeys++
					}
					if err := env.failNext; err != nil {
						env.failNext = nil
						return nil, err
					}
					return store(w), nil
				},
				Delete: func(ctx context.Context, w widget) error {
					env.mu.Lock()
					defer env.mu.Unlock()
					if _, ok := env.objects[w.ID]; !ok {
						return ErrNotFound
					}
					delete(env.objects, w.ID)
					return nil
				},
				Lookup: func(ctx context.Context, key string, planned widget) (*widget, error) {
					if key == "unreachable" {
						return nil, errors.New("the API is down")
					}
					env.mu.Lock()
					defer env.mu.Unlock()
					w, ok := env.objects[env.keys[key]]
					if !ok || w.Name != planned.Name {
						return nil, fmt.Errorf("no widget tagged %s: %w", key, ErrNotFound)
					}
					return &w, nil
				},
				Import: func(ctx context.Context, id string) (*widget, error) {
					env.mu.Lock()
					defer env.mu.Unlock()
					w, ok := env.objects[id]
					if !ok {
						return nil, ErrNotFound
					}
					return &w, nil
				},
			},
		},
		DataSources: map[string]DataSourceType{
			"count": &DataSource[countData]{
				Schema: Schema{Attributes: map[string]Attribute{
					"prefix": {Type: cty.String, Optional: true},
					"count":  {Type: cty.Number, Computed: true},
					"token":  {Type: cty.String, Computed: true, Sensitive: true},
				}},
				Read: func(ctx context.Context, c countData) (*countData, error) {
					env.mu.Lock()
					defer env.mu.Unlock()
					for _, w := range env.objects {
						if strings.HasPrefix(w.Name, c.Prefix) {
							c.Count++
						}
					}
					c.Token = "t0ken"
					return &c, nil
				},
			},
		},
	}
}

type countData struct {
	Prefix string `cty:"prefix"`
	Count  int    `cty:"count"`
	Token  string `cty:"token"`
}

// with returns obj with some attributes replaced.
func with(obj cty.Value, attrs map[string]cty.Value) cty.Value {
	m := obj.AsValueMap()
	for k, v := range attrs {
		m[k] = v
	}
	return cty.ObjectVal(m)
}

// cfg builds a widget configuration the way berth's core does: every
// attribute and block of the schema present, unset ones null.
func cfg(p *Provider[providerConfig], attrs map[string]cty.Value) cty.Value {
	ty := p.Resources["widget"].schema().ImpliedType()
	m := map[string]cty.Value{}
	for name, at := range ty.AttributeTypes() {
		if v, ok := attrs[name]; ok {
			m[name] = v
		} else if at.IsListType() {
			m[name] = cty.ListValEmpty(at.ElementType())
		} else {
			m[name] = cty.NullVal(at)
		}
	}
	return cty.ObjectVal(m)
}

func configured(t *testing.T) (*Provider[providerConfig], *testEnv) {
	t.Helper()
	env := &testEnv{}
	p := newTestProvider(env)
	resp := p.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{
		Config: cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("eu")}),
	})
	if resp.Diagnostics.HasErrors() {
		t.Fatalf("configure: %s", resp.Diagnostics.Error())
	}
	return p, env
}

func TestGetSchema(t *testing.T) {
	p := newTestProvider(&testEnv{})
	resp := p.GetSchema(context.Background())
	if resp.Diagnostics.HasErrors() {
		t.Fatalf("diagnostics: %s", resp.Diagnostics.Error())
	}
	w := resp.ResourceTypes["widget"].Block
	tests := []struct {
		attr string
		want providers.Attribute
	}{
		{"name", providers.Attribute{Type: cty.String, Required: true, ForceNew: true}},
		{"size", providers.Attribute{Type: cty.Number, Optional: true}},
		{"secret", providers.Attribute{Type: cty.String, Optional: true, Sensitive: true}},
		{"zone", providers.Attribute{Type: cty.String, Optional: true, Computed: true}},
		{"id", providers.Attribute{Type: cty.String, Computed: true}},
	}
	for _, tt := range tests {
		got := w.Attributes[tt.attr]
		if got == nil || !got.Type.Equals(tt.want.Type) || got.Required != tt.want.Required || got.Optional != tt.want.Optional ||
			got.Computed != tt.want.Computed || got.Sensitive != tt.want.Sensitive || got.ForceNew != tt.want.ForceNew {
			t.Errorf("%s: got %+v, want %+v", tt.attr, got, tt.want)
		}
	}
	if nb := w.BlockTypes["port"]; nb == nil || nb.Nesting != providers.NestingList || nb.MaxItems != 2 || nb.Block.Attributes["number"] == nil {
		t.Errorf("port block: %+v", nb)
	}
	if !resp.DataSources["count"].Block.Attributes["token"].Sensitive {
		t.Errorf("data source token not sensitive")
	}
	if !resp.Provider.Block.Attributes["region"].Required {
		t.Errorf("provider region not required")
	}
}

func TestDefinitionMistakes(t *testing.T) {
	type m struct {
		A string `cty:"a"`
	}
	noop := func(context.Context, m) (*m, error) { return nil, nil }
	del := func(context.Context, m) error { return nil }
	tests := []struct {
		name string
		res  *Resource[m]
		key  string
		want string
	}{
		{"no flags", &Resource[m]{Schema: Schema{Attributes: map[string]Attribute{"a": {Type: cty.String}}}, Create: noop, Read: noop, Delete: del}, "r",
			"one of Required, Optional or Computed"},
		{"required and computed", &Resource[m]{Schema: Schema{Attributes: map[string]Attribute{"a": {Type: cty.String, Required: true, Computed: true}}}}, "r",
			"Required excludes"},
		{"no update", &Resource[m]{Schema: Schema{Attributes: map[string]Attribute{"a": {Type: cty.String, Required: true}}}, Create: noop, Read: noop, Delete: del}, "r",
			`"a" is not`},
		{"missing field", &Resource[m]{Schema: Schema{Attributes: map[string]Attribute{"a": {Type: cty.String, Required: true, ForceNew: true}, "b": {Type: cty.String, Computed: true}}}, Create: noop, Read: noop, Delete: del}, "r",
			"no field tagged `cty:\"b\"`"},
		{"missing crud", &Resource[m]{Schema: Schema{Attributes: map[string]Attribute{"a": {Type: cty.String, Required: true, ForceNew: true}}}}, "r",
			"Create, Read and Delete are required"},
		{"bad default", &Resource[m]{Schema: Schema{Attributes: map[string]Attribute{"a": {Type: cty.String, Optional: true, ForceNew: true, Default: cty.EmptyObjectVal}}}, Create: noop, Read: noop, Delete: del}, "r",
			"Default does not conform"},
		{"prefixed type name", &Resource[m]{Schema: Schema{Attributes: map[string]Attribute{"a": {Type: cty.String, Required: true, ForceNew: true}}}, Create: noop, Read: noop, Delete: del}, "acme-record",
			"without the provider's prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Provider[struct{}]{Resources: map[string]ResourceType{tt.key: tt.res}}
			diags := p.GetSchema(context.Background()).Diagnostics
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", diags, tt.want)
			}
			// Every later call reports the same broken definition.
			if d := p.ValidateResourceConfig(context.Background(), providers.ValidateResourceConfigRequest{TypeName: tt.key}).Diagnostics; !strings.Contains(d.Error(), tt.want) {
				t.Errorf("validate: %v", d)
			}
		})
	}
}

func TestValidateResourceConfig(t *testing.T) {
	p := newTestProvider(&testEnv{})
	tests := []struct {
		name     string
		config   cty.Value
		wantPath cty.Path
		want     string // "" means valid
	}{
		{"valid", cfg(p, map[string]cty.Value{"name": cty.StringVal("a")}), nil, ""},
		{"unknown values pass", cfg(p, map[string]cty.Value{"name": cty.UnknownVal(cty.String), "size": cty.UnknownVal(cty.Number)}), nil, ""},
		{"missing required", cfg(p, nil), cty.GetAttrPath("name"), "Missing required argument"},
		{"wrong type", cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "labels": cty.StringVal("x")}), cty.GetAttrPath("labels"), "Incorrect attribute value type"},
		{"computed set", cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "id": cty.StringVal("x")}), cty.GetAttrPath("id"), "unconfigurable"},
		{"validator", cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "size": cty.NumberIntVal(11)}), cty.GetAttrPath("size"), "between 1 and 10"},
		{"nested validator", cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "port": cty.ListVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"number": cty.NumberIntVal(80), "proto": cty.StringVal("sctp")})})}),
			cty.GetAttrPath("port").Index(cty.NumberIntVal(0)).GetAttr("proto"), "must be one of tcp, udp"},
		{"too many blocks", cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "port": cty.ListVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"number": cty.NumberIntVal(1), "proto": cty.NullVal(cty.String)}),
			cty.ObjectVal(map[string]cty.Value{"number": cty.NumberIntVal(2), "proto": cty.NullVal(cty.String)}),
			cty.ObjectVal(map[string]cty.Value{"number": cty.NumberIntVal(3), "proto": cty.NullVal(cty.String)})})}),
			cty.GetAttrPath("port"), "No more than 2"},
		{"resource validator", cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "note": cty.StringVal("forbidden")}), cty.GetAttrPath("note"), "Forbidden note"},
		{"unsupported argument", cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("a"), "colour": cty.StringVal("red")}), cty.GetAttrPath("colour"), "Unsupported argument"},
		{"marked values are checked", cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "size": cty.NumberIntVal(0).Mark(providers.SensitiveMark)}), cty.GetAttrPath("size"), "between"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := p.ValidateResourceConfig(context.Background(), providers.ValidateResourceConfigRequest{TypeName: "widget", Config: tt.config}).Diagnostics
			if tt.want == "" {
				if len(diags) > 0 {
					t.Fatalf("unexpected diagnostics: %s", diags.Error())
				}
				return
			}
			if len(diags) != 1 || !strings.Contains(diags[0].Summary+" "+diags[0].Detail, tt.want) {
				t.Fatalf("got %v, want one diagnostic containing %q", diags, tt.want)
			}
			if got := providers.DiagnosticPath(diags[0]); !got.Equals(tt.wantPath) {
				t.Errorf("path %#v, want %#v", got, tt.wantPath)
			}
		})
	}
	if d := p.ValidateResourceConfig(context.Background(), providers.ValidateResourceConfigRequest{TypeName: "gadget", Config: cty.EmptyObjectVal}).Diagnostics; !strings.Contains(d.Error(), `no resource type named "gadget"`) {
		t.Errorf("unknown type: %v", d)
	}
}

func TestValidateAndConfigureProvider(t *testing.T) {
	env := &testEnv{}
	p := newTestProvider(env)
	ctx := context.Background()
	if d := p.ValidateProviderConfig(ctx, providers.ValidateProviderConfigRequest{Config: cty.ObjectVal(map[string]cty.Value{"region": cty.NullVal(cty.String)})}).Diagnostics; !strings.Contains(d.Error(), "Missing required argument") {
		t.Errorf("validate: %v", d)
	}
	// Calls that reach author code are refused before configuration.
	if d := p.ReadResources(ctx, providers.ReadResourcesRequest{}).Diagnostics; !strings.Contains(d.Error(), "not configured") {
		t.Errorf("read before configure: %v", d)
	}
	d := p.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("nowhere")})}).Diagnostics
	if len(d) != 1 || d[0].Summary != "Unknown region" || !providers.DiagnosticPath(d[0]).Equals(cty.GetAttrPath("region")) {
		t.Errorf("configure error: %v", d)
	}
	if d := p.ImportResource(ctx, providers.ImportResourceRequest{TypeName: "widget", ID: "x"}).Diagnostics; !strings.Contains(d.Error(), "not configured") {
		t.Errorf("a failed configure must leave the provider unconfigured: %v", d)
	}
	if d := p.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("eu")})}).Diagnostics; d.HasErrors() || env.region != "eu" {
		t.Errorf("configure: %v, region %q", d, env.region)
	}
}

func TestPlanResourceChange(t *testing.T) {
	p := newTestProvider(&testEnv{})
	prior := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("a"), "size": cty.NumberIntVal(1), "labels": cty.NullVal(cty.Map(cty.String)),
		"note": cty.NullVal(cty.String), "secret": cty.NullVal(cty.String), "zone": cty.StringVal("eu-a"), "id": cty.StringVal("w-a"),
		"port": cty.ListValEmpty(p.Resources["widget"].schema().ImpliedType().AttributeType("port").ElementType()),
	})
	attr := func(name string) cty.Path { return cty.GetAttrPath(name) }
	tests := []struct {
		name        string
		prior       cty.Value
		config      cty.Value
		want        map[string]cty.Value // attributes of the planned state
		wantReplace []cty.Path
	}{
		{"create: default, computed unknown", cty.NilVal, cfg(p, map[string]cty.Value{"name": cty.StringVal("a")}),
			map[string]cty.Value{"size": cty.NumberIntVal(1), "id": cty.UnknownVal(cty.String), "zone": cty.UnknownVal(cty.String), "note": cty.NullVal(cty.String)}, nil},
		{"create: optional+computed set", cty.NilVal, cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "zone": cty.StringVal("us-b")}),
			map[string]cty.Value{"zone": cty.StringVal("us-b")}, nil},
		{"no change keeps computed", prior, cfg(p, map[string]cty.Value{"name": cty.StringVal("a")}),
			map[string]cty.Value{"id": cty.StringVal("w-a"), "zone": cty.StringVal("eu-a"), "size": cty.NumberIntVal(1)}, nil},
		{"update in place", prior, cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "size": cty.NumberIntVal(3)}),
			map[string]cty.Value{"size": cty.NumberIntVal(3), "id": cty.StringVal("w-a")}, nil},
		{"force new replaces and plans like a create", prior, cfg(p, map[string]cty.Value{"name": cty.StringVal("b")}),
			map[string]cty.Value{"name": cty.StringVal("b"), "id": cty.UnknownVal(cty.String), "zone": cty.UnknownVal(cty.String)}, []cty.Path{attr("name")}},
		{"unknown force new value replaces", prior, cfg(p, map[string]cty.Value{"name": cty.UnknownVal(cty.String)}),
			map[string]cty.Value{"name": cty.UnknownVal(cty.String)}, []cty.Path{attr("name")}},
		{"nested block default", cty.NilVal, cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "port": cty.ListVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"number": cty.NumberIntVal(80), "proto": cty.NullVal(cty.String)})})}),
			map[string]cty.Value{"port": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"number": cty.NumberIntVal(80), "proto": cty.StringVal("tcp")})})}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{
				TypeName: "widget", PriorState: tt.prior, Config: tt.config, ProposedNewState: tt.config,
			})
			if resp.Diagnostics.HasErrors() {
				t.Fatalf("diagnostics: %s", resp.Diagnostics.Error())
			}
			for name, want := range tt.want {
				if got := resp.PlannedState.GetAttr(name); !got.RawEquals(want) {
					t.Errorf("%s = %#v, want %#v", name, got, want)
				}
			}
			if len(resp.RequiresReplace) != len(tt.wantReplace) {
				t.Fatalf("RequiresReplace %#v, want %#v", resp.RequiresReplace, tt.wantReplace)
			}
			for i := range tt.wantReplace {
				if !resp.RequiresReplace[i].Equals(tt.wantReplace[i]) {
					t.Errorf("RequiresReplace[%d] = %#v", i, resp.RequiresReplace[i])
				}
			}
		})
	}

	t.Run("destroy plans null", func(t *testing.T) {
		resp := p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{
			TypeName: "widget", PriorState: prior, Config: cty.NullVal(prior.Type()), ProposedNewState: cty.NullVal(prior.Type())})
		if !resp.PlannedState.IsNull() || resp.Diagnostics.HasErrors() {
			t.Errorf("planned %#v, %v", resp.PlannedState, resp.Diagnostics)
		}
	})
	t.Run("sensitive marks", func(t *testing.T) {
		config := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "secret": cty.StringVal("s3cret"), "note": cty.StringVal("from a sensitive var").Mark(providers.SensitiveMark)})
		resp := p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{TypeName: "widget", Config: config, ProposedNewState: config})
		for _, name := range []string{"secret", "note"} {
			if !resp.PlannedState.GetAttr(name).HasMark(providers.SensitiveMark) {
				t.Errorf("%s not marked sensitive", name)
			}
		}
		if resp.PlannedState.GetAttr("name").IsMarked() {
			t.Errorf("name marked")
		}
	})
}

func TestPlanFunction(t *testing.T) {
	p, _ := configured(t)
	r := p.Resources["widget"].(*Resource[widget])
	r.Plan = func(ctx context.Context, pl *Plan) error {
		if pl.Creating() {
			pl.Set("id", cty.StringVal("w-"+pl.Config.GetAttr("name").AsString()))
		}
		if !pl.Creating() && !pl.Get("size").RawEquals(pl.Prior.GetAttr("size")) {
			pl.RequireReplace("size")
			pl.SetUnknown("zone")
			pl.Rollout = &providers.Rollout{Waves: []providers.Wave{{Instances: []providers.WaveInstance{{Name: "w-0"}}}}}
		}
		if pl.Config.GetAttr("note").RawEquals(cty.StringVal("fail")) {
			return AttributeError(cty.GetAttrPath("note"), "Cannot plan", "")
		}
		return nil
	}
	ctx := context.Background()
	c := cfg(p, map[string]cty.Value{"name": cty.StringVal("a")})
	resp := p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "widget", Config: c, ProposedNewState: c})
	if got := resp.PlannedState.GetAttr("id"); !got.RawEquals(cty.StringVal("w-a")) {
		t.Errorf("id planned %#v", got)
	}
	prior := with(resp.PlannedState, map[string]cty.Value{"zone": cty.StringVal("z")})
	c2 := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "size": cty.NumberIntVal(2)})
	resp = p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "widget", PriorState: prior, Config: c2, ProposedNewState: c2})
	if len(resp.RequiresReplace) != 1 || !resp.RequiresReplace[0].Equals(cty.GetAttrPath("size")) || resp.Rollout == nil || resp.PlannedState.GetAttr("zone").IsKnown() {
		t.Errorf("plan function result: %#v", resp)
	}
	c3 := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "note": cty.StringVal("fail")})
	resp = p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "widget", Config: c3, ProposedNewState: c3})
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Cannot plan" {
		t.Errorf("plan error: %v", resp.Diagnostics)
	}
}

// plan returns the planned state of config over prior, failing the test on
// diagnostics.
func plan(t *testing.T, p *Provider[providerConfig], prior, config cty.Value) cty.Value {
	t.Helper()
	resp := p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{TypeName: "widget", PriorState: prior, Config: config, ProposedNewState: config})
	if resp.Diagnostics.HasErrors() {
		t.Fatalf("plan: %s", resp.Diagnostics.Error())
	}
	return resp.PlannedState
}

func TestApplyResourceChange(t *testing.T) {
	p, env := configured(t)
	ctx := context.Background()
	apply := func(prior, planned cty.Value) (providers.ApplyResourceChangeResponse, []providers.ApplyEvent) {
		var events []providers.ApplyEvent
		resp := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: prior, PlannedState: planned},
			func(e providers.ApplyEvent) { events = append(events, e) })
		return resp, events
	}

	// Create.
	c := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "secret": cty.StringVal("pw")})
	resp, events := apply(cty.NullVal(c.Type()), plan(t, p, cty.NilVal, c))
	if resp.Diagnostics.HasErrors() {
		t.Fatalf("create: %s", resp.Diagnostics.Error())
	}
	state := resp.NewState
	want := map[string]cty.Value{
		"id": cty.StringVal("w-a"), "zone": cty.StringVal("eu-a"), "size": cty.NumberIntVal(1),
		"note":   cty.NullVal(cty.String), // "" in Go: unset optional stays null
		"secret": cty.StringVal("pw").Mark(providers.SensitiveMark),
	}
	for name, w := range want {
		if got := state.GetAttr(name); !got.RawEquals(w) {
			t.Errorf("created %s = %#v, want %#v", name, got, w)
		}
	}
	if len(events) != 2 || events[0].Message != "creating a" || events[1].Kind != "instance_started" || events[1].Instance != "w-a" {
		t.Errorf("events %+v", events)
	}
	// The new state plans no change.
	if again := plan(t, p, state, c); !again.RawEquals(state) {
		t.Errorf("re-plan differs: %#v vs %#v", again, state)
	}

	// Update in place.
	c2 := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "secret": cty.StringVal("pw"), "size": cty.NumberIntVal(4), "labels": cty.MapVal(map[string]cty.Value{"team": cty.StringVal("dns")})})
	resp, _ = apply(state, plan(t, p, state, c2))
	if resp.Diagnostics.HasErrors() || env.objects["w-a"].Size != 4 || env.objects["w-a"].Labels["team"] != "dns" {
		t.Fatalf("update: %v, %+v", resp.Diagnostics, env.objects["w-a"])
	}
	state = resp.NewState

	// A failed update that changed nothing leaves the prior state.
	env.failNext = errors.New("quota exceeded")
	c3 := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "secret": cty.StringVal("pw"), "size": cty.NumberIntVal(5)})
	resp, _ = apply(state, plan(t, p, state, c3))
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Cannot update widget" || resp.Diagnostics[0].Detail != "quota exceeded" {
		t.Errorf("failed update diagnostics: %v", resp.Diagnostics)
	}
	if !resp.NewState.RawEquals(state) {
		t.Errorf("failed update state %#v, want prior %#v", resp.NewState, state)
	}

	// Delete.
	resp, _ = apply(state, cty.NullVal(state.Type()))
	if resp.Diagnostics.HasErrors() || !resp.NewState.IsNull() || len(env.objects) != 0 {
		t.Fatalf("delete: %v %#v", resp.Diagnostics, resp.NewState)
	}
	// Deleting what is already gone succeeds.
	resp, _ = apply(state, cty.NullVal(state.Type()))
	if resp.Diagnostics.HasErrors() || !resp.NewState.IsNull() {
		t.Errorf("delete of gone object: %v", resp.Diagnostics)
	}

	// A failed create returns the partial state it reported.
	env.failNext = errors.New("disk full")
	resp, _ = apply(cty.NullVal(c.Type()), plan(t, p, cty.NilVal, c))
	if !resp.Diagnostics.HasErrors() || resp.NewState.IsNull() || !resp.NewState.GetAttr("id").RawEquals(cty.StringVal("w-a")) {
		t.Errorf("partial create: %v %#v", resp.Diagnostics, resp.NewState)
	}
	if resp.Resumable {
		t.Error("a failed create of a resource not declared Resumable is resumable")
	}
	// Declared Resumable, the same failure says so (berth does not taint it).
	p.Resources["widget"].(*Resource[widget]).Resumable = true
	env.failNext = errors.New("disk full")
	resp, _ = apply(cty.NullVal(c.Type()), plan(t, p, cty.NilVal, c))
	if !resp.Diagnostics.HasErrors() || !resp.Resumable {
		t.Errorf("failed create of a Resumable resource: resumable %v, %v", resp.Resumable, resp.Diagnostics)
	}

	// Rollout steps need ApplyStep.
	r := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: state, PlannedState: state, Step: providers.RolloutStep{Kind: providers.StepStart, Wave: 1}}, nil)
	if !strings.Contains(r.Diagnostics.Error(), "no ApplyStep") {
		t.Errorf("rollout without ApplyStep: %v", r.Diagnostics)
	}
}

func TestApplyStep(t *testing.T) {
	p, _ := configured(t)
	var steps []providers.RolloutStep
	p.Resources["widget"].(*Resource[widget]).ApplyStep = func(ctx context.Context, step providers.RolloutStep, prior, planned widget) (*widget, error) {
		steps = append(steps, step)
		Emit(ctx, providers.ApplyEvent{Kind: "progress", Wave: step.Wave})
		return &planned, nil
	}
	c := cfg(p, map[string]cty.Value{"name": cty.StringVal("a")})
	planned := plan(t, p, cty.NilVal, c)
	planned = with(planned, map[string]cty.Value{"id": cty.StringVal("w-a"), "zone": cty.StringVal("z")})
	var events []providers.ApplyEvent
	for _, step := range []providers.RolloutStep{{Kind: providers.StepStart, Wave: 1}, {Kind: providers.StepStop, Wave: 1}, {Kind: providers.StepStart}} {
		resp := p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: planned, PlannedState: planned, Step: step},
			func(e providers.ApplyEvent) { events = append(events, e) })
		if resp.Diagnostics.HasErrors() {
			t.Fatal(resp.Diagnostics.Error())
		}
	}
	if len(steps) != 3 || steps[1].Kind != providers.StepStop || steps[2].Wave != 0 || len(events) != 3 || events[1].Wave != 1 {
		t.Errorf("steps %+v events %+v", steps, events)
	}
}

func TestReadResources(t *testing.T) {
	p, env := configured(t)
	ctx := context.Background()
	// 1,000 objects in one batch, of which some drifted and some are gone.
	var objs []providers.ReadObject
	for i := range 1000 {
		name := fmt.Sprintf("n%d", i)
		c := cfg(p, map[string]cty.Value{"name": cty.StringVal(name), "secret": cty.StringVal("pw")})
		resp := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: cty.NullVal(c.Type()), PlannedState: plan(t, p, cty.NilVal, c)}, nil)
		if resp.Diagnostics.HasErrors() {
			t.Fatal(resp.Diagnostics.Error())
		}
		objs = append(objs, providers.ReadObject{ID: fmt.Sprintf("widget.w[%d]", i), TypeName: "widget", State: resp.NewState, Private: []byte{byte(i)}})
	}
	env.mu.Lock()
	delete(env.objects, "w-n7")
	w := env.objects["w-n8"]
	w.Size = 9
	env.objects["w-n8"] = w
	env.mu.Unlock()
	objs = append(objs, providers.ReadObject{ID: "gadget.g", TypeName: "gadget", State: cty.EmptyObjectVal})

	resp := p.ReadResources(ctx, providers.ReadResourcesRequest{Objects: objs})
	if resp.Diagnostics.HasErrors() || len(resp.Results) != len(objs) {
		t.Fatalf("%v, %d results", resp.Diagnostics, len(resp.Results))
	}
	for i, res := range resp.Results {
		if res.ID != objs[i].ID {
			t.Fatalf("result %d is %s, want %s", i, res.ID, objs[i].ID)
		}
		switch i {
		case 7:
			if !res.Gone || !res.NewState.IsNull() || res.Diagnostics.HasErrors() {
				t.Errorf("removed object: %+v", res)
			}
		case 8:
			if !res.NewState.GetAttr("size").RawEquals(cty.NumberIntVal(9)) {
				t.Errorf("drift not seen: %#v", res.NewState)
			}
		case 1000:
			if !strings.Contains(res.Diagnostics.Error(), "no resource type") {
				t.Errorf("unknown type: %+v", res)
			}
		default:
			if res.Gone || res.Diagnostics.HasErrors() || !res.NewState.RawEquals(objs[i].State) || res.Private[0] != byte(i) {
				t.Errorf("object %d: %+v", i, res)
			}
			if !res.NewState.GetAttr("secret").HasMark(providers.SensitiveMark) {
				t.Errorf("object %d lost its sensitive mark", i)
			}
		}
	}
	if env.reads != 1000 {
		t.Errorf("%d reads, want 1000", env.reads)
	}

	// With ReadBatch, one call serves the whole batch.
	calls := 0
	p.Resources["widget"].(*Resource[widget]).ReadBatch = func(ctx context.Context, ws []widget) ([]ReadResult[widget], error) {
		calls++
		out := make([]ReadResult[widget], len(ws))
		for i, w := range ws {
			if w.Name == "n9" {
				out[i].Err = ErrNotFound
				continue
			}
			w.Note = "batched"
			out[i].State = &w
		}
		return out, nil
	}
	resp = p.ReadResources(ctx, providers.ReadResourcesRequest{Objects: objs[9:12]})
	if calls != 1 || !resp.Results[0].Gone || !resp.Results[1].NewState.GetAttr("note").RawEquals(cty.StringVal("batched")) {
		t.Errorf("batched read: %d calls, %+v", calls, resp.Results)
	}
}

func TestImportAndDataSource(t *testing.T) {
	p, _ := configured(t)
	ctx := context.Background()
	c := cfg(p, map[string]cty.Value{"name": cty.StringVal("imp"), "secret": cty.StringVal("pw")})
	p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: cty.NullVal(c.Type()), PlannedState: plan(t, p, cty.NilVal, c)}, nil)

	tests := []struct {
		id, wantErr string
	}{
		{"w-imp", ""},
		{"w-missing", "Cannot import non-existent object"},
	}
	for _, tt := range tests {
		resp := p.ImportResource(ctx, providers.ImportResourceRequest{TypeName: "widget", ID: tt.id})
		if tt.wantErr != "" {
			if !strings.Contains(resp.Diagnostics.Error(), tt.wantErr) {
				t.Errorf("import %s: %v", tt.id, resp.Diagnostics)
			}
			continue
		}
		if resp.Diagnostics.HasErrors() || !resp.State.GetAttr("name").RawEquals(cty.StringVal("imp")) || !resp.State.GetAttr("secret").HasMark(providers.SensitiveMark) {
			t.Errorf("import %s: %v %#v", tt.id, resp.Diagnostics, resp.State)
		}
	}

	resp := p.ReadDataSource(ctx, providers.ReadDataSourceRequest{TypeName: "count", Config: cty.ObjectVal(map[string]cty.Value{
		"prefix": cty.StringVal("im"), "count": cty.NullVal(cty.Number), "token": cty.NullVal(cty.String)})})
	if resp.Diagnostics.HasErrors() || !resp.State.GetAttr("count").RawEquals(cty.NumberIntVal(1)) || !resp.State.GetAttr("token").HasMark(providers.SensitiveMark) {
		t.Errorf("data source: %v %#v", resp.Diagnostics, resp.State)
	}
	if d := p.ReadDataSource(ctx, providers.ReadDataSourceRequest{TypeName: "nope", Config: cty.EmptyObjectVal}).Diagnostics; !strings.Contains(d.Error(), `no data source named "nope"`) {
		t.Errorf("unknown data source: %v", d)
	}
}

func TestStopCancelsInFlightCalls(t *testing.T) {
	p, env := configured(t)
	started := make(chan struct{})
	env.block = func() { close(started) }
	c := cfg(p, map[string]cty.Value{"name": cty.StringVal("slow")})
	planned := plan(t, p, cty.NilVal, c)
	done := make(chan providers.ApplyResourceChangeResponse)
	go func() {
		done <- p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: cty.NullVal(c.Type()), PlannedState: planned}, nil)
	}()
	<-started
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case resp := <-done:
		// The create returned its partial state with the cancellation.
		if !strings.Contains(resp.Diagnostics.Error(), "context canceled") || !resp.NewState.GetAttr("id").RawEquals(cty.StringVal("w-slow")) {
			t.Errorf("stopped apply: %v %#v", resp.Diagnostics, resp.NewState)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not cancel the apply")
	}
	// Calls after Stop run normally.
	env.block = nil
	c2 := cfg(p, map[string]cty.Value{"name": cty.StringVal("after")})
	resp := p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: cty.NullVal(c2.Type()), PlannedState: plan(t, p, cty.NilVal, c2)}, nil)
	if resp.Diagnostics.HasErrors() {
		t.Errorf("apply after Stop: %v", resp.Diagnostics)
	}
}

func TestDecode(t *testing.T) {
	type inner struct {
		A *string `cty:"a"`
	}
	type model struct {
		S   string           `cty:"s"`
		P   *string          `cty:"p"`
		N   int              `cty:"n"`
		L   []string         `cty:"l"`
		M   map[string]int64 `cty:"m"`
		O   inner            `cty:"o"`
		Raw cty.Value        `cty:"raw"`
	}
	tests := []struct {
		name string
		in   cty.Value
		want func(m model) bool
	}{
		{"known", cty.ObjectVal(map[string]cty.Value{
			"s": cty.StringVal("x"), "p": cty.StringVal(""), "n": cty.NumberIntVal(3),
			"l": cty.ListVal([]cty.Value{cty.StringVal("a")}), "m": cty.MapVal(map[string]cty.Value{"k": cty.NumberIntVal(2)}),
			"o": cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("in")}), "raw": cty.UnknownVal(cty.Bool)}),
			func(m model) bool {
				return m.S == "x" && m.P != nil && *m.P == "" && m.N == 3 && m.L[0] == "a" && m.M["k"] == 2 && *m.O.A == "in" && !m.Raw.IsKnown()
			}},
		{"null and unknown are zero", cty.ObjectVal(map[string]cty.Value{
			"s": cty.UnknownVal(cty.String), "p": cty.NullVal(cty.String), "n": cty.NullVal(cty.Number),
			"l": cty.ListVal([]cty.Value{cty.UnknownVal(cty.String)}), "o": cty.ObjectVal(map[string]cty.Value{"a": cty.NullVal(cty.String)})}),
			func(m model) bool { return m.S == "" && m.P == nil && m.N == 0 && len(m.L) == 1 && m.O.A == nil }},
		{"marks ignored", cty.ObjectVal(map[string]cty.Value{"s": cty.StringVal("x").Mark(providers.SensitiveMark)}),
			func(m model) bool { return m.S == "x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m model
			if err := Decode(tt.in, &m); err != nil {
				t.Fatal(err)
			}
			if !tt.want(m) {
				t.Errorf("decoded %+v", m)
			}
		})
	}
	var m model
	if err := Decode(cty.ObjectVal(map[string]cty.Value{"n": cty.StringVal("three")}), &m); err == nil {
		t.Error("decoding a non-number into an int succeeded")
	}
}

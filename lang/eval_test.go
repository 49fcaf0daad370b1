package lang

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// mapData is a Data over a map from address to value.
type mapData map[string]cty.Value

func (m mapData) ReferenceValue(ref *Reference) (cty.Value, hcl.Diagnostics) {
	if v, ok := m[ref.Addr()]; ok {
		return v, nil
	}
	return cty.DynamicVal, hcl.Diagnostics{errAt(ref.SourceRange, "Unknown", ref.Addr())}
}

// TestEvalAndDecodeApp evaluates the design example's app as plan does
// and decodes it with the platform contract's decoder: what the app
// block's schema produces is what platform/app reads (which
// platform/app's own tests check in detail).
func TestEvalAndDecodeApp(t *testing.T) {
	cfg, diags := LoadDir("testdata/full")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if k := cfg.Clusters["prod"].Kind; k != "docker" {
		t.Fatalf("cluster kind %q, want docker", k)
	}
	data := mapData{
		"var.tag":      cty.StringVal("v1.2"),
		"var.password": cty.StringVal("secret").Mark(Sensitive),
	}
	s := &Scope{Data: data, BaseDir: cfg.Dir}
	for _, addr := range []string{"cluster.prod", "registry.harbor", "probe.health"} {
		v, d := cfg.EvalObject(addr, s)
		if d.HasErrors() {
			t.Fatalf("%s: %s", addr, d.Error())
		}
		data[addr] = v
	}

	r := cfg.Resources["app.web"]
	v, d := s.EvalResourceConfig(r, AppSchema())
	if d.HasErrors() {
		t.Fatal(d.Error())
	}
	if !v.Type().Equals(AppSchema().ImpliedType()) {
		t.Fatalf("type %#v is not the schema's", v.Type())
	}
	if got := v.GetAttr("image").AsString(); got != "harbor.example.com/shop/web:v1.2" {
		t.Errorf("image %q", got)
	}
	v = CompleteDomainValue(KindApp, "web", v, []cty.Value{data["registry.harbor"]})
	if !v.ContainsMarked() {
		t.Error("the registry password should keep its sensitive mark")
	}
	spec, err := app.Decode(v)
	if err != nil {
		t.Fatal(err)
	}

	// The cluster's settings are the docker block's value, which the
	// platform decodes; quantities compare as amounts.
	hosts := spec.Cluster.Settings.GetAttr("host")
	if hosts.LengthInt() != 1 || hosts.Index(cty.NumberIntVal(0)).GetAttr("name").AsString() != "prod-1" ||
		hosts.Index(cty.NumberIntVal(0)).GetAttr("endpoint").AsString() != "unix:///var/run/docker.sock" {
		t.Errorf("cluster settings %#v", spec.Cluster.Settings)
	}
	spec.Cluster.Settings = cty.NilVal
	if spec.Resources == nil {
		t.Fatal("no resources")
	}
	if spec.Resources.CPU.Cmp(app.MustParseQuantity("2")) != 0 || spec.Resources.Memory.Cmp(app.MustParseQuantity("2Gi")) != 0 {
		t.Errorf("resources cpu %v, memory %v", spec.Resources.CPU, spec.Resources.Memory)
	}
	if got := spec.Resources.CPURequest().MilliValue(); got != 500 {
		t.Errorf("cpu request %dm, want 500m", got)
	}
	spec.Resources.CPU, spec.Resources.Memory = app.Quantity{}, app.Quantity{}

	want := &app.Spec{
		Name:      "web",
		Cluster:   app.Cluster{Name: "prod", Kind: "docker"},
		Image:     "harbor.example.com/shop/web:v1.2",
		Replicas:  6,
		Command:   []string{"/web"},
		Env:       map[string]string{"LOG_LEVEL": "info"},
		Labels:    map[string]string{},
		Ports:     []app.Port{{Name: "http", Container: 8080, Protocol: "tcp"}},
		Resources: &app.Resources{CPUOvercommit: 4, MemoryOvercommit: 1},
		Placement: &app.Placement{NodeSelector: map[string]string{"pool": "core"}, Spread: "host"},
		Readiness: &app.Probe{
			HTTP:   &app.HTTPCheck{Path: "/health", Port: app.PortRef{Name: "http"}, Scheme: "HTTP", Status: []int{200}},
			Period: 10 * time.Second, Timeout: time.Second, FailureThreshold: 3, SuccessThreshold: 1,
		},
		Liveness: &app.Probe{
			TCP:    &app.PortRef{Name: "http"},
			Period: 10 * time.Second, Timeout: time.Second, FailureThreshold: 3, SuccessThreshold: 1,
		},
		Hooks: &app.Hooks{
			AfterStart: &app.Hook{Exec: []string{"/warm-cache"}, Timeout: 30 * time.Second},
			BeforeStop: &app.Hook{Exec: []string{"/deregister"}, Timeout: 30 * time.Second},
			Drain:      30 * time.Second,
		},
		Rollout:  app.Rollout{InitialBatch: 1, Growth: 2, MinHealthy: 10 * time.Second, HealthyDeadline: 5 * time.Minute, AutoRevert: true},
		Registry: &app.Registry{Name: "harbor", Address: "harbor.example.com", Username: "robot$deploy", Password: "secret"},
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("spec\n%+v\nwant\n%+v", spec, want)
	}
	if w := spec.Rollout.Waves(spec.Replicas); !reflect.DeepEqual(w, []int{1, 2, 3}) {
		t.Errorf("waves %v", w)
	}
	if n, ok := spec.Readiness.HTTP.Port.Resolve(spec.Ports); !ok || n != 8080 {
		t.Errorf("resolved port %d, %v", n, ok)
	}
}

func TestScopeInstanceValues(t *testing.T) {
	tests := []struct {
		name  string
		scope Scope
		src   string
		want  cty.Value
		err   string
	}{
		{"count.index", Scope{CountIndex: cty.NumberIntVal(2)}, `"web-${count.index}"`, cty.StringVal("web-2"), ""},
		{"each", Scope{EachKey: cty.StringVal("a"), EachValue: cty.NumberIntVal(1)}, `"${each.key}=${each.value}"`, cty.StringVal("a=1"), ""},
		{"count outside count", Scope{}, `count.index`, cty.NilVal, "Reference to count in a block without count"},
		{"each outside for_each", Scope{}, `each.key`, cty.NilVal, "Reference to each in a block without for_each"},
		{"self", Scope{}, `self.x`, cty.NilVal, "Invalid reference to self"},
		{"data", Scope{Data: mapData{"data.acme_zone.z": cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("Z1")})}}, `data.acme_zone.z.id`, cty.StringVal("Z1"), ""},
		{"resource", Scope{Data: mapData{"acme_record.r": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("r0")})})}}, `acme_record.r[0].id`, cty.StringVal("r0"), ""},
		{"unknown propagates", Scope{Data: mapData{"var.x": cty.UnknownVal(cty.String)}}, `upper(var.x)`, cty.UnknownVal(cty.String), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expr, d := parseExpr(tt.src)
			if d.HasErrors() {
				t.Fatal(d.Error())
			}
			got, diags := tt.scope.EvalExpr(expr, cty.DynamicPseudoType)
			if tt.err != "" {
				if !diags.HasErrors() || diags[0].Summary != tt.err {
					t.Fatalf("diags %v, want %q", diags, tt.err)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if !got.RawEquals(tt.want) && !(got.IsKnown() == tt.want.IsKnown() && !got.IsKnown()) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFileFunctions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.tmpl"), []byte("Hi ${name}, %{ for x in xs }${upper(x)}%{ endfor }"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		src  string
		want cty.Value
		err  bool
	}{
		{`file("a.txt")`, cty.StringVal("hello"), false},
		{`fileexists("a.txt")`, cty.True, false},
		{`fileexists("b.txt")`, cty.False, false},
		{`templatefile("t.tmpl", { name = "Ann", xs = ["a", "b"] })`, cty.StringVal("Hi Ann, AB"), false},
		{`base64encode("hi")`, cty.StringVal("aGk="), false},
		{`startswith("berth", "be")`, cty.True, false},
		{`file("missing.txt")`, cty.NilVal, true},
		{`templatefile("t.tmpl", {})`, cty.NilVal, true},
		{`base64decode("!!")`, cty.NilVal, true},
	}
	s := &Scope{BaseDir: dir}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			expr, d := parseExpr(tt.src)
			if d.HasErrors() {
				t.Fatal(d.Error())
			}
			got, diags := s.EvalExpr(expr, cty.DynamicPseudoType)
			if tt.err {
				if !diags.HasErrors() {
					t.Fatalf("no error, got %#v", got)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if !got.RawEquals(tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestSensitiveFunctions(t *testing.T) {
	s := &Scope{}
	expr, _ := parseExpr(`sensitive("x")`)
	v, diags := s.EvalExpr(expr, cty.String)
	if diags.HasErrors() || !v.HasMark(Sensitive) {
		t.Fatalf("sensitive() = %#v, %v", v, diags)
	}
	expr, _ = parseExpr(`nonsensitive(sensitive("x"))`)
	v, diags = s.EvalExpr(expr, cty.String)
	if diags.HasErrors() || v.IsMarked() {
		t.Fatalf("nonsensitive() = %#v, %v", v, diags)
	}
}

func TestProviderBlockRoundTrip(t *testing.T) {
	pb := AppSchema().ProviderBlock()
	if !pb.Attributes["image"].Required || pb.BlockTypes["port"].Block.Attributes["name"] == nil {
		t.Fatalf("provider block: %+v", pb)
	}
	back := SchemaFromProvider(LoadBalancerSchema().ProviderBlock())
	v, diags := back.Decode(hcl.EmptyBody(), nil)
	if !diags.HasErrors() || !v.Type().IsObjectType() {
		t.Fatalf("decoding an empty load balancer should miss its listener: %v", diags)
	}
}

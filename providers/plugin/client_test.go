package plugin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
	"github.com/berth-sh/berth/providers/testprovider"
)

func TestGetSchema(t *testing.T) {
	c := launch(t)
	resp := c.GetSchema(context.Background())
	noErrors(t, "GetSchema", resp.Diagnostics)

	if a := resp.Provider.Block.Attributes["store"]; a == nil || !a.Required || !a.Type.Equals(cty.String) {
		t.Errorf("provider attribute store = %+v, want a required string", a)
	}
	obj, ok := resp.ResourceTypes["object"]
	if !ok {
		t.Fatalf("no resource type object in %v", resp.ResourceTypes)
	}
	if obj.Version != 1 {
		t.Errorf("object schema version = %d, want 1", obj.Version)
	}
	tests := []struct {
		attr string
		want providers.Attribute
	}{
		{"id", providers.Attribute{Type: cty.String, Computed: true}},
		{"name", providers.Attribute{Type: cty.String, Required: true, ForceNew: true}},
		{"secret", providers.Attribute{Type: cty.String, Optional: true, Sensitive: true}},
		{"size", providers.Attribute{Type: cty.Number, Optional: true}},
	}
	for _, tt := range tests {
		got := obj.Block.Attributes[tt.attr]
		if got == nil || !got.Type.Equals(tt.want.Type) || got.Required != tt.want.Required ||
			got.Optional != tt.want.Optional || got.Computed != tt.want.Computed ||
			got.Sensitive != tt.want.Sensitive || got.ForceNew != tt.want.ForceNew || got.Description != tt.want.Description {
			t.Errorf("attribute %s = %+v, want %+v", tt.attr, got, tt.want)
		}
	}
	// A fleet reports its instances in the app contract's shape.
	if a := resp.ResourceTypes["fleet"].Block.Attributes["instances"]; a == nil || !a.Computed || !a.Type.Equals(cty.List(app.InstanceType)) {
		t.Errorf("fleet.instances = %+v, want a computed list of app instances", a)
	}
	if a := resp.DataSources["echo"].Block.Attributes["output"]; a == nil || !a.Computed || !a.Type.Equals(cty.DynamicPseudoType) {
		t.Errorf("echo.output = %+v, want a computed dynamic attribute", a)
	}
	for _, typ := range []string{"object", "fleet"} {
		if !resp.ResourceTypes[typ].LookupByKey {
			t.Errorf("%s: LookupByKey = false, want true", typ)
		}
	}
}

// TestGetSchemaNoLookup: the test provider can play a provider that
// cannot look objects up by key, and LookupByKey=false crosses as such.
func TestGetSchemaNoLookup(t *testing.T) {
	t.Setenv(testprovider.EnvNoLookup, "1") // inherited by the plugin process
	resp := launch(t).GetSchema(context.Background())
	noErrors(t, "GetSchema", resp.Diagnostics)
	for _, typ := range []string{"object", "fleet"} {
		if resp.ResourceTypes[typ].LookupByKey {
			t.Errorf("%s: LookupByKey = true with %s=1", typ, testprovider.EnvNoLookup)
		}
	}
}

// TestLookupResources: the idempotency key of a create crosses to the
// provider, which stores it, and LookupResources finds the object by it
// with the state the apply returned, sensitive marks included.
func TestLookupResources(t *testing.T) {
	c, store := launchConfigured(t, settings{})
	ctx := context.Background()
	s := providers.SensitiveMark
	cfg := cty.ObjectVal(map[string]cty.Value{
		"id": cty.NullVal(cty.String), "name": cty.StringVal("a"), "value": cty.StringVal("v"),
		"secret": cty.StringVal("hunter2").Mark(s), "size": cty.NullVal(cty.Number), "status": cty.NullVal(cty.String),
	})
	null := cty.NullVal(testprovider.ObjectType)
	plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "object", PriorState: null, ProposedNewState: cfg, Config: cfg})
	noErrors(t, "PlanResourceChange", plan.Diagnostics)
	apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: null, PlannedState: plan.PlannedState, Config: cfg, IdempotencyKey: "key-a",
	}, nil)
	noErrors(t, "ApplyResourceChange", apply.Diagnostics)
	id := attr(apply.NewState, "id").AsString()
	st, err := testprovider.ReadStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Objects[id].IdempotencyKey; got != "key-a" {
		t.Errorf("stored idempotency key = %q, want key-a", got)
	}

	fcfg := fleetConfig("web", "v1", 2)
	fplan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "fleet", PriorState: cty.NullVal(fleetType), ProposedNewState: fcfg, Config: fcfg})
	noErrors(t, "PlanResourceChange fleet", fplan.Diagnostics)
	fapply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "fleet", PriorState: cty.NullVal(fleetType), PlannedState: fplan.PlannedState, Config: fcfg, IdempotencyKey: "key-f",
	}, nil)
	noErrors(t, "ApplyResourceChange fleet", fapply.Diagnostics)

	resp := c.LookupResources(ctx, providers.LookupResourcesRequest{Objects: []providers.LookupObject{
		{ID: "test_object.a", TypeName: "object", IdempotencyKey: "key-a", Planned: plan.PlannedState},
		{ID: "test_object.b", TypeName: "object", IdempotencyKey: "key-b", Planned: plan.PlannedState},
		{ID: "test_fleet.f", TypeName: "fleet", IdempotencyKey: "key-f", Planned: fplan.PlannedState},
		{ID: "test_fleet.g", TypeName: "fleet", IdempotencyKey: "key-a", Planned: fplan.PlannedState},
	}})
	noErrors(t, "LookupResources", resp.Diagnostics)
	if len(resp.Results) != 4 {
		t.Fatalf("%d results, want 4", len(resp.Results))
	}
	want := []struct {
		id    string
		found bool
		state cty.Value
	}{
		{"test_object.a", true, apply.NewState},
		{"test_object.b", false, null},
		{"test_fleet.f", true, fapply.NewState},
		{"test_fleet.g", false, cty.NullVal(fleetType)}, // an object's key does not find a fleet
	}
	for i, w := range want {
		r := resp.Results[i]
		noErrors(t, "result "+w.id, r.Diagnostics)
		if r.ID != w.id || r.Found != w.found || !r.State.RawEquals(w.state) {
			t.Errorf("result %d = %s found %v %#v\nwant %s found %v %#v", i, r.ID, r.Found, r.State, w.id, w.found, w.state)
		}
	}
	if sec := resp.Results[0].State.GetAttr("secret"); !sec.HasMark(s) {
		t.Errorf("found secret = %#v, want it marked sensitive", sec)
	}
}

func TestValidate(t *testing.T) {
	c := launch(t)
	ctx := context.Background()
	providerTests := []struct {
		name     string
		store    string
		wantPath cty.Path
	}{
		{"valid", "/tmp/store.json", nil},
		{"empty store", "", cty.GetAttrPath("store")},
	}
	for _, tt := range providerTests {
		t.Run("provider/"+tt.name, func(t *testing.T) {
			resp := c.ValidateProviderConfig(ctx, providers.ValidateProviderConfigRequest{Config: providerConfig(tt.store, settings{})})
			checkPathDiag(t, resp.Diagnostics, tt.wantPath)
		})
	}
	resourceTests := []struct {
		name     string
		config   cty.Value
		wantPath cty.Path
	}{
		{"valid", objectConfig("a", "v", 2), nil},
		{"unknown name", objectConfig("a", "", 0), nil},
		{"empty name", objectConfig("", "", 0), cty.GetAttrPath("name")},
		{"negative size", objectConfig("a", "", -1), cty.GetAttrPath("size")},
	}
	resourceTests[1].config = cty.ObjectVal(map[string]cty.Value{
		"id": cty.NullVal(cty.String), "name": cty.UnknownVal(cty.String), "value": cty.NullVal(cty.String),
		"secret": cty.NullVal(cty.String), "size": cty.NullVal(cty.Number), "status": cty.NullVal(cty.String),
	})
	for _, tt := range resourceTests {
		t.Run("resource/"+tt.name, func(t *testing.T) {
			resp := c.ValidateResourceConfig(ctx, providers.ValidateResourceConfigRequest{TypeName: "object", Config: tt.config})
			checkPathDiag(t, resp.Diagnostics, tt.wantPath)
		})
	}
}

// checkPathDiag checks that diags is empty when want is nil, else one error
// about the attribute at want.
func checkPathDiag(t *testing.T, diags hcl.Diagnostics, want cty.Path) {
	t.Helper()
	if want == nil {
		noErrors(t, "validate", diags)
		return
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagError {
		t.Fatalf("got diagnostics %q, want one error", diagsString(diags))
	}
	if got := providers.DiagnosticPath(diags[0]); !got.Equals(want) {
		t.Errorf("diagnostic path = %#v, want %#v", got, want)
	}
}

func TestConfigureRequired(t *testing.T) {
	c := launch(t)
	resp := c.ReadResources(context.Background(), providers.ReadResourcesRequest{})
	if !resp.Diagnostics.HasErrors() || resp.Diagnostics[0].Summary != "Provider not configured" {
		t.Errorf("ReadResources before ConfigureProvider: %q, want \"Provider not configured\"", diagsString(resp.Diagnostics))
	}
}

// TestLifecycle drives one object through every resource call: plan and
// apply a create, read it, see drift, import it, plan a replacement and an
// update, apply the update, destroy it, and read it gone.
func TestLifecycle(t *testing.T) {
	c, store := launchConfigured(t, settings{})
	ctx := context.Background()

	cfg := objectConfig("web", "v1", 3)
	plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{
		TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), ProposedNewState: cfg, Config: cfg,
	})
	noErrors(t, "plan create", plan.Diagnostics)
	if id := attr(plan.PlannedState, "id"); id.IsKnown() {
		t.Errorf("planned id = %#v, want unknown", id)
	}
	if plan.Rollout != nil || plan.RequiresReplace != nil {
		t.Errorf("plan create: rollout %v, requires_replace %v; want neither", plan.Rollout, plan.RequiresReplace)
	}
	apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), PlannedState: plan.PlannedState,
		Config: cfg, PlannedPrivate: plan.PlannedPrivate,
	}, nil)
	noErrors(t, "apply create", apply.Diagnostics)
	state := apply.NewState
	id := attr(state, "id").AsString()
	if got := attr(state, "status").AsString(); got != "ready" {
		t.Errorf("status after create = %q, want ready", got)
	}
	if string(apply.Private) != "applied" {
		t.Errorf("private = %q, want applied", apply.Private)
	}

	read := func() providers.ReadResult {
		t.Helper()
		resp := c.ReadResources(ctx, providers.ReadResourcesRequest{Objects: []providers.ReadObject{
			{ID: "resource.object.web", TypeName: "object", State: state, Private: []byte("p")},
		}})
		noErrors(t, "ReadResources", resp.Diagnostics)
		if len(resp.Results) != 1 || resp.Results[0].ID != "resource.object.web" {
			t.Fatalf("ReadResources results = %+v, want one for resource.object.web", resp.Results)
		}
		noErrors(t, "ReadResources result", resp.Results[0].Diagnostics)
		return resp.Results[0]
	}
	if r := read(); r.Gone || !r.NewState.RawEquals(state) || string(r.Private) != "p" {
		t.Errorf("read after create = %#v (gone %v, private %q), want %#v", r.NewState, r.Gone, r.Private, state)
	}

	// Drift: someone changed the object behind berth's back.
	s, err := testprovider.ReadStore(store)
	if err != nil {
		t.Fatal(err)
	}
	drifted := "changed by hand"
	s.Objects[id].Value = &drifted
	if err := testprovider.WriteStore(store, s); err != nil {
		t.Fatal(err)
	}
	if r := read(); attr(r.NewState, "value").AsString() != drifted {
		t.Errorf("read after drift: value = %#v, want %q", attr(r.NewState, "value"), drifted)
	}

	imp := c.ImportResource(ctx, providers.ImportResourceRequest{TypeName: "object", ID: id})
	noErrors(t, "ImportResource", imp.Diagnostics)
	if got := attr(imp.State, "value").AsString(); got != drifted || string(imp.Private) != "imported" {
		t.Errorf("imported value = %q, private %q", got, imp.Private)
	}
	if imp := c.ImportResource(ctx, providers.ImportResourceRequest{TypeName: "object", ID: "nope"}); !imp.Diagnostics.HasErrors() {
		t.Errorf("importing a missing object succeeded")
	}

	// A new name forces replacement.
	renamed := objectConfig("web2", "v1", 3)
	plan = c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{
		TypeName: "object", PriorState: state, ProposedNewState: renamed, Config: renamed,
	})
	noErrors(t, "plan rename", plan.Diagnostics)
	if len(plan.RequiresReplace) != 1 || !plan.RequiresReplace[0].Equals(cty.GetAttrPath("name")) {
		t.Errorf("requires_replace = %#v, want [name]", plan.RequiresReplace)
	}

	// A new value is an update in place, in one call: an object does not
	// roll out (a fleet does, see TestRollout).
	updated := objectConfig("web", "v2", 3)
	plan = c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{
		TypeName: "object", PriorState: state, ProposedNewState: updated, Config: updated,
	})
	noErrors(t, "plan update", plan.Diagnostics)
	if plan.Rollout != nil || plan.RequiresReplace != nil {
		t.Errorf("plan update: rollout %v, requires_replace %v; want neither", plan.Rollout, plan.RequiresReplace)
	}
	if got := attr(plan.PlannedState, "id"); !got.RawEquals(cty.StringVal(id)) {
		t.Errorf("planned id = %#v, want %q", got, id)
	}
	var events []providers.ApplyEvent
	apply = c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: state, PlannedState: plan.PlannedState, Config: updated,
		PlannedPrivate: plan.PlannedPrivate,
	}, func(ev providers.ApplyEvent) { events = append(events, ev) })
	noErrors(t, "apply update", apply.Diagnostics)
	if want := []providers.ApplyEvent{{Kind: "progress", Message: "stored " + id}}; fmt.Sprint(events) != fmt.Sprint(want) {
		t.Errorf("update events = %v, want %v", events, want)
	}
	state = apply.NewState
	if got := attr(state, "value").AsString(); got != "v2" {
		t.Errorf("value after update = %q, want v2", got)
	}

	// Destroy.
	apply = c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: state, PlannedState: cty.NullVal(testprovider.ObjectType),
	}, nil)
	noErrors(t, "apply destroy", apply.Diagnostics)
	if !apply.NewState.IsNull() {
		t.Errorf("state after destroy = %#v, want null", apply.NewState)
	}
	if r := read(); !r.Gone || !r.NewState.IsNull() {
		t.Errorf("read after destroy: gone %v, state %#v; want gone", r.Gone, r.NewState)
	}
}

// TestRollout carries a rollout across the protocol: the plan's waves
// (instances by name and host) and settings, then the StepStart and
// StepStop calls of each wave with their events, as the core's rollout
// driver makes them.
func TestRollout(t *testing.T) {
	c, store := launchConfigured(t, settings{})
	ctx := context.Background()
	null := cty.NullVal(fleetType)

	cfg := fleetConfig("web", "v1", 3)
	plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "fleet", PriorState: null, ProposedNewState: cfg, Config: cfg})
	noErrors(t, "plan create", plan.Diagnostics)
	if plan.Rollout != nil {
		t.Errorf("plan create: rollout %+v, want none", plan.Rollout)
	}
	apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "fleet", PriorState: null, PlannedState: plan.PlannedState, Config: cfg,
	}, nil)
	noErrors(t, "apply create", apply.Diagnostics)
	state := apply.NewState

	// A new version rolls out in waves of 1 and 2 instances.
	cfg = fleetConfig("web", "v2", 3)
	plan = c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "fleet", PriorState: state, ProposedNewState: cfg, Config: cfg})
	noErrors(t, "plan update", plan.Diagnostics)
	wantRollout := &providers.Rollout{
		Waves: []providers.Wave{
			{Instances: []providers.WaveInstance{{Name: "web-0", Host: "local"}}},
			{Instances: []providers.WaveInstance{{Name: "web-1", Host: "local"}, {Name: "web-2", Host: "local"}}},
		},
		AutoRevert: true, MaxUnavailable: 1,
	}
	if !reflect.DeepEqual(plan.Rollout, wantRollout) {
		t.Fatalf("rollout = %+v, want %+v", plan.Rollout, wantRollout)
	}

	// instanceID is the provider's ID of the ready instance of a name, as
	// the store has it.
	instanceID := func(name, version string) string {
		t.Helper()
		s, err := testprovider.ReadStore(store)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Fleets {
			for _, in := range f.Instances {
				if in.Name == name && in.Version == version && in.Ready {
					return in.ID
				}
			}
		}
		t.Fatalf("no ready instance %s on %s in the store", name, version)
		return ""
	}
	for i, w := range plan.Rollout.Waves {
		var names []string
		for _, in := range w.Instances {
			names = append(names, in.Name)
		}
		var oldIDs []string
		for _, n := range names {
			oldIDs = append(oldIDs, instanceID(n, "v1"))
		}
		for _, step := range []providers.RolloutStep{
			{Kind: providers.StepStart, Wave: i + 1, Instances: names, HoldFor: time.Second},
			{Kind: providers.StepStop, Wave: i + 1, Instances: names},
		} {
			var events []providers.ApplyEvent
			apply = c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
				TypeName: "fleet", PriorState: state, PlannedState: plan.PlannedState, Config: cfg,
				PlannedPrivate: plan.PlannedPrivate, Step: step,
			}, func(ev providers.ApplyEvent) { events = append(events, ev) })
			noErrors(t, fmt.Sprintf("apply wave %d step %d", step.Wave, step.Kind), apply.Diagnostics)
			state = apply.NewState
			var want []providers.ApplyEvent
			for j, n := range names {
				if step.Kind == providers.StepStart {
					newID := instanceID(n, "v2")
					want = append(want,
						providers.ApplyEvent{Kind: "instance_started", Wave: step.Wave, Instance: n, Message: n + " started (" + newID + ")"},
						providers.ApplyEvent{Kind: "instance_healthy", Wave: step.Wave, Instance: n, Message: n + " ready"})
				} else {
					want = append(want, providers.ApplyEvent{Kind: "instance_stopped", Wave: step.Wave, Instance: n, Message: n + " removed (" + oldIDs[j] + ")"})
				}
			}
			if fmt.Sprint(events) != fmt.Sprint(want) {
				t.Errorf("wave %d, step %d: events =\n%v\nwant\n%v", step.Wave, step.Kind, events, want)
			}
		}
	}

	// After the last wave the fleet runs the new version on every instance.
	if got := attr(state, "version").AsString(); got != "v2" {
		t.Errorf("version after the rollout = %q, want v2", got)
	}
	ins := app.DecodeInstances(state)
	if len(ins) != 3 {
		t.Fatalf("instances after the rollout: %+v, want 3", ins)
	}
	for _, in := range ins {
		if in.ConfigHash != "v2" || !in.Ready || in.Host != "local" || in.ID != instanceID(in.Name, "v2") {
			t.Errorf("instance after the rollout: %+v, want %s ready on v2", in, in.Name)
		}
	}
}

func TestReadDataSource(t *testing.T) {
	c, _ := launchConfigured(t, settings{})
	in := cty.ObjectVal(map[string]cty.Value{"a": cty.ListVal([]cty.Value{cty.StringVal("x")}), "n": cty.NumberIntVal(3)})
	resp := c.ReadDataSource(context.Background(), providers.ReadDataSourceRequest{
		TypeName: "echo", Config: cty.ObjectVal(map[string]cty.Value{"input": in, "output": cty.NullVal(cty.DynamicPseudoType)}),
	})
	noErrors(t, "ReadDataSource", resp.Diagnostics)
	if got := resp.State.GetAttr("output"); !got.RawEquals(in) {
		t.Errorf("echo output = %#v, want %#v", got, in)
	}
}

// TestReadResourcesBatch refreshes 1,000 objects in one call: 990 that
// exist, one of them drifted, and 10 that are gone. Each has a 6 KB value,
// so the batch is larger than gRPC's default message limit of 4 MiB.
func TestReadResourcesBatch(t *testing.T) {
	c, store := launchConfigured(t, settings{})
	const n = 1000
	objs, states := seedStore(t, store, n, 6000)
	s, _ := testprovider.ReadStore(store)
	for i := n - 10; i < n; i++ {
		delete(s.Objects, objs[i].ID)
	}
	drifted := "drifted"
	s.Objects[objs[7].ID].Value = &drifted
	if err := testprovider.WriteStore(store, s); err != nil {
		t.Fatal(err)
	}

	req := providers.ReadResourcesRequest{Objects: make([]providers.ReadObject, n)}
	for i := range n {
		req.Objects[i] = providers.ReadObject{ID: fmt.Sprintf("resource.object.o[%d]", i), TypeName: "object", State: states[i]}
	}
	resp := c.ReadResources(context.Background(), req)
	noErrors(t, "ReadResources", resp.Diagnostics)
	if len(resp.Results) != n {
		t.Fatalf("%d results, want %d", len(resp.Results), n)
	}
	for i, r := range resp.Results {
		if want := fmt.Sprintf("resource.object.o[%d]", i); r.ID != want {
			t.Fatalf("result %d has ID %q, want %q", i, r.ID, want)
		}
		switch {
		case i >= n-10:
			if !r.Gone {
				t.Errorf("result %d: not gone", i)
			}
		case i == 7:
			if v := attr(r.NewState, "value").AsString(); v != drifted {
				t.Errorf("result 7: value %q, want %q", v, drifted)
			}
		default:
			if r.Gone || !r.NewState.RawEquals(states[i]) {
				t.Errorf("result %d = %#v (gone %v), want %#v", i, r.NewState, r.Gone, states[i])
			}
		}
	}
}

// seedStore writes n objects, with values of at least valueSize bytes,
// into the store and returns them and their states.
func seedStore(t testing.TB, store string, n, valueSize int) ([]*testprovider.Object, []cty.Value) {
	t.Helper()
	s := &testprovider.Store{NextID: n, Objects: make(map[string]*testprovider.Object, n)}
	objs := make([]*testprovider.Object, n)
	states := make([]cty.Value, n)
	for i := range n {
		v := fmt.Sprintf("value-%d", i)
		v += strings.Repeat("x", max(0, valueSize-len(v)))
		o := &testprovider.Object{ID: fmt.Sprintf("o-%d", i+1), Name: fmt.Sprintf("obj-%d", i), Value: &v, Status: "ready"}
		s.Objects[o.ID] = o
		objs[i], states[i] = o, o.State()
	}
	if err := testprovider.WriteStore(store, s); err != nil {
		t.Fatal(err)
	}
	return objs, states
}

// TestStopCancelsApply: an apply that would take a minute returns promptly
// after Stop, with the partial state of what it created.
func TestStopCancelsApply(t *testing.T) {
	c, store := launchConfigured(t, settings{delayMS: 60_000})
	cfg := objectConfig("slow", "v", 0)
	planned := cty.ObjectVal(map[string]cty.Value{
		"id": cty.UnknownVal(cty.String), "name": cty.StringVal("slow"), "value": cty.StringVal("v"),
		"secret": cty.NullVal(cty.String), "size": cty.NullVal(cty.Number), "status": cty.UnknownVal(cty.String),
	})
	started := make(chan struct{})
	done := make(chan providers.ApplyResourceChangeResponse, 1)
	go func() {
		done <- c.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
			TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), PlannedState: planned, Config: cfg,
		}, func(ev providers.ApplyEvent) {
			if strings.HasPrefix(ev.Message, "stored ") {
				close(started)
			}
		})
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the apply never reported its progress")
	}
	stopAt := time.Now()
	if err := c.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	var resp providers.ApplyResourceChangeResponse
	select {
	case resp = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the apply did not return within 10s of Stop")
	}
	t.Logf("apply returned %v after Stop", time.Since(stopAt))
	if !resp.Diagnostics.HasErrors() || resp.Diagnostics[0].Summary != "Apply interrupted" {
		t.Errorf("diagnostics = %q, want Apply interrupted", diagsString(resp.Diagnostics))
	}
	if resp.NewState == cty.NilVal || resp.NewState.IsNull() {
		t.Fatalf("no partial state after Stop")
	}
	if got := attr(resp.NewState, "status").AsString(); got != "creating" {
		t.Errorf("partial state status = %q, want creating", got)
	}
	s, _ := testprovider.ReadStore(store)
	if _, ok := s.Objects[attr(resp.NewState, "id").AsString()]; !ok {
		t.Errorf("partial state names %s, which is not in the store", attr(resp.NewState, "id").AsString())
	}
}

// TestContextCancel: cancelling the caller's context abandons a call.
func TestContextCancel(t *testing.T) {
	c, _ := launchConfigured(t, settings{delayMS: 60_000})
	// A cancellation, not a deadline: a deadline travels with the call and
	// the provider may answer first with its own error.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	resp := c.ReadResources(ctx, providers.ReadResourcesRequest{})
	if time.Since(start) > 10*time.Second {
		t.Errorf("cancelled call took %v", time.Since(start))
	}
	if !resp.Diagnostics.HasErrors() || resp.Diagnostics[0].Summary != "Provider call cancelled" {
		t.Errorf("diagnostics = %q, want Provider call cancelled", diagsString(resp.Diagnostics))
	}
	// The provider survives an abandoned call.
	if resp := c.GetSchema(context.Background()); resp.Diagnostics.HasErrors() {
		t.Errorf("GetSchema after a cancelled call: %s", diagsString(resp.Diagnostics))
	}
}

func TestApplyEventsInOrder(t *testing.T) {
	const n = 500
	c, _ := launchConfigured(t, settings{applyEvents: n})
	var got []string
	cfg := objectConfig("ev", "", 0)
	planned := cty.ObjectVal(map[string]cty.Value{
		"id": cty.UnknownVal(cty.String), "name": cty.StringVal("ev"), "value": cty.NullVal(cty.String),
		"secret": cty.NullVal(cty.String), "size": cty.NullVal(cty.Number), "status": cty.UnknownVal(cty.String),
	})
	resp := c.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), PlannedState: planned, Config: cfg,
	}, func(ev providers.ApplyEvent) { got = append(got, ev.Message) })
	noErrors(t, "ApplyResourceChange", resp.Diagnostics)
	if len(got) != n+1 {
		t.Fatalf("%d events, want %d", len(got), n+1)
	}
	if got[0] != "stored o-1" {
		t.Errorf("first event %q, want \"stored o-1\"", got[0])
	}
	for i := 1; i <= n; i++ {
		if want := fmt.Sprintf("step %d of %d", i, n); got[i] != want {
			t.Fatalf("event %d = %q, want %q", i, got[i], want)
		}
	}
}

// TestCrashDuringApply: a provider that panics mid-apply is reported as a
// crash naming the provider and the call, with its panic output; every
// later call fails fast the same way.
func TestCrashDuringApply(t *testing.T) {
	c, _ := launchConfigured(t, settings{panicOnApply: "boom"})
	cfg := objectConfig("boom", "", 0)
	resp := c.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), PlannedState: cfg, Config: cfg,
	}, nil)
	if len(resp.Diagnostics) != 1 {
		t.Fatalf("diagnostics = %q, want one", diagsString(resp.Diagnostics))
	}
	d := resp.Diagnostics[0]
	t.Logf("crash diagnostic: %s\n%s", d.Summary, d.Detail)
	if d.Summary != "Provider test crashed" {
		t.Errorf("summary = %q", d.Summary)
	}
	for _, want := range []string{
		"provider test crashed during ApplyResourceChange:",
		"panic: testprovider: panic requested while applying boom",
		"goroutine ",
	} {
		if !strings.Contains(d.Detail, want) {
			t.Errorf("detail does not contain %q:\n%s", want, d.Detail)
		}
	}
	ci, ok := providers.DiagnosticCrash(d)
	if !ok || ci.Provider != "test" || ci.Call != "ApplyResourceChange" {
		t.Fatalf("crash info = %+v, %v", ci, ok)
	}
	ci.Object = "resource.object.boom"
	if got := ci.Detail(); !strings.HasPrefix(got, "provider test crashed during ApplyResourceChange of resource.object.boom:\npanic: ") {
		t.Errorf("detail with object = %q", got)
	}
	if resp.NewState != cty.NilVal {
		t.Errorf("new state after a crash = %#v, want none", resp.NewState)
	}

	start := time.Now()
	later := c.GetSchema(context.Background())
	if time.Since(start) > time.Second {
		t.Errorf("a call after the crash took %v", time.Since(start))
	}
	if len(later.Diagnostics) != 1 || later.Diagnostics[0].Detail != d.Detail {
		t.Errorf("later call: %q, want the crash again", diagsString(later.Diagnostics))
	}
	if err := c.Stop(context.Background()); err == nil || !strings.Contains(err.Error(), "crashed") {
		t.Errorf("Stop after a crash = %v, want the crash", err)
	}
}

func TestExitDuringHandshake(t *testing.T) {
	t.Setenv(testprovider.EnvExitInHandshake, "1")
	_, err := plugin.Launch(context.Background(), plugin.Spec{Name: "acme/dns", Path: testprovider.Build(t)})
	if err == nil {
		t.Fatal("Launch succeeded")
	}
	t.Logf("error: %v", err)
	for _, want := range []string{"provider acme/dns", "exited during the plugin handshake", "its output was:\ntestprovider: exiting during the handshake"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q: %v", want, err)
		}
	}
}

func TestWrongProtocolVersion(t *testing.T) {
	tests := []struct {
		name, env, want string
	}{
		{"older provider", "1", "provider acme/dns speaks plugin protocol 1; this berth speaks 2: use a version of the provider built for this berth's protocol"},
		{"newer provider", "3", "provider acme/dns speaks plugin protocol 3; this berth speaks 2: upgrade berth, or use an older version of the provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(testprovider.EnvProtocol, tt.env)
			_, err := plugin.Launch(context.Background(), plugin.Spec{Name: "acme/dns", Path: testprovider.Build(t)})
			var pe *plugin.ProtocolVersionError
			if !errors.As(err, &pe) {
				t.Fatalf("Launch: %v, want a ProtocolVersionError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
		})
	}
}

func TestChecksum(t *testing.T) {
	bin := testprovider.Build(t)
	good := fileSum(t, bin)

	t.Run("match", func(t *testing.T) {
		c, err := plugin.Launch(context.Background(), plugin.Spec{Name: "test", Path: bin, SHA256: good})
		if err != nil {
			t.Fatalf("Launch with the right checksum: %v", err)
		}
		defer c.Close()
		noErrors(t, "GetSchema", c.GetSchema(context.Background()).Diagnostics)
	})

	t.Run("mismatch is refused before launch", func(t *testing.T) {
		// A "provider" that leaves a trace if it is ever run.
		dir := t.TempDir()
		marker := filepath.Join(dir, "ran")
		fake := filepath.Join(dir, "berth-provider-dns")
		if err := os.WriteFile(fake, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := plugin.Launch(context.Background(), plugin.Spec{Name: "acme/dns", Path: fake, SHA256: good})
		t.Logf("error: %v", err)
		var ce *plugin.ChecksumError
		if !errors.As(err, &ce) {
			t.Fatalf("Launch: %v, want a ChecksumError", err)
		}
		for _, want := range []string{"provider acme/dns", fake, fmt.Sprintf("%x", good), fmt.Sprintf("%x", fileSum(t, fake)), "berth init -upgrade"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not contain %q: %v", want, err)
			}
		}
		if _, err := os.Stat(marker); err == nil {
			t.Error("the binary was run despite its checksum")
		}
	})
}

func fileSum(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

// TestSensitiveRoundTrip: sensitive marks at any depth survive the trip to
// the provider and back, and other marks do not cross.
func TestSensitiveRoundTrip(t *testing.T) {
	c, _ := launchConfigured(t, settings{})
	s := providers.SensitiveMark
	tests := []struct {
		name  string
		input cty.Value
		want  cty.Value // nil: same as input
	}{
		{"whole value", cty.StringVal("pw").Mark(s), cty.NilVal},
		{"object attribute", cty.ObjectVal(map[string]cty.Value{
			"user": cty.StringVal("u"), "password": cty.StringVal("pw").Mark(s),
		}), cty.NilVal},
		{"list element", cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b").Mark(s)}), cty.NilVal},
		{"map element", cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v").Mark(s), "j": cty.StringVal("w")}), cty.NilVal},
		{"deep", cty.ObjectVal(map[string]cty.Value{
			"hosts": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
				"tls": cty.MapVal(map[string]cty.Value{"key": cty.StringVal("k").Mark(s)}),
			})}),
		}), cty.NilVal},
		{"marked null and unknown", cty.ObjectVal(map[string]cty.Value{
			"a": cty.NullVal(cty.String).Mark(s), "b": cty.UnknownVal(cty.Number).Mark(s),
		}), cty.NilVal},
		{"other marks are dropped", cty.ObjectVal(map[string]cty.Value{
			"a": cty.StringVal("x").Mark("other"), "b": cty.StringVal("y").WithMarks(cty.NewValueMarks("other", s)),
		}), cty.ObjectVal(map[string]cty.Value{
			"a": cty.StringVal("x"), "b": cty.StringVal("y").Mark(s),
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == cty.NilVal {
				want = tt.input
			}
			resp := c.ReadDataSource(context.Background(), providers.ReadDataSourceRequest{
				TypeName: "echo", Config: cty.ObjectVal(map[string]cty.Value{"input": tt.input, "output": cty.NullVal(cty.DynamicPseudoType)}),
			})
			noErrors(t, "ReadDataSource", resp.Diagnostics)
			if got := resp.State.GetAttr("output"); !got.RawEquals(want) {
				t.Errorf("output = %#v\nwant %#v", got, want)
			}
		})
	}

	t.Run("resource secret through plan and apply", func(t *testing.T) {
		cfg := cty.ObjectVal(map[string]cty.Value{
			"id": cty.NullVal(cty.String), "name": cty.StringVal("s"), "value": cty.NullVal(cty.String),
			"secret": cty.StringVal("hunter2").Mark(s), "size": cty.NullVal(cty.Number), "status": cty.NullVal(cty.String),
		})
		state := create(t, c, cfg)
		if sec := state.GetAttr("secret"); !sec.HasMark(s) || attr(state, "secret").AsString() != "hunter2" {
			t.Errorf("secret in new state = %#v, want hunter2 marked sensitive", sec)
		}
		if name := state.GetAttr("name"); name.IsMarked() {
			t.Errorf("name in new state is marked: %#v", name)
		}
	})
}

// TestBuiltin launches a built-in provider by re-executing the running
// binary (here, the test binary, whose TestMain registers "test").
func TestBuiltin(t *testing.T) {
	spec, err := plugin.BuiltinSpec("test")
	if err != nil {
		t.Fatal(err)
	}
	if exe, _ := os.Executable(); spec.Path != exe || strings.Join(spec.Args, " ") != "internal-provider test" {
		t.Errorf("spec = %+v", spec)
	}
	c, err := plugin.Launch(context.Background(), spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	defer c.Close()
	resp := c.GetSchema(context.Background())
	noErrors(t, "GetSchema", resp.Diagnostics)
	if _, ok := resp.ResourceTypes["object"]; !ok {
		t.Errorf("built-in test provider has no resource type object")
	}

	if _, err := plugin.BuiltinSpec("nope"); err == nil || !strings.Contains(err.Error(), `no built-in provider "nope"`) {
		t.Errorf("BuiltinSpec(nope) = %v", err)
	}
}

func TestLaunchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := plugin.Launch(ctx, plugin.Spec{Name: "test", Path: testprovider.Build(t)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Launch with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestCloseEndsProcess(t *testing.T) {
	c := launch(t)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	resp := c.GetSchema(context.Background())
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Provider test is closed" {
		t.Errorf("GetSchema after Close: %q, want \"Provider test is closed\"", diagsString(resp.Diagnostics))
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPluginLog: the plugin's log and its stderr end up in berth's log,
// under the provider's name.
func TestPluginLog(t *testing.T) {
	var buf syncBuffer
	logger := hclog.New(&hclog.LoggerOptions{Name: "berth", Level: hclog.Debug, Output: &buf})
	c, err := plugin.Launch(context.Background(), plugin.Spec{Name: "acme/dns", Path: testprovider.Build(t), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "store.json")
	noErrors(t, "ConfigureProvider", c.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{
		Config: providerConfig(store, settings{panicOnApply: "boom"}),
	}).Diagnostics)
	cfg := objectConfig("boom", "", 0)
	c.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), PlannedState: cfg, Config: cfg,
	}, nil)
	c.Close()
	out := buf.String()
	for _, want := range []string{
		"[DEBUG] berth.acme/dns.berth-provider-test: plugin address",
		"[ERROR] berth.acme/dns.berth-provider-test: panic: testprovider: panic requested while applying boom",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not contain %q:\n%s", want, out)
		}
	}
}

// TestRunByHand: a provider executable started without berth explains
// itself instead of serving.
func TestRunByHand(t *testing.T) {
	cmd := exec.Command(testprovider.Build(t))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("run by hand: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "This binary is a plugin") {
		t.Errorf("output does not explain itself:\n%s", out)
	}
}

// TestConcurrentCalls: the core calls a provider from many goroutines.
func TestConcurrentCalls(t *testing.T) {
	c, store := launchConfigured(t, settings{applyEvents: 10})
	const n = 20
	var wg sync.WaitGroup
	states := make([]cty.Value, n)
	diags := make([]hcl.Diagnostics, n)
	for i := range n {
		// Not create(): t.Fatal must not be called off the test goroutine.
		wg.Go(func() {
			cfg := objectConfig(fmt.Sprintf("c%d", i), "v", 0)
			plan := c.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{
				TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), ProposedNewState: cfg, Config: cfg,
			})
			if diags[i] = plan.Diagnostics; diags[i].HasErrors() {
				return
			}
			apply := c.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
				TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), PlannedState: plan.PlannedState, Config: cfg,
			}, nil)
			states[i], diags[i] = apply.NewState, apply.Diagnostics
		})
	}
	wg.Wait()
	for i := range n {
		noErrors(t, fmt.Sprintf("create c%d", i), diags[i])
	}
	s, err := testprovider.ReadStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Objects) != n {
		t.Errorf("%d objects in the store, want %d", len(s.Objects), n)
	}
	for i, st := range states {
		if got := attr(st, "name").AsString(); got != fmt.Sprintf("c%d", i) {
			t.Errorf("state %d has name %q", i, got)
		}
	}
}

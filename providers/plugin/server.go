package plugin

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/berth-sh/berth/internal/procprof"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
)

// ServeOption adjusts Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	protocolVersion int
	logger          hclog.Logger
}

// WithLogger sets the logger of the plugin machinery in the provider
// process. Its output should go to stderr in JSON, which berth reads and
// forwards into its own log under the provider's name; the default does so.
func WithLogger(l hclog.Logger) ServeOption {
	return func(c *serveConfig) { c.logger = l }
}

// WithProtocolVersion makes the provider announce another protocol version
// than providers.ProtocolVersion. It exists for testing berth's refusal of
// incompatible providers; real providers never need it.
func WithProtocolVersion(v int) ServeOption {
	return func(c *serveConfig) { c.protocolVersion = v }
}

// Serve serves p as a plugin process and returns when berth closes the
// plugin. It is the whole main of a provider. Run by hand (without berth's
// handshake environment) it prints an explanation and exits with status 1.
func Serve(p providers.Interface, opts ...ServeOption) {
	cfg := serveConfig{protocolVersion: providers.ProtocolVersion}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = hclog.New(&hclog.LoggerOptions{
			Level:      hclog.Trace,
			JSONFormat: true,
		})
	}
	// A provider's side of the benchmarks (internal/procprof).
	defer procprof.Start("provider")()
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: handshake(cfg.protocolVersion),
		Plugins:         goplugin.PluginSet{pluginName: &grpcPlugin{impl: p}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize))
			return goplugin.DefaultGRPCServer(opts)
		},
		Logger: cfg.logger,
	})
}

// server maps the gRPC service onto a providers.Interface.
type server struct {
	protocol.UnimplementedProviderServer
	impl providers.Interface
}

// decodeErr reports a request the server could not decode. It is a gRPC
// error, not a diagnostic: it means berth and the provider disagree about
// the wire format, which no user can fix.
func decodeErr(what string, err error) error {
	return status.Errorf(codes.InvalidArgument, "decoding %s: %v", what, err)
}

func encodeErr(what string, err error) error {
	return status.Errorf(codes.Internal, "encoding %s: %v", what, err)
}

func (s *server) GetSchema(ctx context.Context, _ *protocol.GetSchema_Request) (*protocol.GetSchema_Response, error) {
	resp := s.impl.GetSchema(ctx)
	out := &protocol.GetSchema_Response{
		ResourceTypes: make(map[string]*protocol.Schema, len(resp.ResourceTypes)),
		DataSources:   make(map[string]*protocol.Schema, len(resp.DataSources)),
		Diagnostics:   encodeDiagnostics(resp.Diagnostics),
	}
	var err error
	if out.Provider, err = encodeSchema(resp.Provider); err != nil {
		return nil, encodeErr("provider schema", err)
	}
	for name, sc := range resp.ResourceTypes {
		if out.ResourceTypes[name], err = encodeSchema(sc); err != nil {
			return nil, encodeErr("schema of resource type "+name, err)
		}
	}
	for name, sc := range resp.DataSources {
		if out.DataSources[name], err = encodeSchema(sc); err != nil {
			return nil, encodeErr("schema of data source "+name, err)
		}
	}
	return out, nil
}

func (s *server) ValidateProviderConfig(ctx context.Context, req *protocol.ValidateProviderConfig_Request) (*protocol.ValidateProviderConfig_Response, error) {
	cfg, err := decodeValue(req.Config)
	if err != nil {
		return nil, decodeErr("config", err)
	}
	resp := s.impl.ValidateProviderConfig(ctx, providers.ValidateProviderConfigRequest{Config: cfg})
	return &protocol.ValidateProviderConfig_Response{Diagnostics: encodeDiagnostics(resp.Diagnostics)}, nil
}

func (s *server) ValidateResourceConfig(ctx context.Context, req *protocol.ValidateResourceConfig_Request) (*protocol.ValidateResourceConfig_Response, error) {
	cfg, err := decodeValue(req.Config)
	if err != nil {
		return nil, decodeErr("config", err)
	}
	resp := s.impl.ValidateResourceConfig(ctx, providers.ValidateResourceConfigRequest{TypeName: req.TypeName, Config: cfg, DataSource: req.DataSource})
	return &protocol.ValidateResourceConfig_Response{Diagnostics: encodeDiagnostics(resp.Diagnostics)}, nil
}

func (s *server) ConfigureProvider(ctx context.Context, req *protocol.ConfigureProvider_Request) (*protocol.ConfigureProvider_Response, error) {
	cfg, err := decodeValue(req.Config)
	if err != nil {
		return nil, decodeErr("config", err)
	}
	resp := s.impl.ConfigureProvider(ctx, providers.ConfigureProviderRequest{BerthVersion: req.BerthVersion, Config: cfg})
	return &protocol.ConfigureProvider_Response{Diagnostics: encodeDiagnostics(resp.Diagnostics)}, nil
}

func (s *server) ReadResources(ctx context.Context, req *protocol.ReadResources_Request) (*protocol.ReadResources_Response, error) {
	objs := make([]providers.ReadObject, len(req.Objects))
	for i, o := range req.Objects {
		st, err := decodeValue(o.State)
		if err != nil {
			return nil, decodeErr("state of "+o.Id, err)
		}
		objs[i] = providers.ReadObject{ID: o.Id, TypeName: o.TypeName, State: st, Private: o.Private}
	}
	resp := s.impl.ReadResources(ctx, providers.ReadResourcesRequest{Objects: objs})
	out := &protocol.ReadResources_Response{
		Results:     make([]*protocol.ReadResources_Result, len(resp.Results)),
		Diagnostics: encodeDiagnostics(resp.Diagnostics),
	}
	for i, r := range resp.Results {
		ns, err := encodeValue(r.NewState)
		if err != nil {
			return nil, encodeErr("new state of "+r.ID, err)
		}
		out.Results[i] = &protocol.ReadResources_Result{
			Id: r.ID, NewState: ns, Private: r.Private, Gone: r.Gone,
			Diagnostics: encodeDiagnostics(r.Diagnostics),
		}
	}
	return out, nil
}

func (s *server) PlanResourceChange(ctx context.Context, req *protocol.PlanResourceChange_Request) (*protocol.PlanResourceChange_Response, error) {
	var preq providers.PlanResourceChangeRequest
	preq.TypeName, preq.PriorPrivate = req.TypeName, req.PriorPrivate
	if err := decodeValues(
		value{&preq.PriorState, req.PriorState, "prior state"},
		value{&preq.ProposedNewState, req.ProposedNewState, "proposed new state"},
		value{&preq.Config, req.Config, "config"},
		value{&preq.SavedPlannedState, req.SavedPlannedState, "saved planned state"},
	); err != nil {
		return nil, err
	}
	resp := s.impl.PlanResourceChange(ctx, preq)
	planned, err := encodeValue(resp.PlannedState)
	if err != nil {
		return nil, encodeErr("planned state", err)
	}
	rr, err := encodePaths(resp.RequiresReplace)
	if err != nil {
		return nil, encodeErr("requires_replace", err)
	}
	return &protocol.PlanResourceChange_Response{
		PlannedState:    planned,
		RequiresReplace: rr,
		PlannedPrivate:  resp.PlannedPrivate,
		Rollout:         encodeRollout(resp.Rollout),
		Diagnostics:     encodeDiagnostics(resp.Diagnostics),
	}, nil
}

func (s *server) ApplyResourceChange(req *protocol.ApplyResourceChange_Request, stream protocol.Provider_ApplyResourceChangeServer) error {
	step, err := decodeStep(req.Step)
	if err != nil {
		return err
	}
	areq := providers.ApplyResourceChangeRequest{
		TypeName:       req.TypeName,
		PlannedPrivate: req.PlannedPrivate,
		Step:           step,
		IdempotencyKey: req.IdempotencyKey,
	}
	if err := decodeValues(
		value{&areq.PriorState, req.PriorState, "prior state"},
		value{&areq.PlannedState, req.PlannedState, "planned state"},
		value{&areq.Config, req.Config, "config"},
	); err != nil {
		return err
	}
	// A provider may report events from several goroutines; a gRPC stream
	// must not be sent to concurrently. A failed send (berth went away)
	// drops later events but lets the apply finish: the provider must get
	// the chance to leave its objects in a consistent state.
	var mu sync.Mutex
	var sendErr error
	events := func(ev providers.ApplyEvent) {
		mu.Lock()
		defer mu.Unlock()
		if sendErr != nil {
			return
		}
		sendErr = stream.Send(&protocol.ApplyResourceChange_Response{
			Message: &protocol.ApplyResourceChange_Response_Event{Event: &protocol.ApplyResourceChange_Event{
				Kind: ev.Kind, Message: ev.Message, Wave: int64(ev.Wave), Instance: ev.Instance,
			}},
		})
	}
	resp := s.impl.ApplyResourceChange(stream.Context(), areq, events)
	ns, err := encodeValue(resp.NewState)
	if err != nil {
		return encodeErr("new state", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Events sent after return are dropped, so the result is always last.
	sendErr = fmt.Errorf("apply finished")
	return stream.Send(&protocol.ApplyResourceChange_Response{
		Message: &protocol.ApplyResourceChange_Response_Result{Result: &protocol.ApplyResourceChange_Result{
			NewState: ns, Private: resp.Private, Diagnostics: encodeDiagnostics(resp.Diagnostics), Resumable: resp.Resumable,
		}},
	})
}

func (s *server) ImportResource(ctx context.Context, req *protocol.ImportResource_Request) (*protocol.ImportResource_Response, error) {
	cfg, err := decodeValue(req.Config)
	if err != nil {
		return nil, decodeErr("config", err)
	}
	resp := s.impl.ImportResource(ctx, providers.ImportResourceRequest{TypeName: req.TypeName, ID: req.Id, Config: cfg})
	st, err := encodeValue(resp.State)
	if err != nil {
		return nil, encodeErr("state", err)
	}
	return &protocol.ImportResource_Response{State: st, Private: resp.Private, Diagnostics: encodeDiagnostics(resp.Diagnostics)}, nil
}

func (s *server) LookupResources(ctx context.Context, req *protocol.LookupResources_Request) (*protocol.LookupResources_Response, error) {
	objs := make([]providers.LookupObject, len(req.Objects))
	for i, o := range req.Objects {
		planned, err := decodeValue(o.Planned)
		if err != nil {
			return nil, decodeErr("planned state of "+o.Id, err)
		}
		objs[i] = providers.LookupObject{ID: o.Id, TypeName: o.TypeName, IdempotencyKey: o.IdempotencyKey, Planned: planned}
	}
	resp := s.impl.LookupResources(ctx, providers.LookupResourcesRequest{Objects: objs})
	out := &protocol.LookupResources_Response{
		Results:     make([]*protocol.LookupResources_Result, len(resp.Results)),
		Diagnostics: encodeDiagnostics(resp.Diagnostics),
	}
	for i, r := range resp.Results {
		st, err := encodeValue(r.State)
		if err != nil {
			return nil, encodeErr("state of "+r.ID, err)
		}
		out.Results[i] = &protocol.LookupResources_Result{
			Id: r.ID, Found: r.Found, State: st, Private: r.Private,
			Diagnostics: encodeDiagnostics(r.Diagnostics),
		}
	}
	return out, nil
}

func (s *server) ReadDataSource(ctx context.Context, req *protocol.ReadDataSource_Request) (*protocol.ReadDataSource_Response, error) {
	cfg, err := decodeValue(req.Config)
	if err != nil {
		return nil, decodeErr("config", err)
	}
	resp := s.impl.ReadDataSource(ctx, providers.ReadDataSourceRequest{TypeName: req.TypeName, Config: cfg})
	st, err := encodeValue(resp.State)
	if err != nil {
		return nil, encodeErr("state", err)
	}
	return &protocol.ReadDataSource_Response{State: st, Diagnostics: encodeDiagnostics(resp.Diagnostics)}, nil
}

func (s *server) Stop(ctx context.Context, _ *protocol.Stop_Request) (*protocol.Stop_Response, error) {
	if err := s.impl.Stop(ctx); err != nil {
		return &protocol.Stop_Response{Error: err.Error()}, nil
	}
	return &protocol.Stop_Response{}, nil
}

// value names one wire value to decode into a cty.Value.
type value struct {
	dst  *cty.Value
	src  *protocol.DynamicValue
	what string
}

// decodeValues decodes each value once: a plan's proposed new state and
// configuration usually arrive as the same bytes, and share one decoding.
func decodeValues(vs ...value) error {
next:
	for i, v := range vs {
		for _, w := range vs[:i] {
			if sameWireValue(v.src, w.src) {
				*v.dst = *w.dst
				continue next
			}
		}
		d, err := decodeValue(v.src)
		if err != nil {
			return decodeErr(v.what, err)
		}
		*v.dst = d
	}
	return nil
}

// sameWireValue reports whether two wire values are the same bytes
// without sensitive paths (which would need comparing too, and are rare).
func sameWireValue(a, b *protocol.DynamicValue) bool {
	return a != nil && b != nil && len(a.SensitivePaths) == 0 && len(b.SensitivePaths) == 0 &&
		bytes.Equal(a.Msgpack, b.Msgpack) && bytes.Equal(a.TypeJson, b.TypeJson)
}

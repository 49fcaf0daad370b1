package plugin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
	"github.com/berth-sh/berth/redact"
)

// Spec says which provider to launch and how.
type Spec struct {
	// Name is the provider's name as the user knows it ("docker",
	// "acme/dns"); every message and log line about the provider uses it.
	Name string
	// Path is the executable; Args are its arguments (without argv[0]).
	Path string
	Args []string
	// File, when set, is the executable, already open (install.Resolve
	// opens and verifies it): Launch runs this very file, whatever Path
	// names by then, and Path only names it. The caller closes File, once
	// Launch has returned. Without File, Launch opens Path itself.
	File *os.File
	// SHA256, when set, is the checksum the executable must have (from the
	// lock file). It is verified on the open file that will run, right
	// before launch; a mismatch refuses the launch with a *ChecksumError.
	SHA256 []byte
	// Logger receives the plugin machinery's log and the plugin's stderr,
	// under a sub-logger named after the provider. Nil means LoggerFromEnv.
	Logger hclog.Logger

	// self runs the running berth binary (BuiltinSpec), not Path, which
	// may have been replaced since berth started.
	self bool
}

// ChecksumError reports a provider executable that does not match the
// checksum recorded for it.
type ChecksumError struct {
	Provider string
	Path     string
	Want     []byte
	// Got is the executable's actual checksum.
	Got []byte
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("provider %s at %s does not match the checksum recorded in berth.lock.hcl "+
		"(locked sha256:%s, found sha256:%s); the binary changed since it was locked: "+
		"if you upgraded it on purpose, run \"berth init -upgrade\" to record the new checksum, "+
		"otherwise reinstall the locked version",
		e.Provider, e.Path, hex.EncodeToString(e.Want), hex.EncodeToString(e.Got))
}

// ProtocolVersionError reports a provider that speaks another major version
// of the plugin protocol than this berth.
type ProtocolVersionError struct {
	Provider      string
	PluginVersion int
	BerthVersion  int
}

func (e *ProtocolVersionError) Error() string {
	advice := "use a version of the provider built for this berth's protocol"
	if e.PluginVersion > e.BerthVersion {
		advice = "upgrade berth, or use an older version of the provider"
	}
	return fmt.Sprintf("provider %s speaks plugin protocol %d; this berth speaks %d: %s",
		e.Provider, e.PluginVersion, e.BerthVersion, advice)
}

// go-plugin reports a version mismatch only as text; this is its wording.
var pluginVersionRE = regexp.MustCompile(`Plugin version: (\d+)`)

// Client is a provider running as a plugin process; it implements
// providers.Interface over gRPC. A Client is safe for concurrent use.
type Client struct {
	name   string
	plugin *goplugin.Client
	rpc    protocol.ProviderClient
	tail   *stderrTail
	stop   context.CancelFunc // kills the process through its exec context

	mu     sync.Mutex
	crash  *providers.CrashInfo
	closed bool
}

var _ providers.Interface = (*Client)(nil)

// Launch starts the provider described by spec, completes the plugin
// handshake (magic cookie, protocol version, mutual TLS) and returns the
// connected client. Cancelling ctx abandons the launch; once Launch has
// returned, ctx no longer matters: Close ends the process.
func Launch(ctx context.Context, spec Spec) (*Client, error) {
	if spec.Name == "" || spec.Path == "" {
		return nil, errors.New("plugin.Launch: Spec.Name and Spec.Path are required")
	}
	logger := spec.Logger
	if logger == nil {
		logger = LoggerFromEnv()
	}
	logger = logger.Named(spec.Name)

	exe, err := openExecutable(ctx, spec)
	if err != nil {
		return nil, err
	}
	// The process is started from the open file: it must stay open until
	// then, and Launch returns only once the process has started (and
	// completed the handshake) or failed.
	defer exe.close()

	// The process lives as long as procCtx: cancelled by a cancelled
	// launch, or by Close.
	procCtx, kill := context.WithCancel(context.Background())
	cmd := command(procCtx, exe.file, spec, logger)
	dieWithParent(cmd)

	tail := newStderrTail()
	pc := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  handshake(providers.ProtocolVersion),
		Plugins:          goplugin.PluginSet{pluginName: &grpcPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           execNamed{Logger: logger, execBase: filepath.Base(cmd.Path), name: filepath.Base(spec.Path)},
		// Raw stderr (log lines, panics) is parsed into logger by
		// go-plugin; we keep its tail for crash reports.
		Stderr: &lineWriter{tail: tail},
		// What the provider writes to os.Stderr after Serve started is
		// forwarded over gRPC rather than the pipe.
		SyncStderr: &lineWriter{tail: tail, each: func(l string) { logger.Debug(l) }},
		SyncStdout: io.Discard,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize),
		)},
	})

	type result struct {
		rpc protocol.ProviderClient
		err error
	}
	done := make(chan result, 1)
	go func() {
		rpcClient, err := pc.Client()
		if err != nil {
			done <- result{err: err}
			return
		}
		raw, err := rpcClient.Dispense(pluginName)
		if err != nil {
			done <- result{err: err}
			return
		}
		pcl, ok := raw.(protocol.ProviderClient)
		if !ok {
			done <- result{err: fmt.Errorf("unexpected plugin client type %T", raw)}
			return
		}
		done <- result{rpc: pcl}
	}()

	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		kill()
		<-done
		pc.Kill()
		return nil, fmt.Errorf("launching provider %s: %w", spec.Name, ctx.Err())
	}
	if res.err != nil {
		pc.Kill()
		kill()
		return nil, launchError(spec, res.err, pc, tail)
	}
	return &Client{name: spec.Name, plugin: pc, rpc: res.rpc, tail: tail, stop: kill}, nil
}

// launchError turns go-plugin's launch failures into messages for users.
func launchError(spec Spec, err error, pc *goplugin.Client, tail *stderrTail) error {
	if m := pluginVersionRE.FindStringSubmatch(err.Error()); m != nil {
		v, _ := strconv.Atoi(m[1])
		return &ProtocolVersionError{Provider: spec.Name, PluginVersion: v, BerthVersion: providers.ProtocolVersion}
	}
	// The process failed before or during the handshake: what it said on
	// stderr is the best explanation there is. It is complete once the
	// process is known to have exited.
	var msg string
	if waitExited(pc, 5*time.Second) {
		msg = fmt.Sprintf("provider %s (%s) exited during the plugin handshake, before it was ready to serve", spec.Name, spec.Path)
	} else {
		msg = fmt.Sprintf("provider %s (%s) failed the plugin handshake: %v", spec.Name, spec.Path, err)
	}
	if out := tail.Output(); out != "" {
		msg += "; its output was:\n" + redact.String(out)
	} else {
		msg += "; it printed nothing: check that it is a berth provider built for this platform"
	}
	return errors.New(msg)
}

// waitExited waits up to d for the plugin process to have exited and its
// output to have been read, and reports whether it has.
func waitExited(pc *goplugin.Client, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !pc.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Name is the provider's name, as in Spec.Name.
func (c *Client) Name() string { return c.name }

// crashed returns the diagnostics of an earlier crash, or of a process that
// died since the last call, so that calls after a crash fail fast.
func (c *Client) crashed(call string) hcl.Diagnostics {
	c.mu.Lock()
	ci, closed := c.crash, c.closed
	c.mu.Unlock()
	if closed {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Provider " + c.name + " is closed",
			Detail:   fmt.Sprintf("%s was called on provider %s after it was closed; this is a bug in berth", call, c.name),
		}}
	}
	if ci != nil {
		return hcl.Diagnostics{ci.Diagnostic()}
	}
	if c.plugin.Exited() {
		return hcl.Diagnostics{c.recordCrash(call).Diagnostic()}
	}
	return nil
}

func (c *Client) recordCrash(call string) providers.CrashInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crash == nil {
		// The output is the provider's, and its panic may quote any secret
		// it was given: redacted once, here, every report of the crash
		// (every later call fails with it) is.
		c.crash = &providers.CrashInfo{Provider: c.name, Call: call, Output: redact.String(c.tail.Output())}
	}
	return *c.crash
}

// failed turns the error of a call into diagnostics: a crash when the
// process died, a cancellation when ctx ended, else a failed call.
func (c *Client) failed(ctx context.Context, call string, err error) hcl.Diagnostics {
	cause := ctx.Err()
	if cause == nil && status.Code(err) == codes.DeadlineExceeded {
		// The deadline travels with the call, and the provider's side may
		// notice it expire a moment before ctx does here.
		cause = context.DeadlineExceeded
	}
	if cause != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Provider call cancelled",
			Detail:   fmt.Sprintf("%s of provider %s was cancelled: %v", call, c.name, cause),
		}}
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Unknown, codes.Canceled:
		// A dying process shows up as a broken connection; give it a
		// moment to be reaped so that the crash, and its output, is certain.
		if waitExited(c.plugin, 5*time.Second) {
			return hcl.Diagnostics{c.recordCrash(call).Diagnostic()}
		}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Provider " + c.name + " failed",
		Detail:   fmt.Sprintf("provider %s failed during %s: %v", c.name, call, err),
	}}
}

// protocolErr reports a value that could not be encoded or decoded.
func (c *Client) protocolErr(call, what string, err error) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Provider protocol error",
		Detail:   fmt.Sprintf("%s of provider %s: %s: %v", call, c.name, what, err),
	}}
}

// GetSchema implements providers.Interface.
func (c *Client) GetSchema(ctx context.Context) providers.GetSchemaResponse {
	const call = "GetSchema"
	var resp providers.GetSchemaResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	pr, err := c.rpc.GetSchema(ctx, &protocol.GetSchema_Request{})
	if err != nil {
		resp.Diagnostics = c.failed(ctx, call, err)
		return resp
	}
	resp.Diagnostics = decodeDiagnostics(pr.Diagnostics)
	if resp.Provider, err = decodeSchema(pr.Provider); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "provider schema", err)...)
	}
	resp.ResourceTypes = make(map[string]providers.Schema, len(pr.ResourceTypes))
	for name, s := range pr.ResourceTypes {
		if resp.ResourceTypes[name], err = decodeSchema(s); err != nil {
			resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "schema of resource type "+name, err)...)
		}
	}
	resp.DataSources = make(map[string]providers.Schema, len(pr.DataSources))
	for name, s := range pr.DataSources {
		if resp.DataSources[name], err = decodeSchema(s); err != nil {
			resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "schema of data source "+name, err)...)
		}
	}
	return resp
}

// ValidateProviderConfig implements providers.Interface.
func (c *Client) ValidateProviderConfig(ctx context.Context, req providers.ValidateProviderConfigRequest) providers.ValidateResponse {
	const call = "ValidateProviderConfig"
	if diags := c.crashed(call); diags != nil {
		return providers.ValidateResponse{Diagnostics: diags}
	}
	cfg, err := encodeValue(req.Config)
	if err != nil {
		return providers.ValidateResponse{Diagnostics: c.protocolErr(call, "config", err)}
	}
	pr, err := c.rpc.ValidateProviderConfig(ctx, &protocol.ValidateProviderConfig_Request{Config: cfg})
	if err != nil {
		return providers.ValidateResponse{Diagnostics: c.failed(ctx, call, err)}
	}
	return providers.ValidateResponse{Diagnostics: decodeDiagnostics(pr.Diagnostics)}
}

// ValidateResourceConfig implements providers.Interface.
func (c *Client) ValidateResourceConfig(ctx context.Context, req providers.ValidateResourceConfigRequest) providers.ValidateResponse {
	const call = "ValidateResourceConfig"
	if diags := c.crashed(call); diags != nil {
		return providers.ValidateResponse{Diagnostics: diags}
	}
	cfg, err := encodeValue(req.Config)
	if err != nil {
		return providers.ValidateResponse{Diagnostics: c.protocolErr(call, "config", err)}
	}
	pr, err := c.rpc.ValidateResourceConfig(ctx, &protocol.ValidateResourceConfig_Request{TypeName: req.TypeName, Config: cfg, DataSource: req.DataSource})
	if err != nil {
		return providers.ValidateResponse{Diagnostics: c.failed(ctx, call, err)}
	}
	return providers.ValidateResponse{Diagnostics: decodeDiagnostics(pr.Diagnostics)}
}

// ConfigureProvider implements providers.Interface.
func (c *Client) ConfigureProvider(ctx context.Context, req providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	const call = "ConfigureProvider"
	if diags := c.crashed(call); diags != nil {
		return providers.ConfigureProviderResponse{Diagnostics: diags}
	}
	cfg, err := encodeValue(req.Config)
	if err != nil {
		return providers.ConfigureProviderResponse{Diagnostics: c.protocolErr(call, "config", err)}
	}
	pr, err := c.rpc.ConfigureProvider(ctx, &protocol.ConfigureProvider_Request{BerthVersion: req.BerthVersion, Config: cfg})
	if err != nil {
		return providers.ConfigureProviderResponse{Diagnostics: c.failed(ctx, call, err)}
	}
	return providers.ConfigureProviderResponse{Diagnostics: decodeDiagnostics(pr.Diagnostics)}
}

// ReadResources implements providers.Interface. The batch crosses in one
// call; a result for an object whose state cannot be decoded carries its
// own diagnostic.
func (c *Client) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	const call = "ReadResources"
	var resp providers.ReadResourcesResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	preq := &protocol.ReadResources_Request{Objects: make([]*protocol.ReadResources_Object, len(req.Objects))}
	for i, o := range req.Objects {
		st, err := encodeValue(o.State)
		if err != nil {
			resp.Diagnostics = c.protocolErr(call, "state of "+o.ID, err)
			return resp
		}
		preq.Objects[i] = &protocol.ReadResources_Object{Id: o.ID, TypeName: o.TypeName, State: st, Private: o.Private}
	}
	pr, err := c.rpc.ReadResources(ctx, preq)
	if err != nil {
		resp.Diagnostics = c.failed(ctx, call, err)
		return resp
	}
	resp.Diagnostics = decodeDiagnostics(pr.Diagnostics)
	resp.Results = make([]providers.ReadResult, len(pr.Results))
	for i, r := range pr.Results {
		res := providers.ReadResult{ID: r.Id, Private: r.Private, Gone: r.Gone, Diagnostics: decodeDiagnostics(r.Diagnostics)}
		if res.NewState, err = decodeValue(r.NewState); err != nil {
			res.Diagnostics = append(res.Diagnostics, c.protocolErr(call, "new state of "+r.Id, err)...)
		}
		resp.Results[i] = res
	}
	return resp
}

// PlanResourceChange implements providers.Interface.
func (c *Client) PlanResourceChange(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	const call = "PlanResourceChange"
	var resp providers.PlanResourceChangeResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	preq := &protocol.PlanResourceChange_Request{TypeName: req.TypeName, PriorPrivate: req.PriorPrivate}
	var err error
	if preq.PriorState, preq.ProposedNewState, preq.Config, err = encode3(req.PriorState, req.ProposedNewState, req.Config); err != nil {
		resp.Diagnostics = c.protocolErr(call, "request", err)
		return resp
	}
	if preq.SavedPlannedState, err = encodeValue(req.SavedPlannedState); err != nil {
		resp.Diagnostics = c.protocolErr(call, "saved planned state", err)
		return resp
	}
	pr, err := c.rpc.PlanResourceChange(ctx, preq)
	if err != nil {
		resp.Diagnostics = c.failed(ctx, call, err)
		return resp
	}
	resp.Diagnostics = decodeDiagnostics(pr.Diagnostics)
	resp.PlannedPrivate = pr.PlannedPrivate
	if resp.Rollout, err = decodeRollout(pr.Rollout); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "rollout", err)...)
	}
	if resp.PlannedState, err = decodeValue(pr.PlannedState); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "planned state", err)...)
	}
	if resp.RequiresReplace, err = decodePaths(pr.RequiresReplace); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "requires_replace", err)...)
	}
	return resp
}

// ApplyResourceChange implements providers.Interface. Events are delivered
// in the order the provider sent them, on the calling goroutine. If the
// provider dies during the call, NewState is cty.NilVal: what exists is
// then unknown and the core must refresh the object.
func (c *Client) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	const call = "ApplyResourceChange"
	var resp providers.ApplyResourceChangeResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	step, err := encodeStep(req.Step)
	if err != nil {
		resp.Diagnostics = c.protocolErr(call, "request", err)
		return resp
	}
	preq := &protocol.ApplyResourceChange_Request{
		TypeName: req.TypeName, PlannedPrivate: req.PlannedPrivate, Step: step,
		IdempotencyKey: req.IdempotencyKey,
	}
	if preq.PriorState, preq.PlannedState, preq.Config, err = encode3(req.PriorState, req.PlannedState, req.Config); err != nil {
		resp.Diagnostics = c.protocolErr(call, "request", err)
		return resp
	}
	// The stream lives no longer than this call.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.ApplyResourceChange(sctx, preq)
	if err != nil {
		resp.Diagnostics = c.failed(ctx, call, err)
		return resp
	}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			resp.Diagnostics = c.protocolErr(call, "stream", errors.New("the stream ended without a result"))
			return resp
		}
		if err != nil {
			resp.Diagnostics = c.failed(ctx, call, err)
			return resp
		}
		switch m := msg.Message.(type) {
		case *protocol.ApplyResourceChange_Response_Event:
			if events != nil && m.Event != nil {
				events(providers.ApplyEvent{Kind: m.Event.Kind, Message: m.Event.Message, Wave: int(m.Event.Wave), Instance: m.Event.Instance})
			}
		case *protocol.ApplyResourceChange_Response_Result:
			r := m.Result
			resp.Diagnostics = decodeDiagnostics(r.Diagnostics)
			resp.Private, resp.Resumable = r.Private, r.Resumable
			if resp.NewState, err = decodeValue(r.NewState); err != nil {
				resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "new state", err)...)
			}
			return resp
		}
	}
}

// ImportResource implements providers.Interface.
func (c *Client) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	const call = "ImportResource"
	var resp providers.ImportResourceResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	cfg, err := encodeValue(req.Config)
	if err != nil {
		resp.Diagnostics = c.protocolErr(call, "config", err)
		return resp
	}
	pr, err := c.rpc.ImportResource(ctx, &protocol.ImportResource_Request{TypeName: req.TypeName, Id: req.ID, Config: cfg})
	if err != nil {
		resp.Diagnostics = c.failed(ctx, call, err)
		return resp
	}
	resp.Diagnostics = decodeDiagnostics(pr.Diagnostics)
	resp.Private = pr.Private
	if resp.State, err = decodeValue(pr.State); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "state", err)...)
	}
	return resp
}

// LookupResources implements providers.Interface. The batch crosses in one
// call, as ReadResources does. A provider built before the call existed
// answers codes.Unimplemented, which becomes an error diagnostic saying
// so (the core asks only types whose schema says LookupByKey, which such
// a provider never does).
func (c *Client) LookupResources(ctx context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	const call = "LookupResources"
	var resp providers.LookupResourcesResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	preq := &protocol.LookupResources_Request{Objects: make([]*protocol.LookupResources_Object, len(req.Objects))}
	for i, o := range req.Objects {
		planned, err := encodeValue(o.Planned)
		if err != nil {
			resp.Diagnostics = c.protocolErr(call, "planned state of "+o.ID, err)
			return resp
		}
		preq.Objects[i] = &protocol.LookupResources_Object{Id: o.ID, TypeName: o.TypeName, IdempotencyKey: o.IdempotencyKey, Planned: planned}
	}
	pr, err := c.rpc.LookupResources(ctx, preq)
	if status.Code(err) == codes.Unimplemented && ctx.Err() == nil {
		resp.Diagnostics = hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Provider " + c.name + " cannot look up objects",
			Detail: fmt.Sprintf("provider %s was built before berth's LookupResources call existed, so it cannot find "+
				"an object by the idempotency key of the create that made it; upgrade the provider", c.name),
		}}
		return resp
	}
	if err != nil {
		resp.Diagnostics = c.failed(ctx, call, err)
		return resp
	}
	resp.Diagnostics = decodeDiagnostics(pr.Diagnostics)
	resp.Results = make([]providers.LookupResult, len(pr.Results))
	for i, r := range pr.Results {
		res := providers.LookupResult{ID: r.Id, Found: r.Found, Private: r.Private, Diagnostics: decodeDiagnostics(r.Diagnostics)}
		if res.State, err = decodeValue(r.State); err != nil {
			res.Diagnostics = append(res.Diagnostics, c.protocolErr(call, "state of "+r.Id, err)...)
		}
		resp.Results[i] = res
	}
	return resp
}

// ReadDataSource implements providers.Interface.
func (c *Client) ReadDataSource(ctx context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	const call = "ReadDataSource"
	var resp providers.ReadDataSourceResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	cfg, err := encodeValue(req.Config)
	if err != nil {
		resp.Diagnostics = c.protocolErr(call, "config", err)
		return resp
	}
	pr, err := c.rpc.ReadDataSource(ctx, &protocol.ReadDataSource_Request{TypeName: req.TypeName, Config: cfg})
	if err != nil {
		resp.Diagnostics = c.failed(ctx, call, err)
		return resp
	}
	resp.Diagnostics = decodeDiagnostics(pr.Diagnostics)
	if resp.State, err = decodeValue(pr.State); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, c.protocolErr(call, "state", err)...)
	}
	return resp
}

// Stop implements providers.Interface: it asks the provider to wind down
// in-flight calls, which then return with what they have.
func (c *Client) Stop(ctx context.Context) error {
	const call = "Stop"
	if diags := c.crashed(call); diags != nil {
		return diags
	}
	pr, err := c.rpc.Stop(ctx, &protocol.Stop_Request{})
	if err != nil {
		return c.failed(ctx, call, err)
	}
	if pr.Error != "" {
		return fmt.Errorf("provider %s could not stop: %s", c.name, pr.Error)
	}
	return nil
}

// Close ends the plugin process: gracefully if it still serves, else by
// killing it. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.plugin.Kill()
	c.stop()
	return nil
}

// encode3 encodes the three values of a plan or apply request.
func encode3(prior, proposed, config cty.Value) (ep, eq, ec *protocol.DynamicValue, err error) {
	if ep, err = encodeValue(prior); err != nil {
		return nil, nil, nil, fmt.Errorf("prior state: %w", err)
	}
	if eq, err = encodeValue(proposed); err != nil {
		return nil, nil, nil, fmt.Errorf("planned or proposed state: %w", err)
	}
	// The engine proposes the configuration itself as the new state: one
	// encoding serves both (comparing costs less than encoding).
	if proposed != cty.NilVal && config != cty.NilVal && proposed.RawEquals(config) {
		return ep, eq, eq, nil
	}
	if ec, err = encodeValue(config); err != nil {
		return nil, nil, nil, fmt.Errorf("config: %w", err)
	}
	return ep, eq, ec, nil
}

package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/hcl/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
)

var _ providers.InstanceOperator = (*Client)(nil)

// unimplemented reports a provider without the day-2 call: built before
// it existed, or whose objects run no instances.
func (c *Client) unimplemented(ctx context.Context, call string, err error) hcl.Diagnostics {
	if status.Code(err) == codes.Unimplemented && ctx.Err() == nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Provider " + c.name + " cannot " + call,
			Detail: fmt.Sprintf("provider %s does not serve berth's %s call: its objects run no instances, "+
				"or it was built before the call existed (upgrade it)", c.name, call),
		}}
	}
	return c.failed(ctx, call, err)
}

func encodeTarget(t providers.InstanceTarget) (*protocol.InstanceTarget, error) {
	st, err := encodeValue(t.State)
	if err != nil {
		return nil, err
	}
	return &protocol.InstanceTarget{TypeName: t.TypeName, State: st, Private: t.Private}, nil
}

func decodeTarget(pt *protocol.InstanceTarget) (providers.InstanceTarget, error) {
	if pt == nil {
		return providers.InstanceTarget{}, errors.New("no target")
	}
	st, err := decodeValue(pt.State)
	return providers.InstanceTarget{TypeName: pt.TypeName, State: st, Private: pt.Private}, err
}

// unixNano is t in Unix nanoseconds, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is the inverse of unixNano.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// DescribeInstances implements providers.InstanceOperator.
func (c *Client) DescribeInstances(ctx context.Context, req providers.DescribeInstancesRequest) providers.DescribeInstancesResponse {
	const call = "DescribeInstances"
	var resp providers.DescribeInstancesResponse
	if resp.Diagnostics = c.crashed(call); resp.Diagnostics != nil {
		return resp
	}
	t, err := encodeTarget(req.Target)
	if err != nil {
		resp.Diagnostics = c.protocolErr(call, "target", err)
		return resp
	}
	pr, err := c.rpc.DescribeInstances(ctx, &protocol.DescribeInstances_Request{Target: t})
	if err != nil {
		resp.Diagnostics = c.unimplemented(ctx, call, err)
		return resp
	}
	resp.Diagnostics = decodeDiagnostics(pr.Diagnostics)
	for _, in := range pr.Instances {
		d := providers.InstanceDetail{
			Instance: app.Instance{Name: in.Name, Host: in.Host, ID: in.Id, Status: in.Status, Ready: in.Ready,
				ImageDigest: in.ImageDigest, ConfigHash: in.ConfigHash, Addresses: map[string]app.Address{}},
			Started: fromUnixNano(in.StartedUnixNano), Restarts: int(in.Restarts), Message: in.Message,
		}
		for name, a := range in.Addresses {
			d.Addresses[name] = app.Address{IP: a.GetIp(), Port: int(a.GetPort())}
		}
		resp.Instances = append(resp.Instances, d)
	}
	return resp
}

// InstanceLogs implements providers.InstanceOperator. Cancelling ctx ends
// a followed stream without a diagnostic: that is how a follow stops.
func (c *Client) InstanceLogs(ctx context.Context, req providers.InstanceLogsRequest, lines func([]providers.LogLine)) hcl.Diagnostics {
	const call = "InstanceLogs"
	if diags := c.crashed(call); diags != nil {
		return diags
	}
	t, err := encodeTarget(req.Target)
	if err != nil {
		return c.protocolErr(call, "target", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.InstanceLogs(sctx, &protocol.InstanceLogs_Request{
		Target: t, Instances: req.Instances, Follow: req.Follow, SinceUnixNano: unixNano(req.Since), Tail: int64(req.Tail),
	})
	if err != nil {
		return c.unimplemented(ctx, call, err)
	}
	var diags hcl.Diagnostics
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return diags
		}
		if err != nil {
			if req.Follow && ctx.Err() == context.Canceled {
				return diags
			}
			return diags.Extend(c.unimplemented(ctx, call, err))
		}
		diags = diags.Extend(decodeDiagnostics(msg.Diagnostics))
		if len(msg.Lines) == 0 {
			continue
		}
		batch := make([]providers.LogLine, len(msg.Lines))
		for i, l := range msg.Lines {
			batch[i] = providers.LogLine{Instance: l.Instance, Stream: l.Stream, Time: fromUnixNano(l.TimeUnixNano), Text: string(l.Text)}
		}
		lines(batch)
	}
}

// InstanceExec implements providers.InstanceOperator: Stdin and the
// resizes are sent as they come, the output written as it comes, until
// the provider sends the exit code.
func (c *Client) InstanceExec(ctx context.Context, req providers.InstanceExecRequest) (int, hcl.Diagnostics) {
	const call = "InstanceExec"
	if diags := c.crashed(call); diags != nil {
		return -1, diags
	}
	t, err := encodeTarget(req.Target)
	if err != nil {
		return -1, c.protocolErr(call, "target", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.InstanceExec(sctx)
	if err != nil {
		return -1, c.unimplemented(ctx, call, err)
	}
	start := &protocol.InstanceExec_Start{Target: t, Instance: req.Instance, Command: req.Command, Tty: req.TTY,
		Size: &protocol.InstanceExec_TerminalSize{Width: uint32(req.Size.Width), Height: uint32(req.Size.Height)}, Stdin: req.Stdin != nil}
	if err := stream.Send(&protocol.InstanceExec_Request{Message: &protocol.InstanceExec_Request_Start{Start: start}}); err != nil {
		return -1, c.unimplemented(ctx, call, err)
	}
	go c.sendExecInput(sctx, stream, req)
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return -1, c.protocolErr(call, "stream", errors.New("the stream ended without an exit code"))
		}
		if err != nil {
			return -1, c.unimplemented(ctx, call, err)
		}
		switch m := msg.Message.(type) {
		case *protocol.InstanceExec_Response_Stdout:
			if req.Stdout != nil {
				_, _ = req.Stdout.Write(m.Stdout)
			}
		case *protocol.InstanceExec_Response_Stderr:
			if req.Stderr != nil {
				_, _ = req.Stderr.Write(m.Stderr)
			}
		case *protocol.InstanceExec_Response_Exit:
			return int(m.Exit.Code), decodeDiagnostics(m.Exit.Diagnostics)
		}
	}
}

// sendExecInput forwards req's stdin and terminal resizes to stream
// until ctx ends. gRPC allows one sender at a time: this goroutine is it,
// after the start message.
func (c *Client) sendExecInput(ctx context.Context, stream protocol.Provider_InstanceExecClient, req providers.InstanceExecRequest) {
	input := make(chan []byte)
	inputDone := make(chan struct{})
	if req.Stdin != nil {
		go func() {
			defer close(inputDone)
			buf := make([]byte, 32*1024)
			for {
				n, err := req.Stdin.Read(buf)
				if n > 0 {
					select {
					case input <- append([]byte(nil), buf[:n]...):
					case <-ctx.Done():
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
	for {
		var msg *protocol.InstanceExec_Request
		select {
		case <-ctx.Done():
			return
		case b := <-input:
			msg = &protocol.InstanceExec_Request{Message: &protocol.InstanceExec_Request_Stdin{Stdin: b}}
		case <-inputDone:
			inputDone = nil
			msg = &protocol.InstanceExec_Request{Message: &protocol.InstanceExec_Request_StdinClosed{StdinClosed: true}}
		case sz, ok := <-req.Resize:
			if !ok {
				req.Resize = nil
				continue
			}
			msg = &protocol.InstanceExec_Request{Message: &protocol.InstanceExec_Request_Resize{
				Resize: &protocol.InstanceExec_TerminalSize{Width: uint32(sz.Width), Height: uint32(sz.Height)}}}
		}
		if err := stream.Send(msg); err != nil {
			return
		}
	}
}

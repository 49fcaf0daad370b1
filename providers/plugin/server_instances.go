package plugin

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
)

// operator is the provider's InstanceOperator, or an Unimplemented error
// the client turns into a diagnostic.
func (s *server) operator() (providers.InstanceOperator, error) {
	op, ok := s.impl.(providers.InstanceOperator)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "the provider runs no instances")
	}
	return op, nil
}

func (s *server) DescribeInstances(ctx context.Context, req *protocol.DescribeInstances_Request) (*protocol.DescribeInstances_Response, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	t, err := decodeTarget(req.Target)
	if err != nil {
		return nil, decodeErr("target", err)
	}
	resp := op.DescribeInstances(ctx, providers.DescribeInstancesRequest{Target: t})
	out := &protocol.DescribeInstances_Response{Diagnostics: encodeDiagnostics(resp.Diagnostics)}
	for _, in := range resp.Instances {
		pi := &protocol.DescribeInstances_Instance{
			Name: in.Name, Host: in.Host, Id: in.ID, Status: in.Status, Ready: in.Ready,
			ImageDigest: in.ImageDigest, ConfigHash: in.ConfigHash,
			StartedUnixNano: unixNano(in.Started), Restarts: int64(in.Restarts), Message: in.Message,
			Addresses: map[string]*protocol.DescribeInstances_Address{},
		}
		for name, a := range in.Addresses {
			pi.Addresses[name] = &protocol.DescribeInstances_Address{Ip: a.IP, Port: int64(a.Port)}
		}
		out.Instances = append(out.Instances, pi)
	}
	return out, nil
}

func (s *server) InstanceLogs(req *protocol.InstanceLogs_Request, stream protocol.Provider_InstanceLogsServer) error {
	op, err := s.operator()
	if err != nil {
		return err
	}
	t, err := decodeTarget(req.Target)
	if err != nil {
		return decodeErr("target", err)
	}
	// Batches may come from one goroutine per instance; a stream takes one
	// sender at a time. A failed send (berth went away) ends the call.
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	var mu sync.Mutex
	var sendErr error
	lines := func(batch []providers.LogLine) {
		msg := &protocol.InstanceLogs_Response{Lines: make([]*protocol.InstanceLogs_Line, len(batch))}
		for i, l := range batch {
			msg.Lines[i] = &protocol.InstanceLogs_Line{Instance: l.Instance, Stream: l.Stream, TimeUnixNano: unixNano(l.Time), Text: []byte(l.Text)}
		}
		mu.Lock()
		defer mu.Unlock()
		if sendErr != nil {
			return
		}
		if sendErr = stream.Send(msg); sendErr != nil {
			cancel()
		}
	}
	diags := op.InstanceLogs(ctx, providers.InstanceLogsRequest{
		Target: t, Instances: req.Instances, Follow: req.Follow, Since: fromUnixNano(req.SinceUnixNano), Tail: int(req.Tail),
	}, lines)
	mu.Lock()
	defer mu.Unlock()
	if sendErr != nil {
		return sendErr
	}
	sendErr = io.EOF // lines after return are dropped
	if len(diags) == 0 {
		return nil
	}
	return stream.Send(&protocol.InstanceLogs_Response{Diagnostics: encodeDiagnostics(diags)})
}

// execOutput is a writer onto an exec stream's stdout or stderr.
type execOutput struct {
	mu     *sync.Mutex
	stream protocol.Provider_InstanceExecServer
	stderr bool
}

func (w execOutput) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	msg := &protocol.InstanceExec_Response{Message: &protocol.InstanceExec_Response_Stdout{Stdout: b}}
	if w.stderr {
		msg = &protocol.InstanceExec_Response{Message: &protocol.InstanceExec_Response_Stderr{Stderr: b}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.stream.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *server) InstanceExec(stream protocol.Provider_InstanceExecServer) error {
	op, err := s.operator()
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	start := first.GetStart()
	if start == nil {
		return status.Error(codes.InvalidArgument, "the first message of InstanceExec must be its start")
	}
	t, err := decodeTarget(start.Target)
	if err != nil {
		return decodeErr("target", err)
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	req := providers.InstanceExecRequest{Target: t, Instance: start.Instance, Command: start.Command, TTY: start.Tty}
	if sz := start.Size; sz != nil {
		req.Size = providers.TerminalSize{Width: uint(sz.Width), Height: uint(sz.Height)}
	}
	var mu sync.Mutex
	req.Stdout = execOutput{mu: &mu, stream: stream}
	req.Stderr = execOutput{mu: &mu, stream: stream, stderr: true}
	resize := make(chan providers.TerminalSize, 1)
	req.Resize = resize
	var stdinW *io.PipeWriter
	if start.Stdin {
		var stdinR *io.PipeReader
		stdinR, stdinW = io.Pipe()
		req.Stdin = stdinR
	}
	// The client's further messages: input and resizes, until it goes.
	go func() {
		defer func() {
			if stdinW != nil {
				stdinW.Close()
			}
		}()
		for {
			msg, err := stream.Recv()
			if err != nil {
				return
			}
			switch m := msg.Message.(type) {
			case *protocol.InstanceExec_Request_Stdin:
				if stdinW != nil {
					if _, err := stdinW.Write(m.Stdin); err != nil {
						return
					}
				}
			case *protocol.InstanceExec_Request_StdinClosed:
				if stdinW != nil {
					stdinW.Close()
				}
			case *protocol.InstanceExec_Request_Resize:
				select {
				case resize <- providers.TerminalSize{Width: uint(m.Resize.Width), Height: uint(m.Resize.Height)}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	code, diags := op.InstanceExec(ctx, req)
	mu.Lock()
	defer mu.Unlock()
	return stream.Send(&protocol.InstanceExec_Response{Message: &protocol.InstanceExec_Response_Exit{Exit: &protocol.InstanceExec_Exit{
		Code: int64(code), Diagnostics: encodeDiagnostics(diags),
	}}})
}

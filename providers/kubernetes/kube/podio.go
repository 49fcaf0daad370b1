package kube

import (
	"context"
	"errors"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// LogOptions says which of a container's output PodLogs reads.
type LogOptions struct {
	Follow bool
	// Since: only output written at or after it; zero: from the start.
	Since time.Time
	// Tail: only the last Tail lines; negative: all.
	Tail int
}

// PodLogs streams the output of a pod's container, each line prefixed
// with its RFC 3339 timestamp and a space, as the API server sends it.
func (c *Cluster) PodLogs(ctx context.Context, pod, container string, o LogOptions) (io.ReadCloser, error) {
	opts := &corev1.PodLogOptions{Container: container, Follow: o.Follow, Timestamps: true}
	if o.Tail >= 0 {
		n := int64(o.Tail)
		opts.TailLines = &n
	}
	if !o.Since.IsZero() {
		t := metav1.NewTime(o.Since)
		opts.SinceTime = &t
	}
	rc, err := c.clientset.CoreV1().Pods(c.namespace).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return nil, c.errorf("reading the logs of pod %s: %w", pod, err)
	}
	return rc, nil
}

// ExecOptions is a command to run in a pod's container, attached to its
// standard streams.
type ExecOptions struct {
	Container string
	Command   []string
	TTY       bool
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	// Sizes delivers the terminal's sizes, the first one first; nil
	// when there is no terminal.
	Sizes remotecommand.TerminalSizeQueue
}

// Exec runs a command in a pod's container (the API server's exec
// subresource: WebSocket, falling back to SPDY as kubectl does) and
// returns its exit code.
func (c *Cluster) Exec(ctx context.Context, pod string, o ExecOptions) (int, error) {
	req := c.clientset.CoreV1().RESTClient().Post().Resource("pods").Name(pod).Namespace(c.namespace).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: o.Container, Command: o.Command, TTY: o.TTY,
			Stdin: o.Stdin != nil, Stdout: o.Stdout != nil, Stderr: o.Stderr != nil && !o.TTY,
		}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(c.rest, "GET", req.URL().String())
	if err != nil {
		return -1, c.errorf("exec in pod %s: %w", pod, err)
	}
	sp, err := remotecommand.NewSPDYExecutor(c.rest, "POST", req.URL())
	if err != nil {
		return -1, c.errorf("exec in pod %s: %w", pod, err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, sp, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return -1, c.errorf("exec in pod %s: %w", pod, err)
	}
	so := remotecommand.StreamOptions{Stdin: o.Stdin, Stdout: o.Stdout, Tty: o.TTY, TerminalSizeQueue: o.Sizes}
	if !o.TTY {
		so.Stderr = o.Stderr
	}
	err = ex.StreamWithContext(ctx, so)
	var exit utilexec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		return exit.ExitStatus(), nil
	}
	if err != nil {
		return -1, c.errorf("exec in pod %s: %w", pod, err)
	}
	return 0, nil
}

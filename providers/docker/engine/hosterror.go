package engine

import "fmt"

// HostError is an error about one host; its message names the host and
// its endpoint, so that users with many hosts know which one failed.
type HostError struct {
	Host     string
	Endpoint string
	Op       string
	Err      error
}

func (e *HostError) Error() string {
	msg := fmt.Sprintf("docker host %q (%s)", e.Host, e.Endpoint)
	if e.Op != "" {
		msg += ": " + e.Op
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *HostError) Unwrap() error { return e.Err }

func hostErr(cfg HostConfig, format string, args ...any) error {
	return &HostError{Host: cfg.Name, Endpoint: cfg.Endpoint, Err: fmt.Errorf(format, args...)}
}

func (h *Host) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &HostError{Host: h.Config.Name, Endpoint: h.Config.Endpoint, Op: op, Err: err}
}

package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestInternalProvider(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no name", []string{"internal-provider"}, "usage: berth internal-provider NAME"},
		{"two names", []string{"internal-provider", "a", "b"}, "usage: berth internal-provider NAME"},
		{"unknown provider", []string{"internal-provider", "nope"}, `there is no built-in provider "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestInternalProviderHidden(t *testing.T) {
	var out bytes.Buffer
	usage(&out)
	if strings.Contains(out.String(), "internal-provider") {
		t.Errorf("the provider mode is listed in help:\n%s", out.String())
	}
}

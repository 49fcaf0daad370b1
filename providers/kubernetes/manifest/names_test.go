package manifest_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

func TestObjectName(t *testing.T) {
	long := strings.Repeat("a", 70)
	tests := []struct{ app, want string }{
		{"web", "web"},
		{"web-0", "web-0"},
		{"api-v2", "api-v2"},
		{strings.Repeat("b", 63), strings.Repeat("b", 63)},
		// Changed to be valid: the hash of the original keeps them apart
		// from the names they now resemble.
		{"web_eu", "web-eu-ce2d1018"},
		{"web-eu", "web-eu"},
		{"Web.EU", "web-eu-cb37e811"},
		{"Web", "web-29751047"},
		{"web-", "web-9161755a"},
		{"0web", "app-0web-7eae6082"},
		{"_", "app-d2e2adf7"},
		{"", "app-e3b0c442"},
		{"wéb", "w-b-67048b14"},
		{long, strings.Repeat("a", 54) + "-6bd5e503"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := manifest.ObjectName(tt.app)
		if got != tt.want {
			t.Errorf("ObjectName(%q) = %q, want %q", tt.app, got, tt.want)
		}
		if errs := validation.IsDNS1035Label(got); len(errs) > 0 {
			t.Errorf("ObjectName(%q) = %q is not a DNS-1035 label: %v", tt.app, got, errs)
		}
		if manifest.ObjectName(tt.app) != got {
			t.Errorf("ObjectName(%q) is not stable", tt.app)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("ObjectName(%q) = ObjectName(%q) = %q", tt.app, other, got)
		}
		seen[got] = tt.app
	}
	// Long names that differ only past the cut stay apart.
	if a, b := manifest.ObjectName(long+"x"), manifest.ObjectName(long+"y"); a == b {
		t.Errorf("long names collide: %q", a)
	}
}

func TestDeploymentName(t *testing.T) {
	long := strings.Repeat("service", 10)
	tests := []struct{ app, rev, want string }{
		{"web", "7c9e6f1a", "web-7c9e6f1a"},
		{"web_eu", "7c9e6f1a", "web-eu-ce2d1018-7c9e6f1a"},
		{long, "7c9e6f1a", "servicese" + strings.Repeat("rvicese", 5) + "r-ac7ed719-7c9e6f1a"},
		{"web", "Rev_1", "web-rev-1-c75cbd81"},
		{"web", strings.Repeat("f", 64), "web-" + strings.Repeat("f", 31) + "-df0790f2"},
	}
	for _, tt := range tests {
		got := manifest.DeploymentName(tt.app, tt.rev)
		if got != tt.want {
			t.Errorf("DeploymentName(%q, %q) = %q, want %q", tt.app, tt.rev, got, tt.want)
		}
		if errs := validation.IsDNS1035Label(got); len(errs) > 0 {
			t.Errorf("DeploymentName(%q, %q) = %q: %v", tt.app, tt.rev, got, errs)
		}
	}
	if a, b := manifest.DeploymentName(long+"1", "r"), manifest.DeploymentName(long+"2", "r"); a == b {
		t.Errorf("long app names collide: %q", a)
	}
	if a, b := manifest.DeploymentName("web", "r1"), manifest.DeploymentName("web", "r2"); a == b {
		t.Errorf("revisions collide: %q", a)
	}
}

func TestPullSecretName(t *testing.T) {
	for _, app := range []string{"web", strings.Repeat("x", 80), "Web.EU"} {
		if errs := validation.IsDNS1123Subdomain(manifest.PullSecretName(app)); len(errs) > 0 {
			t.Errorf("PullSecretName(%q): %v", app, errs)
		}
	}
}

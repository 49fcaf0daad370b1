package statusview

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

var now = time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)

func TestVersion(t *testing.T) {
	tests := []struct{ digest, hash, want string }{
		{"registry.test/web@sha256:0123456789abcdef0123", "89abcdef0123", "sha256:0123456789ab cfg 89abcdef"},
		{"sha256:0123", "", "sha256:0123"},
		{"", "abc", "cfg abc"},
		{"", "", "-"},
	}
	for _, tt := range tests {
		if got := Version(tt.digest, tt.hash); got != tt.want {
			t.Errorf("Version(%q, %q) = %q, want %q", tt.digest, tt.hash, got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{45 * time.Second, "45s"},
		{200 * time.Second, "3m20s"},
		{2*time.Hour + 5*time.Minute, "2h5m"},
		{76 * time.Hour, "3d4h"},
		{-time.Second, "0s"}, // a clock a little ahead
	}
	for _, tt := range tests {
		if got := Age(now.Add(-tt.ago), now); got != tt.want {
			t.Errorf("Age(%s ago) = %q, want %q", tt.ago, got, tt.want)
		}
	}
	if got := Age(time.Time{}, now); got != "-" {
		t.Errorf("Age(unknown) = %q, want -", got)
	}
}

// statuses are a settled app of two instances, one restarted and not
// ready, and an app whose host did not answer.
func statuses() []*core.AppStatus {
	web := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}.Instance(addrs.NoKey)
	api := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "api"}.Instance(addrs.NoKey)
	in := func(name, host, status string, ready bool, started time.Time, restarts int, msg string) core.InstanceStatus {
		return core.InstanceStatus{Role: core.RoleStable, InstanceDetail: providers.InstanceDetail{
			Instance: app.Instance{Name: name, Host: host, ID: "c-" + name, Status: status, Ready: ready,
				ImageDigest: "registry.test/web@sha256:aaaaaaaaaaaaaaaaaaaa", ConfigHash: "0123456789",
				Addresses: map[string]app.Address{"http": {IP: "127.0.0.1", Port: 32768}}},
			Started: started, Restarts: restarts, Message: msg}}
	}
	ws := &core.AppStatus{Addr: web, Provider: "docker",
		Instances: []core.InstanceStatus{
			in("web-1", "edge-1", "running", true, now.Add(-5*time.Minute), 0, ""),
			in("web-2", "edge-2", "unhealthy", false, now.Add(-30*time.Second), 2, "failing its liveness check"),
		},
		Rollout: &core.RolloutStatus{Addr: web, Phase: core.RolloutSettled, ImageDigest: "registry.test/web@sha256:aaaaaaaaaaaaaaaaaaaa", ConfigHash: "0123456789"}}
	for _, i := range ws.Instances {
		ws.Rollout.Instances = append(ws.Rollout.Instances, core.RolloutInstance{Instance: i.Instance, Role: i.Role})
	}
	as := &core.AppStatus{Addr: api, Provider: "docker", Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read app api", Detail: "host edge-3: connection refused"}}}
	return []*core.AppStatus{ws, as}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	Text(&b, statuses(), false, now)
	golden.Check(t, filepath.Join("testdata", "status.golden"), b.Bytes())

	b.Reset()
	Text(&b, nil, false, now)
	if b.String() != "No app is recorded in the state.\n" {
		t.Errorf("no apps: %q", b.String())
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, statuses()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "status.json.golden"), b.Bytes())
	var doc struct {
		Apps []struct {
			Address   string `json:"address"`
			Instances []struct {
				Name     string     `json:"name"`
				Ready    bool       `json:"ready"`
				Restarts int        `json:"restarts"`
				Started  *time.Time `json:"started"`
			} `json:"instances"`
			Rollout     *struct{ Phase string } `json:"rollout"`
			Diagnostics []struct{ Summary string }
		} `json:"apps"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Apps) != 2 || len(doc.Apps[0].Instances) != 2 || doc.Apps[0].Instances[1].Restarts != 2 ||
		doc.Apps[0].Instances[0].Started == nil || doc.Apps[0].Rollout == nil || doc.Apps[0].Rollout.Phase != "settled" {
		t.Errorf("web: %+v", doc.Apps)
	}
	if a := doc.Apps[1]; a.Rollout != nil || len(a.Instances) != 0 || len(a.Diagnostics) != 1 {
		t.Errorf("api, unreadable: %+v", a)
	}
}

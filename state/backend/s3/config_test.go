package s3

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/backend"
)

func TestDecodeConfig(t *testing.T) {
	// obj is a block with the given settings, the others null, as the
	// language decodes it.
	obj := func(set map[string]cty.Value) cty.Value {
		vals := map[string]cty.Value{}
		for name, a := range schema().Attributes {
			vals[name] = cty.NullVal(a.Type)
		}
		for k, v := range set {
			vals[k] = v
		}
		return cty.ObjectVal(vals)
	}
	s := cty.StringVal
	defaults := Config{Bucket: "b", Key: DefaultKey, WorkspaceKeyPrefix: DefaultWorkspaceKeyPrefix, LeaseDuration: DefaultLeaseDuration}
	for _, tt := range []struct {
		name    string
		config  cty.Value
		want    Config
		wantErr string
	}{
		{"bucket only", obj(map[string]cty.Value{"bucket": s("b")}), defaults, ""},
		{"everything", obj(map[string]cty.Value{
			"bucket": s("b"), "key": s("team/app.state"), "region": s("eu-west-3"), "endpoint": s("http://127.0.0.1:9000"),
			"use_path_style": cty.True, "profile": s("ci"), "access_key": s("AK").Mark(providers.SensitiveMark),
			"secret_key": s("SK").Mark(providers.SensitiveMark), "workspace_key_prefix": s("ws"), "lease_duration": s("1m"),
		}), Config{Bucket: "b", Key: "team/app.state", Region: "eu-west-3", Endpoint: "http://127.0.0.1:9000", UsePathStyle: true,
			Profile: "ci", AccessKey: "AK", SecretKey: "SK", WorkspaceKeyPrefix: "ws", LeaseDuration: time.Minute}, ""},
		{"no bucket", obj(nil), Config{}, "needs a bucket: set bucket in the backend block, or give it to init with -backend-config bucket=NAME"},
		{"empty bucket", obj(map[string]cty.Value{"bucket": s("")}), Config{}, "needs a bucket"},
		{"key with a leading slash", obj(map[string]cty.Value{"bucket": s("b"), "key": s("/x")}), Config{}, "key \"/x\" must be an object name"},
		{"empty key", obj(map[string]cty.Value{"bucket": s("b"), "key": s("")}), Config{}, "key \"\" must be an object name"},
		{"empty prefix", obj(map[string]cty.Value{"bucket": s("b"), "workspace_key_prefix": s("")}), Config{}, "workspace_key_prefix"},
		{"access key alone", obj(map[string]cty.Value{"bucket": s("b"), "access_key": s("AK")}), Config{}, "access_key and secret_key go together"},
		{"lease not a duration", obj(map[string]cty.Value{"bucket": s("b"), "lease_duration": s("20")}), Config{}, `lease_duration "20" is not a duration`},
		{"lease too short", obj(map[string]cty.Value{"bucket": s("b"), "lease_duration": s("500ms")}), Config{}, "too short: at least 2s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeConfig(tt.config)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRegistered: the backend is registered under its name, not as the
// default, every attribute optional (values may come from -backend-config)
// and the credentials sensitive; it opens without connecting.
func TestRegistered(t *testing.T) {
	spec, ok := backend.Lookup(Name)
	if !ok || spec.Default {
		t.Fatalf("lookup %q: %v, default %v", Name, ok, spec.Default)
	}
	for name, a := range spec.Schema.Attributes {
		if !a.Optional || a.Required {
			t.Errorf("attribute %s is not optional", name)
		}
		if sensitive := name == "access_key" || name == "secret_key"; a.Sensitive != sensitive {
			t.Errorf("attribute %s: sensitive %v", name, a.Sensitive)
		}
	}
	ws, err := spec.New(cty.ObjectVal(map[string]cty.Value{
		"bucket": cty.StringVal("b"), "endpoint": cty.StringVal("http://user:pass@127.0.0.1:1"),
		"access_key": cty.StringVal("AKSECRET"), "secret_key": cty.StringVal("SKSECRET"),
	}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{backend.DefaultWorkspace, "dev"} {
		b, err := ws.Workspace(name)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{backend.DefaultWorkspace: "s3://b/berth.state at http://127.0.0.1:1", "dev": "s3://b/env:/dev/berth.state at http://127.0.0.1:1"}[name]
		if got := b.Location(); got != want {
			t.Errorf("workspace %s: Location() = %q, want %q", name, got, want)
		}
		for _, loc := range []string{b.Location(), b.JournalLocation(), b.(*S3).LockLocation()} {
			if strings.Contains(loc, "SECRET") || strings.Contains(loc, "pass") {
				t.Errorf("a location shows credentials: %s", loc)
			}
		}
	}
	if _, ok := any(&S3{}).(backend.Leases); !ok {
		t.Error("the s3 backend's lock is not a lease")
	}
}

// TestExpired: a lease ends on the server's clock when the server gave
// its times, whatever the holder's clock wrote in Expires; on this host's
// clock otherwise.
func TestExpired(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rec := func(lease string, expires time.Time) lockRecord {
		return lockRecord{LockInfo: backend.LockInfo{ID: "x", Expires: expires}, Lease: lease}
	}
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, tt := range []struct {
		name string
		rec  lockRecord
		obj  object
		want bool
	}{
		{"written within the lease", rec("20s", past), object{modified: now.Add(-19 * time.Second), now: now}, false},
		{"within the second of resolution", rec("20s", past), object{modified: now.Add(-20 * time.Second), now: now}, false},
		{"past the lease and the second", rec("20s", future), object{modified: now.Add(-21 * time.Second), now: now}, true},
		{"no server times, expires passed", rec("20s", past), object{}, true},
		{"no server times, expires ahead", rec("20s", future), object{}, false},
		{"no lease recorded, expires passed", rec("", past), object{modified: now, now: now}, true},
		{"neither lease nor expiry", rec("", time.Time{}), object{}, false},
	} {
		if got := expired(tt.rec, tt.obj); got != tt.want {
			t.Errorf("%s: expired = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReadLock(t *testing.T) {
	for _, tt := range []struct {
		data string
		want lockState
	}{
		{"", lockReleased},
		{`{"id":"a","operation":"apply","lease":"20s"}`, lockHeld},
		{`{"operation":"apply"}`, lockUnreadable},
		{"{torn", lockUnreadable},
	} {
		if got, _, _ := readLock([]byte(tt.data)); got != tt.want {
			t.Errorf("readLock(%q) = %d, want %d", tt.data, got, tt.want)
		}
	}
}

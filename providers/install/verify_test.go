package install

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	version "github.com/hashicorp/go-version"
)

func TestVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := plugin(t, dir, "acme/dns", "1.2.0", "the real binary")
	good := mustHash(t, path)
	locked := &LockedProvider{Source: mustSource(t, "acme/dns"), Version: version.Must(version.NewSemver("1.2.0")), Hashes: []string{hashA, good}}

	sum, err := Verify(ctx, path, locked)
	if err != nil {
		t.Fatalf("Verify of the locked binary: %v", err)
	}
	if FormatHash(sum) != good {
		t.Errorf("Verify returned %s, want %s", FormatHash(sum), good)
	}

	if err := os.WriteFile(path, []byte("a tampered binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(ctx, path, locked)
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("Verify of a changed binary: %v, want a *ChecksumError", err)
	}
	want := "provider acme/dns 1.2.0 at " + path + " does not match the checksum in berth.lock.hcl (got " + mustHash(t, path) +
		", locked " + hashA + ", " + good + `); if you upgraded it on purpose, run "berth init -upgrade"`
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}

	if _, err := Verify(ctx, filepath.Join(dir, "missing"), locked); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Verify of a missing file: %v, want not-exist", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Verify(cancelled, path, locked); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	d1, d2 := t.TempDir(), t.TempDir()
	dns := mustSource(t, "acme/dns")
	good := plugin(t, d2, "acme/dns", "1.2.0", "dns 1.2.0")
	plugin(t, d1, "acme/dns", "1.3.0", "dns 1.3.0") // installed, not locked
	noexec := plugin(t, d1, "acme/noexec", "1.0.0", "noexec")
	if err := os.Chmod(noexec, 0o644); err != nil {
		t.Fatal(err)
	}
	tampered := plugin(t, d1, "acme/tampered", "1.0.0", "changed since init")

	lock := NewLock()
	lock.SetProvider(&LockedProvider{Source: dns, Version: version.Must(version.NewSemver("1.2.0")), Hashes: []string{mustHash(t, good)}})
	lock.SetProvider(&LockedProvider{Source: mustSource(t, "acme/gone"), Version: version.Must(version.NewSemver("0.1.0")), Hashes: []string{hashA}})
	lock.SetProvider(&LockedProvider{Source: mustSource(t, "acme/noexec"), Version: version.Must(version.NewSemver("1.0.0")), Hashes: []string{mustHash(t, noexec)}})
	lock.SetProvider(&LockedProvider{Source: mustSource(t, "acme/tampered"), Version: version.Must(version.NewSemver("1.0.0")), Hashes: []string{hashA}})
	dirs := []string{d1, d2}

	tests := []struct {
		source string
		err    string
	}{
		{"acme/dns", ""},
		{"docker", ""},
		{"acme/unlocked", `provider acme/unlocked is not locked in berth.lock.hcl; run "berth init" to install and lock it`},
		{"acme/gone", "provider acme/gone 0.1.0 (locked in berth.lock.hcl) is not installed: looked for " +
			filepath.Join("acme", "gone", "0.1.0", Platform, "berth-provider-gone") + " in " + d1 + ", " + d2 +
			`; install that version there, or run "berth init -upgrade" to lock one that is installed`},
		{"acme/noexec", "is not executable"},
		{"acme/tampered", "provider acme/tampered 1.0.0 at " + tampered + " does not match the checksum in berth.lock.hcl"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			src := mustSource(t, tt.source)
			got, err := Resolve(ctx, dirs, lock, src)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Resolve(%s) error = %v, want containing %q", src, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			if src.IsBuiltin() {
				if !got.Builtin || got.Path != "" || got.File != nil {
					t.Errorf("Resolve(%s) = %+v, want a built-in launch", src, got)
				}
				return
			}
			// The locked version, not the newer one in the earlier dir.
			if got.Builtin || got.Path != good || got.Version.String() != "1.2.0" || FormatHash(got.SHA256) != mustHash(t, good) {
				t.Errorf("Resolve(%s) = %+v, want %s 1.2.0 with its hash", src, got, good)
			}
			// The file to run is the one checked, open.
			opened, err := got.File.Stat()
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := os.Stat(good); !os.SameFile(opened, want) {
				t.Errorf("Resolve(%s).File is not %s", src, good)
			}
		})
	}
}

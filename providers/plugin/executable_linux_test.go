package plugin_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/berth-sh/berth/providers/plugin"
	"github.com/berth-sh/berth/providers/testprovider"
)

// impostor writes, in dir, a "provider" that leaves a file at the returned
// marker path if it ever runs.
func impostor(t *testing.T, dir string) (path, marker string) {
	t.Helper()
	path, marker = filepath.Join(dir, "impostor"), filepath.Join(dir, "impostor-ran")
	if err := os.WriteFile(path, []byte("#!/bin/sh\ntouch '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, marker
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLaunchRunsTheOpenFile: with Spec.File, what runs is the open file,
// even when another file has been renamed over its path since it was
// opened; a "#!" script still finds itself through its descriptor.
func TestLaunchRunsTheOpenFile(t *testing.T) {
	tests := []struct {
		name    string
		install func(t *testing.T, path string)
	}{
		{"binary", func(t *testing.T, path string) { copyFile(t, testprovider.Build(t), path) }},
		{"#! script", func(t *testing.T, path string) {
			script := "#!/bin/sh\nexec '" + testprovider.Build(t) + "' \"$@\"\n"
			if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "berth-provider-dns")
			tt.install(t, path)
			sum := fileSum(t, path)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			imp, marker := impostor(t, dir)
			if err := os.Rename(imp, path); err != nil {
				t.Fatal(err)
			}

			c, err := plugin.Launch(context.Background(), plugin.Spec{Name: "acme/dns", Path: path, File: f, SHA256: sum})
			if err != nil {
				t.Fatalf("Launch of the open file: %v", err)
			}
			defer c.Close()
			noErrors(t, "GetSchema", c.GetSchema(context.Background()).Diagnostics)
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the file renamed over the path ran (%v)", err)
			}
		})
	}
}

// TestBuiltinRunsTheRunningImage: a built-in provider is berth itself as
// it is running, not whatever was put at berth's path since it started.
// A copy of the test binary, run as a child process, swaps an impostor
// over its own path and then launches its built-in provider
// (TestBuiltinSwappedChild).
func TestBuiltinRunsTheRunningImage(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	berth := filepath.Join(dir, "berth")
	copyFile(t, self, berth)
	imp, marker := impostor(t, dir)
	cmd := exec.Command(berth, "-test.run=^TestBuiltinSwappedChild$", "-test.v")
	cmd.Env = append(os.Environ(), envSwapImpostor+"="+imp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("child: %v\n%s", err, out)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the impostor at berth's path ran as the built-in provider (%v)", err)
	}
}

// envSwapImpostor tells TestBuiltinSwappedChild which impostor to put at
// its own path.
const envSwapImpostor = "BERTH_TEST_SWAP_IMPOSTOR"

func TestBuiltinSwappedChild(t *testing.T) {
	imp := os.Getenv(envSwapImpostor)
	if imp == "" {
		t.Skip("run by TestBuiltinRunsTheRunningImage")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(imp, self); err != nil {
		t.Fatal(err)
	}
	spec, err := plugin.BuiltinSpec("test")
	if err != nil {
		t.Fatal(err)
	}
	c, err := plugin.Launch(context.Background(), spec)
	if err != nil {
		t.Fatalf("Launch of the built-in provider after berth's path changed: %v", err)
	}
	defer c.Close()
	noErrors(t, "GetSchema", c.GetSchema(context.Background()).Diagnostics)
}

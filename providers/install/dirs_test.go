package install

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSearchDirs(t *testing.T) {
	home := t.TempDir()
	work := t.TempDir()
	t.Setenv("HOME", home)
	def := filepath.Join(home, ".berth", "plugins")
	tests := []struct {
		name  string
		env   string
		flags []string
		want  []string
	}{
		{name: "default only", want: []string{def}},
		{name: "env then default", env: "/a" + string(os.PathListSeparator) + "/b", want: []string{"/a", "/b", def}},
		{name: "flags first", env: "/e", flags: []string{"/f1", "/f2"}, want: []string{"/f1", "/f2", "/e", def}},
		{name: "relative flag is relative to the working dir", flags: []string{"plugins"}, want: []string{filepath.Join(work, "plugins"), def}},
		{name: "duplicates removed", env: "/f1", flags: []string{"/f1", "/f1/"}, want: []string{"/f1", def}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvPluginDir, tt.env)
			got, err := SearchDirs(work, tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SearchDirs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScan(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	src := mustSource(t, "acme/dns")
	p110 := plugin(t, d1, "acme/dns", "1.1.0", "v1.1.0")
	p120 := plugin(t, d1, "acme/dns", "1.2.0", "v1.2.0 in d1")
	plugin(t, d2, "acme/dns", "1.2.0", "v1.2.0 in d2") // shadowed by d1
	p200b := plugin(t, d2, "acme/dns", "2.0.0-beta1", "beta")
	plugin(t, d2, "acme/other", "9.0.0", "another provider")

	// Junk that must be skipped without complaint.
	base := filepath.Join(d1, "acme", "dns")
	mkdir := func(p string) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		mkdir(filepath.Dir(p))
		if err := os.WriteFile(p, []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(filepath.Join(base, "latest", Platform))
	write(filepath.Join(base, "1.3", Platform, "berth-provider-dns"))    // not canonical
	write(filepath.Join(base, "v1.4.0", Platform, "berth-provider-dns")) // not canonical
	mkdir(filepath.Join(base, "1.5.0", "plan9_mips"))                    // other platform only
	mkdir(filepath.Join(base, "1.6.0", Platform))                        // no binary
	mkdir(filepath.Join(base, "1.7.0", Platform, "berth-provider-dns"))  // binary is a dir
	write(filepath.Join(base, "README"))
	write(filepath.Join(d2, "acme", "stray-file"))
	// A plugin dir whose namespace is a file, and one that does not exist.
	d3 := t.TempDir()
	write(filepath.Join(d3, "acme"))
	missing := filepath.Join(t.TempDir(), "nope")

	got, err := Scan([]string{d1, d2, d3, missing}, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []Installed{
		{Source: src, Path: p200b, Dir: d2},
		{Source: src, Path: p120, Dir: d1},
		{Source: src, Path: p110, Dir: d1},
	}
	wantVersions := []string{"2.0.0-beta1", "1.2.0", "1.1.0"}
	if len(got) != len(want) {
		t.Fatalf("Scan found %d versions (%v), want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].Version.String() != wantVersions[i] || got[i].Path != want[i].Path || got[i].Dir != want[i].Dir || got[i].Source != src {
			t.Errorf("Scan[%d] = %s at %s (dir %s), want %s at %s (dir %s)", i, got[i].Version, got[i].Path, got[i].Dir, wantVersions[i], want[i].Path, want[i].Dir)
		}
	}
}

func TestSelect(t *testing.T) {
	dir := t.TempDir()
	src := mustSource(t, "acme/dns")
	for _, v := range []string{"1.0.0", "1.2.0", "1.2.5", "1.3.0", "2.0.0", "2.1.0-rc1"} {
		plugin(t, dir, "acme/dns", v, v)
	}
	installed, err := Scan([]string{dir}, src)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		constraints string
		want        string // "" for none
	}{
		{"", "2.0.0"}, // no constraint: newest release, never a pre-release
		{"~> 1.2", "1.3.0"},
		{"~> 1.2.0", "1.2.5"},
		{">= 1.0, < 1.3", "1.2.5"},
		{"= 1.0.0", "1.0.0"},
		{"1.2.0", "1.2.0"},
		{"!= 2.0.0, >= 1.3", "1.3.0"},
		{">= 2.1.0-rc1", "2.1.0-rc1"}, // a pre-release only when asked for
		{"~> 3.0", ""},
		{"< 1.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.constraints, func(t *testing.T) {
			got, ok := Select(installed, mustConstraints(t, tt.constraints))
			switch {
			case tt.want == "" && ok:
				t.Errorf("Select(%q) = %s, want none", tt.constraints, got.Version)
			case tt.want != "" && !ok:
				t.Errorf("Select(%q) found none, want %s", tt.constraints, tt.want)
			case ok && got.Version.String() != tt.want:
				t.Errorf("Select(%q) = %s, want %s", tt.constraints, got.Version, tt.want)
			}
		})
	}
}

package install

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	version "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
)

func req(t *testing.T, local, src, constraints string, line int) Requirement {
	return Requirement{
		LocalName:   local,
		Source:      mustSource(t, src),
		Constraints: mustConstraints(t, constraints),
		Range:       hcl.Range{Filename: "main.berth.hcl", Start: hcl.Pos{Line: line, Column: 5}, End: hcl.Pos{Line: line, Column: 40}},
	}
}

func locked(t *testing.T, src, ver string, hashes ...string) *LockedProvider {
	return &LockedProvider{Source: mustSource(t, src), Version: version.Must(version.NewSemver(ver)), Hashes: hashes}
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	bin := map[string]string{}
	for _, v := range []string{"1.1.0", "1.2.0", "1.3.0", "2.0.0"} {
		bin[v] = plugin(t, dir, "acme/dns", v, "dns "+v)
	}
	h := func(v string) string { return mustHash(t, bin[v]) }

	tests := []struct {
		name    string
		reqs    []Requirement
		prior   []*LockedProvider
		upgrade bool
		// want is "source version action" per choice, and hashes the
		// resulting lock's hashes of acme/dns.
		want    []string
		hashes  []string
		removed []string
		// err is the summary of the expected error, detail a part of its
		// detail, line where it must point.
		err, detail string
		line        int
	}{
		{
			name:   "first init selects the newest matching version",
			reqs:   []Requirement{req(t, "acmedns", "acme/dns", "~> 1.1", 3), req(t, "docker", "docker", "", 4)},
			want:   []string{"acme/dns 1.3.0 selected", "docker builtin"},
			hashes: []string{h("1.3.0")},
		},
		{
			name:   "no constraint selects the newest",
			reqs:   []Requirement{req(t, "acmedns", "acme/dns", "", 3)},
			want:   []string{"acme/dns 2.0.0 selected"},
			hashes: []string{h("2.0.0")},
		},
		{
			name:   "re-init keeps the locked version and its other hashes",
			reqs:   []Requirement{req(t, "acmedns", "acme/dns", "~> 1.1", 3)},
			prior:  []*LockedProvider{locked(t, "acme/dns", "1.2.0", h("1.2.0"), hashA)},
			want:   []string{"acme/dns 1.2.0 kept"},
			hashes: []string{hashA, h("1.2.0")},
		},
		{
			name:    "-upgrade selects the newest matching version",
			reqs:    []Requirement{req(t, "acmedns", "acme/dns", "~> 1.1", 3)},
			prior:   []*LockedProvider{locked(t, "acme/dns", "1.2.0", h("1.2.0"))},
			upgrade: true,
			want:    []string{"acme/dns 1.3.0 upgraded from 1.2.0"},
			hashes:  []string{h("1.3.0")},
		},
		{
			name:    "-upgrade re-locks a changed binary of the same version",
			reqs:    []Requirement{req(t, "acmedns", "acme/dns", "1.3.0", 3)},
			prior:   []*LockedProvider{locked(t, "acme/dns", "1.3.0", hashA)},
			upgrade: true,
			want:    []string{"acme/dns 1.3.0 upgraded from 1.3.0"},
			hashes:  []string{h("1.3.0")},
		},
		{
			name:   "constraints that no longer match the lock re-select",
			reqs:   []Requirement{req(t, "acmedns", "acme/dns", ">= 2.0", 3)},
			prior:  []*LockedProvider{locked(t, "acme/dns", "1.2.0", h("1.2.0"))},
			want:   []string{"acme/dns 2.0.0 relocked from 1.2.0"},
			hashes: []string{h("2.0.0")},
		},
		{
			name:    "providers no longer required leave the lock",
			reqs:    []Requirement{req(t, "acmedns", "acme/dns", "1.1.0", 3)},
			prior:   []*LockedProvider{locked(t, "acme/old", "0.1.0", hashA)},
			want:    []string{"acme/dns 1.1.0 selected"},
			hashes:  []string{h("1.1.0")},
			removed: []string{"acme/old"},
		},
		{
			name:   "no matching version",
			reqs:   []Requirement{req(t, "acmedns", "acme/dns", "~> 3.0", 7)},
			err:    "No matching provider version installed",
			detail: fmt.Sprintf(`berth needs version "~> 3.0" of acme/dns for %s. Installed versions: 2.0.0 (in %s), 1.3.0 (in %s), 1.2.0 (in %s), 1.1.0 (in %s). berth looked for acme/dns/<version>/%s/berth-provider-dns in: %s.`, Platform, dir, dir, dir, dir, Platform, dir),
			line:   7,
		},
		{
			name:   "nothing installed",
			reqs:   []Requirement{req(t, "certs", "acme/certs", "", 5)},
			err:    "No matching provider version installed",
			detail: "berth needs any version of acme/certs for " + Platform + ". No version of acme/certs is installed. berth looked for",
			line:   5,
		},
		{
			name:   "locked version no longer installed",
			reqs:   []Requirement{req(t, "acmedns", "acme/dns", "~> 1.0", 3)},
			prior:  []*LockedProvider{locked(t, "acme/dns", "1.0.5", hashA)},
			err:    "Locked provider version is not installed",
			detail: `acme/dns 1.0.5 is locked in berth.lock.hcl but is not installed for ` + Platform,
			line:   3,
		},
		{
			name:   "locked binary changed",
			reqs:   []Requirement{req(t, "acmedns", "acme/dns", "~> 1.0", 3)},
			prior:  []*LockedProvider{locked(t, "acme/dns", "1.2.0", hashA)},
			err:    "Provider checksum mismatch",
			detail: "provider acme/dns 1.2.0 at " + bin["1.2.0"] + " does not match the checksum in berth.lock.hcl (got " + h("1.2.0") + ", locked " + hashA + `); if you upgraded it on purpose, run "berth init -upgrade".`,
			line:   3,
		},
		{
			name:   "duplicate source",
			reqs:   []Requirement{req(t, "a", "acme/dns", "", 3), req(t, "b", "Acme/DNS", "", 4)},
			err:    "Duplicate provider requirement",
			detail: `Provider acme/dns is already required as "a" at main.berth.hcl:3,5-40`,
			line:   4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prior := NewLock()
			for _, p := range tt.prior {
				prior.SetProvider(p)
			}
			res, diags := Init(context.Background(), InitRequest{Requirements: tt.reqs, Dirs: []string{dir}, Lock: prior, Upgrade: tt.upgrade})
			if tt.err != "" {
				d := firstError(diags)
				if d == nil {
					t.Fatalf("no error; choices %v", res.Choices)
				}
				if d.Summary != tt.err || !strings.Contains(d.Detail, tt.detail) {
					t.Errorf("error:\n got %s: %s\nwant %s: ...%s...", d.Summary, d.Detail, tt.err, tt.detail)
				}
				if d.Subject == nil || d.Subject.Start.Line != tt.line {
					t.Errorf("error points at %v, want line %d", d.Subject, tt.line)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var got []string
			for _, c := range res.Choices {
				got = append(got, describeChoice(c))
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("choices = %q, want %q", got, tt.want)
			}
			var gotHashes []string
			if p := res.Lock.Provider(mustSource(t, "acme/dns")); p != nil {
				gotHashes = p.Hashes
			}
			if strings.Join(gotHashes, " ") != strings.Join(slices.Sorted(slices.Values(tt.hashes)), " ") {
				t.Errorf("locked hashes = %q, want %q", gotHashes, tt.hashes)
			}
			thirdParty := 0
			for _, c := range res.Choices {
				if c.Action != Builtin {
					thirdParty++
				}
			}
			if n := len(res.Lock.Providers()); n != thirdParty {
				t.Errorf("lock has %d providers, want the %d required third-party ones", n, thirdParty)
			}
			var removed []string
			for _, s := range res.Removed {
				removed = append(removed, s.String())
			}
			if strings.Join(removed, " ") != strings.Join(tt.removed, " ") {
				t.Errorf("removed = %q, want %q", removed, tt.removed)
			}
		})
	}
}

func describeChoice(c Choice) string {
	s := c.Requirement.Source.String()
	switch c.Action {
	case Builtin:
		return s + " builtin"
	case Selected:
		return s + " " + c.Installed.Version.String() + " selected"
	case Kept:
		return s + " " + c.Installed.Version.String() + " kept"
	case Upgraded:
		return s + " " + c.Installed.Version.String() + " upgraded from " + c.Previous.String()
	case Relocked:
		return s + " " + c.Installed.Version.String() + " relocked from " + c.Previous.String()
	}
	return "?"
}

func TestInitRecordsConstraints(t *testing.T) {
	dir := t.TempDir()
	plugin(t, dir, "acme/dns", "1.2.0", "dns")
	res, diags := Init(context.Background(), InitRequest{
		Requirements: []Requirement{req(t, "acmedns", "acme/dns", ">=1.0,<2.0", 3)},
		Dirs:         []string{dir},
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := res.Lock.Provider(mustSource(t, "acme/dns")).Constraints; got != ">=1.0, <2.0" {
		t.Errorf("constraints = %q, want %q", got, ">=1.0, <2.0")
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dns := plugin(t, dir, "acme/dns", "1.2.0", "dns 1.2.0")
	plugin(t, dir, "acme/dns", "1.3.0", "dns 1.3.0")
	plugin(t, dir, "acme/certs", "1.0.0", "certs")
	plugin(t, dir, "acme/tampered", "1.0.0", "tampered")
	lock := NewLock()
	lock.SetProvider(locked(t, "acme/dns", "1.2.0", mustHash(t, dns)))
	lock.SetProvider(locked(t, "acme/pinned", "1.0.0", hashA))
	lock.SetProvider(locked(t, "acme/tampered", "1.0.0", hashA))
	lock.SetProvider(locked(t, "acme/old", "0.1.0", hashA))
	reqs := []Requirement{
		req(t, "acmedns", "acme/dns", "~> 1.2", 3),
		req(t, "docker", "docker", "", 4),
		req(t, "certs", "acme/certs", "", 5),
		req(t, "pinned", "acme/pinned", ">= 2.0", 6),
		req(t, "tampered", "acme/tampered", "", 7),
	}
	got, err := Check(ctx, reqs, []string{dir}, lock)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		source    string
		installed string
		problems  string
	}{
		{"acme/dns", "1.3.0 1.2.0", ""},
		{"docker", "", ""},
		{"acme/certs", "1.0.0", `not locked in berth.lock.hcl: run "berth init"`},
		{"acme/pinned", "", `locked version 1.0.0 does not meet ">= 2.0": run "berth init" to select another`},
		{"acme/tampered", "1.0.0", "does not match the checksum in berth.lock.hcl"},
		{"acme/old", "", `locked but no longer required: "berth init" removes it from berth.lock.hcl`},
	}
	if len(got) != len(want) {
		t.Fatalf("Check returned %d statuses, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		var vs []string
		for _, in := range g.Installed {
			vs = append(vs, in.Version.String())
		}
		problems := strings.Join(g.Problems, "; ")
		if g.Source.String() != w.source || strings.Join(vs, " ") != w.installed ||
			(w.problems == "") != (problems == "") || !strings.Contains(problems, w.problems) {
			t.Errorf("status %d = %s installed %q problems %q, want %s installed %q problems containing %q", i, g.Source, vs, problems, w.source, w.installed, w.problems)
		}
		if (g.Requirement == nil) != (w.source == "acme/old") {
			t.Errorf("%s: requirement %v", g.Source, g.Requirement)
		}
	}
}

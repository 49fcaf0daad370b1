package install

import (
	"context"
	"fmt"
	"slices"
	"strings"

	version "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
)

// Requirement is one required_providers entry of the configuration.
type Requirement struct {
	// LocalName is the entry's key, the name resources use for it.
	LocalName   string
	Source      Source
	Constraints version.Constraints
	// Range is the entry in the configuration; diagnostics point at it.
	Range hcl.Range
}

// InitRequest is what "berth init" asks for.
type InitRequest struct {
	Requirements []Requirement
	// Dirs are the plugin directories, in search order (see SearchDirs).
	Dirs []string
	// Lock is the lock file as it is now; nil or empty before the first init.
	Lock *Lock
	// Upgrade ignores the locked versions and selects the newest installed
	// versions that meet the constraints, re-recording their checksums.
	Upgrade bool
}

// Action says why a provider version was chosen.
type Action int

const (
	// Builtin: the provider ships with berth; nothing was selected.
	Builtin Action = iota
	// Selected: the provider was not locked; the newest matching version
	// was selected.
	Selected
	// Kept: the locked version was kept.
	Kept
	// Upgraded: -upgrade selected the newest matching version (possibly
	// the same as before, with the binary's current checksum).
	Upgraded
	// Relocked: the locked version no longer met the constraints, so the
	// newest matching version was selected instead.
	Relocked
)

// Choice is what init decided for one requirement.
type Choice struct {
	Requirement Requirement
	Action      Action
	// Installed is the chosen binary; zero for a built-in provider.
	Installed Installed
	// Previous is the version locked before, if any.
	Previous *version.Version
}

// InitResult is the outcome of Init.
type InitResult struct {
	// Choices are in the order of the requirements.
	Choices []Choice
	// Lock is the new lock: exactly the required third-party providers.
	Lock *Lock
	// Removed are sources that were locked but are no longer required.
	Removed []Source
}

// Init decides, for every requirement, which installed version to use, and
// builds the new lock. It keeps a locked version as long as it meets the
// constraints (unless req.Upgrade), and refuses a binary whose checksum is
// not the locked one. It never writes anything; the caller writes Lock when
// there are no errors.
func Init(ctx context.Context, req InitRequest) (*InitResult, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	res := &InitResult{Lock: NewLock()}
	seen := map[Source]Requirement{}
	for _, r := range req.Requirements {
		if err := ctx.Err(); err != nil {
			return res, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Interrupted", Detail: err.Error()})
		}
		if prev, dup := seen[r.Source]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate provider requirement",
				Detail:   fmt.Sprintf("Provider %s is already required as %q at %s; require each provider once.", r.Source, prev.LocalName, prev.Range),
				Subject:  r.Range.Ptr(),
			})
			continue
		}
		seen[r.Source] = r
		if r.Source.IsBuiltin() {
			res.Choices = append(res.Choices, Choice{Requirement: r, Action: Builtin})
			continue
		}
		c, entry, cDiags := choose(ctx, req, r)
		diags = append(diags, cDiags...)
		if cDiags.HasErrors() {
			continue
		}
		res.Choices = append(res.Choices, c)
		res.Lock.SetProvider(entry)
	}
	for _, p := range req.Lock.Providers() {
		if _, ok := seen[p.Source]; !ok {
			res.Removed = append(res.Removed, p.Source)
		}
	}
	return res, diags
}

// choose selects the version for one third-party requirement and returns
// its new lock entry.
func choose(ctx context.Context, req InitRequest, r Requirement) (Choice, *LockedProvider, hcl.Diagnostics) {
	errDiag := func(summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r.Range.Ptr()}}
	}
	installed, err := Scan(req.Dirs, r.Source)
	if err != nil {
		return Choice{}, nil, errDiag("Failed to search for provider "+r.Source.String(), err.Error())
	}
	constraints := FormatConstraints(r.Constraints)
	prior := req.Lock.Provider(r.Source)
	c := Choice{Requirement: r}
	if prior != nil {
		c.Previous = prior.Version
	}

	if prior != nil && !req.Upgrade && r.Constraints.Check(prior.Version) {
		i := slices.IndexFunc(installed, func(in Installed) bool { return in.Version.Equal(prior.Version) })
		if i < 0 {
			return Choice{}, nil, errDiag("Locked provider version is not installed",
				fmt.Sprintf("%s %s is locked in %s but is not installed for %s. %s Install %s %s, or run \"berth init -upgrade\" to lock the newest installed version that meets the constraints.",
					r.Source, prior.Version, LockFileName, Platform, describeInstalled(installed, req.Dirs, r.Source), r.Source, prior.Version))
		}
		c.Action, c.Installed = Kept, installed[i]
		if _, err := Verify(ctx, c.Installed.Path, prior); err != nil {
			return Choice{}, nil, errDiag("Provider checksum mismatch", err.Error()+".")
		}
		// Keep every locked hash: the others belong to the other platforms
		// the team runs on.
		return c, &LockedProvider{Source: r.Source, Version: prior.Version, Constraints: constraints, Hashes: prior.Hashes}, nil
	}

	in, ok := Select(installed, r.Constraints)
	if !ok {
		want := "any version"
		if constraints != "" {
			want = fmt.Sprintf("version %q", constraints)
		}
		return Choice{}, nil, errDiag("No matching provider version installed",
			fmt.Sprintf("berth needs %s of %s for %s. %s", want, r.Source, Platform, describeInstalled(installed, req.Dirs, r.Source)))
	}
	sum, err := HashFile(ctx, in.Path)
	if err != nil {
		return Choice{}, nil, errDiag("Failed to read provider "+r.Source.String(), err.Error())
	}
	c.Installed = in
	switch {
	case prior == nil:
		c.Action = Selected
	case req.Upgrade:
		c.Action = Upgraded
	default:
		c.Action = Relocked
	}
	hashes := []string{FormatHash(sum)}
	if prior != nil && prior.Version.Equal(in.Version) && slices.Contains(prior.Hashes, hashes[0]) {
		// Same version, same binary: keep the other platforms' hashes.
		hashes = prior.Hashes
	}
	return c, &LockedProvider{Source: r.Source, Version: in.Version, Constraints: constraints, Hashes: hashes}, nil
}

// describeInstalled tells the user what berth found and where it looked, for
// errors about versions that are not there.
func describeInstalled(installed []Installed, dirs []string, src Source) string {
	var b strings.Builder
	if len(installed) == 0 {
		fmt.Fprintf(&b, "No version of %s is installed.", src)
	} else {
		b.WriteString("Installed versions: ")
		for i, in := range installed {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (in %s)", in.Version, in.Dir)
		}
		b.WriteString(".")
	}
	fmt.Fprintf(&b, " berth looked for %s in: %s.", layoutPath(src, nil), dirList(dirs))
	return b.String()
}

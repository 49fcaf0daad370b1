package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/berth-sh/berth/atomicfile"

	version "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// LockFileName is the dependency lock file's name in the working directory.
const LockFileName = "berth.lock.hcl"

// Lock is the content of the dependency lock file: the selected version and
// checksums of every third-party provider. The zero value is not usable;
// use NewLock or ReadLockFile.
type Lock struct {
	providers map[Source]*LockedProvider
}

// LockedProvider is one provider block of the lock file.
type LockedProvider struct {
	Source  Source
	Version *version.Version
	// Constraints are the version constraints the version was selected
	// under, normalized (see FormatConstraints); "" when there were none.
	// They are informational: they tell a reader, and "berth init", why
	// this version was chosen.
	Constraints string
	// Hashes are the accepted checksums of the binary, "sha256:<hex>",
	// sorted. There can be several, one per platform a team runs on.
	Hashes []string
	// DeclRange is the provider block in the lock file, when it was read
	// from one; diagnostics about the entry point there.
	DeclRange hcl.Range
}

// NewLock returns an empty lock.
func NewLock() *Lock { return &Lock{providers: map[Source]*LockedProvider{}} }

// Provider returns the entry for src, or nil. A nil Lock has no entries.
func (l *Lock) Provider(src Source) *LockedProvider {
	if l == nil {
		return nil
	}
	return l.providers[src]
}

// SetProvider adds or replaces the entry for p.Source. Hashes are sorted and
// deduplicated so the written file does not depend on the order in which
// they were found.
func (l *Lock) SetProvider(p *LockedProvider) {
	cp := *p
	cp.Hashes = slices.Compact(slices.Sorted(slices.Values(p.Hashes)))
	l.providers[p.Source] = &cp
}

// RemoveProvider deletes the entry for src, if any.
func (l *Lock) RemoveProvider(src Source) { delete(l.providers, src) }

// Providers returns the entries sorted by source.
func (l *Lock) Providers() []*LockedProvider {
	if l == nil {
		return nil
	}
	out := make([]*LockedProvider, 0, len(l.providers))
	for _, p := range l.providers {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *LockedProvider) int { return a.Source.Compare(b.Source) })
	return out
}

// FormatConstraints renders constraints the way the lock file records them:
// each constraint as written, trimmed, joined by ", ".
func FormatConstraints(cs version.Constraints) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = strings.TrimSpace(c.String())
	}
	return strings.Join(parts, ", ")
}

// Bytes renders the lock file. The output is deterministic: providers sorted
// by source, hashes sorted, formatted by hclwrite, so re-running init with
// nothing changed rewrites the file byte for byte.
func (l *Lock) Bytes() []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(hclwrite.Tokens{
		{Type: hclsyntax.TokenComment, Bytes: []byte("# This file is maintained automatically by \"berth init\".\n")},
		{Type: hclsyntax.TokenComment, Bytes: []byte("# Manual edits may be lost in future updates.\n")},
	})
	for _, p := range l.Providers() {
		body.AppendNewline()
		blk := body.AppendNewBlock("provider", []string{p.Source.String()}).Body()
		blk.SetAttributeValue("version", cty.StringVal(p.Version.String()))
		if p.Constraints != "" {
			blk.SetAttributeValue("constraints", cty.StringVal(p.Constraints))
		}
		blk.SetAttributeRaw("hashes", hashListTokens(p.Hashes))
	}
	return hclwrite.Format(f.Bytes())
}

// hashListTokens writes one hash per line, with a trailing comma, so that a
// change of hashes shows in a diff as lines added and removed.
func hashListTokens(hashes []string) hclwrite.Tokens {
	toks := hclwrite.Tokens{
		{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")},
		{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
	}
	for _, h := range hashes {
		toks = append(toks, hclwrite.TokensForValue(cty.StringVal(h))...)
		toks = append(toks,
			&hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(",")},
			&hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
		)
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
}

// WriteLockFile writes l to path atomically, so an interrupted init never
// leaves half a lock.
func WriteLockFile(path string, l *Lock) error {
	return atomicfile.Write(path, l.Bytes(), 0o644)
}

// ReadLockFile reads the lock file at path. A missing file is an empty lock,
// not an error: it is what a configuration looks like before its first init.
func ReadLockFile(path string) (*Lock, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewLock(), nil
	}
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read the dependency lock file",
			Detail:   err.Error(),
		}}
	}
	return ParseLock(src, path)
}

var lockFileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "provider", LabelNames: []string{"source"}}},
}

var lockProviderSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "version", Required: true},
		{Name: "constraints"},
		{Name: "hashes"},
	},
}

var hashRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseLock parses lock file content; filename is used in diagnostics. It
// returns every problem it finds, each pointing at the offending part of the
// file, and a Lock holding the entries that were valid.
func ParseLock(src []byte, filename string) (*Lock, hcl.Diagnostics) {
	lock := NewLock()
	f, diags := hclparse.NewParser().ParseHCL(src, filename)
	if diags.HasErrors() {
		return lock, diags
	}
	content, moreDiags := f.Body.Content(lockFileSchema)
	diags = append(diags, moreDiags...)
	for _, blk := range content.Blocks {
		p, pDiags := decodeLockedProvider(blk)
		diags = append(diags, pDiags...)
		if p == nil {
			continue
		}
		if prev := lock.Provider(p.Source); prev != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate provider in the lock file",
				Detail:   fmt.Sprintf("Provider %s is already locked at %s.", p.Source, prev.DeclRange),
				Subject:  blk.LabelRanges[0].Ptr(),
			})
			continue
		}
		lock.SetProvider(p)
	}
	return lock, diags
}

func decodeLockedProvider(blk *hcl.Block) (*LockedProvider, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	errAt := func(rng hcl.Range, summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
	}
	src, err := ParseSource(blk.Labels[0])
	if err != nil {
		errAt(blk.LabelRanges[0], "Invalid provider source in the lock file", err.Error()+".")
	} else if src.IsBuiltin() {
		errAt(blk.LabelRanges[0], "Built-in provider in the lock file",
			fmt.Sprintf("%s is built into berth and is never locked; remove this block or run \"berth init\".", src))
	}
	content, moreDiags := blk.Body.Content(lockProviderSchema)
	diags = append(diags, moreDiags...)
	p := &LockedProvider{Source: src, DeclRange: blk.DefRange}

	if attr, ok := content.Attributes["version"]; ok {
		if s, ok := stringAttr(attr, &diags); ok {
			v, err := version.NewSemver(s)
			switch {
			case err != nil:
				errAt(attr.Expr.Range(), "Invalid provider version in the lock file", fmt.Sprintf("%q is not a semantic version: %s.", s, err))
			default:
				p.Version = v
			}
		}
	}
	if attr, ok := content.Attributes["constraints"]; ok {
		if s, ok := stringAttr(attr, &diags); ok {
			cs, err := version.NewConstraint(s)
			if err != nil {
				errAt(attr.Expr.Range(), "Invalid version constraints in the lock file", fmt.Sprintf("%q: %s.", s, err))
			} else {
				p.Constraints = FormatConstraints(cs)
			}
		}
	}
	if attr, ok := content.Attributes["hashes"]; ok {
		elems, elemDiags := hcl.ExprList(attr.Expr)
		if elemDiags.HasErrors() {
			errAt(attr.Expr.Range(), "Invalid hashes in the lock file", "hashes must be a list of strings like \"sha256:<64 hex digits>\".")
		}
		for _, e := range elems {
			v, vDiags := e.Value(nil)
			diags = append(diags, vDiags...)
			if vDiags.HasErrors() {
				continue
			}
			if v.IsNull() || !v.IsKnown() || v.Type() != cty.String || !hashRe.MatchString(v.AsString()) {
				errAt(e.Range(), "Invalid hash in the lock file", "Each hash must be a string \"sha256:\" followed by 64 lower-case hex digits.")
				continue
			}
			p.Hashes = append(p.Hashes, v.AsString())
		}
	}
	if len(p.Hashes) == 0 && !diags.HasErrors() {
		errAt(blk.DefRange, "Provider without hashes in the lock file",
			fmt.Sprintf("The lock entry for %s has no hashes, so its binary cannot be verified; run \"berth init -upgrade\" to lock it again.", src))
	}
	if diags.HasErrors() || p.Version == nil {
		return nil, diags
	}
	return p, diags
}

// stringAttr evaluates a lock file attribute that must be a literal string.
func stringAttr(attr *hcl.Attribute, diags *hcl.Diagnostics) (string, bool) {
	v, d := attr.Expr.Value(nil)
	*diags = append(*diags, d...)
	if d.HasErrors() {
		return "", false
	}
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		*diags = append(*diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value in the lock file",
			Detail:   fmt.Sprintf("%s must be a string.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
		return "", false
	}
	return v.AsString(), true
}

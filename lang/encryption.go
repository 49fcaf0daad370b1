package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Encryption is the encryption block of the berth block, modelled on
// OpenTofu's: key providers, methods, and the targets they encrypt (the
// state, saved plans). Decoding it here checks its shape; ResolveEncryption
// merges BERTH_ENCRYPTION into it and checks its references, and
// EncryptionConfig evaluates it (encryptioneval.go).
type Encryption struct {
	// KeyProviders and Methods are keyed by "TYPE.NAME".
	KeyProviders map[string]*EncryptionKeyProvider
	Methods      map[string]*EncryptionMethod
	// State and Plan are nil when not configured: that target is not
	// encrypted.
	State, Plan *EncryptionTarget
	DeclRange   hcl.Range
}

// EncryptionKeyProvider is a key_provider "TYPE" "NAME" block; its body
// is evaluated with the variables it references (var.NAME only).
type EncryptionKeyProvider struct {
	Type, Name string
	Config     hcl.Body
	DeclRange  hcl.Range
	TypeRange  hcl.Range
}

// EncryptionMethod is a method "TYPE" "NAME" block.
type EncryptionMethod struct {
	Type, Name string
	// Keys is the key provider of an aes_gcm method (keys =
	// key_provider.TYPE.NAME).
	Keys      *EncryptionRef
	DeclRange hcl.Range
	TypeRange hcl.Range
}

// EncryptionTarget is a state or plan block.
type EncryptionTarget struct {
	Method    *EncryptionRef
	Fallbacks []*EncryptionRef
	Enforced  bool
	DeclRange hcl.Range
}

// EncryptionRef is a reference to a key provider or a method:
// key_provider.TYPE.NAME, method.TYPE.NAME.
type EncryptionRef struct {
	Kind, Type, Name string
	Range            hcl.Range
}

func (r *EncryptionRef) key() string { return r.Type + "." + r.Name }

func (r *EncryptionRef) String() string { return r.Kind + "." + r.Type + "." + r.Name }

// EncryptionEnvVar holds an encryption block's body, in HCL, for CI to
// inject keys without a configuration change (OpenTofu's TF_ENCRYPTION).
// Its key providers and methods replace those of the same type and name
// in the configuration, and its state and plan blocks replace the
// configuration's.
const EncryptionEnvVar = "BERTH_ENCRYPTION"

// methodTypes are the types of methods; the key providers' are those
// of keyProviderSchemas.
var methodTypes = []string{"aes_gcm", "unencrypted"}

var encryptionSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "key_provider", LabelNames: []string{"type", "name"}},
		{Type: "method", LabelNames: []string{"type", "name"}},
		{Type: "state"},
		{Type: "plan"},
	},
}

var encryptionTargetSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "method", Required: true}, {Name: "enforced"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "fallback"}},
}

var encryptionFallbackSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "method", Required: true}},
}

// decodeEncryption decodes the shape of an encryption block's body:
// block types and labels, references and literals. Whether references
// resolve is ResolveEncryption's, once BERTH_ENCRYPTION is merged in.
func decodeEncryption(body hcl.Body, declRange hcl.Range) (*Encryption, hcl.Diagnostics) {
	e := &Encryption{KeyProviders: map[string]*EncryptionKeyProvider{}, Methods: map[string]*EncryptionMethod{}, DeclRange: declRange}
	content, diags := body.Content(encryptionSchema)
	for _, b := range content.Blocks {
		switch b.Type {
		case "key_provider":
			kp := &EncryptionKeyProvider{Type: b.Labels[0], Name: b.Labels[1], Config: b.Body, DeclRange: b.DefRange, TypeRange: b.LabelRanges[0]}
			if keyProviderSchemas[kp.Type] == nil {
				types := sortedKeys(keyProviderSchemas)
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown key provider type",
					Detail:  fmt.Sprintf("%q is not a key provider of berth, which has %s.%s", kp.Type, strings.Replace(quoteList(types), " or ", " and ", 1), didYouMean(kp.Type, types)),
					Subject: kp.TypeRange.Ptr()})
				continue
			}
			if prev := e.KeyProviders[kp.Type+"."+kp.Name]; prev != nil {
				diags = diags.Append(duplicateBlockDiag(fmt.Sprintf("key_provider %q %q", kp.Type, kp.Name), kp.DeclRange, prev.DeclRange))
				continue
			}
			e.KeyProviders[kp.Type+"."+kp.Name] = kp
		case "method":
			m, d := decodeEncryptionMethod(b)
			diags = diags.Extend(d)
			if m == nil {
				continue
			}
			if prev := e.Methods[m.Type+"."+m.Name]; prev != nil {
				diags = diags.Append(duplicateBlockDiag(fmt.Sprintf("method %q %q", m.Type, m.Name), m.DeclRange, prev.DeclRange))
				continue
			}
			e.Methods[m.Type+"."+m.Name] = m
		case "state", "plan":
			t, d := decodeEncryptionTarget(b)
			diags = diags.Extend(d)
			dst := &e.State
			if b.Type == "plan" {
				dst = &e.Plan
			}
			if *dst != nil {
				diags = diags.Append(duplicateBlockDiag(b.Type, b.DefRange, (*dst).DeclRange))
				continue
			}
			*dst = t
		}
	}
	return e, diags
}

func decodeEncryptionMethod(b *hcl.Block) (*EncryptionMethod, hcl.Diagnostics) {
	m := &EncryptionMethod{Type: b.Labels[0], Name: b.Labels[1], DeclRange: b.DefRange, TypeRange: b.LabelRanges[0]}
	switch m.Type {
	case "aes_gcm":
		content, diags := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "keys", Required: true}}})
		if attr := content.Attributes["keys"]; attr != nil {
			var d hcl.Diagnostics
			m.Keys, d = decodeEncryptionRef(attr, "key_provider")
			diags = diags.Extend(d)
		}
		return m, diags
	case "unencrypted":
		_, diags := b.Body.Content(&hcl.BodySchema{})
		return m, diags
	}
	return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown encryption method type",
		Detail:  fmt.Sprintf("%q is not an encryption method of berth, which has %s.%s", m.Type, strings.Replace(quoteList(methodTypes), " or ", " and ", 1), didYouMean(m.Type, methodTypes)),
		Subject: m.TypeRange.Ptr()}}
}

func decodeEncryptionTarget(b *hcl.Block) (*EncryptionTarget, hcl.Diagnostics) {
	t := &EncryptionTarget{DeclRange: b.DefRange}
	content, diags := b.Body.Content(encryptionTargetSchema)
	if attr := content.Attributes["method"]; attr != nil {
		var d hcl.Diagnostics
		t.Method, d = decodeEncryptionRef(attr, "method")
		diags = diags.Extend(d)
	}
	if attr := content.Attributes["enforced"]; attr != nil {
		v, d := attr.Expr.Value(nil)
		if d.HasErrors() || !v.Type().Equals(cty.Bool) || v.IsNull() {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for enforced",
				Detail: "enforced takes true or false, written as such.", Subject: attr.Expr.Range().Ptr()})
		} else {
			t.Enforced = v.True()
		}
	}
	for _, fb := range content.Blocks.OfType("fallback") {
		fc, d := fb.Body.Content(encryptionFallbackSchema)
		diags = diags.Extend(d)
		if attr := fc.Attributes["method"]; attr != nil {
			ref, d := decodeEncryptionRef(attr, "method")
			diags = diags.Extend(d)
			if ref != nil {
				t.Fallbacks = append(t.Fallbacks, ref)
			}
		}
	}
	return t, diags
}

// decodeEncryptionRef reads a reference to a kind (key_provider, method)
// block: kind.TYPE.NAME, written bare.
func decodeEncryptionRef(attr *hcl.Attribute, kind string) (*EncryptionRef, hcl.Diagnostics) {
	bad := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid reference",
		Detail:  fmt.Sprintf("%s takes a reference to a %s block, such as %s.TYPE.NAME.", attr.Name, kind, kind),
		Subject: attr.Expr.Range().Ptr()}}
	trav, diags := hcl.AbsTraversalForExpr(attr.Expr)
	if diags.HasErrors() || len(trav) != 3 || trav.RootName() != kind {
		return nil, bad
	}
	var parts []string
	for _, step := range trav[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			return nil, bad
		}
		parts = append(parts, a.Name)
	}
	return &EncryptionRef{Kind: kind, Type: parts[0], Name: parts[1], Range: attr.Expr.Range()}, nil
}

// ResolveEncryption returns cfg's encryption block (cfg may be nil)
// merged with BERTH_ENCRYPTION from environ, after checking it (its
// references, its key providers' bodies; their values are not
// evaluated): nil when neither configures encryption.
func ResolveEncryption(cfg *Config, environ []string) (*Encryption, hcl.Diagnostics) {
	var e *Encryption
	if cfg != nil && cfg.Berth != nil {
		e = cfg.Berth.Encryption
	}
	var diags hcl.Diagnostics
	if text, ok := lookupEnv(environ, EncryptionEnvVar); ok && strings.TrimSpace(text) != "" {
		filename := "<environment variable " + EncryptionEnvVar + ">"
		f, d := hclsyntax.ParseConfig([]byte(text), filename, hcl.InitialPos)
		diags = diags.Extend(d)
		if d.HasErrors() {
			return nil, diags
		}
		if cfg != nil {
			cfg.Files[filename] = f
		}
		env, d := decodeEncryption(f.Body, hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos})
		diags = diags.Extend(d)
		if d.HasErrors() {
			return nil, diags
		}
		e = mergeEncryption(e, env)
	}
	if e == nil {
		return nil, diags
	}
	var vars map[string]*Variable
	if cfg != nil {
		vars = cfg.Variables
	}
	return e, diags.Extend(e.check(vars))
}

// mergeEncryption returns base with over's blocks in place of base's of
// the same type and name (base may be nil).
func mergeEncryption(base, over *Encryption) *Encryption {
	if base == nil {
		return over
	}
	out := &Encryption{KeyProviders: map[string]*EncryptionKeyProvider{}, Methods: map[string]*EncryptionMethod{},
		State: base.State, Plan: base.Plan, DeclRange: base.DeclRange}
	for _, m := range []*Encryption{base, over} {
		for k, v := range m.KeyProviders {
			out.KeyProviders[k] = v
		}
		for k, v := range m.Methods {
			out.Methods[k] = v
		}
	}
	if over.State != nil {
		out.State = over.State
	}
	if over.Plan != nil {
		out.Plan = over.Plan
	}
	return out
}

// lookupEnv finds name in environ (KEY=VALUE entries).
func lookupEnv(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

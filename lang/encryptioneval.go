package lang

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/state/encryption"
)

// keyProviderSchemas are the bodies of the key provider types. The
// sensitive attributes hold key material: they may only come from
// sensitive variables (check), and are never shown.
var keyProviderSchemas = map[string]*BlockSchema{
	"pbkdf2": {Attributes: []*AttrSchema{
		{Name: "passphrase", Type: cty.String, Required: true, Sensitive: true,
			Description: fmt.Sprintf("The passphrase the key is derived from, of at least %d characters.", encryption.MinPassphraseLength)},
		{Name: "iterations", Type: cty.Number, Check: checkIterations,
			Description: fmt.Sprintf("PBKDF2-HMAC-SHA512 iterations (default %d, at least %d).", encryption.DefaultIterations, encryption.MinIterations)},
	}},
	"age": {Attributes: []*AttrSchema{
		{Name: "recipients", Type: cty.List(cty.String), Required: true,
			Description: "The age public keys (age1…) the data key is wrapped for; any one's identity decrypts."},
		{Name: "identity", Type: cty.String, Sensitive: true,
			Description: "age identities (AGE-SECRET-KEY-1…), one a line, to decrypt with."},
		{Name: "identity_file", Type: cty.String,
			Description: "A file of age identities to decrypt with (~ is the home directory)."},
	}},
}

// checkIterations refuses an iteration count that is not a whole number
// from encryption.MinIterations to encryption.MaxIterations.
func checkIterations(v cty.Value) error {
	n, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || n < encryption.MinIterations || n > encryption.MaxIterations {
		return fmt.Errorf("iterations must be a whole number from %d to %d, not %s", encryption.MinIterations, encryption.MaxIterations, v.AsBigFloat().Text('f', -1))
	}
	return nil
}

// EncryptionConfig evaluates the encryption of cfg (nil without a
// configuration): its encryption block merged with BERTH_ENCRYPTION from
// environ (ResolveEncryption), the key providers evaluated with the input
// variables they refer to, collected as CollectVariables does (args,
// *.auto.vars.hcl files, BERTH_VAR_* in environ). It returns nil when
// nothing configures encryption. Only the key providers the state and
// plan blocks use are evaluated: one for another machine may lack its
// variables here.
func EncryptionConfig(cfg *Config, args []VarArg, environ []string) (*encryption.Config, hcl.Diagnostics) {
	e, diags := ResolveEncryption(cfg, environ)
	if diags.HasErrors() || e == nil {
		return nil, diags
	}
	used := map[string]*EncryptionKeyProvider{}
	for _, t := range []*EncryptionTarget{e.State, e.Plan} {
		if t == nil {
			continue
		}
		for _, ref := range append([]*EncryptionRef{t.Method}, t.Fallbacks...) {
			if m := e.Methods[ref.key()]; m != nil && m.Keys != nil {
				used[m.Keys.key()] = e.KeyProviders[m.Keys.key()]
			}
		}
	}
	vars, d := encryptionVariables(cfg, used, args, environ)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return nil, diags
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}}
	kps := map[string]encryption.KeyProvider{}
	for _, k := range sortedKeys(used) {
		kp, d := used[k].evaluate(ctx)
		diags = diags.Extend(d)
		kps[k] = kp
	}
	if diags.HasErrors() {
		return nil, diags
	}
	methods := map[string]encryption.Method{}
	for k, m := range e.Methods {
		switch m.Type {
		case "aes_gcm":
			if kp := kps[m.Keys.key()]; kp != nil {
				methods[k] = encryption.NewAESGCM(m.Name, kp)
			}
		case "unencrypted":
			methods[k] = encryption.Unencrypted{Name: m.Name}
		}
	}
	out := &encryption.Config{}
	for _, t := range []struct {
		block *EncryptionTarget
		dst   **encryption.Target
	}{{e.State, &out.State}, {e.Plan, &out.Plan}} {
		if t.block == nil {
			continue
		}
		var fallbacks []encryption.Method
		for _, ref := range t.block.Fallbacks {
			fallbacks = append(fallbacks, methods[ref.key()])
		}
		tg, err := encryption.NewTarget(methods[t.block.Method.key()], fallbacks, t.block.Enforced)
		if err != nil {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid encryption target",
				Detail: endSentence(capitalize(err.Error())), Subject: t.block.DeclRange.Ptr()})
			continue
		}
		*t.dst = tg
	}
	return out, diags
}

// encryptionVariables collects the values of the variables the key
// providers kps refer to, and of no others: a variable for something
// else that has no value here must not stop berth from reading the state.
func encryptionVariables(cfg *Config, kps map[string]*EncryptionKeyProvider, args []VarArg, environ []string) (map[string]cty.Value, hcl.Diagnostics) {
	names := map[string]bool{}
	for _, kp := range kps {
		attrs, _ := kp.Config.JustAttributes()
		for _, attr := range attrs {
			for _, trav := range attr.Expr.Variables() {
				if len(trav) > 1 && trav.RootName() == "var" {
					if a, ok := trav[1].(hcl.TraverseAttr); ok {
						names[a.Name] = true
					}
				}
			}
		}
	}
	if len(names) == 0 || cfg == nil {
		return map[string]cty.Value{}, nil
	}
	sub := &Config{Dir: cfg.Dir, Files: cfg.Files, Variables: map[string]*Variable{}}
	for n := range names {
		sub.Variables[n] = cfg.Variables[n]
	}
	var kept []VarArg
	for _, a := range args {
		if name, _, _ := strings.Cut(a.Value, "="); a.Kind == "var" && !names[strings.TrimSpace(name)] {
			continue // the engine reports a -var for no variable
		}
		kept = append(kept, a)
	}
	vals, d := CollectVariables(sub, cfg.Dir, kept, environ)
	var diags hcl.Diagnostics
	for _, x := range d {
		if x.Severity == hcl.DiagError {
			// Warnings are about the other variables' values in files:
			// the engine gives them.
			diags = diags.Append(x)
		}
	}
	return vals, diags
}

// evaluate decodes the key provider's body in ctx and makes it.
func (kp *EncryptionKeyProvider) evaluate(ctx *hcl.EvalContext) (encryption.KeyProvider, hcl.Diagnostics) {
	v, ranges, diags := keyProviderSchemas[kp.Type].DecodeWithRanges(kp.Config, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	v, _ = v.UnmarkDeep()
	str := func(name string) string {
		if a := v.GetAttr(name); a.IsKnown() && !a.IsNull() {
			return a.AsString()
		}
		return ""
	}
	var (
		out  encryption.KeyProvider
		err  error
		attr string // the attribute err is about, for its range
	)
	switch kp.Type {
	case "pbkdf2":
		c := encryption.PBKDF2Config{Name: kp.Name, Passphrase: str("passphrase")}
		if it := v.GetAttr("iterations"); !it.IsNull() {
			n, _ := it.AsBigFloat().Int64() // a whole number in range: checked
			c.Iterations = int(n)
		}
		attr = "passphrase"
		var p *encryption.PBKDF2
		if p, err = encryption.NewPBKDF2(c); err == nil {
			out = p
		}
	case "age":
		c := encryption.AgeConfig{Name: kp.Name, Identity: str("identity"), IdentityFile: str("identity_file")}
		for _, r := range v.GetAttr("recipients").AsValueSlice() {
			if !r.IsNull() {
				c.Recipients = append(c.Recipients, r.AsString())
			}
		}
		attr = "recipients"
		var a *encryption.Age
		if a, err = encryption.NewAge(c); err == nil {
			out = a
		}
	}
	if err != nil {
		return nil, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid key_provider %q %q", kp.Type, kp.Name),
			Detail: endSentence(capitalize(err.Error())), Subject: ranges.Get(attr).Ptr(), Context: kp.DeclRange.Ptr()})
	}
	return out, diags
}

package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// check reports what would stop the encryption block from being
// evaluated: references to blocks that are not declared, key provider
// bodies that do not match their type or refer to anything but input
// variables, key material from a variable that is not sensitive, and a
// target that enforces encryption but writes plaintext. vars are the
// configuration's variables (nil without a configuration).
func (e *Encryption) check(vars map[string]*Variable) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, k := range sortedKeys(e.KeyProviders) {
		diags = diags.Extend(e.KeyProviders[k].check(vars))
	}
	for _, k := range sortedKeys(e.Methods) {
		m := e.Methods[k]
		if m.Keys != nil && e.KeyProviders[m.Keys.key()] == nil {
			diags = diags.Append(unknownEncryptionRef(m.Keys, sortedKeys(e.KeyProviders)))
		}
	}
	if e.State == nil && e.Plan == nil {
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Encryption encrypts nothing",
			Detail:  "The encryption block has neither a state block nor a plan block, so nothing is encrypted. Add state { method = method.TYPE.NAME } (and plan { ... } for saved plans).",
			Subject: e.DeclRange.Ptr()})
	}
	for _, t := range []*EncryptionTarget{e.State, e.Plan} {
		if t == nil {
			continue
		}
		for _, ref := range append([]*EncryptionRef{t.Method}, t.Fallbacks...) {
			if ref != nil && e.Methods[ref.key()] == nil {
				diags = diags.Append(unknownEncryptionRef(ref, sortedKeys(e.Methods)))
			}
		}
		if t.Enforced && t.Method != nil && t.Method.Type == "unencrypted" {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unencrypted method with enforced encryption",
				Detail:  fmt.Sprintf("%s writes plaintext, and enforced = true forbids that. To move away from encryption, remove enforced first.", t.Method),
				Subject: t.Method.Range.Ptr(), Context: t.DeclRange.Ptr()})
		}
	}
	return diags
}

// check checks a key provider's body against its type's schema, and its
// references: input variables only (a key provider is evaluated before
// anything else), and sensitive ones for its secret attributes.
func (kp *EncryptionKeyProvider) check(vars map[string]*Variable) hcl.Diagnostics {
	schema := keyProviderSchemas[kp.Type]
	content, diags := kp.Config.Content(schema.hclSchema(isJSONBody(kp.Config)))
	secret := map[string]bool{}
	for _, a := range schema.Attributes {
		secret[a.Name] = a.Sensitive
	}
	for _, name := range sortedKeys(content.Attributes) {
		attr := content.Attributes[name]
		for _, trav := range attr.Expr.Variables() {
			varName := ""
			if len(trav) > 1 {
				if a, ok := trav[1].(hcl.TraverseAttr); ok {
					varName = a.Name
				}
			}
			rng := trav.SourceRange()
			switch {
			case trav.RootName() != "var" || varName == "":
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference in a key provider",
					Detail:  fmt.Sprintf("A key provider is evaluated before anything else, to read the state: it may refer to input variables (var.NAME) only, not to %s.", traversalString(trav)),
					Subject: rng.Ptr()})
			case vars[varName] == nil:
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared input variable",
					Detail:  fmt.Sprintf("No variable %q is declared.%s", varName, didYouMean(varName, sortedKeys(vars))),
					Subject: rng.Ptr()})
			case secret[name] && !vars[varName].Sensitive:
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Key material from a variable that is not sensitive",
					Detail:  fmt.Sprintf("The %s of key_provider %q %q comes from var.%s, which is not sensitive: declare it with sensitive = true, so that berth never shows it.", name, kp.Type, kp.Name, varName),
					Subject: rng.Ptr(), Context: vars[varName].DeclRange.Ptr()})
			}
		}
	}
	return diags
}

func unknownEncryptionRef(ref *EncryptionRef, known []string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to an undeclared " + strings.ReplaceAll(ref.Kind, "_", " "),
		Detail:  fmt.Sprintf("No %s %q %q is declared in the encryption block (or in %s).%s", ref.Kind, ref.Type, ref.Name, EncryptionEnvVar, didYouMean(ref.key(), known)),
		Subject: ref.Range.Ptr()}
}
